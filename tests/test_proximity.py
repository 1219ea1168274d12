"""Nearest facility per village and type: grid search == brute force."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

R_KM = 6371.0088


def _brute(v: pd.DataFrame, f: pd.DataFrame):
    la1 = np.radians(v.latitude.to_numpy())[:, None]
    lo1 = np.radians(v.longitude.to_numpy())[:, None]
    la2 = np.radians(f.latitude.to_numpy())[None, :]
    lo2 = np.radians(f.longitude.to_numpy())[None, :]
    a = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * R_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _write_std(path, villages: pd.DataFrame, facilities: pd.DataFrame) -> None:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists std")
    for name, df in (("lgd_villages", villages), ("facilities", facilities)):
        df = df.assign(batch_id=f"{name}/2025-01-02", source_row=np.arange(1, len(df) + 1))
        con.register("df", df)
        con.execute(f"create or replace table std.{name} as select * from df")
        con.unregister("df")
    con.close()


def test_nearest_matches_brute_force(tmp_path):
    from core.paths import Home
    from warehouse.dbt import build

    rng = np.random.default_rng(20250)
    nv, nf = 400, 1500
    # villages and facilities over a small box, many on or near 0.1-degree cell edges
    vlat = rng.uniform(20.0, 21.5, nv)
    vlon = rng.uniform(81.0, 82.5, nv)
    edge = rng.random(nv) < 0.3
    vlat[edge] = np.round(vlat[edge], 1) + rng.choice([-1e-4, 0, 1e-4], edge.sum())
    villages = pd.DataFrame({
        "village_code": [f"V{i:04d}" for i in range(nv)], "village_name": "v",
        "block_name": "b", "district_name": "d", "latitude": vlat, "longitude": vlon,
        "all_weather_road": rng.choice(["Y", "N"], nv), "electrified": "Y"})
    types = np.array(["SCHOOL", "ANGANWADI", "PHC", "CHC", "DISTRICT_HOSPITAL",
                      "RAILWAY_STATION"])
    ftype = types[rng.choice(6, nf, p=[0.45, 0.45, 0.07, 0.025, 0.0025, 0.0025])]
    ftype[:2] = ["DISTRICT_HOSPITAL", "RAILWAY_STATION"]  # every type present
    flat = rng.uniform(19.5, 22.0, nf)
    flon = rng.uniform(80.5, 83.0, nf)
    far = ftype == "DISTRICT_HOSPITAL"  # sparse and far: found only by coarse levels
    flat[far] += 3.0
    facilities = pd.DataFrame({
        "facility_id": [f"F{i:05d}" for i in range(nf)], "facility_type": ftype,
        "facility_name": "f", "district_name": "d", "block_name": "b",
        "latitude": flat, "longitude": flon})
    home = Home.at(tmp_path / "home")
    home.warehouse.parent.mkdir(parents=True)
    _write_std(home.warehouse, villages, facilities)
    build(home, select=["path:models/staging/facilities", "path:models/intermediate/proximity",
                        "path:models/marts/proximity"])

    con = duckdb.connect(str(home.warehouse))
    got = con.sql("select * from intermediate.int_village_nearest_facilities").df()
    mart = con.sql("select * from marts.mart_village_facilities").df()
    con.close()
    assert len(got) == nv * len(types)
    assert len(mart) == nv and mart.village_code.is_unique
    assert got.grid_level.max() >= 1  # the fallback levels were exercised

    for t in types:
        ft = facilities[facilities.facility_type == t].reset_index(drop=True)
        d = _brute(villages, ft)
        best = d.min(axis=1)
        g = got[got.facility_type == t].set_index("village_code").loc[villages.village_code]
        np.testing.assert_allclose(g.distance_km.to_numpy(), best, atol=6e-4)
        # the returned facility is at the minimum distance (ties allowed)
        idx = {fid: i for i, fid in enumerate(ft.facility_id)}
        chosen = d[np.arange(nv), [idx[x] for x in g.facility_id]]
        np.testing.assert_allclose(chosen, best, atol=1e-9)
        np.testing.assert_array_equal(g.count_within_5km.to_numpy(), (d <= 5).sum(axis=1))
        m = mart.set_index("village_code").loc[villages.village_code]
        np.testing.assert_array_equal(m[f"{t.lower()}_within_5km"].to_numpy(),
                                      (d <= 5).sum(axis=1))
