"""Matching benchmark: seeding + dedupe (training included) at 100k and 1M residents.

    uv run python benchmarks/bench_matching.py                 # 100k and 1M
    uv run python benchmarks/bench_matching.py --sizes 100000  # one size
    uv run python benchmarks/bench_matching.py --work /big/disk

For each size: generate a state, ingest it (not timed), then time ``run_matching``
with ``retrain=True`` (u sampling + EM + prediction + clustering + seeding, no
deliveries) in a child process whose peak RSS is measured. It also counts the pairs
scored (the union of the prediction blocking rules) and runs the Splink-5 quickstart
(``matching.baselines.splink_tutorial_baseline``) on the same inputs for the ratio.
Writes ``benchmarks/results/matching.json`` (rendered into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
SPLINK_PUBLISHED_PAIRS_PER_VCPU_S = 128_000
DUCKDB_PAIRS_PER_S = 3_400_000
PAIRS_PER_RULE: dict[int, dict] = {}  # size -> model -> [{rule, marginal pairs}]

CHILD = r"""
import json, sys, time, resource, logging
logging.basicConfig(level=logging.ERROR)
from dataclasses import replace
from matching.settings import load_settings
from matching import pipeline, inputs, blocking
home, models, mode = sys.argv[1], sys.argv[2], sys.argv[3]
s = load_settings(models_dir=models)
out = {}
def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return ru.ru_utime + ru.ru_stime
if mode == "srdh":
    from matching import predict
    pred_cpu = [0.0]
    def cpu_timed(fn):  # process CPU (user+sys) spent in the prediction calls
        def run(*a, **k):
            c = cpu()
            try:
                return fn(*a, **k)
            finally:
                pred_cpu[0] += cpu() - c
        return run
    predict.predict_seed = cpu_timed(predict.predict_seed)
    predict.predict_dedupe = cpu_timed(predict.predict_dedupe)
    t = time.time()
    res = pipeline.run_matching(home, s, retrain=True)
    out["seconds"] = time.time() - t
    out["prediction_cpu_s"] = pred_cpu[0]
    out["timings"] = res.timings
    out["records"] = {k: sum(v.values()) for k, v in res.counts.items()}
    # pairs scored: Splink's blocking analysis (exact counts), per rule and in total
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules
    ws = pipeline.open_inputs(__import__("core.paths").paths.Home.at(home).warehouse, s)
    # kyr_anchor (a dedupe blocking column) as the run set it: best KYR candidate of
    # every record whose candidate's posterior reaches dedupe.anchor_probability
    # (matching.dedupe.set_anchors)
    for f in ws.linked:
        ws.con.execute(f"UPDATE {f.table} AS t SET kyr_anchor = m.candidate_uid_token "
                       f"FROM wh.matching.seeding m WHERE m.source = '{f.feed}' AND "
                       f"m.source_record_id = t.unique_id AND "
                       f"m.match_probability >= {s.dedupe.anchor_probability}")
    def count(tables, rules, link_type):
        db = DuckDBAPI(connection=ws.con)
        sdfs = [db.register(t.table, table_name=t.feed) for t in tables]
        recs = count_comparisons_from_blocking_rules(
            sdfs, blocking_rules=rules, link_type=link_type, record_sample_proportion=1.0)
        return ([{"rule": r["blocking_rule"], "pairs": int(r["marginal_comparison_count"])}
                 for r in recs], int(recs[-1]["cumulative_comparison_count"]) if recs else 0)
    t = time.time()
    per_rule, seed_pairs = {}, 0
    for f in ws.linked:
        cols = set(ws.kyr.usable) & set(f.usable)
        per_rule[f.feed], n = count([ws.kyr, f], blocking.rules(blocking.SEED_PREDICTION_RULES,
                                                                 cols), "link_only")
        seed_pairs += n
    cols = set().union(*[f.usable for f in ws.departments])
    per_rule["dedupe"], dedupe_pairs = count(
        ws.departments, blocking.rules(blocking.DEDUPE_PREDICTION_RULES, cols),
        "link_and_dedupe")
    out["pairs_seed"], out["pairs_dedupe"] = seed_pairs, dedupe_pairs
    out["pairs_per_rule"] = per_rule
    out["pair_count_s"] = time.time() - t
    out["kyr"] = ws.kyr.rows
