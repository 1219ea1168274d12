"""A rerun with nothing new: `srdh run` twice on one landing, the second timed.

    uv run python benchmarks/bench_rerun.py [--residents 20000]

Target (issue 21): <= 5 s at 20k residents. Writes benchmarks/results/rerun.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _srdh(*args: str) -> float:
    env = {**os.environ, "SRDH_GX": "0"}
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "srdh"), *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=20_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="srdh-rerun-"))
    landing, home = work / "landing", work / "home"
    _srdh("generate", "--residents", str(args.residents), "--seed", "42", "--out", str(landing))
    _srdh("vault", "init-key", "--home", str(home))
    run = ("run", "--landing", str(landing), "--home", str(home), "--run-date", "2025-03-01")
    first = _srdh(*run)
    again = _srdh(*run)
    out = {
        "title": "A rerun with nothing new (srdh run twice)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "measured_at": time.strftime("%Y-%m-%d"),
        "rows": [{"residents": args.residents, "first run s": round(first, 1),
                  "rerun, nothing new s": round(again, 1), "target s": 5}],
        "notes": ["The rerun skips matching, dbt and publish (nothing changed, no review "
                  "decision); ingest checks the landing and still writes the day's call list "
                  "and deliveries. Includes Python start-up of the CLI."],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "rerun.json").write_text(json.dumps(out, indent=2) + "\n")
    print(out["rows"][0])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
