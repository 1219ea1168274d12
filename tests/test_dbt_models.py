"""dbt models on a synthetic warehouse with known truth (tests/dbt_helpers.py).

Runs the real `dbt build` (models, data tests, unit tests) of the register and its marts
through warehouse.dbt.build, then checks the outputs against the truth built in.
"""

from __future__ import annotations

import duckdb
import pytest
from dbt_helpers import AS_OF, build_synthetic_warehouse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from core.paths import Home
    from warehouse.dbt import REGISTER_SELECTION, build

    home = Home.at(tmp_path_factory.mktemp("dbt_synthetic"))
    truth = build_synthetic_warehouse(home.warehouse, residents=2000)
    res = build(home, select=REGISTER_SELECTION, vars={"srdh_as_of_date": AS_OF})
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield home, truth, res, con
    con.close()


def q(con, sql):
    return con.execute(sql).fetchall()


def test_build_passes_models_data_and_unit_tests(built):
    _, _, res, _ = built
    assert res.success
    types = {r["resource_type"].split(".")[-1].lower() for r in res.results}
    assert {"model", "test", "unit_test", "seed"} <= types
    unit = [r for r in res.results if "unit" in r["resource_type"].lower()]
    assert len(unit) >= 5 and all(r["status"] == "pass" for r in unit)


def test_one_row_per_resident(built):
    _, truth, _, con = built
    n, distinct, kyr = q(con, "select count(*), count(distinct resident_id), "
                              "count(*) filter (where has_kyr) from marts.dim_resident")[0]
    assert n == distinct == q(con, "select count(distinct resident_id) from matching.residents")[0][0]
    assert kyr == truth["residents"]
    # KYR wins: every KYR resident's name comes from KYR; never a raw UID anywhere
    assert q(con, "select count(*) from marts.dim_resident where has_kyr "
                  "and name_source <> 'uid_kyr'")[0][0] == 0
    cols = {r[0] for r in q(con, "select column_name from information_schema.columns "
                                 "where table_schema = 'marts'")}
    assert "uid" not in cols and "uid_last4" in cols


def test_every_household_has_exactly_one_head(built):
    _, _, _, con = built
    bad = q(con, "select household_id from marts.dim_household_member group by 1 "
                 "having count(*) filter (where is_head) <> 1")
    assert bad == []
    # synthetic families: head + WIFE + SON + DAUGHTER on cards and inferred from KYR
    rel = dict(q(con, "select relation_to_head, count(*) from marts.dim_household_member group by 1"))
    assert rel["SELF"] > 0 and rel["WIFE"] > 0 and rel["SON"] > 0 and rel["DAUGHTER"] > 0
    sources = dict(q(con, "select household_source, count(*) from marts.dim_household group by 1"))
    assert sources.get("ration_card", 0) > 0 and sources.get("inferred_kyr", 0) > 0


def test_ghosts_equal_unmatched_scheme_records(built):
    _, truth, _, con = built
    ghosts = q(con, "select sum(ghosts) from marts.mart_scheme_leakage")[0][0]
    unmatched_active = q(con, """
        select count(*) from matching.seeding s
        join marts.fct_scheme_enrolment f using (source, source_record_id)
        where s.match_status = 'unmatched' and f.is_active""")[0][0]
    assert ghosts == unmatched_active == truth["ghost_pensions"]


def test_money_at_risk_from_dead_pensioners(built):
    _, _, _, con = built
    dead_pensioners = q(con, """
        select count(*) from marts.fct_scheme_enrolment
        where source = 'sw_pension' and is_active and date_of_death is not null""")[0][0]
    assert dead_pensioners > 0
    at_risk, deceased = q(con, """
        select sum(rupees_month_at_risk_deceased), sum(deceased_active)
        from marts.mart_scheme_leakage where department = 'SOCIAL_WELFARE'""")[0]
    assert deceased == dead_pensioners and at_risk == 500 * dead_pensioners
    tot = q(con, "select sum(rupees_month_at_risk_total), sum(rupees_month_total) "
                 "from marts.mart_scheme_leakage")[0]
    assert 0 < tot[0] < tot[1]


def test_scholarship_amounts_are_monthly(built):
    _, _, _, con = built
    assert q(con, "select distinct monthly_amount_inr from marts.fct_scheme_enrolment "
                  "where source = 'edu_scholarship'") == [(100.0,)]


def test_inclusion_gaps_each_rule_fires(built):
    _, _, _, con = built
    rules = dict(q(con, "select rule_id, count(*) from marts.mart_inclusion_gaps group by 1"))
    assert set(rules) == {"ELDERLY_NO_PENSION", "WIDOW_NO_PENSION", "CHILD_NO_SCHOLARSHIP",
                          "AAY_ADULT_NO_JOB_CARD"}
    # a widow gap needs a dead husband: every one is W/O a man with a death record
    assert q(con, """
        select count(*) from marts.mart_inclusion_gaps g join marts.dim_resident r using (resident_id)
        where g.rule_id = 'WIDOW_NO_PENSION' and (r.gender <> 'F' or r.relation_type <> 'W/O')""")[0][0] == 0


