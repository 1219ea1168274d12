"""End to end on the real pipeline: `dbt build` inside `srdh run` on a generated state.

Asserts on the real outputs of the session's shared run (tests/conftest.py::built_state).
"""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def state(built_state):
    """The shared `srdh run` (ingest, match, dbt build, publish, deliver) of the session."""
    from core.paths import Home

    home = Home.at(built_state["home"])
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield home, built_state["log"], con
    con.close()


def q(con, sql):
    return con.execute(sql).fetchall()


def test_build_succeeds(state):
    home, log, _ = state
    # the console has one line per layer; dbt's own lines are in its log file
    for layer in ("staging", "intermediate", "marts"):
        assert f"   {layer}: " in log and "0 failed" in log.split(f"   {layer}: ", 1)[1][:80]
    dbt_log = (home.root / "dbt" / "logs" / "dbt.log").read_text(errors="replace")
    assert "Completed successfully" in dbt_log


def test_one_row_per_resident_and_one_head(state):
    _, _, con = state
    n, d = q(con, "select count(*), count(distinct resident_id) from marts.dim_resident")[0]
    assert n == d == q(con, "select count(distinct resident_id) from matching.residents")[0][0]
    assert q(con, "select count(*) from (select household_id from marts.dim_household_member "
                  "group by 1 having count(*) filter (where is_head) <> 1)")[0][0] == 0


def test_ghosts_equal_unmatched_active_scheme_records(state):
    _, _, con = state
    # every unmatched active record is a finding: a confirmed ghost or one to verify
    ghosts = q(con, "select coalesce(sum(ghosts + not_in_kyr_to_verify), 0) "
                    "from marts.mart_scheme_leakage")[0][0]
    unmatched = q(con, """select count(*) from matching.seeding s
        join marts.fct_scheme_enrolment f using (source, source_record_id)
        where s.match_status = 'unmatched' and f.is_active""")[0][0]
    assert ghosts == unmatched


def test_rupees_at_risk_where_truth_has_dead_pensioners(state):
    home, _, con = state
    dead_active = q(con, "select count(*) from marts.fct_scheme_enrolment "
                         "where source = 'sw_pension' and is_deceased_active")[0][0]
    at_risk = q(con, "select coalesce(sum(rupees_month_at_risk_deceased), 0) "
                     "from marts.mart_scheme_leakage")[0][0]
    if dead_active:
        assert at_risk > 0
    assert q(con, "select coalesce(sum(rupees_month_at_risk_total), 0) "
                  "from marts.mart_scheme_leakage")[0][0] >= at_risk
