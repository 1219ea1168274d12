"""``facilities``: hospitals, health centres, schools, anganwadi centres, railway stations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from generator import places as pl
from generator.feeds.common import DATES, Ctx
from generator.feeds.scholarship import schools
from generator.writer import write_csv

COLUMNS = ["facility_id", "facility_type", "facility_name", "district_name", "block_name",
           "village_code", "latitude", "longitude", "udise_code"]


def build(ctx: Ctx) -> None:
    rng = ctx.rng("facilities")
    vil = ctx.villages
    frames = []

    def add(ftype, vidx, names, prefix, udise=None, jitter=0.004):
        vidx = np.asarray(vidx)
        frames.append(pd.DataFrame({
            "facility_type": ftype, "facility_name": names, "village_idx": vidx,
            "latitude": vil["latitude"].to_numpy()[vidx] + rng.normal(0, jitter, len(vidx)),
            "longitude": vil["longitude"].to_numpy()[vidx] + rng.normal(0, jitter, len(vidx)),
            "udise_code": udise, "prefix": prefix}))

    # district hospital in the first village of each district (its headquarters here)
    hq = vil.groupby("district_idx")["village_idx"].first().to_numpy()
    add("DISTRICT_HOSPITAL", hq, "District Hospital " + vil["district_name"].to_numpy()[hq], "DH")
    chc = vil.groupby("block_idx")["village_idx"].first().to_numpy()
    add("CHC", chc, "CHC " + vil["block_name"].to_numpy()[chc], "CHC")
    phc = vil["village_idx"].to_numpy()[vil["village_local"].to_numpy() % 6 == 2]
    add("PHC", phc, "PHC " + vil["village_name"].to_numpy()[phc], "PHC")
    sch = schools(ctx)
    add("SCHOOL", sch["village_idx"].to_numpy(), sch["name"].to_numpy(), "SCH",
        sch["udise_code"].to_numpy(), jitter=0.003)
    aw = vil["village_idx"].to_numpy()[rng.random(len(vil)) < 0.92]
    add("ANGANWADI", aw, "Anganwadi Kendra " + vil["village_name"].to_numpy()[aw], "AWC")
    out = pd.concat(frames, ignore_index=True)
    out["district_name"] = ctx.speller.district(rng, out["village_idx"].to_numpy(), p_old=0.1,
                                                p_alias=0.03, p_typo=0.0)
    out["block_name"] = vil["block_name"].to_numpy()[out["village_idx"]]
    out["village_code"] = vil["village_code"].to_numpy()[out["village_idx"]].astype(str)
    # railway stations: real places, no village code
    st = pd.DataFrame(pl.RAILWAY_STATIONS, columns=["facility_name", "district_name", "latitude",
                                                    "longitude"])
    st["facility_type"] = "RAILWAY_STATION"
    st["prefix"] = "RLY"
    dnames = np.array(pl.DISTRICT_NAMES)
    blocks = pl.blocks_frame()
    st["block_name"] = [blocks.loc[blocks["district_idx"] == int(np.flatnonzero(dnames == x)[0]),
                                   "block_name"].iloc[0] for x in st["district_name"]]
    st["village_code"] = None
    st["udise_code"] = None
    out = pd.concat([out, st], ignore_index=True)
    out["facility_id"] = out["prefix"] + "-" + (np.arange(len(out)) + 1).astype(str)
    out["latitude"] = out["latitude"].clip(*pl.LAT_RANGE).map("{:.5f}".format)
    out["longitude"] = out["longitude"].clip(*pl.LON_RANGE).map("{:.5f}".format)
    cols = {c: out[c].to_numpy(dtype=object) for c in COLUMNS}
    write_csv(ctx.landing, "facilities", DATES["facilities"], "facilities", cols, COLUMNS)
    ctx.log(f"facilities: {len(out):,} facilities")
