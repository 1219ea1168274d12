"""Benchmark `srdh generate` at 100k and 1M residents: wall time, CPU time, peak memory.

Each size runs in a fresh subprocess (``python -m srdh.cli generate``); peak RSS is the
child's ``ru_maxrss``. Prints a Markdown table and writes ``benchmarks/results/generate.json``.

    uv run python benchmarks/bench_generate.py            # 100k and 1M
    uv run python benchmarks/bench_generate.py 20000      # custom sizes
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(n: int, seed: int = 42) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"srdh-bench-{n}-"))
    try:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "srdh.cli", "generate", "--residents", str(n),
                        "--seed", str(seed), "--out", str(work / "landing"), "--quiet"],
                       check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        size = sum(p.stat().st_size for p in (work / "landing").rglob("*") if p.is_file())
        rows = sum(sum(1 for _ in open(p, "rb")) - 1
                   for p in (work / "landing").rglob("*.csv"))
        return {
            "residents": n, "wall_s": round(wall, 1),
            "cpu_s": round((after.ru_utime - before.ru_utime)
                           + (after.ru_stime - before.ru_stime), 1),
            "peak_rss_mb": round(after.ru_maxrss / 1024, 0),
            "landing_mb": round(size / 2**20, 1), "csv_rows": rows,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(sizes: list[int]) -> None:
    results = []
    print("| residents | wall (s) | CPU (s) | peak RSS (MB) | landing (MB) | CSV rows |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        r = run(n)
        results.append(r)
        print(f"| {r['residents']:,} | {r['wall_s']} | {r['cpu_s']} | {r['peak_rss_mb']:.0f} | "
              f"{r['landing_mb']} | {r['csv_rows']:,} |", flush=True)
    out = HERE / "results" / "generate.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    load = [round(x, 1) for x in os.getloadavg()]
    out.write_text(json.dumps({
        "title": "srdh generate: every feed and the truth files",
        "machine": (f"{platform.machine()}, {os.cpu_count()} cores, "
                    f"Python {platform.python_version()}"),
        "measured_at": dt.datetime.now().isoformat(timespec="seconds"),
        "rows": results,
        "notes": [
            "Target: 1,000,000 residents with all their feeds in under 5 minutes on 2 cores.",
            "peak_rss_mb is the max RSS of the generator's process (ru_maxrss of the child).",
            f"Load average (1, 5, 15 min) at the end: {load}; wall time is inflated when "
            "other jobs share the machine, cpu_s is not.",
        ],
    }, indent=2))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [100_000, 1_000_000])
