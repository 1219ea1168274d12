"""Public benchmarks through the real pipeline: FEBRL4 (linkage) and FEBRL3 (deduplication).

    uv run --group bench python benchmarks/bench_febrl.py [--work DIR]
    uv run --group bench python benchmarks/bench_febrl.py --dataset febrl2   # dev data
    uv run --group bench python benchmarks/bench_febrl.py --dataset febrl2-link [--work DIR]

Each dataset goes landing CSV -> `srdh ingest` -> `srdh match` -> `srdh evaluate` in a
fresh home, with default settings (nothing tuned on FEBRL). The landing is written by
``febrl_landing.py``, the only FEBRL-specific code (it maps fields to the contract's
columns; no matching logic). Beside it, the Splink quickstart for the same dataset
(Splink's own example settings, on FEBRL's own columns, soc_sec_id and postcode
included, which the feed contract does not carry), scored at match probability 0.99.

Writes ``benchmarks/results/febrl.json`` (rendered into BENCHMARKS.md).
``--dataset febrl1-link`` / ``febrl2-link`` runs a linkage DEVELOPMENT set instead
(FEBRL1/2's originals as ``uid_kyr``, their duplicates as ``sw_pension``; not reported,
so its misses may be read and tuned on: keep the home with ``--work``) and only prints
its metrics.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import febrl_landing  # noqa: E402

RESULTS = HERE / "results"
THRESHOLD = 0.99  # the quickstart's own cut for its clusters


def _srdh(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SRDH_HOME": str(home), "SRDH_GX": "0"}
    cmd = [str(Path(sys.executable).parent / "srdh"), *args]
    print("  $ srdh " + " ".join(args), flush=True)
    return subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)


def _quarantined(home: Path) -> dict[str, int]:
    import duckdb

    from core.paths import Home

    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        rows = con.execute("SELECT feed, sum(rows_quarantined) FROM meta.batches "
                           "GROUP BY feed ORDER BY feed").fetchall()
    except duckdb.Error:
        rows = []
    finally:
        con.close()
    return {f: int(n) for f, n in rows}


def run_srdh(name: str, write, work: Path) -> dict:
    landing, truth, home = work / name / "landing", work / name / "truth", work / name / "home"
    shutil.rmtree(work / name, ignore_errors=True)
    sizes = write(landing, truth)
    _srdh("vault", "init-key", "--home", str(home), home=home)
    t0 = time.perf_counter()
    _srdh("ingest", "--landing", str(landing), "--home", str(home), "--no-gx", home=home)
    _srdh("match", "--home", str(home), "--run-date", "2025-01-02", home=home)
    seconds = time.perf_counter() - t0
    _srdh("evaluate", "--home", str(home), "--truth", str(truth), "--no-baselines", home=home)
    ev = json.loads((home / "reports" / "evaluation.json").read_text())
    m = ev["systems"]["srdh"]["sw_pension"]
    return {"sizes": sizes, "quarantined": _quarantined(home), "seconds": round(seconds, 1),
            "metrics": m, "dedupe_model": _dedupe_meta(home)}


def _dedupe_meta(home: Path) -> dict:
    """The home-trained dedupe model's metadata (its estimated prior: matching/README.md)."""
    current = home / "models" / "current"
    path = home / "models" / current.read_text().strip() / "dedupe.json" \
        if current.exists() else None
    if path is None or not path.exists():
        return {}
    meta = json.loads(path.read_text()).get("srdh", {})
    keys = ("prior_weight_estimated", "u_corrected", "m_learnt_on_random_pairs")
    return {k: meta[k] for k in keys if k in meta}


# ------------------------------------------------------------- Splink quickstart
def _prepared(name: str):
    df = febrl_landing.read_febrl(name)
    df["cluster"] = df["rec_id"].str.extract(r"^(rec-\d+)", expand=False)
    return df.replace({"": None})


