"""``jansamvad_calls``: outbound call outcomes about beneficiaries of the departmental lists."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from generator.feeds.common import DATES, Ctx
from generator.vec import DAY, cat, d, fmt_date, nullify, where, zpad
from generator.writer import write_csv

COLUMNS = ["call_id", "call_date", "source", "source_record_id", "scheme_code",
           "district_name", "block_name", "outcome", "benefit_received", "satisfaction",
           "grievance_category", "grievance_text", "do_not_call", "agent_id"]
OUTCOMES = ["CONNECTED", "NO_ANSWER", "SWITCHED_OFF", "WRONG_NUMBER", "REFUSED", "CALLBACK"]
GRIEVANCES = {
    "DELAYED_PAYMENT": "Paisa do mahine se nahi aaya", "WRONG_AMOUNT": "Kam paisa mila",
    "NOT_RECEIVED": "Labh nahi mila", "BRIBE_DEMANDED": "Sachiv paisa maang raha hai",
    "NAME_ERROR": "Naam galat likha hai", "RATION_QUALITY": "Chawal ki quality kharab hai",
    "OTHER": "Anya samasya",
}
SOURCES = ["food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship"]


def build(ctx: Ctx) -> None:
    rng = ctx.rng("jansamvad_calls")
    parts = []
    for src in SOURCES:
        e = ctx.extra[src]
        n_src = len(e["ids"])
        k = max(20, int(n_src * 0.02))
        pick = rng.choice(n_src, size=min(k, n_src), replace=False)
        parts.append((src, pick, e))
    src_col = np.concatenate([np.full(len(p), s, dtype=object) for s, p, _ in parts])
    rid = np.concatenate([e["ids"][p] for _, p, e in parts])
    scheme = np.concatenate([np.where(np.asarray(e["scheme"])[p] == "", "PDS",
                                      np.asarray(e["scheme"])[p]) if s != "food_pds"
                             else np.array(["PDS_" + x for x in np.asarray(e["scheme"])[p]],
                                           dtype=object) for s, p, e in parts])
    dist = np.concatenate([np.asarray(e["district"].to_numpy(zero_copy_only=False)
                                      if isinstance(e["district"], pa.Array | pa.ChunkedArray)
                                      else e["district"])[p] for _, p, e in parts])
    blk = np.concatenate([np.asarray(e["block"].to_numpy(zero_copy_only=False)
                                     if isinstance(e["block"], pa.Array | pa.ChunkedArray)
                                     else e["block"])[p] for _, p, e in parts])
    ghost = np.concatenate([e["is_ghost"][p] for _, p, e in parts])
    dead = np.concatenate([e["pv"]["is_deceased"][p] for _, p, e in parts])
    n = len(rid)
    r = rng.random(n)
    outcome = np.array(OUTCOMES, dtype=object)[np.searchsorted(
        np.cumsum([0.56, 0.19, 0.10, 0.06, 0.03, 0.06]), r * 0.9999)]
    outcome[ghost & (rng.random(n) < 0.8)] = "WRONG_NUMBER"
    conn = outcome == "CONNECTED"
    benefit = np.where(rng.random(n) < 0.86, "Y", "N")
    benefit[ghost | dead] = "N"
    sat = np.where(benefit == "Y", rng.integers(3, 6, n), rng.integers(1, 4, n))
    gcat = np.where(benefit == "N", np.array(list(GRIEVANCES), dtype=object)[
        rng.integers(0, len(GRIEVANCES), n)], np.where(rng.random(n) < 0.1, "DELAYED_PAYMENT",
                                                        "NONE"))
    gcat = np.where((gcat == "RATION_QUALITY") & (src_col != "food_pds"), "NOT_RECEIVED", gcat)
    gcat = np.where(dead, "OTHER", gcat)
    gtext = np.array([GRIEVANCES.get(g) for g in gcat], dtype=object)
    gtext[dead & conn] = "Labharthi ki mrityu ho chuki hai"  # the beneficiary has died
    call_date = d("2025-01-21") + rng.integers(0, 20, n) * DAY
    cols = {
        "call_id": cat("JS", zpad(np.arange(n) + 1, 8)), "call_date": fmt_date(call_date,
                                                                                  "%Y-%m-%d"),
        "source": src_col, "source_record_id": rid, "scheme_code": scheme,
        "district_name": dist, "block_name": blk, "outcome": outcome,
        "benefit_received": nullify(benefit, conn),
        "satisfaction": nullify(sat.astype(str), conn & (rng.random(n) < 0.9)),
        "grievance_category": nullify(gcat, conn),
        "grievance_text": where(conn & (gcat != "NONE"), gtext, None),
        "do_not_call": nullify(np.full(n, "Y", dtype=object), rng.random(n) < 0.01),
        "agent_id": cat("JSA", zpad(rng.integers(1, 120, n), 3)),
    }
    perm = rng.permutation(n)
    cols = {k: (v.take(perm) if isinstance(v, pa.Array | pa.ChunkedArray) else
                np.asarray(v)[perm]) for k, v in cols.items()}
    cols["call_id"] = cat("JS", zpad(np.arange(n) + 1, 8))
    write_csv(ctx.landing, "jansamvad_calls", DATES["jansamvad_calls"], "call_outcomes", cols,
              COLUMNS)
    ctx.log(f"jansamvad_calls: {n:,} calls")
