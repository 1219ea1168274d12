"""The synthetic state generator: a landing folder of every feed, plus ground truth beside it.

``generate(residents, seed, out)`` is the plain function behind ``srdh generate``. Output is
deterministic for a given ``(residents, seed, photos, profile)``; ``profile`` names a noise
profile of ``profiles.py`` (``tuning`` by default, or ``field``, which nobody may tune on).
See ``generator/README.md``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

FEEDS = ["uid_kyr", "food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death",
         "lgd_villages", "facilities", "jansamvad_calls", "pm_tasks", "pm_survey"]


def default_truth_dir(out: Path) -> Path:
    out = Path(out).resolve()
    return out.parent / f"{out.name}-truth"


def generate(residents: int, seed: int, out: str | Path, truth: str | Path | None = None,
             photos: int = 200, verbose: bool = True,
             profile: str | None = None) -> dict:
    """Write a synthetic state: ``<out>/<feed>/<YYYY-MM-DD>/*.csv`` and truth Parquet files.

    ``profile``: the noise profile's name (``profiles.DEFAULT``, ``tuning``, when None; or
    ``field``); the truth manifest records it. Returns the manifest (counts per source,
    dates). Existing ``<out>/<feed>/`` folders of the feeds written here are replaced;
    nothing else under ``out`` is touched.
    """
    import numpy as np

    from generator import places, population, profiles
    from generator import truth as truth_mod
    from generator.feeds import (
        crs,
        facilities,
        jansamvad,
        kyr,
        lgd,
        mgnrega,
        pds,
        pension,
        pm,
        scholarship,
    )
    from generator.feeds.common import Ctx
    from generator.noise import PlaceSpeller

    prof = profiles.get(profile or profiles.DEFAULT)
    if residents < 100:
        raise ValueError("--residents must be at least 100")
    out = Path(out).resolve()
    truth_dir = Path(truth).resolve() if truth else default_truth_dir(out)
    if truth_dir == out or out in truth_dir.parents:
        raise ValueError(f"truth folder {truth_dir} must not be inside the landing folder {out}")
    out.mkdir(parents=True, exist_ok=True)
    for feed in FEEDS:
        if (out / feed).is_dir():
            shutil.rmtree(out / feed)
    rng = np.random.default_rng([seed, 1])
    villages = places.make_villages(rng, max(60, residents // 300))
    res = population.build(np.random.default_rng([seed, 2]), residents, villages, prof)
    ctx = Ctx(seed=seed, landing=out, residents=res, villages=villages,
              speller=PlaceSpeller(villages), photos=photos, verbose=verbose,
              profile=prof)
    ctx.log(f"population ({prof.name} profile): {len(res):,} residents in "
            f"{res['household_key'].nunique():,} households, {len(villages):,} villages")
    for mod in (lgd, facilities, kyr, pds, pension, mgnrega, scholarship, crs, jansamvad, pm):
        mod.build(ctx)
    manifest = truth_mod.write(ctx, truth_dir)
    manifest["landing"] = str(out)
    manifest["truth"] = str(truth_dir)
    ctx.log(f"truth written to {truth_dir}")
    return manifest
