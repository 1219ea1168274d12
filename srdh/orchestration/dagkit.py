"""What every SRDH DAG shares: defaults, callbacks, the pool, the registries DAGs come from.

DAG files are parsed every few seconds by the dag-processor, so this module must stay
cheap to import: standard library and PyYAML only. Airflow is imported inside functions
(tasks, callbacks), never at module level, and nothing heavy (pandas, duckdb, GX, Splink)
is imported here at all; the pipeline steps import those when a task actually runs.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import inspect
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

#: The person feeds matching reads (docs/CONVENTIONS.md, `std.<feed>` contract). A source YAML
#: can say so itself with `person: true` / `kind: person`; this list is the fallback.
KYR_FEED = "uid_kyr"
DEFAULT_PERSON_FEEDS = ("uid_kyr", "food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship",
                        "crs_death")

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


def sources_dirs() -> list[Path]:
    """Folders the feed registry reads, as ``ingest.registry.load_registry`` does: the
    built-in ``ingest/sources`` plus ``$SRDH_SOURCES`` when set (a same-named feed overrides).

    ``find_spec`` locates the package without executing ``ingest/__init__.py``.
    """
    spec = importlib.util.find_spec("ingest")
    if spec is not None and spec.submodule_search_locations:
        builtin = Path(next(iter(spec.submodule_search_locations))) / "sources"
    else:
        builtin = REPO_ROOT / "ingest" / "sources"
    dirs = [builtin]
    if env := os.environ.get("SRDH_SOURCES"):
        extra = Path(env).expanduser()
        if extra.resolve() != builtin.resolve():
            dirs.append(extra)
    return dirs


def _load_yaml(path: Path) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=loader)  # noqa: S506 - a safe loader


def _registry() -> dict[str, dict[str, Any]]:
    """The feed registry as plain dicts. Uses ``ingest.registry`` (YAML + pydantic, both
    light and already loaded by Airflow) so a DAG exists exactly for each valid feed; if
    that module can't be imported, reads the YAML files directly."""
    try:
        from ingest.registry import load_registry
    except ImportError:
        load_registry = None
    if load_registry is not None:
        extra = os.environ.get("SRDH_SOURCES")
        return {
            name: {"feed": src.feed, "kind": src.kind, "department": src.department,
                   "title": src.title, "expected": getattr(src, "expected", True)}
            for name, src in load_registry(extra).items()
        }
    reg: dict[str, dict[str, Any]] = {}
    for folder in sources_dirs():
        for path in sorted(folder.glob("*.y*ml")):
            doc = _load_yaml(path) or {}
            if not isinstance(doc, Mapping) or not doc.get("feed"):
                raise ValueError(f"{path}: a source definition needs a `feed:` name")
            reg[str(doc["feed"])] = dict(doc)
    return reg


def schedules_path() -> Path:
    if env := os.environ.get("SRDH_SCHEDULES"):
        return Path(env).expanduser().resolve()
    return REPO_ROOT / "dags" / "schedules.yaml"


def schedules() -> dict[str, Any]:
    """``dags/schedules.yaml`` (or ``$SRDH_SCHEDULES``): how often ingest DAGs poll."""
    path = schedules_path()
    return (_load_yaml(path) or {}) if path.exists() else {}


def feeds() -> list[dict[str, Any]]:
    """One entry per registered feed: ``name``, ``kind``, ``department``, ``person``, ``schedule``.

    A malformed source YAML raises, which shows up as a DAG import error naming the file,
    which is what an operator needs to see.
    """
    ingest_cfg = schedules().get("ingest") or {}
    per_feed = ingest_cfg.get("feeds") or {}
    default = ingest_cfg.get("default", "@hourly")
    out = []
    for name, doc in sorted(_registry().items()):
        kind = str(doc.get("kind") or "")
        out.append({
            "name": name,
            "kind": kind,
            "department": doc.get("department"),
            "description": doc.get("title") or name,
            "schedule": per_feed.get(name, default),
            "person": kind == "person" if kind else name in DEFAULT_PERSON_FEEDS,
        })
    return out


def _package_dir(name: str) -> Path:
    """A top-level package's folder, found without executing its ``__init__``."""
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return REPO_ROOT / name


