"""``edu_scholarship``: scholarship students, with their schools' UDISE codes and classes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator.feeds.common import (
    DATES,
    Ctx,
    add_truth,
    block,
    district,
    with_dups_and_ghosts,
)
from generator.noise import LATE_PREFIXES, dates_as_written, render_names, seed_uids
from generator.population import AS_OF
from generator.vec import DAY, age_on, cat, d, fmt_date, nullify, to_str, where, zpad
from generator.writer import write_csv

COLUMNS = ["student_id", "student_name", "father_name", "mother_name", "dob", "gender",
           "udise_code", "class", "district", "block", "scheme", "amount_inr", "aadhaar"]
SCHEMES = {  # code: (base amount INR per year, classes)
    "PREMAT_ST": 1500, "PREMAT_SC": 1500, "PREMAT_OBC": 1000, "POSTMAT_ST": 5000,
    "POSTMAT_SC": 5000, "POSTMAT_OBC": 3500, "MERIT_GIRLS": 2500,
}


def schools(ctx: Ctx) -> pd.DataFrame:
    """One elementary school (classes 1-8) per village, two higher secondary per block."""
    if "schools" in ctx.extra:
        return ctx.extra["schools"]
    rng = ctx.rng("schools")
    vil = ctx.villages
    blk_local = np.array([int(x[2:]) for x in vil["block_code"]])
    elem = pd.DataFrame({
        "village_idx": vil["village_idx"].to_numpy(), "level": "ELEMENTARY",
        "udise_code": cat("22", vil["district_code"].to_numpy().astype(str),
                          zpad(blk_local, 2), zpad(vil["village_local"].to_numpy() + 1, 3),
                          "01").to_numpy(zero_copy_only=False),
        "name": "Govt. Primary and Middle School " + vil["village_name"].to_numpy(),
    })
    first_of_block = vil.groupby("block_idx")["village_idx"].first().to_numpy()
    second = np.minimum(first_of_block + 1, len(vil) - 1)
    hs_v = np.unique(np.concatenate([first_of_block, second]))
    hs = pd.DataFrame({
        "village_idx": hs_v, "level": "HIGHER_SECONDARY",
        "udise_code": cat("22", vil["district_code"].to_numpy()[hs_v].astype(str),
                          zpad(blk_local[hs_v], 2), zpad(vil["village_local"].to_numpy()[hs_v]
                                                         + 1, 3),
                          "02").to_numpy(zero_copy_only=False),
        "name": "Govt. Higher Secondary School " + vil["village_name"].to_numpy()[hs_v],
    })
    out = pd.concat([elem, hs], ignore_index=True)
    out["block_idx"] = vil["block_idx"].to_numpy()[out["village_idx"]]
    out["lat"] = vil["latitude"].to_numpy()[out["village_idx"]] + rng.normal(0, 0.003, len(out))
    out["lon"] = vil["longitude"].to_numpy()[out["village_idx"]] + rng.normal(0, 0.003, len(out))
    ctx.extra["schools"] = out
    return out


def build(ctx: Ctx) -> None:
    rng = ctx.rng("edu_scholarship")
    fx = ctx.fx("edu_scholarship")
    prof = ctx.profile
    res = ctx.residents
    a = res["age"].to_numpy()
    caste = res["caste"].to_numpy()
    p = np.select([caste == "ST", caste == "SC", caste == "OBC"], [0.7, 0.7, 0.42], 0.12)
    student = (a >= 6) & (a <= 17) & (rng.random(len(res)) < p) & ~res["is_deceased"].to_numpy()
    base = np.flatnonzero(student)
    pv, is_dup, is_ghost = with_dups_and_ghosts(rng, res, base, 0.008, int(len(base) * 0.005),
                                                6, 17, p_dup_elsewhere=0.2)
    n = len(is_dup)
    age = age_on(pv["dob"], d("2024-07-01"))  # age at the start of the school year
    cls = np.clip(age - 5 + rng.choice([-1, 0, 0, 0, 0, 0, 1], n), 1, 12)
    sch_df = schools(ctx)
    vi = pv["orig_village_idx"]
    vil = ctx.villages
    elem_of_v = np.full(len(vil), -1)
    elem_mask = (sch_df["level"] == "ELEMENTARY").to_numpy()
    elem_of_v[sch_df["village_idx"].to_numpy()[elem_mask]] = np.flatnonzero(elem_mask)
    hs_rows = np.flatnonzero(~elem_mask)
    hs_block = sch_df["block_idx"].to_numpy()[hs_rows]
    # higher secondary: a school of the student's block
    blk = vil["block_idx"].to_numpy()[vi]
    first_hs = np.searchsorted(hs_block, blk)
    n_hs = np.searchsorted(hs_block, blk, side="right") - first_hs
    hs_pick = hs_rows[np.minimum(first_hs + (rng.random(n) * np.maximum(n_hs, 1)).astype(int),
                                 len(hs_rows) - 1)]
    school = np.where(cls <= 8, elem_of_v[vi], hs_pick)
    udise = sch_df["udise_code"].to_numpy()[school]
    c = pv["caste"].astype(str)
    pre = cls <= 10
    scheme = np.where(c == "GEN", "MERIT_GIRLS",
                      np.where(pre, "PREMAT_", "POSTMAT_").astype(object) + c)
    scheme = np.where((c == "GEN") & (pv["gender"] != "F"), "PREMAT_OBC", scheme)
    amount = np.array([SCHEMES[s] for s in SCHEMES], dtype=np.int64)
    amt = pd.Series(scheme).map(dict(zip(SCHEMES, amount, strict=True))).to_numpy() + \
        rng.integers(0, 5, n) * 100
    # dob: exact mostly; a few clerical errors (day and month swapped, a day off)
    dob = pv["dob"].copy()
    err = rng.random(n) < prof.scholarship_dob_error
    dob[err] = dob[err] + rng.choice([-1, 1, 31, -31], int(err.sum())) * DAY
    if fx is not None:
        dob = dates_as_written(fx, dob, fx[0].dob_year_only, fx[0].dob_swap)
    dob = np.minimum(dob, AS_OF)
    name = render_names(rng, pv["first"], pv["mid"], pv["last"], pv["gender"], age,
                        prof.names["edu_scholarship"], fx=fx)
    from generator import names as nm
    v = nm.vocab()
    father = cat(v.tokens[pv["fa_first"]], v.tokens[pv["fa_last"]], sep=" ")
    if fx is not None:  # field: 'Late' before a dead father's name
        fdead = pv["father_ref"] >= 0
        fdead &= ctx.residents["is_deceased"].to_numpy()[np.maximum(pv["father_ref"], 0)]
        fdead &= fx[1].random(n) < fx[0].late_prefix
        pre = np.array(LATE_PREFIXES, dtype=object)[fx[1].integers(0, len(LATE_PREFIXES), n)]
        father = where(fdead, cat(pre, father, sep=" "), father)
    mother = cat(v.tokens[pv["mo_first"]], v.tokens[pv["last"]], sep=" ")
    uid_val, status = seed_uids(rng, pv["uid"], np.roll(pv["uid"], 3), present=0.55,
                                wrong=0.02, invalid=0.04)
    sid = cat("CGSCH", zpad(rng.permutation(n) + 1, 8))
    cols = {
        "student_id": sid, "student_name": name,
        "father_name": nullify(father, rng.random(n) < 0.85),
        "mother_name": nullify(mother, rng.random(n) < 0.6),
        "dob": fmt_date(dob, "%Y-%m-%d"), "gender": pv["gender"], "udise_code": udise,
        "class": cls, "district": district(ctx, rng, vi, "edu_scholarship", fx),
        "block": block(ctx, rng, vi),
        "scheme": scheme, "amount_inr": amt,
        "aadhaar": nullify(to_str(uid_val), uid_val > 0),
    }
    write_csv(ctx.landing, "edu_scholarship", DATES["edu_scholarship"], "scholarship_students",
              cols, COLUMNS, bom=True)
    ids = sid.to_numpy(zero_copy_only=False)
    add_truth(ctx, "edu_scholarship", ids, pv, is_dup, is_ghost, status)
    ctx.extra["edu_scholarship"] = {"ids": ids, "pv": pv, "is_ghost": is_ghost,
                                    "district": cols["district"], "block": cols["block"],
                                    "scheme": scheme, "phone": pv["phone"]}
    ctx.log(f"edu_scholarship: {n:,} students ({int(is_dup.sum()):,} duplicates, "
            f"{int(is_ghost.sum()):,} ghosts)")
