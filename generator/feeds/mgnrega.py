"""``rd_mgnrega``: MGNREGA job-card workers (rural working-age adults)."""

from __future__ import annotations

import numpy as np

from generator.feeds.common import (
    DATES,
    Ctx,
    add_truth,
    block,
    district,
    relative_is_dead,
    village,
    with_dups_and_ghosts,
)
from generator.noise import ages_off, relative_names, render_names, stray_spaces
from generator.vec import age_on, cat, d, heap_ages, nullify, zpad
from generator.writer import shuffled, write_csv

COLUMNS = ["job_card_no", "worker_id", "applicant_name", "father_husband_name", "gender", "age",
           "caste_category", "village", "panchayat", "block", "district", "days_worked_fy",
           "wages_paid_inr"]
WAGE_RATE = 243  # INR per person-day in Chhattisgarh, 2024-25


def build(ctx: Ctx) -> None:
    rng = ctx.rng("rd_mgnrega")
    fx = ctx.fx("rd_mgnrega")
    prof = ctx.profile
    res = ctx.residents
    extract = d(DATES["rd_mgnrega"])
    hh = res["household_key"].to_numpy()
    n_hh = hh.max() + 1
    tribal_h = np.zeros(n_hh, dtype=bool)
    tribal_h[hh] = res["tribal"].to_numpy()
    card = rng.random(n_hh) < np.where(tribal_h, 0.72, 0.5)
    a = res["age"].to_numpy()
    dead = res["is_deceased"].to_numpy()
    worker = card[hh] & (a >= 18) & (a <= 65) & (rng.random(len(res)) < 0.75) & ~(
        dead & (rng.random(len(res)) < 0.5))
    base = np.flatnonzero(worker)
    pv, is_dup, is_ghost = with_dups_and_ghosts(rng, res, base, 0.01, int(len(base) * 0.025),
                                                18, 60, p_dup_elsewhere=0.4)
    n = len(is_dup)
    vil = ctx.villages
    vi = pv["orig_village_idx"]
    own = ~is_dup & ~is_ghost
    # job card: CH-<district>-<block>-<panchayat>-<village>/<household serial in village>
    hk = pv["household_key"]
    hserial = np.where(own, hk % 997 + 1, 1000 + np.arange(n) % 8000)
    blk_local = np.array([int(x[2:]) for x in vil["block_code"]])[vi]
    card_no = cat("CH-", vil["district_code"].to_numpy()[vi].astype(str), "-",
                  zpad(blk_local, 3), "-", zpad(vil["gp_local"].to_numpy()[vi] + 1, 3), "-",
                  zpad(vil["village_local"].to_numpy()[vi] + 1, 3), "/", hserial.astype(str))
    worker_id = cat("W", zpad(rng.permutation(n) + 100001, 9))
    age = ages_off(fx, heap_ages(rng, age_on(pv["dob"], extract), *prof.ages["rd_mgnrega"]))
    age = age if fx is None else np.maximum(age, 14)  # the contract's floor for workers
    name = render_names(rng, pv["first"], pv["mid"], pv["last"], pv["gender"], age,
                        prof.names["rd_mgnrega"], fx=fx)
    rel, _ = relative_names(rng, pv, "title", prof.names["relative"], fx=fx,
                            dead=None if fx is None else relative_is_dead(res, pv))
    days = np.where(rng.random(n) < 0.25, 0, rng.integers(1, 101, n))
    wages = days * WAGE_RATE
    cols = {
        "job_card_no": card_no, "worker_id": worker_id,
        "applicant_name": stray_spaces(rng, name, 0.01),
        "father_husband_name": nullify(rel, rng.random(n) < 0.85),
        "gender": np.where(pv["gender"] == "M", "Male",
                           np.where(pv["gender"] == "F", "Female", "Transgender")),
        "age": age, "caste_category": nullify(pv["caste"].astype(str), rng.random(n) < 0.9),
        "village": village(ctx, rng, vi, fx), "panchayat": vil["gp_name"].to_numpy()[vi],
        "block": block(ctx, rng, vi), "district": district(ctx, rng, vi, "rd_mgnrega", fx),
        "days_worked_fy": nullify(days.astype(str), rng.random(n) < 0.95),
        "wages_paid_inr": nullify(wages.astype(str), rng.random(n) < 0.9),
    }
    write_csv(ctx.landing, "rd_mgnrega", DATES["rd_mgnrega"], "nrega_workers", cols,
              shuffled(rng, COLUMNS))
    ids = worker_id.to_numpy(zero_copy_only=False)
    add_truth(ctx, "rd_mgnrega", ids, pv, is_dup, is_ghost)
    ctx.extra["rd_mgnrega"] = {"ids": ids, "pv": pv, "is_ghost": is_ghost,
                               "district": cols["district"], "block": cols["block"],
                               "scheme": np.full(n, "MGNREGA", dtype=object),
                               "phone": pv["phone"]}
    ctx.log(f"rd_mgnrega: {n:,} workers ({int(is_dup.sum()):,} duplicates, "
            f"{int(is_ghost.sum()):,} ghosts)")
