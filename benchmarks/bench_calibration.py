"""Seed thresholds checked and tuned by reviewer labels: a simulated clerk (issue 17).

    uv run python benchmarks/bench_calibration.py    # tuning: 50k seed 7, 100k seed 11
    uv run python benchmarks/bench_calibration.py --states 100000:7 --labels 200,500 \
        --work /big/disk

For each seed: generate a state on the ``tuning`` profile (never ``field``, never seed
1234), ingest it, and run ``srdh match`` in a fresh home (it trains its own models and
chooses its seed thresholds without labels). Then, for each label budget N, on a copy
of that home: ``srdh review export`` (the review queue plus the check sample of seeded
records per posterior band), a **simulated clerk** answers N seeding rows per source
from the generator's truth (half from the check sample, half from the review queue,
at random), ``srdh review import``, and ``srdh match`` again, which now checks and
tunes each threshold with the labels. Per source it records the threshold, the
expected precision SRDH states and the precision measured against the truth, before
and after. Measured precision counts the model's own seeds (``reason = best_link``):
pairs a reviewer confirmed are right by construction and are left out. The clerk
lives here only; nothing in the product reads the truth.

Writes ``benchmarks/results/calibration.json`` (rendered into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(REPO))


def _srdh(*args: str, home: Path) -> None:
    env = {**os.environ, "SRDH_HOME": str(home), "SRDH_GX": "0", "SRDH_MATCHING_MODEL": "home"}
    cmd = [str(Path(sys.executable).parent / "srdh"), *args]
    print("  $ srdh " + " ".join(args), flush=True)
    subprocess.run(cmd, env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def prepare(residents: int, seed: int, work: Path) -> Path:
    """A generated, ingested and matched state (kept in ``work`` for the label runs)."""
    root = work / f"calibration_tuning_{residents}_{seed}"
    home = root / "home"
    if (root / "matched").exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    _srdh("generate", "--residents", str(residents), "--seed", str(seed), "--profile",
          "tuning", "--out", str(root / "landing"), "--photos", "0", home=home)
    _srdh("vault", "init-key", "--home", str(home), home=home)
    _srdh("ingest", "--landing", str(root / "landing"), "--no-gx", home=home)
    _srdh("match", home=home)
    (root / "matched").write_text("")
    return root


def truth_of(root: Path, home: Path):
    from core.paths import Home
    from matching.evaluate import load_truth, vault_token_fn

    t = load_truth(root / "landing-truth", vault_token_fn(Home.at(home)))
    return t.set_index(["source", "source_record_id"])["true_token"]


def measure(home: Path, truth) -> dict[str, dict]:
    """Per source: threshold, how it was chosen, expected and measured precision, recall."""
    import duckdb

    from core.paths import Home
    from matching.review import calibration

    cal = calibration(Home.at(home).warehouse)["sources"]
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        df = con.execute("SELECT source, source_record_id, uid_token, match_status, reason "
                         "FROM matching.seeding").df()
    finally:
        con.close()
    df["true_token"] = [truth.get((s, r)) for s, r in zip(df["source"], df["source_record_id"],
                                                          strict=True)]
    out = {}
    for source, g in df.groupby("source"):
        model = g[(g["match_status"] == "seeded") & (g["reason"] == "best_link")]
        right = (model["uid_token"] == model["true_token"]).sum()
        seeded = g[g["match_status"] == "seeded"]
        matchable = g["true_token"].notna().sum()
        info = cal.get(source, {})
        out[source] = {
            "seed_threshold": info.get("seed_threshold"),
            "method": info.get("method"),
            "labels": info.get("labels", 0),
            "expected_precision": info.get("expected_precision"),
            "label_checked_precision": info.get("label_checked_precision"),
            "measured_precision": float(right / len(model)) if len(model) else None,
            "model_seeds": int(len(model)),
            "recall": float((seeded["uid_token"] == seeded["true_token"]).sum() / matchable)
            if matchable else None,
            "bands": info.get("bands", []),
        }
    return out


def clerk(queue: Path, truth, n: int, seed: int) -> Path:
    """Answer ``n`` seeding rows per source from the truth: half check sample, half review."""
    import pandas as pd

    q = pd.read_csv(queue, dtype=str, keep_default_na=False)
    seeds = q[q["kind"] == "seed"]
    picked = []
    for _, g in seeds.groupby("source_l"):
        check, rev = g[g["queue"] == "check"], g[g["queue"] == "review"]
        k = min(len(check), max(n // 2, n - len(rev)))
        picked.append(check.sample(k, random_state=seed))
        picked.append(rev.sample(min(len(rev), n - k), random_state=seed))
    ans = pd.concat(picked)
    true = [truth.get((s, r)) for s, r in zip(ans["source_l"], ans["record_l"], strict=True)]
    ans["decision"] = ["match" if t == r else "non_match"
                       for t, r in zip(true, ans["record_r"], strict=True)]
    ans["reviewer"], ans["reason"] = "simulated.clerk", "generator truth (benchmark)"
    out = queue.with_name(f"decided_{n}.csv")
    ans.to_csv(out, index=False)
    return out


def run_seed(residents: int, seed: int, work: Path, budgets: list[int]) -> dict:
    from matching.seed import CALIBRATION_BANDS

    root = prepare(residents, seed, work)
    home0 = root / "home"
    truth = truth_of(root, home0)
    res = {"residents": residents, "seed": seed, "profile": "tuning",
           "before": measure(home0, truth), "after": {}}
    n_bands = len(CALIBRATION_BANDS)
    for n in budgets:
        home = root / f"home_labels_{n}"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(home0, home)
        queue = root / f"queue_{n}.csv"
        _srdh("review", "export", "--out", str(queue), "--check-sample",
              str(math.ceil(n / 2 / n_bands) * 2), home=home)
        decided = clerk(queue, truth, n, seed)
        _srdh("review", "import", str(decided), home=home)
        t0 = time.time()
        _srdh("match", home=home)
        res["after"][str(n)] = {"match_s": round(time.time() - t0, 1),
                                **{"sources": measure(home, truth)}}
        shutil.rmtree(home, ignore_errors=True)
    return res


def _pct(x) -> str:
    return "" if x is None else f"{100 * x:.2f}"


def rows_of(runs: list[dict]) -> list[dict]:
    rows = []
    for r in runs:
        sets = [("0", r["before"])] + [(n, a["sources"]) for n, a in r["after"].items()]
        for source in sorted(r["before"]):
            for n, per in sets:
                m = per.get(source, {})
                rows.append({
                    "state": f"tuning {r['residents']:,} seed {r['seed']}", "source": source,
                    "labels asked / used": f"{n} / {m.get('labels', 0)}",
                    "threshold chosen by": m.get("method") or "",
                    "seed threshold": f"{m['seed_threshold']:.4f}"
                    if m.get("seed_threshold") is not None else "",
                    "estimated precision_%": _pct(m.get("expected_precision")),
                    "measured precision_%": _pct(m.get("measured_precision")),
                    "labels' check of the label-free choice_%":
                        _pct(m.get("label_checked_precision")),
                    "recall_%": _pct(m.get("recall")),
                })
    return rows


NOTES = [
    "`benchmarks/bench_calibration.py`: a fresh home on the tuning profile trains its own "
    "models and chooses thresholds without labels (labels asked 0); then, on a copy, "
    "`srdh review export` (review queue + check sample of seeded records per posterior "
    "band), a simulated clerk answers N seeding rows per source from the generator's "
    "truth (half check sample, half review queue), `srdh review import`, `srdh match`.",
    "labels used = labelled records with p >= 0.5 whose best candidate the decisions "
    "settle; the threshold is tuned on them from calibration_min_labels (50) on, else "
    "chosen without labels. 'labels' check' = the precision the labels' calibration "
    "gives the label-free threshold's seeded set (`srdh review calibration`).",
    "measured precision counts the model's own seeds (reason best_link): pairs a "
    "reviewer confirmed are right by construction and left out. recall counts every "
    "seed (confirmed ones too) over records whose person has a UID.",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--states", default="50000:7,100000:11",
                    help="residents:seed of each tuning state, comma-separated")
    ap.add_argument("--labels", default="200,500", help="labels per source, comma-separated")
    ap.add_argument("--work", default="/tmp/srdh_bench_calibration")
    ap.add_argument("--keep", action="store_true", help="keep the generated state")
    args = ap.parse_args()
    states = [tuple(int(x) for x in st.split(":")) for st in args.states.split(",")]
    if any(seed == 1234 for _, seed in states):
        sys.exit("seed 1234 is only scored in the accuracy benchmark, never tuned on")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    runs = [run_seed(n, seed, work, [int(b) for b in args.labels.split(",")])
            for n, seed in states]
    if not args.keep:
        for n, seed in states:
            shutil.rmtree(work / f"calibration_tuning_{n}_{seed}", ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "calibration.json"
    out.write_text(json.dumps({
        "title": "Seed thresholds checked and tuned by reviewer labels (simulated clerk)",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "rows": rows_of(runs), "notes": NOTES, "runs": runs}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
