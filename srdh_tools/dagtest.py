"""Run one SRDH DAG in-process with ``dag.test()``, no servers: for tests and for debugging.

    python -m srdh_tools.dagtest srdh_ingest_food_pds --logical-date 2026-01-05

Needs ``AIRFLOW_HOME`` with a migrated metadata DB (:func:`prepare_airflow_home` makes
one). Prints one JSON line last: the run's state and every task's state.
Exit status 0 when the run succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
POOL = "srdh_duckdb_writer"


def airflow_env(airflow_home: str | os.PathLike[str], dag_files: list[str] | None = None,
                **extra: str) -> dict[str, str]:
    """Environment for a throwaway Airflow (SQLite, no examples, telemetry off).

    ``dag_files`` (names in ``dags/``) limits the DAG folder to copies of those files, so
    ``dag.test()``, which re-parses the whole folder, parses only what a test needs.
    """
    ah = Path(airflow_home).resolve()
    dags = REPO_ROOT / "dags"
    if dag_files is not None:
        dags = ah / "dags"
        dags.mkdir(parents=True, exist_ok=True)
        for name in dag_files:
            shutil.copy2(REPO_ROOT / "dags" / name, dags / name)
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(ah),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{ah / 'airflow.db'}",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(ah / "cosmos"),  # dbt partial-parse cache, per home
        "DO_NOT_TRACK": "1",
    })
    env.pop("AIRFLOW_CONFIG", None)
    env.update(extra)
    return env


def _template_db() -> Path:
    from importlib.metadata import version

    return Path(tempfile.gettempdir()) / f"srdh-airflow-{version('apache-airflow')}-migrated.db"


def prepare_airflow_home(env: dict[str, str]) -> None:
    """A migrated metadata DB with the one-slot DuckDB pool, for the home in ``env``.

    The first call on a machine runs ``airflow db migrate`` and keeps a copy of the
    result in the temp folder; later calls copy it (a migration costs seconds).
    """
    home = Path(env["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    db = home / "airflow.db"
    airflow = str(Path(sys.executable).parent / "airflow")
    template = _template_db()
    if db.exists():
        return
    if template.exists():
        shutil.copy2(template, db)
        return
    for args in (["db", "migrate"], ["pools", "set", POOL, "1", "DuckDB single writer"]):
        subprocess.run([airflow, *args], env=env, check=True, capture_output=True, timeout=900)
    if not template.exists():
        tmp = template.with_suffix(f".{os.getpid()}.tmp")
        shutil.copy2(db, tmp)
        os.replace(tmp, template)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dag_id")
    ap.add_argument("--logical-date", help="ISO date/time (UTC); default now")
    ap.add_argument("--conf", default="{}", help="run conf, JSON")
    args = ap.parse_args(argv)

    from airflow.dag_processing.dagbag import DagBag

    folder = os.environ.get("AIRFLOW__CORE__DAGS_FOLDER") or str(REPO_ROOT / "dags")
    bag = DagBag(dag_folder=folder, safe_mode=False)
    if bag.import_errors:
        print(json.dumps({"import_errors": bag.import_errors}), file=sys.stderr)
    dag = bag.dags.get(args.dag_id)
    if dag is None:
        print(json.dumps({"state": "missing", "dag_id": args.dag_id}))
        return 2
    logical = None
    if args.logical_date:
        logical = dt.datetime.fromisoformat(args.logical_date)
        if logical.tzinfo is None:
            logical = logical.replace(tzinfo=dt.UTC)
    kwargs = {"run_conf": json.loads(args.conf)}
    if logical is not None:
        kwargs["logical_date"] = logical
    dr = dag.test(**kwargs)
    tasks = {ti.task_id: str(ti.state) for ti in dr.get_task_instances()}
    state = str(dr.state)
    print(json.dumps({"dag_id": args.dag_id, "run_id": dr.run_id, "state": state,
                      "tasks": tasks}))
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
