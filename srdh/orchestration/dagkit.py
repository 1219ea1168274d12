"""What every SRDH DAG shares: defaults, callbacks, the pool, the catalogue DAGs come from.

DAG files are parsed every few seconds by the dag-processor, so this module must stay
cheap to import: standard library and PyYAML only. Airflow is imported inside functions
(tasks, callbacks), never at module level, and nothing heavy (pandas, duckdb, GX, Splink)
is imported here at all; the pipeline steps import those when a task actually runs.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger("srdh.airflow")

#: One-slot pool: DuckDB has a single writer, so every task that opens the warehouse queues here.
POOL = "srdh_duckdb_writer"
POOL_DESCRIPTION = "DuckDB allows one writer: every task opening the SRDH warehouse uses this pool"

#: Asset URIs. Ingest DAGs publish raw/<feed>; matching, dbt and publish chain on each other.
RAW_ASSET = "srdh://raw/{feed}"
MATCHING_ASSET = "srdh://matching/clusters"
MARTS_ASSET = "srdh://warehouse/marts"
SERVING_ASSET = "srdh://serving/srdh.duckdb"

#: The feed the other person feeds are seeded against (the matching DAG waits on it).
KYR_FEED = "uid_kyr"

REPO_ROOT = Path(__file__).resolve().parents[2]
START_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

# Per-step execution timeouts: generous for a state-sized run, short enough to free the pool.
TIMEOUTS = {
    "ingest": dt.timedelta(hours=2),
    "match": dt.timedelta(hours=3),
    "dbt": dt.timedelta(hours=1),
    "publish": dt.timedelta(minutes=30),
    "deliver": dt.timedelta(hours=1),
}


# --------------------------------------------------------------------------- registries


def _load_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader


def _catalogue():
    """The feed catalogue (``ingest.registry``: built-in feeds plus ``$SRDH_SOURCES``;
    YAML + pydantic, both light and already loaded by Airflow), so a DAG exists exactly
    for each valid feed and department. A malformed YAML raises: a DAG import error
    naming the file."""
    from ingest.registry import catalogue

    return catalogue()


def schedules_path() -> Path:
    if env := os.environ.get("SRDH_SCHEDULES"):
        return Path(env).expanduser().resolve()
    return REPO_ROOT / "dags" / "schedules.yaml"


def schedules() -> dict[str, Any]:
    """``dags/schedules.yaml`` (or ``$SRDH_SCHEDULES``): how often ingest DAGs poll."""
    path = schedules_path()
    return (_load_yaml(path) or {}) if path.exists() else {}


def feeds() -> list[dict[str, Any]]:
    """One entry per registered feed: ``name``, ``kind``, ``department``, ``person``,
    ``schedule``."""
    ingest_cfg = schedules().get("ingest") or {}
    per_feed = ingest_cfg.get("feeds") or {}
    default = ingest_cfg.get("default", "@hourly")
    cat = _catalogue()
    person = set(cat.person_feeds())
    return [{"name": name, "kind": src.kind, "department": src.department,
             "description": src.title or name, "schedule": per_feed.get(name, default),
             "person": name in person}
            for name, src in cat.feeds.items()]


def deliveries() -> list[dict[str, Any]]:
    """Departments that receive files back: ``department`` (as ``srdh.pipeline.deliver``
    takes it), ``slug`` (for DAG/task ids), ``schedule`` (cron), ``sources``. The catalogue
    answers, so a department named only by a feed YAML gets its DAG, on the default
    schedule (``warehouse/deliveries.yaml`` or ``$SRDH_DELIVERIES_CONFIG`` changes it)."""
    return [{"department": name, "slug": name.lower(), "schedule": d.delivery.schedule,
             "sources": list(d.sources),
             "description": d.delivery.description or f"Deliveries to {name}"}
            for name, d in _catalogue().departments().items()]


def dbt_project_dir() -> Path:
    return Path(os.environ.get("SRDH_DBT_PROJECT") or REPO_ROOT / "dbt_project").resolve()


def dbt_project_ready() -> bool:
    return (dbt_project_dir() / "dbt_project.yml").is_file()


# --------------------------------------------------------------------------- run-time settings


def _variable(key: str) -> str | None:
    """An Airflow Variable, or None outside a task / when unset. Only called at run time."""
    try:
        from airflow.sdk import Variable

        return Variable.get(key, default=None)
    except Exception:  # noqa: BLE001 - no API server / no context: fall back to defaults
        return None


def home() -> str:
    """The SRDH home for a task: ``$SRDH_HOME``, else Variable ``srdh_home``, else ``./.srdh``."""
    from core.paths import resolve_home

    return str(resolve_home(os.environ.get("SRDH_HOME") or _variable("srdh_home")))


def landing() -> str:
    """Landing folder: `$SRDH_LANDING`, else Variable `srdh_landing`, else `<home>/landing`."""
    chosen = os.environ.get("SRDH_LANDING") or _variable("srdh_landing")
    return str(Path(chosen).expanduser().resolve()) if chosen else str(Path(home()) / "landing")


def run_date(context: Mapping[str, Any]) -> dt.date:
    """The run's date, from its logical date, so a rerun of the same run does the same thing.

    Manually triggered runs in Airflow 3 may have no logical date; then ``run_after`` is used.
    """
    when = context.get("logical_date")
    if when is None and context.get("dag_run") is not None:
        when = getattr(context["dag_run"], "run_after", None)
    if when is None:
        return dt.date.today()
    return when.date() if hasattr(when, "date") else when


# --------------------------------------------------------------------------- callbacks


def failures_file(home_dir: str | os.PathLike[str] | None = None) -> Path:
    return Path(home_dir or home()) / "logs" / "failures.jsonl"


def _failure_record(context: Mapping[str, Any], state: str) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exc = context.get("exception")
    logical = context.get("logical_date")
    return {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "state": state,
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "logical_date": logical.isoformat() if hasattr(logical, "isoformat") else logical,
        "error": f"{type(exc).__name__}: {exc}" if exc is not None else context.get("reason"),
        "log_url": getattr(ti, "log_url", None),
    }


def _record(context: Mapping[str, Any], state: str) -> None:
    record = _failure_record(context, state)
    level = logging.ERROR if state == "failed" else logging.WARNING
    log.log(level, "SRDH task %s: %s", state, json.dumps(record, default=str))
    try:
        path = failures_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, default=str) + "\n")
    except OSError:  # never let the callback mask the task's own error
        log.exception("could not append to the SRDH failures file")


def on_failure(context: Mapping[str, Any]) -> None:
    """Task failed for good: log an error, append a JSON line to ``<home>/logs/failures.jsonl``."""
    _record(context, "failed")


def on_retry(context: Mapping[str, Any]) -> None:
    """Task will be retried: recorded too, so flaky steps are visible before they fail."""
    _record(context, "up_for_retry")


def on_dag_failure(context: Mapping[str, Any]) -> None:
    """The whole run failed (runs in the scheduler / dag-processor)."""
    _record(context, "dag_run_failed")


def default_args(step: str = "ingest", **overrides: Any) -> dict[str, Any]:
    """Retries with exponential back-off, a timeout per step, and the failure callbacks."""
    args: dict[str, Any] = {
        "owner": "srdh",
        "retries": int(os.environ.get("SRDH_AIRFLOW_RETRIES", "2")),
        "retry_delay": dt.timedelta(seconds=float(os.environ.get("SRDH_AIRFLOW_RETRY_DELAY",
                                                                 "30"))),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(minutes=15),
        "execution_timeout": TIMEOUTS[step],
        "on_failure_callback": on_failure,
        "on_retry_callback": on_retry,
    }
    args.update(overrides)
    return args


def dag_kwargs(step: str, tags: list[str], **overrides: Any) -> dict[str, Any]:
    """Keyword arguments shared by every SRDH DAG."""
    kwargs: dict[str, Any] = {
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 1,
        "default_args": default_args(step),
        "on_failure_callback": on_dag_failure,
        "tags": ["srdh", *tags],
        "dagrun_timeout": dt.timedelta(hours=8),
    }
    kwargs.update(overrides)
    return kwargs


# --------------------------------------------------------------------------- step wrappers
# Steps return typed results (srdh/results.py); tasks pass them on as XCom with
# ``to_xcom()`` and read them back with ``from_xcom``.


def _fail(message: str) -> None:
    """Fail the task for good, without retries: a refused batch does not change on retry."""
    from airflow.sdk.exceptions import AirflowFailException

    from core.errors import mask_uids

    raise AirflowFailException(mask_uids(message))


def check_feed(ingested: Mapping[str, Any], feed: str) -> dict[str, Any]:
    """The ``check_<feed>`` task: fail with one line naming each refused batch of ``feed``
    (and each file or folder in its landing folder outside the layout), else say which
    of its batches loaded. Everything else in the run went on regardless."""
    from srdh.results import Ingested

    result = Ingested.from_xcom(dict(ingested))
    if problems := result.problems(feed):
        _fail(f"{feed}: {len(problems)} delivery problem(s), not loaded: " +
              " | ".join(problems))
    return {"feed": feed, "new_batches": list(result.new_batches(feed))}


def check_landing(ingested: Mapping[str, Any]) -> dict[str, Any]:
    """The ``check_landing`` task: fail naming what no feed owns (files at the landing
    root, folders no source YAML names)."""
    from srdh.results import Ingested

    if problems := Ingested.from_xcom(dict(ingested)).landing_problems():
        _fail(f"landing: {len(problems)} file(s) or folder(s) outside the layout "
              "<feed>/<YYYY-MM-DD>/*.csv, not loaded: " + " | ".join(problems))
    return {"landing": "ok"}


def deliver(home_dir: str, department: str, when: dt.date,
            run_id: str | None = None) -> dict[str, Any]:
    """One department's delivery for the run's date, tagged with the Airflow run id."""
    from srdh import pipeline

    return pipeline.deliver(home_dir, when, department=department, run_id=run_id).to_xcom()
