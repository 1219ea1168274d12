"""Run every benchmark script and rewrite BENCHMARKS.md from their JSON results.

Usage:
    uv run python benchmarks/run_all.py            # run all, then render
    uv run python benchmarks/run_all.py --render   # only re-render from benchmarks/results/*.json

Each ``benchmarks/bench_*.py`` writes ``benchmarks/results/<name>.json`` holding
``{"title": ..., "machine": ..., "rows": [{...}, ...], "notes": [...]}``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
OUT = HERE.parent / "BENCHMARKS.md"


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def render() -> str:
    lines = [
        "# Benchmarks",
        "",
        "Figures measured by the scripts in `benchmarks/` (`make benchmark` reruns them all;",
        "each script also runs alone). Timings never live in unit tests.",
        "",
    ]
    for path in sorted(RESULTS.glob("*.json")):
        data = json.loads(path.read_text())
        lines += [f"## {data.get('title', path.stem)}", ""]
        if data.get("machine"):
            lines += [f"Machine: {data['machine']}. Measured {data.get('measured_at', '')}.", ""]
        rows = data.get("rows", [])
        if rows:
            # a result may name its columns (rows of older runs may lack some);
            # otherwise the first row's keys: extra keys of one run's row are details
            cols = data.get("columns") or list(rows[0])
            lines.append("| " + " | ".join(cols) + " |")
            lines.append("|" + "---|" * len(cols))
            for r in rows:
                lines.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
            lines.append("")
        for note in data.get("notes", []):
            lines.append(f"- {note}")
        if data.get("notes"):
            lines.append("")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--render", action="store_true", help="only rewrite BENCHMARKS.md from results")
    args = ap.parse_args()
    if not args.render:
        for script in sorted(HERE.glob("bench_*.py")):
            print(f"== {script.name}", flush=True)
            subprocess.run([sys.executable, str(script)], check=True)
    OUT.write_text(render())
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
