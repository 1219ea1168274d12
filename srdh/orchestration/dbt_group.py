"""The dbt project as an Airflow task group, through astronomer-cosmos.

One Airflow task per dbt model, running ``dbt build`` for that model (the model and the
tests whose parents it has built); a test spanning several models (a relationship) gets
its own task after all of them. Every task takes the one-slot DuckDB writer pool and
passes the run's logical date as the dbt var ``srdh_as_of_date``, as ``srdh build`` does,
so a rerun for the same logical date gives the same marts.

Speed: dbt runs in the task's own process (InvocationMode.DBT_RUNNER, no ``dbt`` child
process to start and import dbt again), with dbt's partial parsing kept in a Cosmos cache
under the Airflow home (``$AIRFLOW_HOME/cosmos``), so a task costs its SQL plus about a second
of dbt start-up instead of a full project parse.

Parsing never runs dbt: DAG files are parsed every few seconds, and ``dbt ls`` costs
seconds (minutes on a busy 2-core box, past the dag-processor's 30 s import timeout). If a
``manifest.json`` newer than every project file exists (``srdh airflow up`` runs
``dbt parse`` into ``<home>/dbt/target``), Cosmos reads it (LoadMode.DBT_MANIFEST);
otherwise Cosmos parses the project files itself (LoadMode.CUSTOM). Neither imports dbt
or its DuckDB adapter in the dag-processor.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from srdh.orchestration import dagkit


def _profile() -> tuple[str, str, Path] | None:
    project = dagkit.dbt_project_dir()
    profiles = Path(os.environ.get("DBT_PROFILES_DIR") or project) / "profiles.yml"
    if not profiles.is_file():
        return None
    cfg = yaml.safe_load((project / "dbt_project.yml").read_text()) or {}
    profile_name = str(cfg.get("profile") or "srdh")
    return profile_name, os.environ.get("SRDH_DBT_TARGET", "dev"), profiles


def dbt_status() -> str | None:
    """None when the dbt project can be rendered, else the reason it can't (yet)."""
    project = dagkit.dbt_project_dir()
    if not (project / "dbt_project.yml").is_file():
        return f"no dbt project at {project} (dbt_project.yml missing)"
    if _profile() is None:
        return f"no profiles.yml for the dbt project at {project}"
    return None


def _newest_source_mtime(project: Path) -> float:
    newest = (project / "dbt_project.yml").stat().st_mtime
    for sub in ("models", "macros", "tests", "seeds", "snapshots"):
        for root, _dirs, files in os.walk(project / sub):
            for name in files:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    return newest


def fresh_manifest() -> Path | None:
    """A ``manifest.json`` newer than every project file, if there is one.

    Looked for where ``warehouse.dbt`` writes it (``$SRDH_HOME/dbt/target``, the runner
    runs ``dbt parse`` there) and in ``dbt_project/target``. Stale ones are ignored.
    """
    project = dagkit.dbt_project_dir()
    candidates = [project / "target" / "manifest.json"]
    if os.environ.get("SRDH_HOME"):
        candidates.insert(0, Path(os.environ["SRDH_HOME"]) / "dbt" / "target" / "manifest.json")
    found = [p for p in candidates if p.is_file()]
    if not found:
        return None
    newest = max(found, key=lambda p: p.stat().st_mtime)
    return newest if newest.stat().st_mtime >= _newest_source_mtime(project) else None


#: The dbt var ``srdh_as_of_date`` for a run: its logical date (``run_after`` for a manual run
#: without one), the same date :func:`srdh.orchestration.dagkit.run_date` gives other tasks.
AS_OF_DATE = "{{ (logical_date or dag_run.run_after) | ds }}"


def _set_dbt_env(context: Any) -> None:
    """on_execute_callback of every dbt task: point the profile at this run's warehouse."""
    from core.paths import Home
    from warehouse.dbt import dbt_env

    os.environ.update(dbt_env(Home.at(dagkit.home())))


def _release_warehouse(project_dir: str, **_: Any) -> None:
    """Cosmos callback after each dbt invocation: close the DuckDB file dbt-duckdb keeps open
    in this process (dbt runs in-process), so the next task can open the warehouse."""
    from warehouse.dbt import release_duckdb

    release_duckdb()


def dbt_task_group(group_id: str = "dbt", **kwargs: Any):
    """A Cosmos ``DbtTaskGroup`` over ``dbt_project/``; call inside a DAG context.

    Returns None (and builds nothing) when :func:`dbt_status` reports a reason.
    """
    if dbt_status() is not None:
        return None
    os.environ.setdefault("AIRFLOW__COSMOS__ENABLE_TELEMETRY", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior, TestIndirectSelection

    from warehouse.dbt import dbt_vars

    profile_name, target, profiles = _profile()  # type: ignore[misc]
    project = dagkit.dbt_project_dir()
    manifest = fresh_manifest()
    project_cfg = ProjectConfig(
        dbt_project_path=project,
        manifest_path=manifest,
        install_dbt_deps=False,
        partial_parse=True,
    )
    return DbtTaskGroup(
        group_id=group_id,
        project_config=project_cfg,
        profile_config=ProfileConfig(profile_name=profile_name, target_name=target,
                                     profiles_yml_filepath=profiles),
        # dbt in the task's process (dbtRunner): no child process importing dbt afresh.
        # A model's task runs only the tests whose every parent it has built (cautious);
        # tests spanning several models (relationships) get their own task after all
        # their parents (detached), instead of failing on a model not built yet.
        execution_config=ExecutionConfig(invocation_mode=InvocationMode.DBT_RUNNER,
                                         test_indirect_selection=TestIndirectSelection.CAUTIOUS),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if manifest else LoadMode.CUSTOM,
            test_behavior=TestBehavior.BUILD,
            emit_datasets=False,
            should_detach_multiple_parents_tests=True,
        ),
        operator_args={"pool": dagkit.POOL, "install_deps": False, "append_env": True,
                       # the registry's departments (as `srdh build` passes) and the run date
                       "vars": dbt_vars({"srdh_as_of_date": AS_OF_DATE}),
                       # No manifest.json / run_results.json / graph.gpickle per task: writing
                       # them was half of each task's dbt time; nothing reads them.
                       "dbt_cmd_global_flags": ["--no-write-json"],
                       "callback": _release_warehouse,
                       "execution_timeout": dagkit.TIMEOUTS["dbt"]},
        default_args=dagkit.default_args("dbt", on_execute_callback=_set_dbt_env),
        **kwargs,
    )
