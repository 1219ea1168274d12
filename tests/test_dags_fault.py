"""Faults through real Airflow: a task SIGKILLed inside its DuckDB write transaction, then
rerun, loses and doubles nothing; a failing task is retried and recorded where an operator
looks (`<home>/logs/failures.jsonl` and the task log)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from fault_helpers import paused_env
from home_helpers import ensure_key

from srdh_tools.dagtest import airflow_env, prepare_airflow_home

pytestmark = pytest.mark.slow
FEED = "food_pds"
TABLES = ("raw.food_pds", "std.food_pds", "meta.files", "quarantine.rows")


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("state")
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "generate", "--residents", "1500",
                           "--seed", "7", "--out", str(out / "landing"), "--truth",
                           str(out / "truth"), "--quiet"], capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0 and "No such command" in proc.stderr:
        pytest.skip("`srdh generate` does not exist yet")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "landing"


def snapshot(home: Path) -> dict:
    with duckdb.connect(str(home / "warehouse" / "srdh.duckdb"), read_only=True) as con:
        have = {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
        out = {t: con.execute(f"select count(*) from {t}").fetchone()[0] if t in have else 0
               for t in TABLES}
        out["loaded_batches"] = con.execute(
            "select count(*) from meta.batches where status = 'loaded'").fetchone()[0] \
            if "meta.batches" in have else 0
    return out


def dagtest_cmd(dag_id: str) -> list[str]:
    return [sys.executable, "-m", "srdh_tools.dagtest", dag_id,
            "--logical-date", "2026-03-01"]


def test_sigkill_inside_the_write_transaction_then_rerun_equals_a_clean_run(tmp_path, landing):
    # Clean reference: the same step, no Airflow, no fault.
    clean = ensure_key(tmp_path / "clean")
    subprocess.run([sys.executable, "-c",
                    "import sys; from srdh import pipeline; "
                    "pipeline.ingest(sys.argv[1], sys.argv[2], feeds=[sys.argv[3]])",
                    str(clean), str(landing), FEED], check=True, capture_output=True, timeout=900)
    expected = snapshot(clean)
    assert expected["raw.food_pds"] > 0 and expected["loaded_batches"] >= 1

    home = ensure_key(tmp_path / "home")
    marker = tmp_path / "in_transaction"
    env = airflow_env(tmp_path / "airflow", dag_files=["srdh_ingest.py"], SRDH_HOME=str(home),
                      SRDH_LANDING=str(landing))
    prepare_airflow_home(env)
    # pause inside the batch transaction and drop a marker file (tests/hooks/sitecustomize.py)
    fault_env = paused_env(env, marker)
    proc = subprocess.Popen(dagtest_cmd(f"srdh_ingest_{FEED}"), env=fault_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not marker.exists():
            assert proc.poll() is None, "the DAG run ended before reaching the transaction"
            assert time.monotonic() < deadline, "never reached the write transaction"
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the task process and everything it started
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(home)["loaded_batches"] == 0  # nothing half-committed

    rerun = subprocess.run(dagtest_cmd(f"srdh_ingest_{FEED}"), env=env, capture_output=True,
                           text=True, timeout=1200)
    assert rerun.returncode == 0, rerun.stderr[-5000:]
    result = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert result["tasks"] == {"load": "success", "check": "success", "announce": "success"}
    assert snapshot(home) == expected


def test_failing_task_is_retried_and_recorded_for_the_operator(tmp_path):
    home = tmp_path / "empty-home"  # no warehouse: publish must fail
    env = airflow_env(tmp_path / "airflow", dag_files=["srdh_publish.py"], SRDH_HOME=str(home),
                      SRDH_AIRFLOW_RETRIES="1", SRDH_AIRFLOW_RETRY_DELAY="1")
    prepare_airflow_home(env)
    proc = subprocess.run(dagtest_cmd("srdh_publish"), env=env, capture_output=True, text=True,
                          timeout=900)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert proc.returncode == 1 and result["tasks"] == {"publish": "failed"}, result

    records = [json.loads(line) for line in
               (home / "logs" / "failures.jsonl").read_text().splitlines()]
    by_state = {r["state"]: r for r in records}
    # first try -> retry, second try -> failed for good, then the DAG run failed
    assert [r["state"] for r in records] == ["up_for_retry", "failed", "dag_run_failed"], records
    assert by_state["up_for_retry"]["try_number"] == 1
    failed = by_state["failed"]
    assert failed["dag_id"] == "srdh_publish" and failed["try_number"] == 2
    assert "no warehouse to publish" in failed["error"]
    assert "SRDH task failed" in proc.stdout + proc.stderr  # the error is logged too