else:
    from matching.baselines import splink_tutorial_baseline
    ws = pipeline.open_inputs(__import__("core.paths").paths.Home.at(home).warehouse, s)
    t = time.time()
    parts = {}
    splink_tutorial_baseline(ws.con, ws.kyr, ws.linked, parts)
    out["seconds"] = time.time() - t
    out["timings"] = parts
ru = resource.getrusage(resource.RUSAGE_SELF)
out["peak_rss_mb"] = ru.ru_maxrss / 1024
out["cpu_s"] = ru.ru_utime + ru.ru_stime
print("RESULT " + json.dumps(out))
"""


def _run(*args: str, timeout: int = 7200) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=REPO)


def _child(home: Path, models: Path, mode: str) -> dict:
    p = _run(sys.executable, "-c", CHILD, str(home), str(models), mode)
    for line in p.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"{mode} failed: {p.stderr[-2000:]}")


def _tutorial_from_report(path: Path) -> dict:
    """The Splink-tutorial baseline timing from an `srdh evaluate` report (same function,
    same inputs) - it blocks on first name or surname alone and takes long at 100k."""
    rep = json.loads(Path(path).read_text())
    t = rep["timings"]
    return {"seconds": t["baseline_splink_tutorial"], "cpu_s": None,
            "timings": t.get("baseline_splink_tutorial_parts", {})}


def state_home(size: int, work: Path) -> Path:
    """The ingested home of the seed-42 state of ``size`` residents under ``work``
    (generated and ingested on first use; bench_spark.py shares it)."""
    landing, home = work / f"state_{size}" / "landing", work / f"state_{size}" / "home"
    if not (home / "warehouse" / "srdh.duckdb").exists():
        for step in (("generate", "--residents", str(size), "--seed", "42", "--out",
                      str(landing)),
                     # the home's vault key, on purpose (kept from an interrupted first try)
                     *([] if (home / "secrets" / "vault.key").exists() else
                       [("vault", "init-key", "--home", str(home))]),
                     ("ingest", "--landing", str(landing), "--home", str(home), "--no-gx")):
            p = _run(sys.executable, "-m", "srdh.cli", *step)
            if p.returncode != 0:
                raise RuntimeError(f"srdh {step[0]} failed: {p.stderr[-2000:]}")
    return home


def bench(size: int, work: Path, tutorial: bool, tutorial_report: Path | None = None) -> dict:
    root = work / f"state_{size}"
    home = state_home(size, work)
    load_before = [round(x, 1) for x in os.getloadavg()]
    r = _child(home, root / "models", "srdh")
    pairs = r["pairs_seed"] + r["pairs_dedupe"]
    anchor = sum(x["pairs"] for x in r["pairs_per_rule"]["dedupe"]
                 if "kyr_anchor" in x["rule"])
    predict_s = sum(v for k, v in r["timings"].items() if k.startswith("predict_"))
    cpu_s = r.get("prediction_cpu_s")
    cores = os.cpu_count() or 1
    per_core = pairs / predict_s / cores if predict_s else None
    per_cpu_s = pairs / cpu_s if cpu_s else None
    row = {
        "residents": size,
        "load avg before / after (1, 5, 15 min)": f"{load_before} / "
                                                  f"{[round(x, 1) for x in os.getloadavg()]}",
        "source records": sum(r["records"].values()),
        "total s (train+match)": round(r["seconds"], 1),
        "training s": round(r["timings"].get("training", 0), 1),
        "prediction s": round(predict_s, 1),
        "prediction CPU s (user+sys)": round(cpu_s, 1) if cpu_s else None,
        "CPU s (user+sys, whole child)": round(r["cpu_s"], 1),
        "peak RSS MB": round(r["peak_rss_mb"]),
        "phases s": ", ".join(f"{k} {v:.1f}" for k, v in r["timings"].items()
                              if k not in ("total",)),
        "pairs scored (seeding + dedupe)": f"{r['pairs_seed']:,} + {r['pairs_dedupe']:,}",
        "of which kyr_anchor dedupe pairs": anchor,
        "pairs/s (prediction, wall)": round(pairs / predict_s) if predict_s else None,
        "pairs/s per core (wall x cores)": round(per_core) if per_core else None,
        "pairs per CPU-second (prediction)": round(per_cpu_s) if per_cpu_s else None,
        "x Splink published per-vCPU (wall x cores)":
            round(per_core / SPLINK_PUBLISHED_PAIRS_PER_VCPU_S, 2) if per_core else None,
        "x Splink published per-vCPU (CPU-seconds)":
            round(per_cpu_s / SPLINK_PUBLISHED_PAIRS_PER_VCPU_S, 2) if per_cpu_s else None,
        "x DuckDB raw 3.4M/s (wall, 2 threads)": round(pairs / predict_s / DUCKDB_PAIRS_PER_S, 3)
        if predict_s else None,
    }
    PAIRS_PER_RULE[size] = r["pairs_per_rule"]
    if tutorial:
        t = (_tutorial_from_report(tutorial_report) if tutorial_report
             else _child(home, root / "models", "tutorial"))
        row["Splink tutorial s"] = round(t["seconds"], 1)
        row["Splink tutorial CPU s"] = round(t["cpu_s"], 1) if t["cpu_s"] else None
        row["Splink tutorial source"] = (f"srdh evaluate report {tutorial_report}"
                                         if tutorial_report else "bench child")
        row["SRDH / tutorial time"] = round(r["seconds"] / t["seconds"], 2)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--work", default=str(REPO / ".srdh" / "bench_matching"))
    ap.add_argument("--no-tutorial", action="store_true")
    ap.add_argument("--tutorial-sizes", type=int, nargs="*", default=[],
                    help="run the tutorial baseline only at these sizes (default: all)")
    ap.add_argument("--tutorial-report", type=Path, default=None,
                    help="take the tutorial timing from this evaluation.json (smallest size)")
    ap.add_argument("--note", action="append", default=[], help="extra note for the JSON")
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        t0 = time.time()
        tut = not args.no_tutorial and (not args.tutorial_sizes or size in args.tutorial_sizes)
        rep = args.tutorial_report if size == min(args.sizes) else None
        rows.append(bench(size, Path(args.work), tut, rep))
        print(json.dumps(rows[-1]), f"({time.time() - t0:.0f}s)", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "title": "Matching: UID seeding + dedupe (training included)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                   f"{platform.python_version()}",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "rows": rows,
        "pairs_per_rule": {str(k): v for k, v in PAIRS_PER_RULE.items()},
        "notes": [
            "Targets (2 cores): 1M residents within 600 s, peak memory < 8 GB, "
            "pairs/s per core >= 3x Splink's published ~128k pairs/vCPU-second.",
            "Pairs = seeding pairs (each source against KYR) + dedupe pairs (all linked "
            "sources together), exact counts from splink.blocking_analysis."
            "count_comparisons_from_blocking_rules, with kyr_anchor set from the run's "
            "seeding (runs before 2026-11-28 10:30 counted the dedupe pairs with "
            "kyr_anchor empty, i.e. without that rule's pairs). Marginal pairs per rule: "
            "pairs_per_rule.",
            "Two rates: 'per core (wall x cores)' = pairs / (wall-clock prediction time x "
            "cores), the basis of Splink's published per-vCPU figure, and inflated by other "
            "jobs on a shared machine; 'per CPU-second' = pairs / the process's own user+sys "
            "seconds inside the prediction calls (Splink Linker set-up included), which "
            "other jobs barely move but which does not charge idle cores. The target (3x) "
            "is judged on the wall-clock figure measured at low load; the CPU-second figure "
            "is the cross-check.",
            "DuckDB raw: a blocked join with 5 string comparisons, ~3.4M pairs/s on 2 "
            "threads (wall).",
            "Splink tutorial = the Splink 5 quickstart settings run on the same inputs.",
            "The machine is shared with other engineers' jobs (load average 2-8 during "
            "the runs): wall-clock figures are pessimistic; CPU s is the child's own "
            "user+sys time.",
            f"Load average (1, 5, 15 min) at the end: {[round(x, 1) for x in os.getloadavg()]}.",
            *args.note,
        ],
    }
    (RESULTS / "matching.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