def deliveries_config_path() -> Path:
    """``warehouse/deliveries.yaml`` (the delivery step's own config), or
    ``$SRDH_DELIVERIES_CONFIG``."""
    if env := os.environ.get("SRDH_DELIVERIES_CONFIG"):
        return Path(env).expanduser().resolve()
    return _package_dir("warehouse") / "deliveries.yaml"


def deliveries() -> list[dict[str, Any]]:
    """Departments that receive files back: ``department`` (as ``srdh.pipeline.deliver``
    takes it), ``slug`` (for DAG/task ids), ``schedule`` (cron), ``sources``.

    Read from the same YAML the delivery step reads, so a department's schedule lives in
    one place; its sources default to the feeds whose ``department:`` names it.
    """
    path = deliveries_config_path()
    if not path.exists():
        return []
    doc = _load_yaml(path) or {}
    by_dept: dict[str, list[str]] = {}
    for feed in feeds():
        if feed["department"]:
            by_dept.setdefault(str(feed["department"]), []).append(feed["name"])
    out = []
    for dept, cfg in (doc.get("departments") or {}).items():
        cfg = cfg or {}
        out.append({
            "department": str(dept),
            "slug": str(dept).lower(),
            "schedule": cfg.get("schedule"),
            "sources": list(cfg.get("sources") or by_dept.get(str(dept), [])),
            "description": cfg.get("description") or f"Deliveries to {dept}",
        })
    return out


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
    from srdh.paths import resolve_home

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


def summarise(result: Any) -> dict[str, Any]:
    """A small JSON-safe summary of a step's return value (for XCom and asset-event extras)."""
    if result is None:
        return {}
    if isinstance(result, int | float | str | bool):
        return {"result": result}
    if isinstance(result, Path):
        return {"path": str(result)}
    if hasattr(result, "to_dict") and callable(result.to_dict):
        result = result.to_dict()
    elif hasattr(result, "__dataclass_fields__"):
        import dataclasses

        result = dataclasses.asdict(result)
    elif not isinstance(result, Mapping | list | tuple) and hasattr(result, "__dict__"):
        result = vars(result)
    return json.loads(json.dumps(result, default=str))


_NEW_KEYS = ("new_batches", "batches_loaded", "loaded_batches", "rows_loaded", "loaded_rows",
             "new_rows", "rows", "loaded", "batches")


def new_data_count(summary: Any) -> int | None:
    """How many new batches/rows a load reported, or None if it can't be told."""
    if isinstance(summary, bool):
        return int(summary)
    if isinstance(summary, int):
        return summary
    if isinstance(summary, list):
        return len(summary)
    if isinstance(summary, Mapping):
        batches = summary.get("batches")
        if isinstance(batches, list) and all(isinstance(b, Mapping) and "status" in b
                                             for b in batches):
            # ingest's RunSummary: only batches that actually loaded count as new
            return sum(1 for b in batches if b["status"] == "loaded")
        if "result" in summary and len(summary) == 1:
            return new_data_count(summary["result"])
        for key in _NEW_KEYS:
            if key in summary:
                value = summary[key]
                if isinstance(value, bool | int):
                    return int(value)
                if isinstance(value, list | tuple | Mapping):
                    return len(value)
    return None


def deliver(home_dir: str, department: str, sources: list[str], when: dt.date,
            run_id: str | None = None) -> dict[str, Any]:
    """Call ``srdh.pipeline.deliver`` with whichever of these arguments it accepts.

    Raises ``AirflowSkipException`` (task shows as skipped, with the reason) while the
    delivery step is not part of the pipeline yet.
    """
    from srdh import pipeline

    fn = getattr(pipeline, "deliver", None)
    if fn is None:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("srdh.pipeline.deliver does not exist yet; nothing delivered")
    offered = {"home": home_dir, "department": department, "sources": sources,
               "feeds": sources, "run_date": when, "run_id": run_id}
    params = inspect.signature(fn).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs = offered
    else:
        kwargs = {k: v for k, v in offered.items() if k in params}
    result = summarise(fn(**kwargs))
    # The tasks are typed `-> dict` (so their XCom is a dict): wrap a list of manifest paths.
    return result if isinstance(result, dict) else {"manifests": result}
