"""A real Superset over a REAL pipeline output, tested over HTTP and in headless Chromium.

The module fixture generates a small state (``srdh generate``; three rows of one
delivery are broken so ingest has something to quarantine), runs the whole pipeline
(``srdh run``: ingest, match, dbt build, publish), draws the day's Jan Samvad call
list (``srdh calllist``) and publishes again, all in subprocesses of the pipeline env.
Then ``dashboards/manage.py`` (BI env) bootstraps Superset on that home and starts it.

Every chart on every dashboard is queried through ``/api/v1/chart/<id>/data/`` and
compared with a direct DuckDB query of the serving copy; RLS is checked with a
department user and a district user; every dashboard is rendered in Chromium.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
DASHBOARDS = ROOT / "dashboards"
BI_PYTHON = DASHBOARDS / ".venv" / "bin" / "python"
MANAGE = DASHBOARDS / "manage.py"
SRDH = ROOT / ".venv" / "bin" / "srdh"
# Screenshots go to a temp folder; SRDH_UPDATE_SCREENSHOTS=1 refreshes docs/screenshots.
DOC_SCREENSHOTS = ROOT / "docs" / "screenshots"
RUN_DATE = "2025-03-01"
sys.path.insert(0, str(DASHBOARDS))

from srdh_superset import assetgen, bundle  # noqa: E402

from core.paths import Home  # noqa: E402
from warehouse.publish import publish_serving_copy  # noqa: E402

pytestmark = pytest.mark.slow
TIMINGS: dict[str, float] = {}
SW_SCHEMES = {"IGNOAPS", "IGNWPS", "IGNDPS", "SSPY", "MNPY"}
BAD_ROWS = [("scheme_code", "OLDAGE"), ("beneficiary_name", ""),
            ("monthly_amount_inr", "five hundred")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pipeline_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRDH_SUPERSET_")}
    env.pop("VIRTUAL_ENV", None)
    env.update(SRDH_HOME=str(home), SRDH_GX="0", TQDM_DISABLE="1")
    return env


def _srdh(*args: str, home: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    t0 = time.monotonic()
    proc = subprocess.run([str(SRDH), *args], env=_pipeline_env(home), capture_output=True,
                          text=True, timeout=timeout, cwd=home.parent)  # DuckDB temp files there
    TIMINGS[f"srdh {args[0]}"] = time.monotonic() - t0
    if proc.returncode != 0:  # never papered over: the pipeline must work end to end
        pytest.fail(f"`srdh {' '.join(args)}` failed (exit {proc.returncode}):\n"
                    f"{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}")
    return proc


def _manage(*args: str, home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = _pipeline_env(home)
    env["SRDH_SUPERSET_WORKERS"] = "1"  # one worker (8 threads) starts fastest on 2 cores
    proc = subprocess.run([str(BI_PYTHON), str(MANAGE), *args, "--home", str(home)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"manage.py {args} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return proc


def _break_rows(landing: Path) -> None:
    """Append copies of three sw_pension rows, each with one invalid value."""
    (path,) = sorted((landing / "sw_pension").glob("*/*.csv"))
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), quoting=csv.QUOTE_ALL, lineterminator="\n")
    for i, (col, value) in enumerate(BAD_ROWS):
        w.writerow({**rows[i], "pension_id": f"CGSW/99/99999{i}", col: value})
    path.write_text(text.rstrip("\n") + "\n" + buf.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Home:
    """A real pipeline output: generate -> srdh run -> calllist -> publish."""
    if not SRDH.exists():
        pytest.fail("the pipeline env is not installed (.venv/bin/srdh); run `uv sync --frozen`")
    root = tmp_path_factory.mktemp("srdh-state")
    landing, home = root / "landing", root / "home"
    _srdh("generate", "--residents", "1500", "--seed", "7", "--out", str(landing),
          "--photos", "0", "--quiet", home=home)
    _break_rows(landing)
    _srdh("vault", "init-key", "--home", str(home), home=home)
    _srdh("run", "--landing", str(landing), "--home", str(home), "--run-date", RUN_DATE,
          home=home)
    _srdh("calllist", "--date", RUN_DATE, "--size", "60", "--seed", "7", "--home", str(home),
          home=home)
    h = Home.at(home)
    t0 = time.monotonic()
    publish_serving_copy(h)  # the call list is written after `srdh run` published
    TIMINGS["publish"] = time.monotonic() - t0
    return h


class Superset:
    def __init__(self, url: str, home: Path, password: str):
        self.url, self.home, self.password = url, home, password

    def session(self, username: str = "admin", password: str | None = None) -> requests.Session:
        s = requests.Session()
        r = s.post(f"{self.url}/api/v1/security/login", timeout=30, json={
            "username": username, "password": password or self.password, "provider": "db"})
        assert r.status_code == 200, r.text
        s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        return s


@pytest.fixture(scope="module")
def superset(state):
    if not BI_PYTHON.exists():
        pytest.fail("dashboards/.venv is not installed; run `make install-bi`")
    home = state.root
    t0 = time.monotonic()
    boot = _manage("bootstrap", home=home)
    TIMINGS["superset bootstrap"] = time.monotonic() - t0
    assert "admin password generated" in boot.stdout
    port = _free_port()
    try:
        t0 = time.monotonic()
        _manage("start", "--port", str(port), "--timeout", "300", home=home)
        TIMINGS["superset start"] = time.monotonic() - t0
        password = (state.secrets / "superset_admin_password").read_text().strip()
        yield Superset(f"http://127.0.0.1:{port}", home, password)
    finally:
        _manage("stop", home=home, timeout=60)
        print("\nSuperset stack timings (s): " + ", ".join(
            f"{k} {v:.0f}" for k, v in TIMINGS.items()))


# --------------------------------------------------------------------------- helpers
def _sql(home: Home, sql: str, db: str = "serving") -> list[dict]:
    """Rows of ``sql`` on the serving copy (or, ``db="warehouse"``, the working warehouse:
    quarantine and meta are not published)."""
    con = duckdb.connect(str(getattr(home, db)), read_only=True)
    try:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def _dashboard_charts(s: requests.Session, url: str) -> list[tuple[str, dict]]:
    dashboards = s.get(f"{url}/api/v1/dashboard/", params={"q": "(page_size:100)"},
                       timeout=30).json()["result"]
    out = []
    for d in dashboards:
        r = s.get(f"{url}/api/v1/dashboard/{d['id']}/charts", timeout=30)
        assert r.status_code == 200
        out += [(d["dashboard_title"], c) for c in r.json()["result"]]
    return out


def _chart_data(s: requests.Session, url: str, chart_id: int) -> requests.Response:
    return s.get(f"{url}/api/v1/chart/{chart_id}/data/", timeout=120)


def _chart_ids(s: requests.Session, url: str) -> dict[str, int]:
    res = s.get(f"{url}/api/v1/chart/", params={"q": "(page_size:100)"},
                timeout=30).json()["result"]
    return {c["slice_name"]: c["id"] for c in res}


def _rows(resp: requests.Response) -> list[dict]:
    assert resp.status_code == 200, resp.text[:2000]
    (result,) = resp.json()["result"]
    assert result.get("error") is None, result
    return result["data"]


def _norm(v):
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return None if isinstance(v, float) and math.isnan(v) else round(float(v), 6)
    return str(v)


def _bag(rows: list[dict], keys: list[str]) -> list[tuple]:
    return sorted((tuple(_norm(r[k]) for k in keys) for r in rows), key=repr)


# What each chart must return, as SQL over the serving copy's marts (written from the
# marts directly, not from the virtual datasets' SQL). "limit": the chart's row limit
# (its rows are then a subset of the expected ones).
LEAK = "marts.mart_scheme_leakage"
JS = "marts.mart_jansamvad_outcomes"
EXPECTED: dict[str, dict] = {
    "Residents": {"sql": "select count(*) residents from marts.dim_resident"},
    "Households": {"sql": "select count(*) households from marts.mart_household_card"},
    "Residents with KYR": {"sql": "select avg(case when has_kyr then 1.0 else 0.0 end)"
                                  " kyr_share from marts.dim_resident"},
    "UID seeding coverage by district": {"sql": f"""
        with d as (select district from marts.dim_resident where district is not null
                   union select district from {LEAK})
        select d.district, sum(l.uid_seeded) * 1.0 / nullif(sum(l.beneficiaries), 0)
               uid_seeding_coverage
        from d left join {LEAK} l using (district) group by d.district"""},
    "Districts": {"sql": f"""
        with d as (select district from marts.dim_resident where district is not null
                   union select district from {LEAK}),
        r as (select district, count(*) n, count(distinct household_id) hh
              from marts.dim_resident group by district),
        l as (select district, sum(beneficiaries) b, sum(uid_seeded) u from {LEAK}
              group by district)
        select d.district, coalesce(r.n, 0) total_residents, coalesce(r.hh, 0) total_households,
               coalesce(l.b, 0) total_beneficiaries, coalesce(l.u, 0) total_uid_seeded,
               l.u * 1.0 / nullif(l.b, 0) uid_seeding_coverage
        from d left join r using (district) left join l using (district)"""},
    "Villages map": {"sql": """
        select v.village_name, v.district_name district, avg(v.longitude) avg_longitude,
               avg(v.latitude) avg_latitude, sum(coalesce(r.n, 0)) total_residents
        from marts.mart_village_facilities v
        left join (select village_code, count(*) n from marts.dim_resident group by 1) r
          using (village_code)
        group by v.village_name, v.district_name"""},
    "Beneficiaries": {"sql": f"select sum(beneficiaries) total_beneficiaries from {LEAK}"},
    "Duplicates": {"sql": f"select sum(duplicates) total_duplicates from {LEAK}"},
    "Ghosts": {"sql": f"select sum(ghosts) total_ghosts from {LEAK}"},
    "Deceased but active": {"sql": f"select sum(deceased_active) total_deceased_active"
                                   f" from {LEAK}"},
    "Rupees at risk per month": {"sql": f"select sum(rupees_month_at_risk_total)"
                                        f" total_rupees_month_at_risk_total from {LEAK}"},
    # beneficiaries per scheme checked against the enrolment fact, not the leakage mart
    "Leakage by scheme": {"sql": """
        select department, scheme_code, count(*) total_beneficiaries,
               count(*) filter (where is_ghost) total_ghosts,
               count(*) filter (where is_deceased_active) total_deceased_active,
               count(*) filter (where is_duplicate_extra) total_duplicates
        from marts.fct_scheme_enrolment where is_active group by all"""},
    "Rupees at risk by district": {"sql": f"""
        select district, sum(rupees_month_at_risk_duplicates) total_rupees_month_at_risk_duplicates,
               sum(rupees_month_at_risk_ghosts) total_rupees_month_at_risk_ghosts,
               sum(rupees_month_at_risk_deceased) total_rupees_month_at_risk_deceased
        from {LEAK} group by district"""},
    "Leakage by district and block": {"sql": f"""
        select district, block, sum(beneficiaries) total_beneficiaries,
               sum(duplicates) total_duplicates, sum(ghosts) total_ghosts,
               sum(rupees_month_at_risk_total) total_rupees_month_at_risk_total
        from {LEAK} group by district, block"""},
    "Rupees to verify per month": {"sql": f"select sum(rupees_month_to_verify)"
                                          f" total_rupees_month_to_verify from {LEAK}"},
    "Inclusion gaps by scheme": {"sql": """
        select suggested_scheme_code scheme_code,
               count(*) filter (where certainty = 'confirmed') gaps_confirmed,
               count(*) filter (where certainty = 'to_verify') gaps_to_verify
        from marts.mart_inclusion_gaps group by all"""},
    "Inclusion gaps by district and block": {"sql": """
        select district, block, rule_id,
               count(*) filter (where certainty = 'confirmed') gaps_confirmed,
               count(*) filter (where certainty = 'to_verify') gaps_to_verify
        from marts.mart_inclusion_gaps group by all"""},
    "Find a household": {"limit": 1000, "sql": """
        select r.name_std member_name, m.relation_to_head, h.household_id, h.ration_card_no,
               h.village, h.district
        from marts.dim_household_member m join marts.dim_household h using (household_id)
        join marts.dim_resident r using (resident_id)"""},
    "Household card": {"sql": """
        select household_id, ration_card_no, card_type, head_name, head_uid_masked,
               member_count, monthly_amount_inr, village, district
        from marts.mart_household_card"""},
    "Household members": {"limit": 1000, "sql": """
        select m.household_id, r.name_std member_name, m.relation_to_head, r.gender,
               r.age_years, r.uid_masked, r.is_deceased
        from marts.dim_household_member m join marts.dim_resident r using (resident_id)"""},
    "Call list: households to call": {"sql": """
        select count(*) households_to_call from jansamvad.call_lists
        where list_date = (select max(list_date) from jansamvad.call_lists)"""},
    "Call list by district": {"sql": """
        select district district_name, scheme_code, count(*) households_to_call
        from jansamvad.call_lists
        where list_date = (select max(list_date) from jansamvad.call_lists) group by all"""},
    "Today's call list": {"sql": """
        select district district_name, call_order, scheme_code, beneficiary_name,
               beneficiary_uid_masked, mobile, household_id
        from jansamvad.call_lists
        where list_date = (select max(list_date) from jansamvad.call_lists)"""},
    "Calls": {"sql": f"select sum(calls) total_calls from {JS}"},
    "Contact rate": {"sql": f"select sum(calls_connected) * 1.0 / sum(calls) contact_rate_all"
                            f" from {JS}"},
    "Satisfaction": {"sql": f"select sum(avg_satisfaction * satisfaction_answers)"
                            f" / sum(satisfaction_answers) avg_satisfaction_all from {JS}"},
    "Outcomes by scheme": {"sql": f"""
        select scheme_code, sum(calls) total_calls, sum(calls_connected) total_calls_connected,
               sum(grievances) total_grievances from {JS} group by scheme_code"""},
    "Outcomes by district": {"sql": f"""
        select district_name, sum(calls) total_calls, sum(calls_connected)
               total_calls_connected, sum(grievances) total_grievances
        from {JS} group by district_name"""},
    "Grievances by category": {"sql": f"""
        select scheme_code, sum(grievances_not_received) total_grievances_not_received,
               sum(grievances_delayed_payment) total_grievances_delayed_payment
        from {JS} group by scheme_code"""},
    "Open grievances": {"sql": """
        select district_name, scheme_code, grievance_category, household_key, days_open
        from marts.mart_open_grievances"""},
    "Follow-ups due": {"sql": """
        select district_name, scheme_code, followup_reason, household_key
        from marts.mart_followup_due"""},
    "Tasks allocated": {"sql": "select sum(tasks_allocated) total_tasks_allocated"
                               " from marts.mart_project_status"},
    "Tasks in progress": {"sql": "select sum(tasks_in_progress) total_tasks_in_progress"
                                 " from marts.mart_project_status"},
    "Tasks pending approval": {"sql": "select sum(tasks_pending_approval)"
                                      " total_tasks_pending_approval from marts.mart_project_status"},
    "Tasks completed": {"sql": "select sum(tasks_completed) total_tasks_completed"
                               " from marts.mart_project_status"},
    "Projects": {"sql": """
        select project_name, department, tasks_total, tasks_allocated, tasks_in_progress,
               tasks_pending_approval, tasks_completed from marts.mart_project_status"""},
    "Task ageing": {"sql": """
        select status, sum(aged_0_7_days) total_aged_0_7_days,
               sum(aged_over_90_days) total_aged_over_90_days
        from marts.mart_project_task_ageing group by status"""},
    "Survey answers": {"sql": """
        select s.project_name, q.survey_id, q.question_text, q.answered, q.yes_count
        from marts.mart_survey_summary q join marts.mart_project_status s using (project_id)"""},
    "Survey choices": {"sql": """
        select question_text, answer, sum(answer_count) total_answer_count
        from marts.mart_survey_choice_counts group by all"""},
    "Rows loaded": {"sql": "select sum(rows_loaded) total_rows_loaded from marts.mart_data_quality"},
    "Rows quarantined": {"db": "warehouse",
                         "sql": "select count(distinct (batch_id, file_name, source_row))"
                                " total_rows_quarantined from quarantine.rows"},
    "Seeded share": {"sql": "select sum(seeded) * 1.0 / (sum(seeded) + sum(in_review)"
                            " + sum(unmatched)) seeded_share_all from marts.mart_data_quality"},
    "Quarantine by reason": {"sql": """
        select reason, feed, sum(rows_quarantined) total_rows_quarantined
        from marts.mart_data_quality_quarantine_reasons group by all"""},
    "Seeding by feed": {"sql": """
        select feed, sum(seeded) total_seeded, sum(in_review) total_in_review,
               sum(unmatched) total_unmatched from marts.mart_data_quality group by feed"""},
    "Loads by feed and batch": {"sql": """
        select feed, batch_id, rows_read, rows_loaded, rows_quarantined
        from marts.mart_data_quality"""},
}


def _check_chart(home: Home, name: str, rows: list[dict], where: str = "") -> None:
    spec = EXPECTED.get(name)
    assert spec, f"no expectation for chart {name!r}; add one to EXPECTED"
    want = _sql(home, spec["sql"], spec.get("db", "serving"))
    assert want, f"{name}: the expectation query returns no rows - weak test data?"
    keys = list(want[0])
    got_bag, want_bag = _bag(rows, keys), _bag(want, keys)
    if "limit" in spec and len(want) > spec["limit"]:
        assert len(rows) == spec["limit"], (name, len(rows))
        assert not set(got_bag) - set(want_bag), (name, "rows not in the marts")
    else:
        assert got_bag == want_bag, (name, got_bag[:5], want_bag[:5])


# --------------------------------------------------------------------------- tests
def test_pipeline_state_is_real(state):
    """The marts the dashboards read were built by the pipeline, with the broken rows."""
    counts = _sql(state, """select
        (select count(*) from marts.dim_resident) residents,
        (select count(*) from marts.fct_scheme_enrolment) enrolments,
        (select count(*) from quarantine.rows where feed = 'sw_pension') quarantined,
        (select count(*) from jansamvad.call_lists) called""", db="warehouse")[0]
    assert counts["residents"] > 1000 and counts["enrolments"] > 1000, counts
    assert counts["quarantined"] == len(BAD_ROWS), counts
    assert counts["called"] == 60, counts


def test_assets_match_the_real_marts(state, tmp_path):
    """The committed YAML is what assetgen renders from this serving copy (no drift)."""
    fresh = assetgen.render_assets(assetgen.introspect(state.serving))
    committed = bundle.asset_files()
    stale = [n for n, text in fresh.items() if committed.get(n) != text]
    extra = [n for n in committed if n.split("/")[0] in ("charts", "dashboards", "datasets")
             and n not in fresh]
    assert not stale and not extra, (
        f"dashboards/assets is stale ({stale + extra}); regenerate: dashboards/.venv/bin/python"
        " dashboards/manage.py gen-assets --serving <home>/serving/srdh.duckdb")
    schema = assetgen.serving_schema(state.serving)
    recorded = json.loads(assetgen.SCHEMA_FILE.read_text())
    assert {t: dict(c) for t, c in schema.items()} == recorded


def test_unauthenticated_requests_are_refused(superset):
    assert requests.get(f"{superset.url}/api/v1/chart/", timeout=30).status_code == 401
    assert requests.get(f"{superset.url}/api/v1/dashboard/", timeout=30).status_code == 401
    r = requests.post(f"{superset.url}/api/v1/chart/data", json={"queries": []}, timeout=30)
    assert r.status_code in (401, 403)
    r = requests.get(f"{superset.url}/api/v1/chart/1/data/", timeout=30)
    assert r.status_code in (401, 403)
    r = requests.get(f"{superset.url}/superset/dashboard/scheme-monitoring/", timeout=30,
                     allow_redirects=False)
    assert r.status_code in (302, 401, 403)


def test_wrong_or_default_password_is_refused(superset):
    for password in ("wrong-password", "admin", "", "general"):
        r = requests.post(f"{superset.url}/api/v1/security/login", timeout=30, json={
            "username": "admin", "password": password, "provider": "db"})
        assert r.status_code in (400, 401), (password, r.status_code)


def test_secrets_are_generated_private_and_outside_the_repo(superset):
    secrets = Path(superset.home) / "secrets"
    for name in ("superset_admin_password", "superset_secret_key"):
        mode = stat.S_IMODE((secrets / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o700
    assert not list(DASHBOARDS.glob("**/superset.db"))


def test_every_chart_on_every_dashboard_returns_the_marts_rows(superset, state):
    s = superset.session()
    charts = _dashboard_charts(s, superset.url)
    titles = {t for t, _ in charts}
    assert titles == {d.title for d in assetgen.DASHBOARDS}
    assert sorted(c["slice_name"] for _, c in charts) == sorted(assetgen.CH)
    for _title, chart in charts:
        name = chart["slice_name"]
        rows = _rows(_chart_data(s, superset.url, chart["id"]))  # saved query_context
        _check_chart(state, name, rows)
    # and a query context through POST /api/v1/chart/data gives the same
    full = s.get(f"{superset.url}/api/v1/chart/{_chart_ids(s, superset.url)['Leakage by scheme']}",
                 timeout=30).json()["result"]
    posted = s.post(f"{superset.url}/api/v1/chart/data", json=json.loads(full["query_context"]),
                    timeout=60)
    _check_chart(state, "Leakage by scheme", _rows(posted))


def test_masked_uids_only(superset):
    """Every UID a dashboard shows is masked to its last 4 digits."""
    s = superset.session()
    ids = _chart_ids(s, superset.url)
    for name, col in (("Household card", "head_uid_masked"), ("Household members", "uid_masked"),
                      ("Today's call list", "beneficiary_uid_masked")):
        values = [r[col] for r in _rows(_chart_data(s, superset.url, ids[name])) if r[col]]
        assert values, name
        assert all(v.startswith("XXXX XXXX ") and len(v) == 14 for v in values), name


def _add_user(s: requests.Session, url: str, username: str, role: str, password: str) -> None:
    q = f"(filters:!((col:name,opr:eq,value:'{role}')))"
    roles = s.get(f"{url}/api/v1/security/roles/", params={"q": q}, timeout=30).json()["result"]
    assert len(roles) == 1, role
    r = s.post(f"{url}/api/v1/security/users/", timeout=30, json={
        "username": username, "first_name": username, "last_name": "Test",
        "email": f"{username}@srdh.invalid", "password": password,
        "roles": [roles[0]["id"]], "active": True})
    assert r.status_code == 201, r.text


def _dashboards_visible(s: requests.Session, url: str) -> set[str]:
    return {d["dashboard_title"] for d in s.get(
        f"{url}/api/v1/dashboard/", params={"q": "(page_size:100)"}, timeout=30).json()["result"]}


def test_row_level_security_per_department_and_district(superset, state):
    admin = superset.session()
    ids = _chart_ids(admin, superset.url)
    _add_user(admin, superset.url, "sw_officer", "Dept - Social Welfare", "Sw-Officer-Pw-1")
    _add_user(admin, superset.url, "bastar_officer", "District - Bastar", "Bastar-Pw-12345")
    _add_user(admin, superset.url, "analyst1", "Analyst", "Analyst-Pw-12345")
    data = lambda s, name: _rows(_chart_data(s, superset.url, ids[name]))  # noqa: E731
    refused = lambda s, name: _chart_data(s, superset.url, ids[name]).status_code in (403, 404)  # noqa: E731

    # a department sees only its own schemes (and projects)
    dept = superset.session("sw_officer", "Sw-Officer-Pw-1")
    (want,) = _sql(state, "select count(*) n from marts.fct_scheme_enrolment"
                          " where is_active and department = 'SOCIAL_WELFARE'")
    assert data(dept, "Beneficiaries") == [{"total_beneficiaries": want["n"]}]
    schemes = data(dept, "Leakage by scheme")
    assert {r["department"] for r in schemes} == {"SOCIAL_WELFARE"}
    assert {r["scheme_code"] for r in schemes} <= SW_SCHEMES
    assert {r["scheme_code"] for r in data(dept, "Outcomes by scheme")} <= SW_SCHEMES
    assert {r["scheme_code"] for r in data(dept, "Inclusion gaps by scheme")} <= SW_SCHEMES
    assert {r["department"] for r in data(dept, "Projects")} == {"Social Welfare"}
    for name in ("Residents", "Household card", "Rows loaded", "Districts"):
        assert refused(dept, name), name
    assert _dashboards_visible(dept, superset.url) == {
        "Scheme monitoring", "Jan Samvad", "Project monitoring"}

    # a district sees only its district
    district = superset.session("bastar_officer", "Bastar-Pw-12345")
    (want,) = _sql(state, "select (select count(*) from marts.dim_resident where district ="
                          " 'Bastar') residents, (select sum(beneficiaries) from"
                          f" {LEAK} where district = 'Bastar') beneficiaries")
    assert want["residents"] > 0
    assert data(district, "Residents") == [{"residents": want["residents"]}]
    assert data(district, "Beneficiaries") == [{"total_beneficiaries": want["beneficiaries"]}]
    assert [r["district"] for r in data(district, "Districts")] == ["Bastar"]
    assert {r["district"] for r in data(district, "Household card")} == {"Bastar"}
    assert {r["district"] for r in data(district, "Villages map")} == {"Bastar"}
    assert {r["district_name"] for r in data(district, "Outcomes by district")} <= {"Bastar"}
    assert {r["district_name"] for r in data(district, "Today's call list")} <= {"Bastar"}
    for name in ("Projects", "Rows loaded"):
        assert refused(district, name), name
    assert _dashboards_visible(district, superset.url) == {
        "SRDH overview", "Scheme monitoring", "Household card lookup", "Jan Samvad"}

    # an analyst sees everything
    analyst = superset.session("analyst1", "Analyst-Pw-12345")
    _check_chart(state, "Beneficiaries", data(analyst, "Beneficiaries"))
    _check_chart(state, "Loads by feed and batch", data(analyst, "Loads by feed and batch"))
    assert len(_dashboards_visible(analyst, superset.url)) == len(assetgen.DASHBOARDS)


def test_superset_holds_no_lock_and_survives_publish(superset, state):
    s = superset.session()
    chart = _chart_ids(s, superset.url)["Beneficiaries"]
    (before,) = _sql(state, f"select sum(beneficiaries) n from {LEAK}")

    # A writer holds the WORKING warehouse while Superset answers from the serving copy.
    writer = duckdb.connect(str(state.warehouse))
    try:
        writer.execute(f"update {LEAK} set beneficiaries = beneficiaries + 1000 where"
                       f" (scheme_code, district, block) = (select (scheme_code, district, block)"
                       f" from {LEAK} order by all limit 1)")
        writer.execute("checkpoint")
        assert _rows(_chart_data(s, superset.url, chart)) == [{"total_beneficiaries": before["n"]}]
    finally:
        writer.close()
    # Superset keeps no write lock on the serving copy: another process can open it.
    duckdb.connect(str(state.serving), read_only=True).close()

    # Superset keeps answering while the serving copy is swapped underneath it.
    failures: list[str] = []
    answers: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        session = superset.session()
        while not stop.is_set():
            r = _chart_data(session, superset.url, chart)
            if r.status_code != 200 or r.json()["result"][0].get("error"):
                failures.append(r.text[:500])
            else:
                answers.append(r.json()["result"][0]["data"][0]["total_beneficiaries"])

    t = threading.Thread(target=hammer)
    t.start()
    try:
        for _ in range(3):
            publish_serving_copy(state)
            time.sleep(0.5)
    finally:
        time.sleep(1)
        stop.set()
        t.join(timeout=120)
    assert not failures, failures[:3]
    assert answers
    assert _rows(_chart_data(s, superset.url, chart)) == [
        {"total_beneficiaries": before["n"] + 1000}]


def _have_browser() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


def test_dashboards_render_in_headless_chromium(superset, tmp_path):
    if not _have_browser():
        if os.environ.get("SRDH_ALLOW_NO_BROWSER") == "1":
            pytest.skip("chromium absent and SRDH_ALLOW_NO_BROWSER=1")
        pytest.fail("chromium/chromedriver missing: apt-get install -y chromium chromium-driver")
    pw_file = Path(superset.home) / "secrets" / "superset_admin_password"
    out = DOC_SCREENSHOTS if os.environ.get("SRDH_UPDATE_SCREENSHOTS") == "1" else tmp_path
    t0 = time.monotonic()
    proc = subprocess.run(
        [str(BI_PYTHON), str(MANAGE), "screenshots", "--url", superset.url,
         "--username", "admin", "--password-file", str(pw_file), "--out", str(out),
         "--chromium", shutil.which("chromium"), "--chromedriver", shutil.which("chromedriver")],
        capture_output=True, text=True, timeout=600)
    TIMINGS["chromium render"] = time.monotonic() - t0
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-4000:]}"
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert {d["title"] for d in report["dashboards"]} == {d.title for d in assetgen.DASHBOARDS}
    for d in report["dashboards"]:
        assert not d["errors"], d
        assert d["chart_data_responses"] >= d["charts"] > 0, d
        size = Path(d["screenshot"]).stat().st_size
        assert 10_000 < size < 600_000, (d["screenshot"], size)


# --------------------------------------------------------------------------- SQL Lab
def _database_id(s: requests.Session, url: str) -> int:
    dbs = s.get(f"{url}/api/v1/database/", timeout=30).json()["result"]
    (db,) = [d for d in dbs if d["database_name"] == "SRDH serving"]
    return db["id"]


def _sqllab(s: requests.Session, url: str, db_id: int, sql: str) -> requests.Response:
    """Run ``sql`` through Superset's own SQL Lab API (synchronously), as the UI does."""
    if "X-CSRFToken" not in s.headers:  # SQL Lab's POST needs the session's CSRF token
        r = s.get(f"{url}/api/v1/security/csrf_token/", timeout=30)
        assert r.status_code == 200, r.text[:500]
        s.headers.update({"X-CSRFToken": r.json()["result"], "Referer": url})
    return s.post(f"{url}/api/v1/sqllab/execute/", timeout=120, json={
        "database_id": db_id, "sql": sql, "runAsync": False, "schema": "marts",
        "client_id": secrets.token_hex(5), "tab": "srdh security test",
        "queryLimit": 1000, "select_as_cta": False, "templateParams": "{}"})


