"""The dbt project as an Airflow task group, through astronomer-cosmos.

One Airflow task per dbt model, running ``dbt build`` for that model (the model and its
tests). Every task takes the one-slot DuckDB writer pool. When ``dbt_project/`` has no
``dbt_project.yml`` (or no ``profiles.yml``) yet, :func:`dbt_status` says why and the DAG
files leave the group out instead of failing to import.

Parsing never runs dbt: DAG files are parsed every few seconds, and ``dbt ls`` costs
seconds (minutes on a busy 2-core box, past the dag-processor's 30 s import timeout). If a
``manifest.json`` newer than every project file exists (``srdh airflow up`` runs
``dbt parse`` into ``<home>/dbt/target``), Cosmos reads it (LoadMode.DBT_MANIFEST);
otherwise Cosmos parses the project files itself (LoadMode.CUSTOM). Neither imports dbt
or its DuckDB adapter in the dag-processor.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from srdh.orchestration import dagkit


def dbt_executable() -> str:
    """The ``dbt`` next to this Python (the project venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


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


def _set_dbt_env(context: Any) -> None:
    """on_execute_callback of every dbt task: point the profile at this run's warehouse."""
    from srdh.paths import Home
    from warehouse.dbt import dbt_env

    os.environ.update(dbt_env(Home.at(dagkit.home())))


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

    profile_name, target, profiles = _profile()  # type: ignore[misc]
    project = dagkit.dbt_project_dir()
    manifest = fresh_manifest()
    project_cfg = ProjectConfig(
        dbt_project_path=project,
        manifest_path=manifest,
        install_dbt_deps=False,
    )
    return DbtTaskGroup(
        group_id=group_id,
        project_config=project_cfg,
        profile_config=ProfileConfig(profile_name=profile_name, target_name=target,
                                     profiles_yml_filepath=profiles),
        # dbt in a child process: its DuckDB connection closes when it exits, and dbt's
        # global state never lives in the task process (under dag.test() every task shares
        # one process, and publish must then open the warehouse).
        # A model's task runs only the tests whose every parent it has built (cautious);
        # tests spanning several models (relationships) get their own task after all
        # their parents (detached), instead of failing on a model not built yet.
        execution_config=ExecutionConfig(dbt_executable_path=dbt_executable(),
                                         invocation_mode=InvocationMode.SUBPROCESS,
                                         test_indirect_selection=TestIndirectSelection.CAUTIOUS),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if manifest else LoadMode.CUSTOM,
            test_behavior=TestBehavior.BUILD,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            emit_datasets=False,
            should_detach_multiple_parents_tests=True,
            select=[x for x in os.environ.get("SRDH_DBT_SELECT", "").split(",") if x],
        ),
        operator_args={"pool": dagkit.POOL, "install_deps": False, "append_env": True,
                       "execution_timeout": dagkit.TIMEOUTS["dbt"]},
        default_args=dagkit.default_args("dbt", on_execute_callback=_set_dbt_env),
        **kwargs,
    )
