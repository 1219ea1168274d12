"""Seeding blocking: pairs per rule and blocking recall, on an ingested generated state.

    uv run python benchmarks/bench_blocking.py --home H --truth H/../landing-truth
    uv run python benchmarks/bench_blocking.py --home H --truth T --union   # exact union

For every seeding rule of ``matching.blocking`` (and the candidate rules below, which
are measured, not used): the pairs its equi-join makes over every linked feed against
KYR (as in matching/README.md's table), the share of true department -> KYR pairs it
pairs (recall), and how many true pairs no other rule of the set pairs. Blocking recall
is the share of true pairs that at least one rule of the set pairs: a pair never
blocked can never be seeded. ``--union`` also counts the distinct pairs of the whole
set (what Splink scores; costly past 100k). Run it on the ``tuning`` profile only: the
``field`` profile is scored, never used to choose a rule (issue 17).
Writes ``benchmarks/results/blocking.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# candidate rules measured beside the current ones (not used by matching)
CANDIDATES = (
    ("last_name_key", "place_key", "gender"),
    ("last_name_key", "place_key", "gender", "district_std"),
    ("last_name_key", "place_key", "gender", "block_std"),
    ("name_key", "birth_year_max"),
    ("name_key", "birth_year_max", "district_std"),
    ("name_key", "birth_year_max", "block_std"),
    ("name_key", "gender", "birth_year_max"),
)


def _cond(rule, left="d", right="k") -> str:
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in rule)


def measure(home: Path, truth: Path, union: bool = False) -> dict:
    from core.paths import Home
    from matching import blocking, inputs
    from matching.evaluate import load_movers, load_truth, vault_token_fn
    from matching.pipeline import open_inputs
    from matching.settings import load_settings

    h = Home.at(home)
    settings = load_settings()
    ws = open_inputs(h.warehouse, settings)
    con = ws.con
    truth_df = load_truth(truth, vault_token_fn(h))
    con.register("truth_df", truth_df[truth_df["true_token"].notna()])
    kyr = ws.kyr
    alts = [blocking._alternatives(e) for e in blocking.SEED_PREDICTION_RULES]
    rules = list(dict.fromkeys([*(r for a in alts for r in a), *CANDIDATES]))
    out: dict = {"residents_kyr": kyr.rows, "sources": {}, "rules": {}}
    per_rule_pairs = dict.fromkeys(map(", ".join, rules), 0)
    flags = []
    for f in ws.linked:
        usable = set(kyr.usable) & set(f.usable)
        mine = [r for r in rules if all(c in usable or c in inputs.DERIVED_COLUMNS
                                        for c in r) and "kyr_anchor" not in r]
        for r in mine:  # equi-join size: sum over keys of (department rows x KYR rows)
            keys = ", ".join(r)
            nn = " AND ".join(f"{c} IS NOT NULL" for c in r)
            n = con.execute(f"""
                SELECT coalesce(sum(d.n * k.n), 0) FROM
                  (SELECT {keys}, count(*) n FROM {f.table} WHERE {nn} GROUP BY ALL) d
                  JOIN (SELECT {keys}, count(*) n FROM {kyr.table} WHERE {nn} GROUP BY ALL) k
                  ON {_cond(r)}""").fetchone()[0]
            per_rule_pairs[", ".join(r)] += int(n)
        # true pairs: which rules pair them
        cols = ", ".join(f"coalesce({_cond(r)}, false) AS r{i}" for i, r in enumerate(rules)
                         if r in mine)
        df = con.execute(f"""
            SELECT {cols} FROM truth_df t
            JOIN {f.table} d ON d.unique_id = t.source_record_id
            JOIN {kyr.table} k ON k.unique_id = t.true_token
            WHERE t.source = '{f.feed}'""").df()
        df.columns = [", ".join(r) for r in rules if r in mine]
        df["source"] = f.feed
        df["person"] = con.execute(f"""
            SELECT t.person FROM truth_df t
            JOIN {f.table} d ON d.unique_id = t.source_record_id
            JOIN {kyr.table} k ON k.unique_id = t.true_token
            WHERE t.source = '{f.feed}'""").df()["person"].to_numpy()
        flags.append(df)
        out["sources"][f.feed] = {"true_pairs": len(df)}
    import pandas as pd

    allf = pd.concat(flags, ignore_index=True)
    person = allf.pop("person")
    allf = allf.fillna(False)
    for name in per_rule_pairs:
        if name not in allf:
            allf[name] = False
    # the rules in use on a state whose feeds carry blocks (every generated feed)
    current = [", ".join(a[0]) for a in alts]
    before = [", ".join(a[-1]) for a in alts]  # the unscoped alternatives
    out["true_pairs"] = len(allf)

    def recall(rule_names: list[str], by_source: bool = False):
        hit = allf[rule_names].any(axis=1)
        if by_source:
            return {s: round(float(hit[allf.source == s].mean()), 5)
                    for s in sorted(allf.source.unique())}
        return float(hit.mean())

    for name, pairs in per_rule_pairs.items():
        others = [c for c in current if c != name]
        only = int((allf[name] & ~allf[others].any(axis=1)).sum())
        out["rules"][name] = {"pairs": pairs, "in_use": name in current,
                              "true_pairs_found": int(allf[name].sum()),
                              "found_by_no_other_current_rule": only}
    out["blocking_recall_current"] = round(recall(current), 6)
    out["blocking_recall_current_by_source"] = recall(current, True)
    out["without"] = {name: round(recall([c for c in current if c != name]), 6)
                      for name in current}
    out["sets"] = {}
    block = {"last_name_key, place_key, gender, district_std":
             "last_name_key, place_key, gender, block_std",
             "name_key, birth_year_max, district_std": "name_key, birth_year_max, block_std"}
    for label, names in (("unscoped (before)", before), ("district-scoped (in use)", current),
                         ("block-scoped", [block.get(c, c) for c in current])):
        out["sets"][label] = {
            "recall": round(recall(names), 6), "by_source": recall(names, True),
            "pairs_equi_join_sum": sum(per_rule_pairs[n] for n in names)}
    out["pairs_equi_join_sum_current"] = sum(per_rule_pairs[n] for n in current)
    # movers (issue 17): the true pairs of residents who moved after the department
    # listed them, with and without the rules on KYR's previous address
    movers = load_movers(truth)
    if movers:
        moved = person.isin(movers).to_numpy()
        mover_rules = [", ".join(r) for r in blocking.MOVER_SEED_RULES]
        without = [c for c in current if c not in mover_rules]
        out["movers"] = {
            "true_pairs": int(moved.sum()),
            "recall_with_mover_rules": round(float(allf.loc[moved, current].any(axis=1)
                                                   .mean()), 6),
            "recall_without": round(float(allf.loc[moved, without].any(axis=1).mean()), 6),
            "mover_rule_pairs": sum(per_rule_pairs[n] for n in mover_rules)}
    if union:
        t0 = time.time()
        total = 0
        for f in ws.linked:
            usable = set(kyr.usable) & set(f.usable)
            mine = blocking.chosen(blocking.SEED_PREDICTION_RULES, usable)
            sel = " UNION ".join(
                f"SELECT d.unique_id a, k.unique_id b FROM {f.table} d JOIN {kyr.table} k "
                f"ON {_cond(r)}" for r in mine)
            total += con.execute(f"SELECT count(*) FROM ({sel})").fetchone()[0]
        out["pairs_union_current"] = int(total)
        out["union_seconds"] = round(time.time() - t0, 1)
    con.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True)
    ap.add_argument("--truth", required=True, help="the generator's truth folder")
    ap.add_argument("--union", action="store_true", help="also count distinct pairs")
    ap.add_argument("--out", default=str(HERE / "results" / "blocking.json"))
    args = ap.parse_args()
    res = measure(Path(args.home), Path(args.truth), args.union)
    import os
    import platform

    res["title"] = ("Seeding blocking: pairs per rule and blocking recall "
                    f"({res['residents_kyr']:,} KYR residents, tuning profile)")
    res["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    res["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    res["rows"] = [{"rule": name, "in use": "yes" if r["in_use"] else "-",
                    "pairs (equi-join, all feeds)": f"{r['pairs']:,}",
                    "true pairs found": f"{r['true_pairs_found']:,}",
                    "found by no other rule in use": r["found_by_no_other_current_rule"]}
                   for name, r in res["rules"].items()]
    res["notes"] = [f"{label}: blocking recall {100 * v['recall']:.3f}% of "
                    f"{res['true_pairs']:,} true department -> KYR pairs, sum of rule pairs "
                    f"{v['pairs_equi_join_sum']:,}; by source "
                    + ", ".join(f"{k} {100 * x:.2f}%" for k, x in v["by_source"].items())
                    for label, v in res["sets"].items()]
    res["notes"].append("Measured on the tuning profile only (the field profile is scored, "
                        "never used to choose a rule); matching/README.md, 'Blocking'.")
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    for note in res["notes"]:
        print(note)
    for name, r in res["rules"].items():
        print(f"{r['pairs']:>12,}  {r['true_pairs_found']:>8}  "
              f"{r['found_by_no_other_current_rule']:>6}  {'*' if r['in_use'] else ' '} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