def _sqllab_rows(r: requests.Response) -> list[dict]:
    assert r.status_code == 200, r.text[:2000]
    body = r.json()
    assert body["status"] == "success", body
    return body["data"]


@pytest.fixture(scope="module")
def sqllab_users(superset):
    admin = superset.session()
    _add_user(admin, superset.url, "sqllab_analyst", "Analyst", "Sqllab-Analyst-Pw-1")
    _add_user(admin, superset.url, "sqllab_food", "Dept - Food and Civil Supplies",
              "Sqllab-Food-Pw-12")
    return {"Analyst": superset.session("sqllab_analyst", "Sqllab-Analyst-Pw-1"),
            "Dept - Food and Civil Supplies": superset.session("sqllab_food",
                                                               "Sqllab-Food-Pw-12"),
            "db_id": _database_id(admin, superset.url)}


def _attacks(state: Home, out_dir: Path) -> dict[str, str]:
    """SQL that would read the vault key, a landing file or the vault, or write a file."""
    from ingest.tokens import key_file

    key = key_file(state)
    (kyr,) = sorted((state.root.parent / "landing" / "uid_kyr").glob("*/kyr_full_refresh*.csv"))
    # each target is really there and readable, so a refusal below is the lockdown's doing
    assert key.read_text().strip() and kyr.read_text().count("\n") > 100 and state.vault.exists()
    plain = duckdb.connect(str(state.serving), read_only=True)  # what read_only alone allows
    try:
        assert plain.execute(f"select content from read_text('{key}')").fetchone()[0].strip()
    finally:
        plain.close()
    return {
        "read_text of the vault key": f"select content from read_text('{key}')",
        "read_blob of the vault key": f"select content from read_blob('{key}')",
        "read_csv of the landing KYR file": f"select * from read_csv('{kyr}')",
        "a landing file as a table": f"select * from '{kyr}'",
        "ATTACH the vault": f"attach '{state.vault}' as v (read_only)",
        "COPY TO a file": f"copy (select * from marts.dim_resident) to '{out_dir / 'x.csv'}'",
        "SET external access on": "set enable_external_access = true",
        "SET anything": "set threads = 1",
        "INSTALL an extension": "install httpfs",
        "a raw table": "select * from raw.uid_kyr",
        "the vault key through query()": f"select * from query('select * from read_text(''{key}'')')",
    }


