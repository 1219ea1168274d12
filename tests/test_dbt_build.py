"""End to end on the real pipeline: generate a small state, ingest, match, `dbt build`.

Asserts on the real outputs. Skips (with the reason) while a step it needs is missing
or broken upstream, so it starts checking as soon as generate/ingest/match work.
"""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    from srdh import pipeline
    from srdh.paths import Home

    home = Home.at(tmp_path_factory.mktemp("dbt_e2e"))
    gen = subprocess.run([sys.executable, "-m", "srdh.cli", "generate", "--residents", "2000",
                          "--seed", "7", "--out", str(home.landing)],
                         capture_output=True, text=True, timeout=1800)
    if gen.returncode != 0:
        pytest.skip(f"srdh generate not working yet: {gen.stderr[-500:]}")
    try:
        pipeline.ingest(home.root, home.landing)
        pipeline.match(home.root)
    except Exception as exc:  # noqa: BLE001 - upstream not ready: report, don't fail here
        pytest.skip(f"ingest/match not working yet: {exc!r}"[:600])
    res = pipeline.build(home.root)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    yield home, res, con
    con.close()


def q(con, sql):
    return con.execute(sql).fetchall()


def test_build_succeeds(state):
    _, res, _ = state
    assert res.success and not res.failures


def test_one_row_per_resident_and_one_head(state):
    _, _, con = state
    n, d = q(con, "select count(*), count(distinct resident_id) from marts.dim_resident")[0]
    assert n == d == q(con, "select count(distinct resident_id) from matching.residents")[0][0]
    assert q(con, "select count(*) from (select household_id from marts.dim_household_member "
                  "group by 1 having count(*) filter (where is_head) <> 1)")[0][0] == 0


def test_ghosts_equal_unmatched_active_scheme_records(state):
    _, _, con = state
    ghosts = q(con, "select coalesce(sum(ghosts), 0) from marts.mart_scheme_leakage")[0][0]
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
