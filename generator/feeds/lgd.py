"""``lgd_villages``: the village master with official spellings and current districts."""

from __future__ import annotations

from generator.feeds.common import DATES, Ctx
from generator.vec import nullify
from generator.writer import write_csv

COLUMNS = ["village_code", "village_name", "block_name", "district_name", "pincode", "latitude",
           "longitude", "all_weather_road", "electrified"]


def build(ctx: Ctx) -> None:
    v = ctx.villages
    rng = ctx.rng("lgd_villages")
    n = len(v)
    cols = {c: v[c].to_numpy() for c in COLUMNS}
    cols["pincode"] = nullify(v["pincode"].astype(str).to_numpy(), rng.random(n) < 0.93)
    cols["latitude"] = v["latitude"].map("{:.5f}".format).to_numpy()
    cols["longitude"] = v["longitude"].map("{:.5f}".format).to_numpy()
    write_csv(ctx.landing, "lgd_villages", DATES["lgd_villages"], "lgd_village_master", cols,
              COLUMNS)
    ctx.log(f"lgd_villages: {n:,} villages")