def quickstart_febrl4() -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    a, b = _prepared("dataset4a"), _prepared("dataset4b")
    rules = [block_on("given_name", "surname"),
             "l.given_name = r.surname and l.surname = r.given_name",
             block_on("date_of_birth"), block_on("soc_sec_id"), block_on("state", "address_1"),
             block_on("street_number", "address_1"), block_on("postcode")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="link_only",
        blocking_rules_to_generate_predictions=rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d", invalid_dates_as_null=True),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True)])
    db = DuckDBAPI()
    linker = Linker([db.register(a), db.register(b)], settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")],
        recall=0.8)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("date_of_birth"), estimate_without_term_frequencies=True)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("postcode"), estimate_without_term_frequencies=True)
    pred = linker.inference.predict(threshold_match_probability=THRESHOLD).as_pandas_dataframe()
    cl_ = lambda s: s.str.extract(r"^(rec-\d+)", expand=False)  # noqa: E731
    tp = int((cl_(pred["rec_id_l"]) == cl_(pred["rec_id_r"])).sum())
    return {"pairs_predicted": len(pred), "pairs_true": len(b), "pairs_correct": tp,
            "precision": tp / len(pred) if len(pred) else 1.0, "recall": tp / len(b)}


def quickstart_febrl3() -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from matching.evaluate import duplicate_metrics

    df = _prepared("dataset3")
    settings = SettingsCreator(
        unique_id_column_name="rec_id", link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("soc_sec_id"), block_on("given_name"), block_on("surname"),
            block_on("date_of_birth"), block_on("postcode")],
        comparisons=[
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True,
                                     datetime_format="%Y%m%d"),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True)])
    linker = Linker(DuckDBAPI().register(df), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth"),
         "l.given_name = r.surname and l.surname = r.given_name "
         "and l.date_of_birth = r.date_of_birth"], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    pred = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        pred, threshold_match_probability=THRESHOLD).as_pandas_dataframe()
    clusters = clusters.rename(columns={"cluster_id": "resident_id"})
    clusters["person"] = clusters["rec_id"].str.extract(r"^(rec-\d+)", expand=False)
    return duplicate_metrics(clusters)


# ------------------------------------------------- development files (not reported)
DEV_DATASETS = ("febrl1", "febrl2")


def run_dev(name: str, work: Path) -> int:
    """FEBRL1 or FEBRL2 deduplicated like FEBRL3, for development: FEBRL3 is only scored."""
    dataset = name.replace("febrl", "dataset")
    r = run_srdh(name, lambda landing, truth: febrl_landing.write_dedupe(dataset, landing,
                                                                          truth), work)
    m = r["metrics"]
    print(json.dumps({"dataset": name, "sizes": r["sizes"], "quarantined": r["quarantined"],
                      "seconds": r["seconds"],
                      **{k: m[k] for k in ("duplicate_precision", "duplicate_recall",
                                           "duplicate_f1")}}, indent=1))
    (work / f"{name}.json").write_text(json.dumps(r, indent=2, default=str) + "\n")
    return 0


# ------------------------------------------------------ development sets (not reported)
DEV_SETS = {"febrl1-link": "dataset1", "febrl2-link": "dataset2"}


def dev_set(name: str, work: Path) -> int:
    write = functools.partial(febrl_landing.write_febrl_link, DEV_SETS[name])
    r = run_srdh(name, write, work)
    m = r["metrics"]
    keys = ("precision", "recall", "review_share", "unmatched_share", "expected_precision")
    print(json.dumps({"dataset": name, "home": str(work / name / "home"), "sizes": r["sizes"],
                      "quarantined": r["quarantined"], "seconds": r["seconds"],
                      **{k: m[k] for k in keys if k in m}}, indent=2, default=str))
    return 0


