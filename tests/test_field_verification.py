"""Field verification flows back (feed ``field_verification``, docs/feeds.md).

On the synthetic warehouse (tests/dbt_helpers.py), with the real ingest and `dbt build`:
a flag found ``not_confirmed`` in the field is not raised on the rerun; once its evidence
changes it is raised again; one ``confirmed`` in the field counts in rupees at risk; and a
``wrong_match`` becomes the review loop's non_match decisions (matching/review.py).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from dbt_helpers import AS_OF, build_synthetic_warehouse
from home_helpers import ensure_key, ingest

pytestmark = pytest.mark.slow

SELECT = ["+mart_enrolment_flags", "+mart_scheme_leakage"]  # once the register is built
HEADER = "verification_id,flag_id,evidence_hash,outcome,verified_by,verified_at,remarks\n"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from core.paths import Home

    h = Home.at(tmp_path_factory.mktemp("field_verification"))
    build_synthetic_warehouse(h.warehouse, residents=800)
    ensure_key(h.root)
    from warehouse.dbt import REGISTER_SELECTION, build

    build(h, select=REGISTER_SELECTION, vars={"srdh_as_of_date": AS_OF})
    return h


def _build(h) -> None:
    from warehouse.dbt import build

    build(h, select=SELECT, vars={"srdh_as_of_date": AS_OF})


def _q(h, sql: str, params=()):
    con = duckdb.connect(str(h.warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _deliver_checks(h, day: str, rows: list[str]) -> None:
    """The real ingest of a delivery, in a home of its own (the synthetic warehouse has no
    ingest bookkeeping); its std.field_verification is then copied over."""
    scratch = ensure_key(h.root / "ingest_home")
    landing = h.root / "landing_fv"
    folder = landing / "field_verification" / day
    folder.mkdir(parents=True)
    (folder / "checks.csv").write_text(HEADER + "".join(r + "\n" for r in rows),
                                       encoding="utf-8")
    proc = ingest(landing, scratch)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    con = duckdb.connect(str(h.warehouse))
    try:
        con.execute(f"attach '{scratch / 'warehouse' / 'srdh.duckdb'}' as fv (read_only)")
        con.execute("create or replace table std.field_verification as "
                    "select * from fv.std.field_verification")
    finally:
        con.close()


def _flag(h, flag_id: str):
    return _q(h, "select certainty, certainty_basis, evidence_hash, reason "
                 "from marts.mart_enrolment_flags where flag_id = ?", [flag_id])


def _list_ghost_elsewhere(h, record: str, source: str, rid: str) -> None:
    """A record of another source joins the ghost's resident (new evidence for it)."""
    con = duckdb.connect(str(h.warehouse))
    try:
        res = con.execute("select resident_id from matching.residents where source = "
                          "'sw_pension' and record_id = ?", [record]).fetchall()[0][0]
        con.execute(f"insert into std.{source} by name select '{source}' as source, "
                    "? as source_record_id, ? as batch_id, 1 as source_row, "
                    "'GHOST X' as name_std, 'M' as gender",
                    [rid, f"{source}/2025-03-01"])
        con.execute("insert into matching.residents values (?, ?, ?)", [source, rid, res])
        con.execute("insert into matching.seeding by name select ? as source, "
                    "? as source_record_id, 'unmatched' as match_status, "
                    "'no_candidate' as reason, ? as resident_id", [source, rid, res])
    finally:
        con.close()


def test_not_confirmed_is_not_raised_again_until_the_evidence_changes(home):
    # PG1, a ghost, is also on a ration card: not_in_kyr, to verify
    _list_ghost_elsewhere(home, "PG1", "food_pds", "MPG1")
    _build(home)
    fid = "sw_pension:PG1:not_in_kyr"
    (certainty, basis, evidence, reason), = _flag(home, fid)
    assert (certainty, basis) == ("to_verify", "srdh") and "food_pds" in reason
    before = _q(home, "select sum(not_in_kyr_to_verify) from marts.mart_scheme_leakage")[0][0]

    _deliver_checks(home, "2025-07-01", [f"V-1,{fid},{evidence},Not_Confirmed,INSP-7,"
                                         "2025-06-30T11:00:00,lives in the village"])
    _build(home)
    assert _flag(home, fid) == []  # checked in the field: not raised on the rerun
    after = _q(home, "select sum(not_in_kyr_to_verify) from marts.mart_scheme_leakage")[0][0]
    assert after == before - 1
    kept = _q(home, "select is_raised, field_outcome, verified_by from "
                    "intermediate.int_enrolment_flags_verified where flag_id = ?", [fid])
    assert kept == [(False, "not_confirmed", "INSP-7")]
    _build(home)  # a rerun with nothing new changes nothing
    assert _flag(home, fid) == []

    # new evidence: the person also turns up on a job card; same flag, raised again
    _list_ghost_elsewhere(home, "PG1", "rd_mgnrega", "WPG1")
    _build(home)
    (certainty, basis, new_evidence, reason), = _flag(home, fid)
    assert new_evidence != evidence and "rd_mgnrega" in reason and certainty == "to_verify"


