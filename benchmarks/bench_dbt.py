"""Time `dbt build` of the register and marts, and its peak memory, at 100k and 1M residents.

Usage:
    uv run python benchmarks/bench_dbt.py                 # 100k and 1M
    uv run python benchmarks/bench_dbt.py --sizes 100000  # chosen sizes

Each size runs in a fresh subprocess: it writes a synthetic warehouse shaped like what
ingest and matching write (tests/dbt_helpers.py: families of four, ration cards,
pensions, scholarships, MGNREGA, deaths, ghosts, duplicates, and pensions SRDH failed to
link - misspelt, words swapped, another village - so the ghost look-alike searches of
int_enrolment_flags and the gap checks of int_inclusion_gaps have real work), then runs
warehouse.dbt.build over the register selection (models + data tests + unit tests).
Peak memory is the subprocess's max RSS (dbt and DuckDB run in-process).
Writes benchmarks/results/dbt.json.

The matching.* tables come from that synthetic truth, not from a Splink run (matching
1M residents is benchmarked separately, benchmarks/bench_matching.py): this measures dbt.
The machine is shared: ``--wait-load 3`` waits for the 1-minute load average to drop
below 3 before each size (``--wait-max`` seconds at most, default 30 min); the load is
recorded either way.
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
FLAG_MODELS = ("int_enrolment_flags", "int_inclusion_gaps", "int_resident_widowhood")


def one(residents: int) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    sys.path.insert(0, str(ROOT))
    import duckdb
    from dbt_helpers import AS_OF, build_synthetic_warehouse

    from core.paths import Home
    from warehouse.dbt import REGISTER_SELECTION, build

    with tempfile.TemporaryDirectory(prefix="bench_dbt_") as tmp:
        home = Home.at(tmp)
        t0 = time.time()
        build_synthetic_warehouse(home.warehouse, residents=residents, unlinked=True)
        t_data = time.time() - t0
        con = duckdb.connect(str(home.warehouse), read_only=True)
        records = sum(con.execute(f"select count(*) from std.{t}").fetchone()[0]
                      for t in ("uid_kyr", "food_pds", "sw_pension", "rd_mgnrega",
                                "edu_scholarship", "crs_death"))
        con.close()
        load_before = os.getloadavg()[0]
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.time()
        res = build(home, select=REGISTER_SELECTION, vars={"srdh_as_of_date": AS_OF})
        t_build = time.time() - t0
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        models = [r for r in res.results if r["resource_type"].lower().endswith("model")]
        slowest = sorted(models, key=lambda r: -r["seconds"])[:4]
        by_name = {r["name"]: r["seconds"] for r in models}
        db_mb = home.warehouse.stat().st_size / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    return {
        "residents": residents,
        "person_records": records,
        "nodes": len(res.results),
        "dbt_build_s": round(t_build, 1),
        "cpu_s": round(cpu, 1),
        "models_s": round(sum(r["seconds"] for r in models), 1),
        "tests_s": round(sum(r["seconds"] for r in res.results if r not in models), 1),
        "peak_rss_mib": round(peak),
        "warehouse_mib": round(db_mb),
        "synthetic_data_s": round(t_data, 1),
        "slowest_models": ", ".join(f"{r['name']} {r['seconds']:.1f}s" for r in slowest),
        # the flag and gap models search look-alikes: the ones whose cost can outgrow the state
        "flag_models_s": ", ".join(f"{m} {by_name[m]:.1f}s" for m in FLAG_MODELS if m in by_name),
        "load_1min_before_after": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--wait-load", type=float, default=None,
                    help="wait until the 1-minute load average is below this before each size")
    ap.add_argument("--wait-max", type=float, default=1800,
                    help="longest wait for --wait-load, seconds (then run anyway)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return 0
    rows = []
    for n in args.sizes:
        deadline = time.time() + args.wait_max
        while args.wait_load and os.getloadavg()[0] >= args.wait_load and time.time() < deadline:
            time.sleep(15)
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
            "dbt_build_s is wall time including dbt's start-up (parse, adapter: ~15 s); "
            "models_s / tests_s sum dbt's per-node timings (run_results.json), threads 2.",
            "cpu_s is the build's CPU time (user + system, all threads): on a shared machine "
            "it shows the work done independently of the wait for a core; on an idle 2-core "
            "machine wall time is roughly max(cpu_s / 2, the serial critical path).",
            "The matching.* tables are synthetic (written with known truth by "
            "tests/dbt_helpers.py, not by a Splink run): this measures dbt alone. They include "
            "pensions SRDH failed to link (1 in 25 adults: misspelt, words swapped, another "
            "village), so the look-alike searches of the flag and gap models do real work; "
            "flag_models_s gives those models' times (a join that grows with the square of the "
            "state shows there first; dbt_project/README.md 'Performance').",
            "Before the 2026-11-28 fixes (ordered/DISTINCT aggregates, whole-table windows; "
            "dbt_project/README.md 'Performance'): 1M took 514 s wall at load ~6; 100k took "
            "88 s at load ~2 and 293 s at load ~11. On a shared, loaded machine wall time grows "
            "several-fold; cpu_s is the fairer comparison between runs.",
            "Load: the machine's 1-minute load average before / after each build "
            f"(other engineers share it); {load:.1f} when the script finished.",
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, indent=2) + "\n")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
