"""Ground truth written beside (never inside) the landing folder, as Parquet."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from generator import names as nm
from generator import places as pl
from generator.feeds.common import DATES, Ctx
from generator.population import ROLES
from generator.vec import DAY, age_on


def _uid_str(u: np.ndarray) -> pd.Series:
    s = pd.Series(u.astype(np.int64)).astype(str)
    return s.where(u > 0, None).astype("string")


def residents_frame(ctx: Ctx) -> pd.DataFrame:
    res, vil = ctx.residents, ctx.villages
    v = nm.vocab()
    vi = res["village_idx"].to_numpy()
    ovi = res["orig_village_idx"].to_numpy()
    moved = res["moved"].to_numpy()
    mid = res["mid"].to_numpy()
    first = v.tokens[res["first"].to_numpy()]
    last = v.tokens[res["last"].to_numpy()]
    middle = np.where(mid >= 0, v.tokens[np.maximum(mid, 0)], None)
    full = pd.Series(first) + np.where(mid >= 0, " " + middle.astype(str), "") + " " + last
    return pd.DataFrame({
        "resident_key": res["resident_key"].to_numpy(),
        "uid": _uid_str(res["uid"].to_numpy()),
        "full_name": full.astype("string"),
        "first_name": pd.array(first, dtype="string"),
        "middle_name": pd.array(middle, dtype="string"),
        "last_name": pd.array(last, dtype="string"),
        "gender": pd.array(res["gender"].to_numpy(), dtype="string"),
        "dob": res["dob"].to_numpy().astype("datetime64[D]"),
        "household_key": res["household_key"].to_numpy(),
        "relation_to_head": pd.array(np.array(ROLES, dtype=object)[res["role"].to_numpy()],
                                     dtype="string"),
        "caste_category": pd.array(res["caste"].to_numpy(), dtype="string"),
        "district_code": pd.array(vil["district_code"].to_numpy()[vi], dtype="string"),
        "district_name": pd.array(vil["district_name"].to_numpy()[vi], dtype="string"),
        "block_code": pd.array(vil["block_code"].to_numpy()[vi], dtype="string"),
        "block_name": pd.array(vil["block_name"].to_numpy()[vi], dtype="string"),
        "village_code": vil["village_code"].to_numpy()[vi],
        "village_name": pd.array(vil["village_name"].to_numpy()[vi], dtype="string"),
        "moved_from_village_code": pd.array(np.where(moved, vil["village_code"].to_numpy()[ovi],
                                                     0), dtype="Int64").astype("Int64"),
        "mobile": _uid_str(res["phone"].to_numpy()),
        "is_widow": res["is_widow"].to_numpy(),
        "is_disabled": res["is_disabled"].to_numpy(),
        "is_deceased": res["is_deceased"].to_numpy(),
        "date_of_death": res["date_of_death"].to_numpy().astype("datetime64[D]"),
        "in_kyr": res["kyr_status"].to_numpy() != "none",
        "kyr_status": pd.array(res["kyr_status"].to_numpy(), dtype="string"),
    })


def records_frame(ctx: Ctx) -> tuple[pd.DataFrame, pd.DataFrame]:
    rec = pd.concat(ctx.truth_records, ignore_index=True)
    rk = rec["resident_key"]
    rec["resident_key"] = rk.where(~rec["is_ghost"], pd.NA).astype("Int64")
    uid = ctx.residents["uid"].to_numpy()
    rkv = rec["resident_key"].fillna(0).to_numpy(dtype=np.int64)
    rec["uid"] = _uid_str(np.where(rkv > 0, uid[np.maximum(rkv - 1, 0)], 0))
    # duplicate groups: one person listed more than once by the same source
    real = rec[~rec["is_ghost"]]
    sizes = real.groupby(["source", "resident_key"]).size().rename("n_records").reset_index()
    groups = sizes[sizes["n_records"] > 1].reset_index(drop=True)
    groups.insert(0, "duplicate_group", np.arange(1, len(groups) + 1, dtype=np.int64))
    rec = rec.merge(groups[["source", "resident_key", "duplicate_group"]],
                    on=["source", "resident_key"], how="left")
    rec["duplicate_group"] = rec["duplicate_group"].astype("Int64")
    rec["source"] = rec["source"].astype("string")
    rec["source_record_id"] = rec["source_record_id"].astype("string")
    rec["preseeded_uid_status"] = rec["preseeded_uid_status"].astype("string")
    cols = ["source", "source_record_id", "resident_key", "uid", "is_ghost", "is_duplicate",
            "duplicate_group", "preseeded_uid_status"]
    groups["source"] = groups["source"].astype("string")
    return rec[cols], groups


def deceased_frame(ctx: Ctx, records: pd.DataFrame) -> pd.DataFrame:
    res = ctx.residents
    dead = np.flatnonzero(res["is_deceased"].to_numpy())
    rk = res["resident_key"].to_numpy()[dead]
    dod = res["date_of_death"].to_numpy()[dead].astype("datetime64[D]")
    out = pd.DataFrame({
        "resident_key": rk, "uid": _uid_str(res["uid"].to_numpy()[dead]),
        "date_of_death": dod, "age_at_death": age_on(res["dob"].to_numpy()[dead], dod),
    })
    crs = records[(records["source"] == "crs_death") & ~records["is_ghost"]]
    first_reg = crs.drop_duplicates("resident_key").set_index("resident_key")["source_record_id"]
    out["crs_registration_no"] = out["resident_key"].map(first_reg).astype("string")
    pen = ctx.extra["sw_pension"]
    active = pd.Series(pen["status"] == "ACTIVE")
    pen_rk = pd.Series(pen["pv"]["resident_key"])
    act_rk = set(pen_rk[active.to_numpy() & ~pen["is_ghost"]].tolist())
    any_rk = set(pen_rk[~pen["is_ghost"]].tolist())
    out["pensioner"] = out["resident_key"].isin(any_rk)
    out["pension_still_active"] = out["resident_key"].isin(act_rk)
    pds_rk = set(pd.Series(ctx.extra["food_pds"]["pv"]["resident_key"]).tolist())
    out["still_on_ration_card"] = out["resident_key"].isin(pds_rk)
    out["kyr_deactivated"] = out["resident_key"].isin(set(ctx.extra.get("kyr_deactivated",
                                                                        []).tolist()))
    return out


def write(ctx: Ctx, truth: Path) -> dict:
    truth.mkdir(parents=True, exist_ok=True)
    residents = residents_frame(ctx)
    residents.to_parquet(truth / "residents.parquet", index=False)
    records, groups = records_frame(ctx)
    records.to_parquet(truth / "records.parquet", index=False)
    groups.to_parquet(truth / "duplicate_groups.parquet", index=False)
    deceased = deceased_frame(ctx, records)
    deceased.to_parquet(truth / "deceased.parquet", index=False)
    pd.DataFrame(pl.DISTRICT_SPLITS, columns=["child_district", "parent_district",
                                              "year"]).to_parquet(
        truth / "district_splits.parquet", index=False)
    counts = records.groupby("source").agg(
        records=("source", "size"), ghosts=("is_ghost", "sum"),
        duplicates=("is_duplicate", "sum")).astype(int).to_dict(orient="index")
    manifest = {
        "seed": ctx.seed, "profile": ctx.profile.name, "residents": int(len(residents)),
        "households": int(residents["household_key"].nunique()),
        "villages": int(len(ctx.villages)), "deceased": int(len(deceased)),
        "not_in_kyr": int((~residents["in_kyr"]).sum()),
        "delivery_dates": DATES, "records": counts,
        "as_of": str(np.datetime64("2025-01-06") + 0 * DAY),
    }
    (truth / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