# ---------------------------------------------------------------------- report
def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temp dir)")
    ap.add_argument("--dataset", choices=(*DEV_DATASETS, *DEV_SETS), default=None,
                    help="only this development file, not reported: febrl1/febrl2 "
                         "deduplicated like FEBRL3, febrl1-link/febrl2-link linked like "
                         "FEBRL4; prints its figures, writes no result")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="srdh-febrl-"))
    if args.dataset in DEV_SETS:
        return dev_set(args.dataset, work)
    if args.dataset:
        return run_dev(args.dataset, work)
    f4 = run_srdh("febrl4", febrl_landing.write_febrl4, work)
    f3 = run_srdh("febrl3", febrl_landing.write_febrl3, work)
    q4, q3 = quickstart_febrl4(), quickstart_febrl3()
    m4, m3 = f4["metrics"], f3["metrics"]
    rows = [
        {"dataset": "FEBRL4 link (4a as uid_kyr, 4b as sw_pension)", "system": "SRDH, defaults",
         "precision": _pct(m4["precision"]), "recall": _pct(m4["recall"]),
         "duplicate F1": "-", "rows quarantined": f4["quarantined"],
         "ingest+match s": f4["seconds"]},
        {"dataset": "FEBRL4", "system": "Splink quickstart (pairs, p >= 0.99)",
         "precision": _pct(q4["precision"]), "recall": _pct(q4["recall"]),
         "duplicate F1": "-", "rows quarantined": "-", "ingest+match s": "-"},
        {"dataset": "FEBRL3 dedupe (as sw_pension, no KYR)", "system": "SRDH, defaults",
         "precision": _pct(m3["duplicate_precision"]), "recall": _pct(m3["duplicate_recall"]),
         "duplicate F1": f"{m3['duplicate_f1']:.3f}", "rows quarantined": f3["quarantined"],
         "ingest+match s": f3["seconds"]},
        {"dataset": "FEBRL3", "system": "Splink quickstart (clusters, p >= 0.99)",
         "precision": _pct(q3["duplicate_precision"]), "recall": _pct(q3["duplicate_recall"]),
         "duplicate F1": f"{q3['duplicate_f1']:.3f}", "rows quarantined": "-",
         "ingest+match s": "-"},
    ]
    out = {
        "title": "Public benchmarks: FEBRL through the real pipeline",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}",
        "measured_at": time.strftime("%Y-%m-%d"),
        "rows": rows,
        "notes": [
            "Targets (issue 17): FEBRL4 precision >= 99.5% and recall >= 99% at default "
            "settings; FEBRL3 duplicate F1 >= 0.95.",
            "SRDH rows: FEBRL's files converted to the feed contract by "
            "benchmarks/febrl_landing.py (FEBRL fields in their contract columns, constants "
            "for required columns FEBRL lacks: gender, district, block, scheme), then "
            "`srdh ingest`, `srdh match` and `srdh evaluate` in a fresh home. Precision and "
            "recall are over the records that loaded; rows missing a required value "
            "(suburb, name, a valid date of birth) are quarantined by the contract and "
            "counted apart.",
            "Since the home-trained default (issue 17), the fresh home trains its own models "
            "on the FEBRL file on its first `srdh match` (no committed model is used). "
            "FEBRL3's duplicates are dense (about 5 in 10,000 of all record pairs, against "
            "well under 1 in 1,000,000 in a state's list): u estimated by random sampling "
            "counted the true duplicates and the fixed dedupe prior (-14 bits) left most "
            "pairs below the 0.99 join threshold (duplicate F1 0.010). The dedupe model now "
            "estimates its prior on the home's own data (one EM session over random pairs, "
            "m fixed, lambda and u free; matching/README.md, 'Dedupe prior on dense "
            f"lists'): on FEBRL3 {f3.get('dedupe_model', {}).get('prior_weight_estimated')} "
            "bits, u corrected. Developed on FEBRL1/2 only (`--dataset febrl1|febrl2`); "
            "FEBRL3 is scored, never inspected.",
            "Issue 17, keep the evidence: FEBRL resolves no place, so until this change its "
            "records matched on name and date of birth alone. Now the village as spelled "
            "(std.place_text / place_key) is compared in the seeding model where a side has "
            "no village code, and blocks where no codes exist; seeding u is corrected for "
            "the matches among random pairs (1 in 5,000 pairs here); the exact date of "
            "birth's m is learned. FEBRL4, scored once at the end: recall 67.7% -> "
            "97.9%, precision 99.98% (six fresh homes gave 92.3-93.7%: same m, but the u "
            "sample differs between homes, whose record ids are tokens of their own key, and "
            "the correction for matches amplifies that noise); the contract gives a pension "
            "record no address line, "
            "locality or PIN code, which the quickstart's 99.1% leans on. "
            "Developed on FEBRL1/FEBRL2 linkage sets only "
            "(`--dataset febrl1-link|febrl2-link`; recall 0.0% -> 91.8% and 36.1% -> 90.6%, "
            "precision 100%; matching/README.md). Generator tuning profile, 50k, fresh "
            "homes, before -> after (main before the dedupe prior, which leaves these "
            "states unchanged), precision / recall: seed 7 crs_death 99.76/96.05 -> "
            "99.76/96.20, edu_scholarship 99.79/99.65 -> 99.79/99.65, food_pds 99.78/98.93 "
            "-> 99.78/98.95, rd_mgnrega 99.63/98.05 -> 99.63/98.05, sw_pension 99.81/98.91 "
            "-> 99.81/98.99; seed 11 crs_death 99.85/96.15 -> 99.85/96.52, edu_scholarship "
            "99.81/99.48 -> 99.81/99.50, food_pds 99.70/98.80 -> 99.71/98.81, rd_mgnrega "
            "99.68/97.81 -> 99.65/97.93, sw_pension 99.80/98.83 -> 99.79/98.81.",
            "Issue 17, lists where nearly every record has its KYR row: the seeding prior "
            "'none of the candidates' now follows the KYR's size (log2(n_kyr (1 - r) / r) + "
            "1 bit, uncapped: 5.7 bits for 500 KYR rows, 16.6 at 1M), and three "
            "seeding rules are added (name + place as spelled where no village code "
            "resolves; the full date of birth alone and first + last name alone where feeds "
            "carry no district or block; matching/README.md, 'FEBRL linkage development "
            "sets'). Developed on FEBRL1/2-link only: recall 91.8% -> 98.1% and 90.6% -> "
            "94.8%, precision 100%. Generator tuning profile, 50k, fresh homes, seeds 7 and "
            "11, before -> after: every source's precision, recall, review share and "
            "duplicate F1 identical.",
            "Issue 17, session 11 (matching/README.md, 'Dense lists and typed variants'): "
            "a dense list's dedupe model keeps no term-frequency adjustment (a rare name's "
            "frequency was its own copies: 7.9 bits for an exact name instead of 15.6); "
            "birth level 'day and month swapped' and name level 'the same letters spaced "
            "differently' (fixed m 0.01 each); dedupe blocking on one name token + place as "
            "spelled where no village code resolved. Developed on FEBRL1/2 only: duplicate "
            "F1 0.936 -> 0.951 and 0.901 -> 0.935 (precision 1.0); FEBRL1/2-link recall "
            "98.1% -> 98.1% and 93.8% -> 93.9% (precision 100%). Generator tuning profile, "
            "50k, seed 7: seeding precision and duplicate figures unchanged on every source, "
            "recall crs_death 96.81 -> 96.89, food_pds 99.05 -> 99.07.",
            "Issue 17, session 12 (matching/README.md, 'Session 12: copies listed several "
            "times, spacing, a surname alone'): the converter maps FEBRL's postcode to KYR's "
            "pc (nothing compares it: the pension layout has no PIN column); a place's "
            "phonetic key ignores spacing (north ryde / northryde); a seeding rule on first "
            "name + place as spelled where no village code resolved; a copy keeps its UID "
            "through a chain of dedupe edges to the best copy; a one-word name that is the "
            "other's surname is 'surname only' evidence. Developed on FEBRL1/2 only: "
            "FEBRL1/2-link recall 98.1% -> 98.5% and 94.1% -> 94.9% (precision 100%), "
            "FEBRL1/2 dedupe F1 0.951 -> 0.957 and 0.935 -> 0.942 (precision 1.0). "
            "Generator tuning profile, 50k, seed 7, fresh homes, before -> after: recall "
            "unchanged or up on every source (food_pds 99.12 -> 99.13, rd_mgnrega 98.81 -> "
            "98.83), seeding precision crs_death 100.0 -> 99.84, sw_pension 99.88 -> 99.85, "
            "rd_mgnrega 99.51 -> 99.50, food_pds 99.81 -> 99.82 (records at the auto "
            "threshold's edge: the same evidence, weights moved by 0.1 bit on retraining), "
            "duplicate figures unchanged.",
            "Issue 17, session 13 (matching/README.md, 'Replaced dates of birth'): the "
            "seeding birth level 'else' (birth years more than ten apart, a fixed -11.4 "
            "bits) gets its m counted on the home's own data: the records whose name-and-"
            "place cell in KYR holds only another date, less what KYR's own namesakes "
            "explain, never below the prior; the share is spread over the birth levels as a "
            "random date falls in them. Developed on FEBRL1/2-link only: m 0.027 / 0.038, "
            "recall 98.5% -> 99.2% and 95.2% -> 95.2% (copies listed several times now seed "
            "but lose their UID conflict: birth years apart), precision 100%. Generator "
            "tuning profile, 50k, seeds 7 and 11: the prior is kept on every source (the "
            "namesakes explain ten times the records counted) and every figure is unchanged. "
            "FEBRL4 scored once at the end: recall 97.8% -> 97.9%, precision 100%; FEBRL3 "
            "unchanged. After review (namesakes expected over every datable record, at "
            "the upper bound of KYR's share; equality joins on name and place): m 0.018 / "
            "0.036 on FEBRL1/2-link, recall unchanged (99.2%, 95.2%). Session 14 (learned "
            "birth levels bounded; the spread leaves learned levels alone), FEBRL3/4 scored "
            "once on the final code: FEBRL4 recall 97.9%, precision 100%; FEBRL3 duplicate "
            "F1 0.947 (unchanged). FEBRL1/2-link with the old and new spread: identical "
            "precision and recall (independent review).",
            "Issue 17, session 15 (matching/README.md, 'Copies with a replaced date: the "
            "birth-gap veto'): two records of one source with birth years more than 4 apart "
            "are no longer two people for certain where the home measured the source's "
            "dates to be replaced beyond noise (seeding: two copies seeded to one UID; a "
            "dense list's dedupe model, in a run priced dense: any pair); such a pair is "
            "kept on its own probability only, and a chain through a third record lifts "
            "nothing (independent review). Developed on FEBRL1/2 only: FEBRL2-link recall "
            "95.2% -> 96.8% (97.4% before the review's guards), FEBRL1-link 99.2% "
            "unchanged, precision 100%; FEBRL1/2 dedupe F1 0.957 -> 0.972 and 0.942 -> "
            "0.947 (precision 1.0). Generator tuning profile, 50k, seed 7: every source's "
            "seeding and duplicate figures identical. FEBRL3/4 scored on the final code: "
            "FEBRL3 duplicate F1 0.947 -> 0.968 (recall 90.3% -> 94.2%, precision 99.6%); "
            "FEBRL4 unchanged, recall 97.9%, precision 99.98% (4,691 of 4,692 seeds). A "
            "count of replaced villages and first names (FEBRL4 98.3%) was reverted after "
            "review (matching/README.md, 'A replaced village or first name, counted').",
            "Issue 17, session 17 (matching/README.md, 'The date and two more fields "
            "changed: a typo key'): a seeding rule on the first two letters of the "
            "first-name, surname and place phonetic keys together, for feeds without "
            "village codes (in the district where feeds carry one), for a record whose "
            "date was replaced and two of first name, surname and place misspelt. "
            "Developed on FEBRL1/2-link only: recall 99.16% -> 99.58% and 96.79% -> "
            "96.69% (a copy listed twice loses its UID conflict; two records at p 0.58 "
            "wait for review as the label-free threshold rose), precision 100%. Generator "
            "tuning profile 100k seed 7, same home: every figure identical (the rule is "
            "not used there: four sources carry village codes, edu_scholarship no place). "
            "Scored once at the end: FEBRL4 recall "
            f"{_pct(m4['recall'])}, precision {_pct(m4['precision'])}; FEBRL3 duplicate F1 "
            f"{m3['duplicate_f1']:.3f}.",
            "The Splink quickstart uses FEBRL's own columns, including soc_sec_id and "
            "postcode, which the feed contract does not carry; it is a reference, not "
            "a like-for-like baseline.",
        ],
        "raw": {"febrl4": f4, "febrl3": f3, "quickstart_febrl4": q4, "quickstart_febrl3": q3},
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "febrl.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    for r in rows:
        print(r)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
