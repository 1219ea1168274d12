"""Shared pieces of the feed builders: the generation context, person views, ghosts, truth."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from generator import names as nm
from generator.noise import PlaceSpeller
from generator.population import AS_OF
from generator.profiles import TUNING, FieldNoise, Profile
from generator.vec import DAY

# delivery dates of every feed (the synthetic state's calendar)
DATES = {
    "lgd_villages": "2025-01-02",
    "facilities": "2025-01-03",
    "uid_kyr": "2025-01-06",
    "uid_kyr_delta": "2025-02-03",
    "food_pds": "2025-01-10",
    "sw_pension": "2025-01-12",
    "rd_mgnrega": "2025-01-14",
    "edu_scholarship": "2025-01-15",
    "crs_death": "2025-01-20",
    "jansamvad_calls": "2025-02-10",
    "pm_tasks": "2025-02-12",
    "pm_survey": "2025-02-12",
}

PERSON_COLS = ["resident_key", "household_key", "role", "gender", "dob", "age", "first", "mid",
               "last", "fa_first", "fa_last", "fa_mid", "mo_first", "hu_first", "hu_mid",
               "orig_village_idx", "village_idx", "uid", "phone", "caste", "tribal",
               "is_deceased", "date_of_death", "father_ref", "mother_ref", "husband_ref"]


@dataclass
class Ctx:
    seed: int
    landing: Path
    residents: pd.DataFrame
    villages: pd.DataFrame
    speller: PlaceSpeller
    photos: int = 200
    verbose: bool = True
    profile: Profile = TUNING
    truth_records: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)
    _t0: float = field(default_factory=time.perf_counter)

    def rng(self, name: str) -> np.random.Generator:
        """Independent, reproducible stream per feed (order of building does not matter)."""
        key = sum((i + 1) * ord(c) for i, c in enumerate(name))
        return np.random.default_rng([self.seed, key])

    def fx(self, name: str) -> tuple[FieldNoise, np.random.Generator] | None:
        """The profile's field-only noise and its own stream for feed ``name``; None when the
        profile has none (tuning), so no draw of the feed's own stream moves."""
        if self.profile.field == FieldNoise():
            return None
        return self.profile.field, self.rng(f"field:{name}")

    def log(self, msg: str) -> None:
        if self.verbose:
            print(f"[{time.perf_counter() - self._t0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def view(res: pd.DataFrame, idx: np.ndarray) -> dict:
    out = {c: res[c].to_numpy()[idx] for c in PERSON_COLS}
    # pandas keeps datetimes in seconds; the builders do day arithmetic
    out["dob"] = out["dob"].astype("datetime64[D]")
    out["date_of_death"] = out["date_of_death"].astype("datetime64[D]")
    return out


def concat(*views: dict) -> dict:
    return {c: np.concatenate([v[c] for v in views]) for c in PERSON_COLS}


def ghosts(rng: np.random.Generator, res: pd.DataFrame, n: int, age_lo: int, age_hi: int,
           gender_p_female: float = 0.5) -> dict:
    """Beneficiaries who are no real resident: names recombined from the pools, random village."""
    v = nm.vocab()
    n = int(n)
    src = rng.integers(0, len(res), size=(n, 3))
    g = np.where(rng.random(n) < gender_p_female, "F", "M").astype(object)
    ids_m, ids_f = v.ids(nm.MALE_FIRST), v.ids(nm.MALE_FIRST)
    ids_f = v.ids(nm.FEMALE_FIRST)
    first = np.where(g == "M", ids_m[rng.integers(0, len(ids_m), n)],
                     ids_f[rng.integers(0, len(ids_f), n)])
    age = rng.integers(age_lo, age_hi + 1, n)
    dob = AS_OF - (age * 365.25 + rng.uniform(0, 365, n)).astype(np.int64) * DAY
    last = res["last"].to_numpy()[src[:, 1]]
    vil = res["orig_village_idx"].to_numpy()[src[:, 2]]
    out = {
        "resident_key": np.zeros(n, dtype=np.int64), "household_key": np.zeros(n, np.int64),
        "role": np.zeros(n, np.int64), "gender": g, "dob": dob, "age": age, "first": first,
        "mid": np.full(n, -1), "last": last,
        "fa_first": ids_m[rng.integers(0, len(ids_m), n)], "fa_last": last,
        "fa_mid": np.full(n, -1), "mo_first": ids_f[rng.integers(0, len(ids_f), n)],
        "hu_first": np.where((g == "F") & (age >= 22), ids_m[rng.integers(0, len(ids_m), n)],
                             -1),
        "hu_mid": np.full(n, -1), "orig_village_idx": vil, "village_idx": vil,
        "uid": np.zeros(n, np.int64),
        "phone": np.where(rng.random(n) < 0.5, rng.integers(6 * 10**9, 10**10, n), 0),
        "caste": res["caste"].to_numpy()[src[:, 1]], "tribal": res["tribal"].to_numpy()[src[:, 1]],
        "is_deceased": np.zeros(n, bool), "date_of_death": np.full(n, np.datetime64("NaT"),
                                                                    "datetime64[D]"),
        "father_ref": np.full(n, -1), "mother_ref": np.full(n, -1), "husband_ref": np.full(n, -1),
    }
    return out


def with_dups_and_ghosts(rng, res, base_idx: np.ndarray, p_dup: float, n_ghost: int,
                         age_lo: int, age_hi: int, p_female: float = 0.5,
                         p_dup_elsewhere: float = 0.35):
    """Person view for a department: real people, within-department duplicates, ghosts.

    Returns (view, is_dup, is_ghost). Duplicates of a real person repeat them with another
    record; ``p_dup_elsewhere`` of them are listed in another village (often another district).
    """
    n_dup = int(round(len(base_idx) * p_dup))
    dup_src = rng.choice(base_idx, size=n_dup, replace=False) if n_dup else base_idx[:0]
    pv = view(res, np.concatenate([base_idx, dup_src]))
    move = np.zeros(len(base_idx) + n_dup, dtype=bool)
    move[len(base_idx):] = rng.random(n_dup) < p_dup_elsewhere
    pv["orig_village_idx"] = np.where(
        move, res["orig_village_idx"].to_numpy()[rng.integers(0, len(res), len(move))],
        pv["orig_village_idx"])
    gv = ghosts(rng, res, n_ghost, age_lo, age_hi, p_female)
    allv = concat(pv, gv)
    is_dup = np.zeros(len(allv["first"]), dtype=bool)
    is_dup[len(base_idx):len(base_idx) + n_dup] = True
    is_ghost = np.zeros(len(allv["first"]), dtype=bool)
    is_ghost[len(base_idx) + n_dup:] = True
    # shuffle the order so duplicates and ghosts are not at the end of the file
    perm = rng.permutation(len(is_dup))
    return {k: val[perm] for k, val in allv.items()}, is_dup[perm], is_ghost[perm]


def district(ctx: Ctx, rng, vi: np.ndarray, source: str, fx) -> np.ndarray:
    p = ctx.profile
    return ctx.speller.district(rng, vi, p.old_district[source], p.district_alias,
                                p.district_typo, fx)


def block(ctx: Ctx, rng, vi: np.ndarray) -> np.ndarray:
    return ctx.speller.block(rng, vi, ctx.profile.block_typo)


def village(ctx: Ctx, rng, vi: np.ndarray, fx) -> np.ndarray:
    return ctx.speller.village(rng, vi, ctx.profile.village_typo, fx)


def relative_is_dead(res: pd.DataFrame, pv: dict) -> np.ndarray:
    """Is the person named in ``father_husband_name`` dead? The husband for married women,
    else the father; a relative who is no resident counts as dead for widows and for people
    of 50 and over (their fathers mostly are)."""
    married = (pv["hu_first"] >= 0) & (pv["gender"] == "F")
    ref = np.where(married, pv["husband_ref"], pv["father_ref"])
    dead = res["is_deceased"].to_numpy()
    return np.where(ref >= 0, dead[np.maximum(ref, 0)], married | (pv["age"] >= 50))


def add_truth(ctx: Ctx, source: str, record_ids, pv: dict, is_dup: np.ndarray,
              is_ghost: np.ndarray, seeded_status: np.ndarray | None = None) -> None:
    n = len(is_dup)
    rk = pv["resident_key"].astype(np.int64)
    ctx.truth_records.append(pd.DataFrame({
        "source": source,
        "source_record_id": np.asarray(record_ids, dtype=object),
        "resident_key": pd.array(np.where(is_ghost, 0, rk), dtype="Int64"),
        "is_ghost": is_ghost,
        "is_duplicate": is_dup,
        "preseeded_uid_status": seeded_status if seeded_status is not None
        else np.full(n, "none", dtype=object),
    }))