def test_confirmed_in_the_field_counts_in_rupees_at_risk(home):
    _list_ghost_elsewhere(home, "PG2", "food_pds", "MPG2")
    _build(home)
    fid = "sw_pension:PG2:not_in_kyr"
    (_, _, evidence, _), = _flag(home, fid)
    district, block, = _q(home, "select district, block from marts.mart_enrolment_flags "
                                "where flag_id = ?", [fid])[0]
    risk = ("select rupees_month_at_risk_total, rupees_month_at_risk_field_confirmed, "
            "field_confirmed from marts.mart_scheme_leakage where scheme_code = 'IGNOAPS' "
            "and district = ? and block = ?")
    total, field, n = _q(home, risk, [district, block])[0]
    _deliver_checks(home, "2025-07-02", [f"V-2,{fid},{evidence},CONFIRMED,INSP-9,2025-07-01,"])
    _build(home)
    (certainty, basis, _, reason), = _flag(home, fid)
    assert (certainty, basis) == ("confirmed", "field")
    assert reason.endswith("; confirmed in the field by INSP-9 on 2025-07-01")
    total2, field2, n2 = _q(home, risk, [district, block])[0]
    assert (total2, field2, n2) == (total + 500, field + 500, n + 1)


def test_wrong_match_becomes_review_decisions(home):
    """A pensioner flagged dead is found alive: the death record is not this person. Its
    seeding to the UID and its pair with the pension record become non_match decisions,
    once (a second match run adds nothing)."""
    from matching.review import import_field_wrong_matches

    fid, evidence, record = _q(home, "select flag_id, evidence_hash, source_record_id from "
                                     "marts.mart_enrolment_flags where flag = "
                                     "'deceased_active' and source = 'sw_pension' "
                                     "order by flag_id limit 1")[0]
    death, token = _q(home, """
        select d.record_id, s.uid_token from matching.residents p
        join matching.residents d on d.resident_id = p.resident_id and d.source = 'crs_death'
        join matching.seeding s on s.source = 'crs_death' and s.source_record_id = d.record_id
        where p.source = 'sw_pension' and p.record_id = ?""", [record])[0]
    # a stale check (evidence the flag no longer has) and an undecided one change nothing
    _deliver_checks(home, "2025-07-03", [
        f"V-3,{fid},{evidence},wrong_match,INSP-5,2025-07-02,alive and well",
        f"V-4,{fid},0000000000000000,wrong_match,INSP-5,2025-07-01,",
        f"V-5,{fid},{evidence},not_verified,INSP-5,2025-07-01,"])
    assert import_field_wrong_matches(home.warehouse) == 2
    assert import_field_wrong_matches(home.warehouse) == 0  # idempotent
    got = _q(home, "select kind, source_l, record_l, source_r, record_r, decision, reviewer, "
                   "import_file from matching.review_decisions order by kind")
    pair = sorted([("crs_death", death), ("sw_pension", record)],
                  key=lambda p: f"{p[0]}|{p[1]}")
    assert got == [
        ("dedupe", *pair[0], *pair[1], "non_match", "INSP-5", "field_verification:V-3"),
        ("seed", "crs_death", death, "uid_kyr", token, "non_match", "INSP-5",
         "field_verification:V-3")]
    _build(home)
    assert _flag(home, fid) == []  # and the flag is not raised on this evidence


def test_feed_is_refused_row_by_row_with_a_reason(tmp_path):
    landing = tmp_path / "landing"
    folder = landing / "field_verification" / "2025-07-04"
    folder.mkdir(parents=True)
    (folder / "c.csv").write_text(HEADER + "V-9,sw_pension:P1:ghost,abc,maybe,I,2025-07-01,\n",
                                  encoding="utf-8")
    scratch = ensure_key(tmp_path / "home")
    proc = ingest(landing, scratch)
    assert proc.returncode == 0
    con = duckdb.connect(str(scratch / "warehouse" / "srdh.duckdb"), read_only=True)
    reasons = con.execute("select reason from quarantine.rows").fetchall()
    con.close()
    assert len(reasons) == 1 and "outcome" in reasons[0][0] and "NOT_CONFIRMED" in reasons[0][0]


def test_feed_is_documented():
    docs = (Path(__file__).resolve().parents[1] / "docs" / "feeds.md").read_text()
    from ingest.registry import load_registry

    src = load_registry()["field_verification"]
    assert "## `field_verification`" in docs
    for name in src.fields:
        assert f"| {name} |" in docs, name
