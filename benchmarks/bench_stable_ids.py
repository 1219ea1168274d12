"""Time the stable-id step (matching/ids.py: assign + store) at 100k and 1M records.

Usage:
    uv run python benchmarks/bench_stable_ids.py                  # 100k and 1M records
    uv run python benchmarks/bench_stable_ids.py --sizes 100000

Synthetic cluster labels, no Splink (the step runs after clustering): 60% of records in
KYR-linked clusters (K:<token>), the rest in clusters of 1-3 records (N:<member>). Three
runs per size on one warehouse file: a first run (empty registry), a rerun (same
labels), and a delta (5% new records, 1% of clusters merged pairwise, 1% split).
Writes benchmarks/results/stable_ids.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "stable_ids.json"

LABELS = """
    SELECT 'src' AS source, 'r' || i AS record_id,
           CASE WHEN i % 10 < 6 THEN 'K:T' || (i // 2)          -- KYR-linked, 2 records
                ELSE 'N:src|r' || (i - i % 3) END AS label          -- up to 3 records
    FROM range({n}) t(i)
"""
DELTA = """
    SELECT source, record_id,
           CASE WHEN label LIKE 'N:%' AND hash(label) % 100 = 0     -- 1%: merged in pairs
                     THEN 'N:src|r' || (CAST(substr(label, 8) AS BIGINT) // 6 * 6)
                WHEN label LIKE 'N:%' AND hash(label) % 100 = 1     -- 1%: split off
                     THEN 'N:src|' || record_id
                ELSE label END AS label
    FROM ({base})
    UNION ALL
    SELECT 'new', 'n' || i, 'N:new|n' || i FROM range({n} // 20) t(i)
"""


def step(wh: Path, labels_sql: str, day: str) -> dict:
    import duckdb

    from matching import ids
    from matching.inputs import WH

    con = duckdb.connect(":memory:")
    con.execute("SET threads = 2")
    con.execute(f"ATTACH '{wh}' AS {WH} (READ_ONLY)")
    con.execute(f"CREATE TABLE resident_labels AS {labels_sql}")
    t0 = time.time()
    ids.assign(con, day)
    t_assign = time.time() - t0
    con.execute(f"DETACH {WH}")
    con.execute(f"ATTACH '{wh}' AS {WH}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {WH}.matching")
    t0 = time.time()
    con.execute("BEGIN")
    ids.store(con, day)
    con.execute(f"CREATE OR REPLACE TABLE {WH}.matching.residents AS SELECT * FROM residents")
    con.execute("COMMIT")
    t_store = time.time() - t0
    hist = con.execute("SELECT count(*) FROM _id_history_new").fetchall()[0][0]
    recs = con.execute("SELECT count(*) FROM residents").fetchall()[0][0]
    con.close()
    return {"records": recs, "assign_s": round(t_assign, 2), "store_s": round(t_store, 2),
            "history_rows": hist}


def one(n: int) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        wh = Path(tmp) / "wh.duckdb"
        import duckdb

        duckdb.connect(str(wh)).close()
        base = LABELS.format(n=n)
        for name, sql, day in (("first run", base, "2025-01-01"),
                               ("rerun", base, "2025-01-02"),
                               ("delta", DELTA.format(base=base, n=n), "2025-01-03")):
            rows.append({"size": n, "run": name, **step(wh, sql, day), "peak_rss_mb": ""})
    rows[-1]["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    args = ap.parse_args()
    rows = []
    for n in args.sizes:
        rows += one(n)
        print(json.dumps(rows[-3:]))
    load = os.getloadavg()
    data = {
        "title": "Stable resident ids (matching/ids.py)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, DuckDB 2 threads",
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rows": rows,
        "notes": [
            "assign = registry lookup, greedy one-to-one id assignment, fresh ids, history; "
            "store = registry rewrite + history append in the run's transaction.",
            "Synthetic labels (no Splink); delta = 5% new records, 1% of clusters merged, "
            "1% split. peak_rss_mb is the whole process after all runs of that size.",
            f"Load average when finished (1/5/15 min): {load[0]:.1f} / {load[1]:.1f} / "
            f"{load[2]:.1f} on a machine shared with other jobs.",
        ],
    }
    OUT.write_text(json.dumps(data, indent=2) + "\n")
    print(f"written {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
