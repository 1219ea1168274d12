"""A real Superset, bootstrapped and started in a temp home, tested over HTTP and in Chromium.

Superset runs only in ``dashboards/.venv``: the fixture drives
``dashboards/manage.py`` (bootstrap, start, stop) by subprocess, then this module
talks to it with ``requests``. Superset starts once per module.
"""

from __future__ import annotations

import json
import os
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
SCREENSHOTS = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(DASHBOARDS))

from srdh_superset import sample_data  # noqa: E402

from srdh.paths import Home  # noqa: E402
from warehouse.publish import publish_serving_copy  # noqa: E402

pytestmark = pytest.mark.slow

SCHEMES = sample_data.SCHEME_ROWS
DQ = sample_data.DQ_ROWS
DISTRICTS = sample_data.DISTRICT_ROWS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SRDH_SUPERSET_")}
    env.pop("VIRTUAL_ENV", None)
    env["SRDH_HOME"] = str(home)
    env["SRDH_SUPERSET_WORKERS"] = "1"  # one worker (8 threads) starts fastest on 2 cores
    proc = subprocess.run([str(BI_PYTHON), str(MANAGE), *args, "--home", str(home)], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"manage.py {args} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return proc


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
def superset(tmp_path_factory):
    if not BI_PYTHON.exists():
        pytest.fail("dashboards/.venv is not installed; run `make install-bi`")
    home = tmp_path_factory.mktemp("srdh-superset-home")
    h = Home.at(home).ensure()
    sample_data.write_sample_serving(h.warehouse)  # a "warehouse" shaped like the marts
    publish_serving_copy(h)  # the real publish step makes the serving copy
    t0 = time.monotonic()
    boot = _manage("bootstrap", home=home)
    assert "admin password generated" in boot.stdout
    port = _free_port()
    try:
        _manage("start", "--port", str(port), "--timeout", "180", home=home)
        print(f"\nSuperset bootstrapped and started in {time.monotonic() - t0:.0f}s")
        password = (h.secrets / "superset_admin_password").read_text().strip()
        yield Superset(f"http://127.0.0.1:{port}", home, password)
    finally:
        _manage("stop", home=home, timeout=60)


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
    return s.get(f"{url}/api/v1/chart/{chart_id}/data/", timeout=60)


def _chart_id(s: requests.Session, url: str, name: str) -> int:
    q = f"(filters:!((col:slice_name,opr:eq,value:'{name}')))"
    res = s.get(f"{url}/api/v1/chart/", params={"q": q}, timeout=30).json()["result"]
    assert len(res) == 1, name
    return res[0]["id"]


def _expected(name: str) -> list[dict]:
    """What each chart must return for the sample marts (admin: every row)."""
    def total(rows, i):
        return sum(r[i] for r in rows)

    if name == "Beneficiaries":
        return [{"total_beneficiaries": total(SCHEMES, 4)}]
    if name == "Rupees at risk per month":
        return [{"total_rupees_at_risk": total(SCHEMES, 9)}]
    if name == "Leakage by district":
        return [{"district": d,
                 "total_duplicates": total([r for r in SCHEMES if r[2] == d], 6)}
                for d in sorted({r[2] for r in SCHEMES})]
    if name == "Schemes":
        return [{"scheme_code": s} for s in sorted({r[0] for r in SCHEMES})]
    if name == "Residents by district":
        return [{"district": r[0], "residents": r[1]} for r in sorted(DISTRICTS)]
    if name == "Rows loaded":
        return [{"total_rows_loaded": total(DQ, 2)}]
    if name == "Quarantined rows by reason":
        return [{"quarantine_reason": q,
                 "total_rows_quarantined": total([r for r in DQ if r[4] == q], 3)}
                for q in sorted({r[4] for r in DQ if r[4]})]
    if name == "Feeds":
        return [{"feed": f, "total_rows_loaded": total([r for r in DQ if r[0] == f], 2)}
                for f in sorted({r[0] for r in DQ})]
    raise AssertionError(f"no expectation for chart {name!r}; add one")


def _rows(resp: requests.Response) -> list[dict]:
    assert resp.status_code == 200, resp.text[:2000]
    (result,) = resp.json()["result"]
    assert result.get("error") is None, result
    return result["data"]


def _matches(rows: list[dict], expected: list[dict]) -> bool:
    key = list(expected[0])[0]
    got = sorted(({k: r[k] for k in expected[0]} for r in rows), key=lambda r: str(r[key]))
    want = sorted(expected, key=lambda r: str(r[key]))
    return got == want


def test_unauthenticated_requests_are_refused(superset):
    assert requests.get(f"{superset.url}/api/v1/chart/", timeout=30).status_code == 401
    assert requests.get(f"{superset.url}/api/v1/dashboard/", timeout=30).status_code == 401
    r = requests.post(f"{superset.url}/api/v1/chart/data", json={"queries": []}, timeout=30)
    assert r.status_code in (401, 403)
    r = requests.get(f"{superset.url}/superset/dashboard/1/", timeout=30, allow_redirects=False)
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


def test_every_chart_on_every_dashboard_returns_its_rows(superset):
    s = superset.session()
    charts = _dashboard_charts(s, superset.url)
    titles = {t for t, _ in charts}
    assert {"Scheme monitoring", "Data quality"} <= titles
    assert len(charts) >= 8
    for title, chart in charts:
        name = chart["slice_name"]
        rows = _rows(_chart_data(s, superset.url, chart["id"]))  # saved query_context
        assert _matches(rows, _expected(name)), (title, name, rows)
        # and the same query context through POST /api/v1/chart/data
        full = s.get(f"{superset.url}/api/v1/chart/{chart['id']}", timeout=30).json()["result"]
        qc = json.loads(full["query_context"])
        posted = s.post(f"{superset.url}/api/v1/chart/data", json=qc, timeout=60)
        assert _matches(_rows(posted), _expected(name)), (title, name)


def _add_user(s: requests.Session, url: str, username: str, role: str, password: str) -> None:
    q = f"(filters:!((col:name,opr:eq,value:'{role}')))"
    roles = s.get(f"{url}/api/v1/security/roles/", params={"q": q}, timeout=30).json()["result"]
    assert len(roles) == 1, role
    r = s.post(f"{url}/api/v1/security/users/", timeout=30, json={
        "username": username, "first_name": username, "last_name": "Test",
        "email": f"{username}@srdh.invalid", "password": password,
        "roles": [roles[0]["id"]], "active": True})
    assert r.status_code == 201, r.text


def test_row_level_security_per_department_and_district(superset):
    admin = superset.session()
    ids = {n: _chart_id(admin, superset.url, n)
           for n in ("Beneficiaries", "Schemes", "Residents by district", "Feeds")}
    _add_user(admin, superset.url, "sw_officer", "Dept - Social Welfare", "Sw-Officer-Pw-1")
    _add_user(admin, superset.url, "bastar_officer", "District - Bastar", "Bastar-Pw-12345")
    _add_user(admin, superset.url, "analyst1", "Analyst", "Analyst-Pw-12345")

    dept = superset.session("sw_officer", "Sw-Officer-Pw-1")
    sw = [r for r in SCHEMES if r[1] == "Social Welfare"]
    assert _rows(_chart_data(dept, superset.url, ids["Beneficiaries"])) == [
        {"total_beneficiaries": sum(r[4] for r in sw)}]
    schemes = _rows(_chart_data(dept, superset.url, ids["Schemes"]))
    assert {r["scheme_code"] for r in schemes} == {r[0] for r in sw}
    assert {r["department"] for r in schemes} == {"Social Welfare"}
    assert _chart_data(dept, superset.url, ids["Feeds"]).status_code in (403, 404)

    district = superset.session("bastar_officer", "Bastar-Pw-12345")
    bastar = [r for r in SCHEMES if r[2] == "Bastar"]
    assert _rows(_chart_data(district, superset.url, ids["Beneficiaries"])) == [
        {"total_beneficiaries": sum(r[4] for r in bastar)}]
    residents = _rows(_chart_data(district, superset.url, ids["Residents by district"]))
    assert [r["district"] for r in residents] == ["Bastar"]
    assert _chart_data(district, superset.url, ids["Feeds"]).status_code in (403, 404)
    # the dashboard list shows a scoped user only what it may read
    titles = {d["dashboard_title"] for d in district.get(
        f"{superset.url}/api/v1/dashboard/", timeout=30).json()["result"]}
    assert titles == {"Scheme monitoring"}

    analyst = superset.session("analyst1", "Analyst-Pw-12345")
    assert _rows(_chart_data(analyst, superset.url, ids["Beneficiaries"])) == [
        {"total_beneficiaries": sum(r[4] for r in SCHEMES)}]
    assert len(_rows(_chart_data(analyst, superset.url, ids["Feeds"]))) == len({r[0] for r in DQ})


def test_superset_holds_no_lock_and_survives_publish(superset):
    s = superset.session()
    chart = _chart_id(s, superset.url, "Beneficiaries")
    h = Home.at(superset.home)

    # A writer holds the WORKING warehouse while Superset answers from the serving copy.
    writer = duckdb.connect(str(h.warehouse))
    try:
        writer.execute("update marts.mart_scheme_summary set beneficiaries = beneficiaries + 1000"
                       " where scheme_code = 'PDS' and block = 'Abhanpur'")
        writer.execute("checkpoint")
        assert _rows(_chart_data(s, superset.url, chart)) == [
            {"total_beneficiaries": sum(r[4] for r in SCHEMES)}]
    finally:
        writer.close()
    # Superset keeps no write lock on the serving copy: another process can open it.
    duckdb.connect(str(h.serving), read_only=True).close()

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
            publish_serving_copy(h)
            time.sleep(0.5)
    finally:
        time.sleep(1)
        stop.set()
        t.join(timeout=120)
    assert not failures, failures[:3]
    assert answers
    new_total = sum(r[4] for r in SCHEMES) + 1000
    assert _rows(_chart_data(s, superset.url, chart)) == [{"total_beneficiaries": new_total}]


def _have_browser() -> bool:
    return bool(shutil.which("chromium") and shutil.which("chromedriver"))


def test_dashboards_render_in_headless_chromium(superset):
    if not _have_browser():
        if os.environ.get("SRDH_ALLOW_NO_BROWSER") == "1":
            pytest.skip("chromium absent and SRDH_ALLOW_NO_BROWSER=1")
        pytest.fail("chromium/chromedriver missing: apt-get install -y chromium chromium-driver")
    pw_file = Path(superset.home) / "secrets" / "superset_admin_password"
    proc = subprocess.run(
        [str(BI_PYTHON), str(MANAGE), "screenshots", "--url", superset.url,
         "--username", "admin", "--password-file", str(pw_file), "--out", str(SCREENSHOTS),
         "--chromium", shutil.which("chromium"), "--chromedriver", shutil.which("chromedriver")],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-4000:]}"
    report = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert len(report["dashboards"]) >= 2
    for d in report["dashboards"]:
        assert not d["errors"], d
        assert d["chart_data_responses"] >= d["charts"] > 0, d
        assert Path(d["screenshot"]).stat().st_size > 10_000, d
