"""`srdh run` ends with a summary table, keeps dbt's lines in its log file, and skips
matching, dbt and publish when nothing new arrived (issue 21)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def _run(home, landing, *extra):
    env = {**os.environ, "SRDH_GX": "0"}
    return subprocess.run([sys.executable, "-m", "srdh.cli", "run", "--landing", str(landing),
                           "--home", str(home), "--run-date", "2025-03-01", *extra],
                          capture_output=True, text=True, timeout=1200, env=env)


def test_first_run_summary_and_dbt_quiet(built_state):
    log = built_state["log"]
    assert "step" in log and "where" in log
    for step in ("ingest", "match", "build", "calllist", "publish", "deliver"):
        assert f"\n{step} " in log, step
    assert "staging:" in log and "marts:" in log  # one line per dbt layer
    assert "Completed successfully" not in log and "OK created" not in log  # dbt's own lines
    assert (built_state["home"] / "dbt" / "logs" / "dbt.log").stat().st_size > 0


def test_rerun_with_nothing_new_skips_matching_and_dbt(built_state, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(built_state["home"], home)
    again = _run(home, built_state["landing"])
    assert again.returncode == 0, again.stderr[-2000:]
    assert "nothing new since the last run" in again.stderr
    assert "== match" not in again.stderr and "== build" not in again.stderr
    assert again.stdout.count("skipped: nothing new") == 3
    assert "skipped: today's files exist" in again.stdout  # written by the first run
