"""``crs_death``: civil registration of deaths (most deaths of residents, plus non-residents)."""

from __future__ import annotations

import numpy as np

from generator.feeds.common import (
    DATES,
    Ctx,
    add_truth,
    district,
    relative_is_dead,
    village,
    with_dups_and_ghosts,
)
from generator.noise import ages_off, relative_names, render_names
from generator.population import AS_OF
from generator.vec import DAY, age_on, cat, d, fmt_date, heap_ages, nullify, to_str, ymd, zpad
from generator.writer import write_csv

COLUMNS = ["registration_no", "deceased_name", "father_husband_name", "gender", "age_at_death",
           "date_of_death", "village", "district"]


def build(ctx: Ctx) -> None:
    rng = ctx.rng("crs_death")
    fx = ctx.fx("crs_death")
    prof = ctx.profile
    res = ctx.residents
    dead = np.flatnonzero(res["is_deceased"].to_numpy() & (rng.random(len(res)) < 0.88))
    pv, is_dup, is_ghost = with_dups_and_ghosts(rng, res, dead, 0.005, int(len(dead) * 0.04),
                                                30, 90, p_dup_elsewhere=0.5)
    n = len(is_dup)
    dod = pv["date_of_death"].copy()
    gh = is_ghost
    dod[gh] = d("2022-01-01") + rng.integers(0, (AS_OF - d("2022-01-01")).astype(int) - 8,
                                             int(gh.sum())) * DAY
    # ghosts' dob was drawn relative to today: keep them born before they died
    pv["dob"] = np.where(gh, np.minimum(pv["dob"], dod - 365 * 30 * DAY), pv["dob"])
    age_d = ages_off(fx, heap_ages(rng, age_on(pv["dob"], dod), *prof.ages["crs_death"]))
    name = render_names(rng, pv["first"], pv["mid"], pv["last"], pv["gender"], age_d,
                        prof.names["crs_death"], fx=fx)
    rel, _ = relative_names(rng, pv, "title", prof.names["relative"], fx=fx,
                            dead=None if fx is None else relative_is_dead(res, pv))
    y, _, _ = ymd(dod)
    vi = pv["orig_village_idx"]
    vil = ctx.villages
    reg = cat("D-", to_str(y), "-22", vil["district_code"].to_numpy()[vi].astype(str), "-",
              zpad(rng.permutation(n) + 1, 6))
    cols = {
        "registration_no": reg, "deceased_name": name,
        "father_husband_name": nullify(rel, rng.random(n) < 0.75), "gender": pv["gender"],
        "age_at_death": age_d, "date_of_death": fmt_date(dod, "%Y-%m-%d"),
        "village": village(ctx, rng, vi, fx), "district": district(ctx, rng, vi, "crs_death", fx),
    }
    write_csv(ctx.landing, "crs_death", DATES["crs_death"], "death_registrations", cols, COLUMNS,
              bom=True)
    ids = reg.to_numpy(zero_copy_only=False)
    add_truth(ctx, "crs_death", ids, pv, is_dup, is_ghost)
    ctx.extra["crs_death"] = {"ids": ids, "resident_key": pv["resident_key"],
                              "is_ghost": is_ghost}
    ctx.log(f"crs_death: {n:,} registrations ({int(is_ghost.sum()):,} non-residents)")