@pytest.mark.parametrize("role", ["Analyst", "Dept - Food and Civil Supplies"])
def test_sqllab_cannot_reach_files_the_vault_or_settings(superset, state, sqllab_users,
                                                         role, tmp_path):
    from ingest.tokens import key_file

    s, db_id = sqllab_users[role], sqllab_users["db_id"]
    key_text = key_file(state).read_text().strip()
    # why each attack may fail: the lockdown (DuckDB or Superset's blocklist), or, for a
    # role without SQL Lab, the permission; never CSRF or any other accident of the request
    reason = (re.compile(r"Permission Error|disallowed function|only SELECT queries|"
                         r"Catalog Error", re.IGNORECASE) if role == "Analyst"
              else re.compile(r"forbidden|not allowed|access|permission", re.IGNORECASE))
    for what, sql in _attacks(state, tmp_path).items():
        r = _sqllab(s, superset.url, db_id, sql)
        assert r.status_code != 200 or r.json().get("status") != "success", (role, what, r.text)
        assert key_text not in r.text, (role, what)
        assert reason.search(r.text) and "CSRF" not in r.text, (role, what, r.text[:1000])
    assert not list(tmp_path.iterdir())  # COPY wrote nothing

    marts = "select count(*) as n from marts.mart_scheme_leakage"
    r = _sqllab(s, superset.url, db_id, marts)
    if role == "Analyst":  # the one role with SQL Lab: plain SELECTs on the marts work
        assert _sqllab_rows(r) == [{"n": _sql(state, marts)[0]["n"]}]
        settings = _sqllab_rows(_sqllab(s, superset.url, db_id, """
            select current_setting('enable_external_access') as ext,
                   current_setting('lock_configuration') as locked"""))
        assert settings == [{"ext": False, "locked": True}]  # the connect_args were applied
        schemas = _sqllab_rows(_sqllab(s, superset.url, db_id, """
            select distinct table_schema from information_schema.tables order by 1"""))
        assert [r["table_schema"] for r in schemas] == ["jansamvad", "marts"]
    else:  # a department role has no SQL Lab at all
        assert r.status_code in (401, 403), r.text[:500]
