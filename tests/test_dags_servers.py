"""The real Airflow servers, started by `srdh_tools.runner` on a free port with a temp
home: generated login works, a wrong or default password is refused, the REST API lists the
SRDH DAGs, and stop leaves no process of the group behind."""

from __future__ import annotations

import os
import shutil
import stat

import psutil
import pytest

from core.paths import Home
from srdh_tools.dagtest import _template_db, airflow_env, prepare_airflow_home
from srdh_tools.runner import AirflowError, AirflowRunner, free_port

pytestmark = pytest.mark.slow


def group_members(pgid: int) -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(p.pid) == pgid and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except (ProcessLookupError, psutil.Error):
            pass
    return out


def test_runner_starts_real_airflow_logs_in_lists_dags_and_stops_cleanly(tmp_path):
    home = Home.at(tmp_path / "home")
    runner = AirflowRunner(home, port=free_port(), echo=lambda _msg: None)
    # A migrated metadata DB copied from the cache saves the migration; runner.init() still
    # runs `airflow db migrate` (a no-op then) and creates the pool.
    prepare_airflow_home(airflow_env(tmp_path / "scratch"))
    runner.airflow_home.mkdir(parents=True)
    shutil.copy2(_template_db(), runner.airflow_home / "airflow.db")

    pgid = None
    try:
        runner.up(run=False, dbt_parse=False)
        pgid = runner.read_state()["pgid"]
        assert len(group_members(pgid)) >= 4

        # The password was generated into <home>/secrets, readable by the owner only.
        pw_file = home.secrets / "airflow_passwords.json"
        assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(home.secrets.stat().st_mode) == 0o700
        password = runner.password()
        assert len(password) >= 20

        token = runner.login("admin", password)
        assert token
        for wrong in ("admin", "airflow", "password", password + "x", password.upper()):
            status, _ = runner.request("POST", "/auth/token",
                                       {"username": "admin", "password": wrong})
            assert status == 401, wrong
        status, _ = runner.request("POST", "/auth/token", {"username": "admin", "password": ""})
        assert status in (400, 401)
        with pytest.raises(AirflowError):
            runner.login("nobody", password)
        status, _ = runner.request("GET", "/api/v2/dags")
        assert status == 401  # no token, no API

        runner.wait_for_dag("srdh_full_run", timeout=300)
        dags = runner.api("GET", "/dags?limit=200")
        ids = {d["dag_id"] for d in dags["dags"]}
        assert {"srdh_full_run", "srdh_match", "srdh_ingest_uid_kyr"} <= ids
        assert runner.api("GET", "/importErrors")["total_entries"] == 0
        pools = {p["name"]: p["slots"] for p in runner.api("GET", "/pools")["pools"]}
        assert pools["srdh_duckdb_writer"] == 1
        assert runner.status()["running"] is True
    finally:
        runner.stop()
    assert pgid is not None
    assert group_members(pgid) == []
    assert runner.status()["running"] is False
    assert not runner.state_file.exists()
