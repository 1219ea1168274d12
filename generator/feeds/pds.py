"""``food_pds``: ration-card members of the Food department (delivered as two files)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

from generator.feeds.common import (
    DATES,
    Ctx,
    add_truth,
    block,
    district,
    village,
    with_dups_and_ghosts,
)
from generator.noise import ages_off, render_names, seed_uids, stray_spaces
from generator.population import R
from generator.vec import age_on, d, heap_ages, nullify, to_str, zpad
from generator.writer import shuffled, write_csv

COLUMNS = ["ration_card_no", "card_type", "member_id", "member_name", "relation_with_hof",
           "gender", "age", "aadhaar_no", "mobile_no", "district_name", "block_name",
           "village_ward", "fps_code"]
CARD_TYPES = ["AAY", "PHH", "NIR", "ANN", "DIS", "GEN"]

# relation to the head of family: HoF is the eldest woman (the wife) when there is one
_REL_HEAD_IS_HOF = {R["HEAD"]: "SELF", R["SPOUSE"]: "WIFE", R["SON"]: "SON",
                    R["DAUGHTER"]: "DAUGHTER", R["FATHER"]: "FATHER", R["MOTHER"]: "MOTHER",
                    R["DAUGHTER_IN_LAW"]: "DAUGHTER_IN_LAW", R["GRANDSON"]: "GRANDSON",
                    R["GRANDDAUGHTER"]: "GRANDDAUGHTER"}
_REL_WIFE_IS_HOF = {**_REL_HEAD_IS_HOF, R["HEAD"]: "HUSBAND", R["SPOUSE"]: "SELF",
                    R["FATHER"]: "OTHER", R["MOTHER"]: "OTHER"}


def build(ctx: Ctx) -> None:
    rng = ctx.rng("food_pds")
    fx = ctx.fx("food_pds")
    res = ctx.residents
    n_res = len(res)
    hh = res["household_key"].to_numpy()
    n_hh = hh.max() + 1
    caste_h = np.empty(n_hh, dtype=object)
    caste_h[hh] = res["caste"].to_numpy()
    has_card = rng.random(n_hh) < 0.84
    r = rng.random(n_hh)
    poor = np.isin(caste_h, ["ST", "SC"])
    ctype = np.where(r < np.where(poor, 0.26, 0.10), "AAY",
                     np.where(r < np.where(poor, 0.90, 0.72), "PHH",
                              np.where(r < 0.93, "GEN", np.where(r < 0.95, "NIR",
                                                                 np.where(r < 0.97, "ANN",
                                                                          "DIS")))))
    card_serial = rng.permutation(n_hh) + 1
    dead = res["is_deceased"].to_numpy()
    age = res["age"].to_numpy()
    keep = has_card[hh] & ~(dead & (rng.random(n_res) < 0.45)) & ~(
        (age < 2) & (rng.random(n_res) < 0.5)) & (rng.random(n_res) > 0.03)
    base = np.flatnonzero(keep)
    pv, is_dup, is_ghost = with_dups_and_ghosts(rng, res, base, 0.012, int(len(base) * 0.01),
                                                0, 85)
    n = len(is_dup)
    hk = pv["household_key"]
    # cards: the household's card; duplicates and ghosts sit on extra single-member cards
    own = ~is_dup & ~is_ghost
    extra_serial = n_hh + 1 + np.arange(n)
    serial = np.where(own, card_serial[np.minimum(hk, n_hh - 1)], extra_serial)
    dist_code = ctx.villages["district_code"].to_numpy()[pv["orig_village_idx"]]
    card_no = pc.binary_join_element_wise(to_str(np.full(n, 22)), dist_code.astype(str),
                                          zpad(serial, 8), "")
    ctypes = np.where(own, ctype[np.minimum(hk, n_hh - 1)], np.where(
        rng.random(n) < 0.7, "PHH", "AAY"))
    # wife is HoF when the household head has a living-listed spouse
    wife_hof_h = np.zeros(n_hh, dtype=bool)
    sp = res["role"].to_numpy() == R["SPOUSE"]
    wife_hof_h[hh[sp]] = True
    role = pv["role"]
    rel_a = np.array([_REL_HEAD_IS_HOF[i] for i in range(len(R))], dtype=object)
    rel_b = np.array([_REL_WIFE_IS_HOF[i] for i in range(len(R))], dtype=object)
    relation = np.where(wife_hof_h[np.minimum(hk, n_hh - 1)], rel_b[role], rel_a[role])
    relation = np.where(own, relation, "SELF")
    # member ids: card number + member serial on the card (order of listing)
    order = np.argsort(serial, kind="stable")
    s_sorted = serial[order]
    start = np.r_[0, np.flatnonzero(np.diff(s_sorted)) + 1]
    counts = np.diff(np.r_[start, len(s_sorted)])
    seq_sorted = np.arange(len(s_sorted)) - np.repeat(start, counts) + 1
    seq = np.empty(n, dtype=np.int64)
    seq[order] = seq_sorted
    member_id = pc.binary_join_element_wise(card_no, zpad(seq, 2), "")
    extract = d(DATES["food_pds"])
    a = ages_off(fx, heap_ages(rng, age_on(pv["dob"], extract), *ctx.profile.ages["food_pds"]))
    name = render_names(rng, pv["first"], pv["mid"], pv["last"], pv["gender"], a,
                        ctx.profile.names["food_pds"], fx=fx)
    # pre-seeded aadhaar: wrong ones are mostly a family member's number
    other = np.roll(pv["uid"], 1)
    uid_val, status = seed_uids(rng, pv["uid"], other, present=0.62, wrong=0.025,
                                invalid=0.035)
    # mobile: the HoF's number printed for every member
    first_phone = np.zeros(n_hh + 1, dtype=np.int64)
    ph = res["phone"].to_numpy()
    first_phone[hh[::-1]] = ph[::-1]
    mob = np.where(own, first_phone[np.minimum(hk, n_hh)], pv["phone"])
    mob = np.where(mob > 0, mob, pv["phone"])
    vi = pv["orig_village_idx"]
    fps = pc.binary_join_element_wise(
        to_str(np.full(n, "FPS")), ctx.villages["block_code"].to_numpy()[vi].astype(str),
        zpad(ctx.villages["gp_local"].to_numpy()[vi], 3), "")
    gender = np.where(pv["gender"] == "M", "Male", np.where(pv["gender"] == "F", "Female",
                                                             "Other"))
    cols = {
        "ration_card_no": card_no, "card_type": ctypes, "member_id": member_id,
        "member_name": stray_spaces(rng, name, 0.01), "relation_with_hof": relation,
        "gender": gender, "age": a,
        "aadhaar_no": nullify(to_str(uid_val), uid_val > 0),
        "mobile_no": nullify(to_str(mob), (mob > 0) & (rng.random(n) < 0.8)),
        "district_name": pc.utf8_upper(pc.cast(district(ctx, rng, vi, "food_pds", fx),
                                               "string")),
        "block_name": pc.utf8_upper(pc.cast(block(ctx, rng, vi), "string")),
        "village_ward": pc.utf8_upper(pc.cast(village(ctx, rng, vi, fx), "string")),
        "fps_code": nullify(fps, rng.random(n) < 0.9),
    }
    # two files in one delivery: the state's two data centres split the districts
    order_cols = shuffled(rng, COLUMNS)
    north = ctx.villages["district_idx"].to_numpy()[vi] % 2 == 0
    for part, mask in (("pds_members_part1", north), ("pds_members_part2", ~north)):
        sel = np.flatnonzero(mask)
        sub = {k: (v.take(sel) if hasattr(v, "take") and not isinstance(v, np.ndarray)
                   else np.asarray(v)[sel]) for k, v in cols.items()}
        write_csv(ctx.landing, "food_pds", DATES["food_pds"], part, sub, order_cols, bom=True)
    ids = member_id.to_numpy(zero_copy_only=False)
    add_truth(ctx, "food_pds", ids, pv, is_dup, is_ghost, status)
    ctx.extra["food_pds"] = {"ids": ids, "pv": pv, "is_ghost": is_ghost,
                             "district": cols["district_name"], "block": cols["block_name"],
                             "scheme": ctypes, "phone": mob}
    ctx.log(f"food_pds: {n:,} members on {len(np.unique(serial)):,} cards "
            f"({int(is_dup.sum()):,} duplicates, {int(is_ghost.sum()):,} ghosts)")