def test_data_quality_per_feed_and_batch(built):
    _, _, _, con = built
    rows = {r[0]: r[1:] for r in q(con, "select feed, rows_loaded, rows_quarantined, seeded, "
                                         "in_review, unmatched from marts.mart_data_quality")}
    assert rows["food_pds"][1] == 2  # two distinct quarantined rows
    assert rows["sw_pension"][4] > 0 and rows["uid_kyr"][0] == 2000
    assert q(con, "select sum(rows_quarantined) from marts.mart_data_quality_quarantine_reasons")[0][0] == 3


def test_household_card_text_and_html(built, tmp_path):
    from typer.testing import CliRunner

    from srdh.cli import app

    home, _, _, con = built
    hid = q(con, "select household_id from marts.mart_household_card "
                 "where household_source = 'ration_card' order by monthly_amount_inr desc limit 1")[0][0]
    runner = CliRunner()
    out = runner.invoke(app, ["card", hid, "--home", str(home.root)])
    assert out.exit_code == 0, out.output
    assert hid in out.output and "XXXX XXXX " in out.output and "Members:" in out.output
    html = tmp_path / "card.html"
    out = runner.invoke(app, ["card", hid, "--html", str(html), "--home", str(home.root)])
    assert out.exit_code == 0, out.output
    text = html.read_text()
    assert "<table" in text and "XXXX XXXX " in text
    tokens = [r[0] for r in q(con, "select uid_token from marts.dim_resident where household_id = ?"
                              .replace("?", f"'{hid}'")) if r[0]]
    assert tokens and not any(t in text for t in tokens)
    missing = runner.invoke(app, ["card", "HH-nope", "--home", str(home.root)])
    assert missing.exit_code == 1


def test_lists_come_out_in_their_documented_order(built):
    """Card members: head first, then eldest; lists are sorted after aggregation."""
    _, _, _, con = built
    assert q(con, "select count(*) from marts.mart_household_card "
                  "where members[1].resident_id <> head_resident_id")[0][0] == 0
    ages = q(con, "select list_transform(members[2:], lambda m: m.age_years) "
                  "from marts.mart_household_card where len(members) >= 3")
    assert ages and all(a == sorted(a, key=lambda v: (v is None, -(v or 0))) for (a,) in ages)
    assert q(con, "select count(*) from marts.dim_resident "
                  "where scheme_identifiers <> list_sort(scheme_identifiers)")[0][0] == 0


def test_std_declares_its_key_and_a_repeated_key_fails(tmp_path):
    """std's key (models/staging/_sources.yml, the std_key test): the latest version of
    each record id; an absent feed's table passes, a repeated id fails, named."""
    from core.paths import Home
    from warehouse.dbt import build

    home = Home.at(tmp_path / "home")
    build_synthetic_warehouse(home.warehouse, residents=200)
    sel = "source:std.sw_pension source:std.field_verification"
    ok = build(home, select=sel, vars={"srdh_as_of_date": AS_OF})
    ran = {r["unique_id"]: r["status"] for r in ok.results}
    assert ok.success and ran, ran
    assert any("std_key_std_sw_pension" in k for k in ran), ran
    con = duckdb.connect(str(home.warehouse))
    try:  # the field_verification table never arrived: its key test passes on nothing
        assert not q(con, "SELECT 1 FROM information_schema.tables "
                          "WHERE table_schema = 'std' AND table_name = 'field_verification'")
        con.execute("INSERT INTO std.sw_pension SELECT * FROM std.sw_pension LIMIT 1")
    finally:
        con.close()
    bad = build(home, select=sel, vars={"srdh_as_of_date": AS_OF}, raise_on_failure=False)
    assert not bad.success
    assert [f["unique_id"] for f in bad.failures] and all(
        "std_key_std_sw_pension" in f["unique_id"] for f in bad.failures)


def test_a_std_table_missing_a_contract_column_fails_naming_it(tmp_path):
    """select_columns(required=...): a std person table without a contract column stops
    the build with the table, the column and the fix (not a silent typed null)."""
    from core.paths import Home
    from warehouse.dbt import build

    home = Home.at(tmp_path / "home")
    build_synthetic_warehouse(home.warehouse, residents=200)
    con = duckdb.connect(str(home.warehouse))
    try:
        con.execute("ALTER TABLE std.crs_death DROP COLUMN relative_name_std")
    finally:
        con.close()
    res = build(home, select="stg_std__crs_death", vars={"srdh_as_of_date": AS_OF},
                raise_on_failure=False)
    assert not res.success
    said = " ".join(str(f.get("message")) for f in res.failures) or str(res.results)
    assert "crs_death" in said and "relative_name_std" in said, said
    assert "srdh ingest --rebuild-std" in said, said
