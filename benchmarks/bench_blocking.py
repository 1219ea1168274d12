"""Blocking: pairs per rule and blocking recall, seeding and dedupe, on an ingested state.

    uv run python benchmarks/bench_blocking.py --home H --truth H/../landing-truth
    uv run python benchmarks/bench_blocking.py --home H --truth T --smaller 100k.json

For every rule of ``matching.blocking`` (seeding and dedupe prediction) and the
candidate rules below (measured, not used): the pairs its equi-join makes, the true
pairs it pairs, and how many true pairs no other rule in use pairs. Seeding pairs are
department record x KYR row over every linked feed; dedupe pairs are the record pairs
of all linked feeds together (Splink's link_and_dedupe), its true pairs two records of
one person in one source. Blocking recall is the share of true pairs that at least one
rule in use pairs: a pair never blocked can never be scored. ``--smaller`` adds each
rule's pairs at a smaller size (an earlier run's JSON) and their growth; ``--flags``
keeps each true pair's flags, to try other rule sets without rerunning. ``--union``
also counts the distinct seeding pairs (what Splink scores; costly past 100k). Run it
on the ``tuning`` profile only: the ``field`` profile is scored, never used to choose a
rule (issue 17). ``kyr_anchor`` is filled in by the run's seeding: for dedupe recall
it is counted as "both records' person has a UID in KYR" (an upper bound).
Writes ``benchmarks/results/blocking.json``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The rules in use before issue 17's scale step (statewide and block-wide name rules;
# on feeds that carry districts), and candidates measured beside the rules in use.
SEED_BEFORE = (
    ("uid_token",), ("name_key", "block_std"), ("name_sorted_key", "block_std"),
    ("last_name_key", "village_code", "gender"), ("relative_name_key", "village_code"),
    ("last_name_key", "relative_name_key", "block_std"), ("mobile",),
    ("first_name_key", "last_name_key", "birth_year"), ("name_key", "gender", "birth_year_min"),
    ("village_code", "birth_year"), ("village_code", "birth_year_min"),
    ("last_name_key", "place_key", "gender", "district_std"), ("first_name_key", "dob"),
    ("last_name_key", "dob"), ("name_sorted_key", "dob"),
    ("name_key", "birth_year_max", "district_std"),
)
DEDUPE_BEFORE = (
    ("uid_token",), ("name_key", "block_std"), ("name_sorted_key", "block_std"),
    ("relative_name_key", "village_code"), ("last_name_key", "relative_name_key", "block_std"),
    ("mobile",), ("first_name_key", "last_name_key", "birth_year"),
    ("name_key", "gender", "birth_year_min"), ("name_key", "place_key"),
    ("first_name_key", "dob"), ("last_name_key", "dob"), ("dob", "place_key", "district_std"),
)
# scoped alternatives tried for both kinds (bench_blocking's per-rule table)
_SCOPED_CANDIDATES = (
    ("name_key", "village_code"),
    ("name_sorted_key", "village_code"),
    ("name_sorted_key", "block_std", "gender"),
    ("name_sorted_key", "district_std"),
    ("name_sorted_key", "block_std", "birth_year_min"),
    ("first_name_key", "last_name_key", "birth_year", "district_std"),
    ("first_name_key", "last_name_key", "birth_year", "block_std"),
    ("first_name_key", "last_name_key", "birth_year", "gender"),
    ("name_key", "gender", "birth_year_min", "district_std"),
    ("name_key", "gender", "birth_year_min", "block_std"),
    ("name_key", "gender", "birth_year_min", "relative_name_key"),
    ("last_name_key", "relative_name_key", "village_code"),
    ("last_name_key", "relative_name_key", "district_std"),
)
SEED_CANDIDATES = SEED_BEFORE + _SCOPED_CANDIDATES + (
    ("last_name_key", "place_key", "gender"),
    ("name_key", "birth_year_max"),
    ("name_sorted_key", "district_std", "birth_year"),
    ("name_key", "relative_name_key"),
    ("name_key", "gender", "birth_year_min", "place_key"),
    # the typo key (matching.inputs.TYPO_KEY) is a rule only for feeds without village
    # codes ("!village_code"); measured here on a state whose villages resolve, as if
    # they had not: its cost within the district, and unscoped (a feed without districts)
    ("typo_key", "district_std"),
    ("typo_key",),
)
DEDUPE_CANDIDATES = DEDUPE_BEFORE + _SCOPED_CANDIDATES + (
    ("name_key", "place_key", "district_std"),
)


def _cond(rule, left="d", right="k") -> str:
    return " AND ".join(f"{left}.{c} = {right}.{c}" for c in rule)


def _name(rule) -> str:
    return ", ".join(rule)


def _usable(rule, usable) -> bool:
    from matching import inputs

    # columns the run fills in itself (the movers' keys) are usable on every feed
    return all(c in usable or c in inputs.DERIVED_COLUMNS for c in rule)


FLAGS_DIR: Path | None = None  # --flags: keep each true pair's rule flags (parquet)


def _summarise(flags, pairs: dict, current: list[str], before: list[str], kind: str) -> dict:
    """Per rule and per rule set: true pairs found, found by no other rule in use, recall."""
    if FLAGS_DIR:
        flags.to_parquet(FLAGS_DIR / f"flags_{kind}.parquet")
        (FLAGS_DIR / f"pairs_{kind}.json").write_text(json.dumps(pairs))
    for name in pairs:
        if name not in flags:
            flags[name] = False

    def recall(names, by_source=False):
        hit = flags[names].any(axis=1)
        if by_source:
            return {s: round(float(hit[flags.source == s].mean()), 5)
                    for s in sorted(flags.source.unique())}
        return float(hit.mean()) if len(flags) else 1.0

    out = {"true_pairs": len(flags), "rules": {}, "sets": {}}
    for name, n in pairs.items():  # kyr_anchor's estimate is an upper bound: set aside
        others = [c for c in current if c not in (name, ANCHOR)]
        out["rules"][name] = {
            "pairs": n, "in_use": name in current, "true_pairs_found": int(flags[name].sum()),
            "found_by_no_other_current_rule": int((flags[name] & ~flags[others].any(axis=1)).sum())}
    out["without"] = {n: round(recall([c for c in current if c != n]), 6) for n in current}
    sets = [("before (statewide / block-wide name rules)", before), ("in use", current)]
    if ANCHOR in current:
        sets = [(f"{label}, kyr_anchor aside", [n for n in names if n != ANCHOR])
                for label, names in sets] + [
                (f"{label}, with kyr_anchor (upper bound)", names) for label, names in sets]
    for label, names in sets:
        out["sets"][label] = {"recall": round(recall(names), 6),
                              "by_source": recall(names, True),
                              "pairs_equi_join_sum": sum(pairs[n] for n in names)}
    return out


def measure_seed(con, ws, movers: set | None = None) -> dict:
    from matching import blocking

    kyr = ws.kyr
    alts = [blocking._alternatives(e) for e in blocking.SEED_PREDICTION_RULES]
    # a guarded rule ("!district_std": only for feeds without districts) is left out
    rules = [r for r in dict.fromkeys([*(r for a in alts for r in a), *SEED_CANDIDATES])
             if "kyr_anchor" not in r and not any(c.startswith("!") for c in r)]
    pairs = dict.fromkeys(map(_name, rules), 0)
    flags = []
    for f in ws.linked:
        usable = set(kyr.usable) & set(f.usable)
        mine = [r for r in rules if _usable(r, usable)]
        for r in mine:  # equi-join size: sum over keys of (department rows x KYR rows)
            keys, nn = _name(r), " AND ".join(f"{c} IS NOT NULL" for c in r)
            pairs[_name(r)] += int(con.execute(f"""
                SELECT coalesce(sum(d.n * k.n), 0) FROM
                  (SELECT {keys}, count(*) n FROM {f.table} WHERE {nn} GROUP BY ALL) d
                  JOIN (SELECT {keys}, count(*) n FROM {kyr.table} WHERE {nn} GROUP BY ALL) k
                  ON {_cond(r)}""").fetchone()[0])
        cols = ", ".join(f"coalesce({_cond(r)}, false) AS r{i}" for i, r in enumerate(mine))
        df = con.execute(f"""
            SELECT t.person AS _person, {cols} FROM truth_df t
            JOIN {f.table} d ON d.unique_id = t.source_record_id
            JOIN {kyr.table} k ON k.unique_id = t.true_token
            WHERE t.source = '{f.feed}' AND t.true_token IS NOT NULL""").df()
        df.columns = ["_person", *(_name(r) for r in mine)]
        df["source"] = f.feed
        flags.append(df)
    import pandas as pd

    allf = pd.concat(flags, ignore_index=True)
    person = allf.pop("_person")
    allf = allf.fillna(False)
    # the rules in use on a state whose feeds carry districts (every generated feed)
    current = [_name(a[0]) for a in alts
               if "kyr_anchor" not in a[0] and not any(c.startswith("!") for c in a[0])]
    out = _summarise(allf, pairs, current, [_name(r) for r in SEED_BEFORE], "seed")
    if movers:  # issue 17: residents who moved after the department listed them
        moved = person.isin(movers).to_numpy()
        mover_rules = [_name(r) for r in (*blocking.MOVER_SEED_RULES,
                                          *blocking.MOVER_MORE_SEED_RULES)]
        without = [c for c in current if c not in mover_rules]
        out["movers"] = {
            "true_pairs": int(moved.sum()),
            "recall_with_mover_rules": round(float(allf.loc[moved, current].any(axis=1)
                                                   .mean()), 6),
            "recall_without": round(float(allf.loc[moved, without].any(axis=1).mean()), 6),
            "mover_rule_pairs": sum(pairs.get(n, 0) for n in mover_rules)}
    return out


# kyr_anchor is filled in by seeding: its best estimate here is "both records' person
# has a UID in KYR" (seeding finds 98-99% of them on the tuning profile), an upper bound
ANCHOR = "kyr_anchor (upper bound: both records' person in KYR)"


def measure_dedupe(con, ws) -> dict:
    from matching import blocking

    alts = [blocking._alternatives(e) for e in blocking.DEDUPE_PREDICTION_RULES]
    rules = [r for r in dict.fromkeys([*(r for a in alts for r in a), *DEDUPE_CANDIDATES])
             if "kyr_anchor" not in r]
    usable = set().union(*(f.usable for f in ws.linked))
    rules = [r for r in rules if _usable(r, usable)]
    con.execute("CREATE OR REPLACE TEMP TABLE dd AS " + " UNION ALL ".join(
        f"SELECT '{f.feed}' AS src, * FROM {f.table}" for f in ws.linked))
    pairs = {}
    for r in rules:  # link_and_dedupe: every unordered pair of records, any feeds
        keys, nn = _name(r), " AND ".join(f"{c} IS NOT NULL" for c in r)
        pairs[_name(r)] = int(con.execute(
            f"SELECT coalesce(sum(n * (n - 1) / 2), 0) FROM "
            f"(SELECT {keys}, count(*) n FROM dd WHERE {nn} GROUP BY ALL)").fetchone()[0])
    cols = ", ".join(f"coalesce({_cond(r, 'a', 'b')}, false) AS r{i}"
                     for i, r in enumerate(rules))
    df = con.execute(f"""
        WITH t AS (SELECT source, source_record_id, person, true_token FROM truth_df
                   WHERE NOT person LIKE 'ghost:%')
        SELECT t1.source AS source, coalesce(t1.true_token = t2.true_token, false) AS anchor,
               {cols} FROM t t1
        JOIN t t2 ON t1.source = t2.source AND t1.person = t2.person
                 AND t1.source_record_id < t2.source_record_id
        JOIN dd a ON a.src = t1.source AND a.unique_id = t1.source_record_id
        JOIN dd b ON b.src = t2.source AND b.unique_id = t2.source_record_id""").df()
    df.columns = ["source", ANCHOR, *map(_name, rules)]
    pairs[ANCHOR] = 0  # not an equi-join on ingested columns: its pairs are not measured
    current = [ANCHOR, *(_name(a[0]) for a in alts
                         if "kyr_anchor" not in a[0] and _usable(a[0], usable))]
    return _summarise(df, pairs, current,
                      [ANCHOR, *(_name(r) for r in DEDUPE_BEFORE if _usable(r, usable))], "dedupe")


def measure(home: Path, truth: Path, union: bool = False) -> dict:
    from core.paths import Home
    from matching import blocking
    from matching.evaluate import load_movers, load_truth, vault_token_fn
    from matching.pipeline import open_inputs
    from matching.settings import load_settings

    h = Home.at(home)
    ws = open_inputs(h.warehouse, load_settings())
    con = ws.con
    con.register("truth_df", load_truth(truth, vault_token_fn(h)))
    out = {"residents_kyr": ws.kyr.rows, "seed": measure_seed(con, ws, load_movers(truth)),
           "dedupe": measure_dedupe(con, ws)}
    if union:
        t0 = time.time()
        total = 0
        for f in ws.linked:
            usable = set(ws.kyr.usable) & set(f.usable)
            sel = " UNION ".join(
                f"SELECT d.unique_id a, k.unique_id b FROM {f.table} d JOIN {ws.kyr.table} k "
                f"ON {_cond(r)}" for r in blocking.chosen(blocking.SEED_PREDICTION_RULES, usable))
            total += con.execute(f"SELECT count(*) FROM ({sel})").fetchone()[0]
        out["seed"]["pairs_union_current"] = int(total)
        out["union_seconds"] = round(time.time() - t0, 1)
    con.close()
    return out


def _rows(res: dict, smaller: dict | None) -> list[dict]:
    rows = []
    for kind in ("seed", "dedupe"):
        small = (smaller or {}).get(kind, {}).get("rules", {})
        for name, r in res[kind]["rules"].items():
            row = {"kind": kind, "rule": name, "in use": "yes" if r["in_use"] else "-",
                   "pairs": f"{r['pairs']:,}" if name != ANCHOR else "(by seeding)"}
            if smaller:
                s = small.get(name, {}).get("pairs")
                row[f"pairs at {smaller['residents_kyr']:,}"] = f"{s:,}" if s else ""
                row["growth"] = f"x{r['pairs'] / s:.1f}" if s else ""
            row["true pairs found"] = f"{r['true_pairs_found']:,}"
            row["found by no other rule in use (kyr_anchor aside)"] = \
                r["found_by_no_other_current_rule"]
            rows.append(row)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", required=True)
    ap.add_argument("--truth", required=True, help="the generator's truth folder")
    ap.add_argument("--union", action="store_true", help="also count distinct seeding pairs")
    ap.add_argument("--smaller", help="this script's JSON from a smaller state (growth)")
    ap.add_argument("--flags", help="a folder to keep each true pair's rule flags in")
    ap.add_argument("--out", default=str(HERE / "results" / "blocking.json"))
    args = ap.parse_args()
    if args.flags:
        global FLAGS_DIR
        FLAGS_DIR = Path(args.flags)
        FLAGS_DIR.mkdir(parents=True, exist_ok=True)
    res = measure(Path(args.home), Path(args.truth), args.union)
    smaller = json.loads(Path(args.smaller).read_text()) if args.smaller else None
    import os
    import platform

    res["title"] = ("Blocking: pairs per rule and blocking recall, seeding and dedupe "
                    f"({res['residents_kyr']:,} KYR residents, tuning profile)")
    res["machine"] = f"{platform.machine()}, {os.cpu_count()} cores"
    res["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    res["rows"] = _rows(res, smaller)
    what = {"seed": "true department -> KYR pairs", "dedupe": "true within-source duplicate pairs"}
    res["notes"] = [f"{kind}, {label}: blocking recall {100 * v['recall']:.3f}% of "
                    f"{res[kind]['true_pairs']:,} {what[kind]}, sum of rule pairs "
                    f"{v['pairs_equi_join_sum']:,}; by source "
                    + ", ".join(f"{k} {100 * x:.2f}%" for k, x in v["by_source"].items())
                    for kind in ("seed", "dedupe") for label, v in res[kind]["sets"].items()]
    res["notes"].append("Pairs: the equi-join size of each rule (seeding: department records x "
                        "KYR rows, summed over the linked feeds; dedupe: record pairs of all "
                        "linked feeds together, as Splink's link_and_dedupe scores them). "
                        "Rules on feeds that carry districts (every generated feed).")
    res["notes"].append("Measured on the tuning profile only (the field profile is scored, "
                        "never used to choose a rule); matching/README.md, 'Blocking'.")
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    for note in res["notes"]:
        print(note)
    for row in res["rows"]:
        print("  ".join(str(v) for v in row.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
