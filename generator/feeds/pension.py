"""``sw_pension``: Social Welfare pensions (old age, widow, disability, state schemes)."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc

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
from generator.noise import (
    ages_off,
    apply_case,
    dates_as_written,
    relative_names,
    render_names,
)
from generator.vec import DAY, age_on, cat, d, fmt_date, heap_ages, nullify, to_str, zpad
from generator.writer import shuffled, write_csv

COLUMNS = ["pension_id", "scheme_code", "beneficiary_name", "father_husband_name", "gender",
           "dob", "age", "sanction_date", "village", "gram_panchayat", "block", "district",
           "bank_account_no", "ifsc", "monthly_amount_inr", "status"]
BANKS = ["SBIN", "CBIN", "BKID", "PUNB", "UBIN", "CGBX", "IDIB"]


def build(ctx: Ctx) -> None:
    rng = ctx.rng("sw_pension")
    fx = ctx.fx("sw_pension")
    prof = ctx.profile
    res = ctx.residents
    extract = d(DATES["sw_pension"])
    a = res["age"].to_numpy()
    n_res = len(res)
    widow = res["is_widow"].to_numpy() & (a >= 40) & (a < 80)
    disabled = res["is_disabled"].to_numpy() & (a >= 18)
    poor = np.isin(res["caste"].to_numpy(), ["ST", "SC"]) | (rng.random(n_res) < 0.6)
    r = rng.random(n_res)
    scheme = np.full(n_res, "", dtype=object)
    scheme[(a >= 60) & poor & (r < 0.78)] = "IGNOAPS"
    scheme[(a >= 60) & ~poor & (r < 0.45)] = "SSPY"
    scheme[widow & (r < 0.8)] = "IGNWPS"
    scheme[disabled & (r < 0.75)] = "IGNDPS"
    scheme[(scheme == "") & (a >= 50) & (r > 0.992)] = "MNPY"
    base = np.flatnonzero(scheme != "")
    pv, is_dup, is_ghost = with_dups_and_ghosts(rng, res, base, 0.01, int(len(base) * 0.02),
                                                60, 88, p_female=0.55, p_dup_elsewhere=0.25)
    n = len(is_dup)
    sch = np.empty(n, dtype=object)
    rk = pv["resident_key"]
    sch[~is_ghost] = scheme[rk[~is_ghost] - 1]
    # a duplicate often sits under another scheme (double drawing); ghosts: old-age mostly
    alt = np.where(sch == "IGNOAPS", "SSPY", np.where(sch == "SSPY", "IGNOAPS", sch))
    sch = np.where(is_dup & (rng.random(n) < 0.5), alt, sch)
    sch[is_ghost] = np.where(rng.random(int(is_ghost.sum())) < 0.8, "IGNOAPS", "IGNWPS")
    age_now = age_on(pv["dob"], extract)
    amount = np.where(sch == "IGNOAPS", np.where(age_now >= 80, 1000, 500),
                      np.where(sch == "SSPY", 500, np.where(sch == "MNPY", 500, 500)))
    amount = np.where((sch == "IGNDPS") & (rng.random(n) < 0.3), 1000, amount)
    # sanction date: after eligibility, not before 2008, some weeks before the extract
    elig_age = np.where(np.isin(sch, ["IGNOAPS", "SSPY"]), 60, np.where(sch == "IGNWPS", 40, 18))
    elig = pv["dob"] + (elig_age * 365.25).astype(np.int64) * DAY
    lo = np.maximum(elig, d("2008-04-01"))
    hi = extract - 30 * DAY
    lo = np.minimum(lo, hi - DAY)
    span = (hi - lo).astype(np.int64)
    sanction = lo + (rng.random(n) * span).astype(np.int64) * DAY
    has_dob = rng.random(n) < 0.4
    age_s = ages_off(fx, heap_ages(rng, age_on(pv["dob"], sanction), *prof.ages["sw_pension"]))
    # dead pensioners: about half are still ACTIVE on the list
    dead = pv["is_deceased"] & (pv["date_of_death"] < extract)
    status = np.where(dead, np.where(rng.random(n) < 0.55, "ACTIVE", "STOPPED"),
                      np.where(rng.random(n) < 0.04, "STOPPED", "ACTIVE"))
    name = render_names(rng, pv["first"], pv["mid"], pv["last"], pv["gender"], age_now,
                        prof.names["sw_pension"], fx=fx)
    rel, _ = relative_names(rng, pv, "mixed", prof.names["relative"], fx=fx,
                            dead=None if fx is None else relative_is_dead(res, pv))
    vi = pv["orig_village_idx"]
    dist_code = ctx.villages["district_code"].to_numpy()[vi].astype(str)
    pid = cat("CGSW/", dist_code, "/", zpad(rng.permutation(n) + 1, 7))
    acct = rng.integers(10**10, 10**16, n)
    ifsc = cat(np.array(BANKS, dtype=object)[rng.integers(0, len(BANKS), n)], "0",
               zpad(rng.integers(0, 999999, n), 6))
    gender = pv["gender"]
    cols = {
        "pension_id": pid, "scheme_code": sch, "beneficiary_name": name,
        "father_husband_name": nullify(rel, rng.random(n) < 0.8), "gender": gender,
        "dob": fmt_date(dates_as_written(fx, pv["dob"], *_dob_noise(fx)), "%d/%m/%Y", has_dob),
        "age": nullify(to_str(age_s), ~has_dob | (rng.random(n) < 0.2)),
        "sanction_date": fmt_date(sanction, "%d/%m/%Y"),
        "village": apply_case(rng, pc.cast(village(ctx, rng, vi, fx), "string"), "mixed"),
        "gram_panchayat": nullify(ctx.villages["gp_name"].to_numpy()[vi], rng.random(n) < 0.8),
        "block": block(ctx, rng, vi), "district": district(ctx, rng, vi, "sw_pension", fx),
        "bank_account_no": nullify(to_str(acct), rng.random(n) < 0.9),
        "ifsc": nullify(ifsc, rng.random(n) < 0.85),
        "monthly_amount_inr": amount, "status": status,
    }
    write_csv(ctx.landing, "sw_pension", DATES["sw_pension"], "pension_beneficiaries", cols,
              shuffled(rng, COLUMNS))
    ids = pid.to_numpy(zero_copy_only=False)
    add_truth(ctx, "sw_pension", ids, pv, is_dup, is_ghost)
    ctx.extra["sw_pension"] = {"ids": ids, "pv": pv, "is_ghost": is_ghost,
                               "district": cols["district"], "block": cols["block"],
                               "scheme": sch, "phone": pv["phone"], "status": status}
    ctx.log(f"sw_pension: {n:,} pensions ({int(is_dup.sum()):,} duplicates, "
            f"{int(is_ghost.sum()):,} ghosts, {int((dead & (status == 'ACTIVE')).sum()):,} "
            f"dead but ACTIVE)")


def _dob_noise(fx) -> tuple[float, float]:
    return (0.0, 0.0) if fx is None else (fx[0].dob_year_only, fx[0].dob_swap)
