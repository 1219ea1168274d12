"""Time `dbt build` of the register and marts, and its peak memory, at 100k and 1M residents.

Usage:
    uv run python benchmarks/bench_dbt.py                 # 100k and 1M
    uv run python benchmarks/bench_dbt.py --sizes 100000  # chosen sizes

Each size runs in a fresh subprocess: it writes a synthetic warehouse shaped like what
ingest and matching write (tests/dbt_helpers.py: families of four, ration cards,
pensions, scholarships, MGNREGA, deaths, ghosts, duplicates), then runs
warehouse.dbt.build over the register selection (models + data tests + unit tests).
Peak memory is the subprocess's max RSS (dbt and DuckDB run in-process).
Writes benchmarks/results/dbt.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "dbt.json"


def one(residents: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    import duckdb
    from dbt_helpers import AS_OF, build_synthetic_warehouse

    from srdh.paths import Home
    from warehouse.dbt import REGISTER_SELECTION, build

    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp:
        home = Home.at(tmp)
        t0 = time.time()
        build_synthetic_warehouse(home.warehouse, residents=residents)
        t_data = time.time() - t0
        con = duckdb.connect(str(home.warehouse), read_only=True)
        records = sum(con.execute(f"select count(*) from std.{t}").fetchone()[0]
                      for t in ("uid_kyr", "food_pds", "sw_pension", "rd_mgnrega",
                                "edu_scholarship", "crs_death"))
        con.close()
        t0 = time.time()
        res = build(home, select=REGISTER_SELECTION, vars={"srdh_as_of_date": AS_OF})
        t_build = time.time() - t0
        slowest = sorted((r for r in res.results if "model" in r["resource_type"].lower()),
                         key=lambda r: -r["seconds"])[:3]
        db_mb = home.warehouse.stat().st_size / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    return {
        "residents": residents,
        "person_records": records,
        "nodes": len(res.results),
        "dbt_build_s": round(t_build, 1),
        "peak_rss_mib": round(peak),
        "warehouse_mib": round(db_mb),
        "synthetic_data_s": round(t_data, 1),
        "slowest_models": ", ".join(f"{r['name']} {r['seconds']:.1f}s" for r in slowest),
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    rows = []
    for n in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], cwd=ROOT,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            return proc.returncode
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        print(row)
        rows.append(row)
    load = os.getloadavg()[0]
    data = {
        "title": "dbt build: resident register, households, cards, scheme and quality marts",
        "machine": (f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}"),
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rows": rows,
        "notes": [
            "warehouse.dbt.build over REGISTER_SELECTION (all register models, data tests and "
            "unit tests), dbt threads 2, on a synthetic warehouse (tests/dbt_helpers.py).",
            "Target: under 5 minutes at 1M residents on 2 cores.",
            "dbt_build_s includes dbt's fixed start-up cost (parse, adapter) of a few seconds.",
            f"1-minute load average when finished: {load:.1f} (other jobs share the machine).",
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
