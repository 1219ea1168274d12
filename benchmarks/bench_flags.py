"""Flags a department acts on, scored against the generator's truth (issue 18).

    uv run python benchmarks/bench_flags.py [--residents 100000] [--profiles field,tuning]

For each profile: generate a state, make its vault key, `srdh run` (ingest, match, dbt
build, deliver), then `srdh evaluate`, whose `flags` part scores every flag (confirmed,
to verify, and both) and every inclusion rule. The flag and inclusion rules were developed
on the tuning profile only (seed 42 at 20k; then seeds 7 and 11 at 100k for the ghost
evidence, the inclusion holds and widowhood); seed 1234 and the field profile are only
scored, never inspected row by row.
Writes benchmarks/results/flags.json (rendered into BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_accuracy import RESULTS, _srdh  # noqa: E402


def run_profile(profile: str, residents: int, seed: int, work: Path) -> tuple[dict, float]:
    root = work / f"flags_{profile}_{residents}_{seed}"
    shutil.rmtree(root, ignore_errors=True)
    home, landing = root / "home", root / "landing"
    t0 = time.time()
    _srdh("generate", "--residents", str(residents), "--seed", str(seed), "--profile",
          profile, "--out", str(landing), home=home)
    _srdh("vault", "init-key", "--home", str(home), home=home)
    _srdh("run", "--landing", str(landing), "--run-date", "2025-03-01", home=home)
    _srdh("evaluate", "--truth", str(root / "landing-truth"), "--no-baselines", home=home)
    flags = json.loads((home / "reports" / "evaluation.json").read_text()).get("flags") or {}
    seconds = time.time() - t0
    shutil.rmtree(root, ignore_errors=True)
    return flags, seconds


def _r(x) -> str | float:
    return "-" if x is None else round(x, 3)


def target(name: str, kind: str) -> str:
    """Issue 18's target for a flag or rule, written beside its precision ("-": none)."""
    from matching.evaluate_flags import TARGETS

    t = TARGETS["inclusion_rule"] if kind == "inclusion_rules" else TARGETS.get(name)
    if not t:
        return "-"
    return " / ".join(f">= {t[k]:.2f}" if k in t else "-" for k in ("precision", "recall"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--residents", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--profiles", default="field,tuning")
    ap.add_argument("--work", default=str(HERE.parent / ".tmp" / "bench_flags"))
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows, notes = [], []
    for profile in [p for p in args.profiles.split(",") if p.strip()]:
        print(f"== {profile} profile, {args.residents:,} residents, seed {args.seed}", flush=True)
        flags, secs = run_profile(profile, args.residents, args.seed, work)
        for kind in ("enrolment_flags", "inclusion_rules"):
            for name, m in (flags.get(kind) or {}).items():
                rows.append({"profile": profile, "residents": args.residents, "seed": args.seed,
                             "flag or rule": name, "flagged": m.get("flagged"),
                             "precision": _r(m.get("precision")),
                             "recall": _r(m.get("recall")),
                             "target (precision / recall)": target(name, kind)})
        notes.append(f"{profile}: generate + srdh run + evaluate {secs:.0f} s")
    notes += ["Targets: ghost precision >= 0.90 and recall >= 0.70; preseeded_uid_disagrees "
              ">= 0.95 / 0.95; deceased_active precision >= 0.98; each inclusion rule "
              "precision >= 0.95. Recall is not defined for inclusion rules here.",
              "Rules developed on the tuning profile (seeds 42, 7, 11); seed 1234 and the "
              "field profile are only scored.",
              "Not yet measured at 1M (the 1M matching runs are in the accuracy table)."]
    out = {"title": "Flags and inclusion rules against the generator's truth",
           "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                      f"Python {platform.python_version()}",
           "measured_at": time.strftime("%Y-%m-%d"), "rows": rows, "notes": notes}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "flags.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {RESULTS / 'flags.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
