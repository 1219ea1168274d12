"""`srdh calllist` end to end on a generated + ingested state (dbt models built)."""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

MASK = re.compile(r"^XXXX XXXX \d{4}$")


def _calllist(home, date, size, seed=3, *extra):
    # in-process (the CLI itself): dbt-duckdb in this process keeps the warehouse open,
    # so another process could not take DuckDB's file lock
    from typer.testing import CliRunner

    from srdh.cli import app

    res = CliRunner().invoke(app, ["calllist", "--date", date, "--size", str(size),
                                   "--seed", str(seed), "--home", str(home), *extra])
    assert res.exit_code == 0, (res.output, res.exception)
    path = home / "deliveries" / "jansamvad" / date / "call_list.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False), path


def test_calllist_end_to_end(jansamvad_home):
    home = jansamvad_home["home"]

    # size, masked UIDs only, one row per household, script language set
    d1, p1 = _calllist(home, "2025-03-01", 40)
    assert len(d1) == 40
    assert d1.household_id.is_unique
    masked = d1.beneficiary_uid_masked[d1.beneficiary_uid_masked != ""]
    assert len(masked) > 0 and masked.map(lambda s: bool(MASK.match(s))).all()
    assert set(d1.script_language) <= {"Hindi", "Chhattisgarhi"}
    assert (d1.mobile.str.fullmatch(r"[6-9]\d{9}")).all()
    # not matched yet: households are the feeds' own (hashed: never a ration card), and
    # gaps need residents
    assert d1.household_id.str.fullmatch(r"HH-[0-9a-f]{16}").all()
    assert (d1.inclusion_gaps == "").all()
    text = p1.read_text()
    truth = pq.read_table(jansamvad_home["truth"] / "residents.parquet", columns=["uid"])
    uids = {u for u in truth.column("uid").to_pylist() if u}
    assert uids and not any(u in text for u in uids), "a raw UID leaked into the call list"
    pq_rows = pq.read_table(p1.with_suffix(".parquet")).num_rows
    assert pq_rows == 40

    # reproducible: same date and seed -> identical bytes; another date -> another list
    before = p1.read_bytes()
    _calllist(home, "2025-03-01", 40)
    assert p1.read_bytes() == before
    d_other, _ = _calllist(home, "2025-04-15", 40)
    assert set(d_other.household_id) != set(d1.household_id)

    # previous call lists count as calls: within K days nobody is called twice
    d2, _ = _calllist(home, "2025-03-05", 100000, 3, "--recent-days", "30")
    assert not set(d2.household_id) & set(d1.household_id)

    # strata coverage: every (scheme, district) stratum with eligible households gets
    # at least one call when the size allows it (min_per_stratum = 1)
    everyone, _ = _calllist(home, "2025-06-01", 100000, 9, "--recent-days", "0")
    strata = set(zip(everyone.scheme_code, everyone.district, strict=True))
    few, _ = _calllist(home, "2025-06-01", len(strata) + 3, 9, "--recent-days", "0")
    assert len(few) == len(strata) + 3
    assert set(zip(few.scheme_code, few.district, strict=True)) == strata

    # exclusions from the jansamvad_calls feed: a recent call (matched by source and
    # record id) and a do-not-call request long ago (matched by household id)
    a, b = d1.iloc[0], d1.iloc[1]
    landing = jansamvad_home["root"] / "extra_landing"
    folder = landing / "jansamvad_calls" / "2025-08-01"
    folder.mkdir(parents=True)
    pd.DataFrame([
        {"call_id": "TEST-A", "call_date": "2025-07-28", "source": a.source,
         "source_record_id": a.source_record_id, "household_id": "", "scheme_code": a.scheme_code,
         "district_name": a.district, "block_name": a.block, "outcome": "CONNECTED",
         "do_not_call": "", "agent_id": "T1"},
        {"call_id": "TEST-B", "call_date": "2024-01-05", "source": b.source,
         "source_record_id": "unknown-record", "household_id": b.household_id,
         "scheme_code": b.scheme_code, "district_name": b.district, "block_name": b.block,
         "outcome": "CONNECTED", "do_not_call": "Y", "agent_id": "T1"},
    ]).to_csv(folder / "calls.csv", index=False)
    from ingest.load import ingest

    ingest(landing, home, feeds=["jansamvad_calls"], gx=False, echo=lambda *_: None)
    d3, _ = _calllist(home, "2025-08-02", 100000, 3, "--recent-days", "10")
    assert a.household_id not in set(d3.household_id), "recently called household listed"
    assert b.household_id not in set(d3.household_id), "do-not-call household listed"
    other, _ = _calllist(home, "2025-09-30", 100000, 3, "--recent-days", "10")
    assert a.household_id in set(other.household_id)  # eligible again after K days
    assert b.household_id not in set(other.household_id)  # do-not-call is for good

    # the warehouse table holds every list written, one per date
    con = duckdb.connect(str(home / "warehouse" / "srdh.duckdb"))
    try:
        n = con.sql("select count(*) from jansamvad.call_lists "
                    "where list_date = date '2025-03-01'").fetchall()[0][0]
    finally:
        con.close()
    assert n == 40


def test_allocation_rules():
    from warehouse.calllist import allocate

    counts = {"a": 100, "b": 10, "c": 1}
    order = ["c", "b", "a"]
    prop = allocate(counts, 20, "proportional", 1, order)
    assert sum(prop.values()) == 20 and min(prop.values()) >= 1 and prop["a"] > prop["b"]
    eq = allocate(counts, 20, "equal", 1, order)
    assert eq == {"c": 1, "b": 10, "a": 9} or (sum(eq.values()) == 20 and eq["c"] == 1)
    assert allocate(counts, 2, "proportional", 1, order) == {"c": 1, "b": 1, "a": 0}
    assert sum(allocate(counts, 10**6, "proportional", 1, order).values()) == 111


