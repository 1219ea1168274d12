"""Benchmark the ingest on a generated state (default 1M residents, all feeds).

Compares, in the same run and on the same files, DuckDB's own ``read_csv`` (all columns as
text into a table: the floor for any CSV load) with ``srdh ingest`` (sniffing, hashing,
row validation, quarantine, tokenising and vaulting UIDs, photos, raw + std tables), and
reports rows/s, the ratio, and peak memory. Great Expectations is timed separately (its
import alone costs 15-50 s here). Results go to ``benchmarks/results/ingest.json``.

    uv run python benchmarks/bench_ingest.py [--residents 1000000] [--seed 42] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results" / "ingest.json"

CHILD = r"""
import json, resource, sys, time
from ingest.load import ingest
t = time.perf_counter()
run = ingest(sys.argv[1], sys.argv[2], gx=sys.argv[3] == "1", echo=lambda *a: None)
secs = time.perf_counter() - t
print(json.dumps({"seconds": secs, "rows_read": sum(b.rows_read for b in run.batches),
                  "rows_loaded": sum(b.rows_loaded for b in run.batches),
                  "rows_quarantined": sum(b.rows_quarantined for b in run.batches),
                  "refused": len(run.refused), "load_seconds": run.load_seconds,
                  "std_seconds": run.std_seconds, "gx_seconds": run.gx_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_READ = r"""
import duckdb, json, resource, sys, time
from pathlib import Path
files = sorted(Path(sys.argv[1]).glob("*/*/*.csv"))
con = duckdb.connect(sys.argv[2])
t = time.perf_counter(); rows = 0
for i, f in enumerate(files):
    con.execute(f"CREATE TABLE t{i} AS SELECT * FROM read_csv('{f}', all_varchar=true, "
                "header=true)")
    rows += con.execute(f"SELECT count(*) FROM t{i}").fetchone()[0]
secs = time.perf_counter() - t
print(json.dumps({"seconds": secs, "rows": rows, "files": len(files),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         cwd=REPO, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--work", default=os.environ.get("SRDH_BENCH_WORK", "/tmp/srdh_bench_ingest"))
    ap.add_argument("--gx", action="store_true", help="also time a run with Great Expectations")
    args = ap.parse_args()
    work = Path(args.work)
    landing = work / f"landing_{args.residents}_{args.seed}"
    if not landing.is_dir():
        from srdh.generator import generate

        t = time.perf_counter()
        generate(args.residents, args.seed, landing, truth=work / f"truth_{args.residents}")
        print(f"generated {args.residents:,} residents in {time.perf_counter() - t:.0f} s")
    size = sum(f.stat().st_size for f in landing.rglob("*.csv"))
    home = work / "home"
    shutil.rmtree(home, ignore_errors=True)
    (work / "readcsv.duckdb").unlink(missing_ok=True)
    read = _child(CHILD_READ, str(landing), str(work / "readcsv.duckdb"))
    (work / "readcsv.duckdb").unlink(missing_ok=True)
    print(f"duckdb read_csv: {read['rows']:,} rows in {read['seconds']:.1f} s")
    ing = _child(CHILD, str(landing), str(home), "0")
    print(f"srdh ingest:     {ing['rows_read']:,} rows in {ing['seconds']:.1f} s "
          f"(peak {ing['peak_rss_mb']:.0f} MB)")
    rerun = _child(CHILD, str(landing), str(home), "0")
    result = {
        "residents": args.residents, "seed": args.seed, "csv_files": read["files"],
        "csv_bytes": size, "rows": read["rows"],
        "duckdb_read_csv": {"seconds": round(read["seconds"], 2),
                            "rows_per_s": round(read["rows"] / read["seconds"])},
        "ingest": {"seconds": round(ing["seconds"], 2),
                   "rows_per_s": round(ing["rows_read"] / ing["seconds"]),
                   "rows_loaded": ing["rows_loaded"], "rows_quarantined": ing["rows_quarantined"],
                   "batches_refused": ing["refused"], "peak_rss_mb": round(ing["peak_rss_mb"]),
                   "load_seconds": round(ing["load_seconds"], 2),
                   "std_rebuild_seconds": round(ing["std_seconds"], 2)},
        "ratio_ingest_to_read_csv": round(ing["seconds"] / read["seconds"], 2),
        "ratio_load_only_to_read_csv": round(ing["load_seconds"] / read["seconds"], 2),
        "rerun_unchanged_seconds": round(rerun["seconds"], 2),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_avg_1m_at_end": round(os.getloadavg()[0], 1)},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if args.gx:
        shutil.rmtree(home, ignore_errors=True)
        gx = _child(CHILD, str(landing), str(home), "1")
        result["ingest_with_gx"] = {"seconds": round(gx["seconds"], 2),
                                    "gx_seconds": round(gx["gx_seconds"], 2),
                                    "peak_rss_mb": round(gx["peak_rss_mb"])}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
