"""Warm imports for the local Airflow's scheduler, so dbt tasks start in a second.

Under LocalExecutor every task runs in a process forked from a worker, which is forked from
the scheduler. Importing dbt costs about 8 CPU-seconds (mashumaro builds its serialisers at
import time), 10-15 s of wall time on a busy 2-core box: paid again by each of the ~60
dbt model tasks unless the scheduler has already imported it. ``srdh airflow up`` writes
``$AIRFLOW_HOME/config/airflow_local_settings.py`` (Airflow imports that file in every
component at start-up), which calls :func:`preload` in the scheduler only.

``SRDH_AIRFLOW_PRELOAD=0`` turns it off.
"""

from __future__ import annotations

import os
import sys

#: What a dbt task imports: dbt itself, its DuckDB adapter, and Cosmos's local operators.
MODULES = ("dbt.cli.main", "dbt.task.build", "dbt.compilation", "dbt.adapters.duckdb",
           "dbt.adapters.duckdb.impl", "cosmos", "cosmos.operators.local", "cosmos.dbt.runner")

LOCAL_SETTINGS = '''\
"""Written by `srdh airflow up` (srdh/orchestration/preload.py): the scheduler imports dbt
and Cosmos once, and every LocalExecutor task process forked from it starts with them."""
import sys as _sys

__all__: list[str] = []  # no cluster policies here

if _sys.argv[1:2] == ["scheduler"]:
    from srdh.orchestration.preload import preload as _preload

    _preload()
'''


def preload() -> list[str]:
    """Import :data:`MODULES` (best effort); return the ones that imported."""
    if os.environ.get("SRDH_AIRFLOW_PRELOAD", "1") == "0":
        return []
    done = []
    for name in MODULES:
        try:
            __import__(name)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never stop the scheduler
            print(f"srdh preload: {name} not imported: {exc}", file=sys.stderr)
        else:
            done.append(name)
    return done


def write_local_settings(airflow_home: os.PathLike[str] | str) -> str:
    """Write ``<airflow_home>/config/airflow_local_settings.py``; return its path."""
    from pathlib import Path

    path = Path(airflow_home) / "config" / "airflow_local_settings.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOCAL_SETTINGS)
    return str(path)