@pytest.mark.parametrize("bad", ["allocation: random\n"])
def test_strata_config_rejects_unknown_allocation(tmp_path, bad):
    from warehouse.calllist import Strata

    p = tmp_path / "s.yaml"
    p.write_text(bad)
    with pytest.raises(ValueError):
        Strata.load(p)


def test_a_corrected_call_outcomes_file_supersedes_the_first(jansamvad_home, tmp_path):
    """The call centre re-sends a delivery's file with a corrected outcome (same folder,
    same name): the staging model keeps one row per call, from the file loaded last."""
    import shutil

    from core.paths import Home
    from ingest.load import ingest
    from warehouse.dbt import build

    home = tmp_path / "home"
    shutil.copytree(jansamvad_home["home"], home)
    first = sorted((jansamvad_home["landing"] / "jansamvad_calls").glob("*/*.csv"))[0]
    calls = pd.read_csv(first, dtype=str, keep_default_na=False)
    changed = calls.index[calls["outcome"] != "REFUSED"][0]
    calls.loc[changed, "outcome"] = "REFUSED"
    corrected = tmp_path / "landing" / "jansamvad_calls" / first.parent.name / first.name
    corrected.parent.mkdir(parents=True)
    calls.to_csv(corrected, index=False)
    run = ingest(tmp_path / "landing", Home.at(home), feeds=["jansamvad_calls"], gx=False,
                 echo=lambda *a: None)
    assert [b.rows_loaded for b in run.batches] == [len(calls)]
    build(home, select=["stg_raw__jansamvad_calls"])  # its unique test on call_id included
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        n, ids, outcome = con.execute(
            "SELECT count(*), count(DISTINCT call_id), "
            "max(outcome) FILTER (WHERE call_id = ?) FROM staging.stg_raw__jansamvad_calls",
            [calls.loc[changed, "call_id"]]).fetchall()[0]
        # other tests may have added deliveries to the shared home: count what raw holds
        in_raw = con.execute("SELECT count(DISTINCT call_id) FROM raw.jansamvad_calls"
                             ).fetchall()[0][0]
    finally:
        con.close()
    assert n == ids == in_raw >= calls["call_id"].nunique() and outcome == "REFUSED"


GAP = re.compile(r"^[A-Z][a-z]*( [A-Z][a-z]*)* \(\d+\) may be eligible for (.+ \(([A-Z_]+)\)|[a-z_]+)$")


def test_call_list_rows_carry_the_households_inclusion_gaps_in_words(built_state):
    """`srdh run` on the generated state: each row's inclusion_gaps are the household's
    confirmed gaps in mart_inclusion_gaps (a to_verify gap is the department's to check),
    one sentence per rule and member, with no identifier."""
    from ingest.uid_scan import scan_text

    home = built_state["home"]
    path = home / "deliveries" / "jansamvad" / built_state["run_date"] / "call_list.csv"
    calls = pd.read_csv(path, dtype=str, keep_default_na=False)
    con = duckdb.connect(str(home / "warehouse" / "srdh.duckdb"), read_only=True)
    try:
        gaps = con.sql("select household_id, list(suggested_scheme_code) as codes "
                       "from marts.mart_inclusion_gaps where certainty = 'confirmed' "
                       "group by household_id").df()
    finally:
        con.close()
    by_household = dict(zip(gaps.household_id, gaps.codes, strict=True))
    with_gaps = calls[calls.inclusion_gaps != ""]
    assert 0 < len(with_gaps) < len(calls)
    for hh, text in zip(calls.household_id, calls.inclusion_gaps, strict=True):
        sentences = text.split("; ") if text else []
        codes = sorted(by_household.get(hh, []))
        assert len(sentences) == len(codes), (hh, text, codes)
        said = []
        for sentence in sentences:
            m = GAP.match(sentence)
            assert m, sentence
            said.append(m.group(3) or m.group(2).upper())
            assert not scan_text(sentence) and not re.search(r"\d{5,}", sentence), sentence
        assert sorted(said) == codes
    assert any("Old Age Pension (IGNOAPS)" in t for t in with_gaps.inclusion_gaps)


def test_a_raw_uid_in_the_call_list_stops_it_before_it_is_written(tmp_path):
    """The call list is scanned with ingest.uid_scan's rules before it lands: a UID typed
    into a name is refused, and the message shows only its last four digits."""
    import pyarrow as pa

    from core.paths import Home
    from core.uid import verhoeff_check_digit
    from ingest.uid_scan import UidLeak
    from warehouse.calllist import _refuse_raw_uids

    uid = "23456789012" + str(verhoeff_check_digit("23456789012"))
    home = Home.at(tmp_path / "home")
    ok = pa.table({"household_id": ["HH-0123456789abcdef"], "beneficiary_name": ["RAM BAI"],
                   "mobile": ["9876543210"]})
    _refuse_raw_uids(home, ok, "call list")
    bad = pa.table({"household_id": ["HH-1"], "beneficiary_name": [f"RAM BAI {uid}"],
                    "mobile": ["9876543210"]})
    with pytest.raises(UidLeak) as err:
        _refuse_raw_uids(home, bad, "call list")
    assert uid not in str(err.value) and uid[-4:] in str(err.value)
    assert "beneficiary_name" in str(err.value)
