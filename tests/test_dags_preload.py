"""The local settings `srdh airflow up` writes make the scheduler, and only the scheduler,
pre-import dbt (LocalExecutor task processes are forked from it)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from srdh.orchestration.preload import write_local_settings

CHECK = r"""
import sys
sys.path.insert(0, sys.argv[1])
sys.argv = ["airflow", sys.argv[2]]
import airflow_local_settings
print(sorted(m for m in ("dbt.cli.main", "cosmos.operators.local") if m in sys.modules))
"""


@pytest.mark.parametrize(("component", "expected"), [
    ("scheduler", "['cosmos.operators.local', 'dbt.cli.main']"),
    ("dag-processor", "[]"),
])
def test_only_the_scheduler_preloads_dbt(tmp_path, component, expected):
    path = write_local_settings(tmp_path)
    assert path.endswith("config/airflow_local_settings.py")
    proc = subprocess.run([sys.executable, "-c", CHECK, str(tmp_path / "config"), component],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == expected
