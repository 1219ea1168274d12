"""The dbt project as an Airflow task group, through astronomer-cosmos.

One Airflow task per dbt model, running ``dbt build`` for that model (the model and its
tests). Every task takes the one-slot DuckDB writer pool. When ``dbt_project/`` has no
``dbt_project.yml`` (or no ``profiles.yml``) yet, :func:`dbt_status` says why and the DAG
files leave the group out instead of failing to import.

Parsing: if ``dbt_project/target/manifest.json`` exists (``srdh airflow up`` runs
``dbt parse`` first) Cosmos reads it, which costs milliseconds; otherwise it runs
``dbt ls`` in a subprocess (never in the dag-processor itself, so dbt's DuckDB adapter is
not imported there) and caches the result in an Airflow Variable.
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
    prof = (yaml.safe_load(profiles.read_text()) or {}).get(profile_name) or {}
    target = os.environ.get("SRDH_DBT_TARGET") or str(prof.get("target") or "dev")
    return profile_name, target, profiles


def dbt_status() -> str | None:
    """None when the dbt project can be rendered, else the reason it can't (yet)."""
    project = dagkit.dbt_project_dir()
    if not (project / "dbt_project.yml").is_file():
        return f"no dbt project at {project} (dbt_project.yml missing)"
    if _profile() is None:
        return f"no profiles.yml for the dbt project at {project}"
    return None


def manifest_path() -> Path:
    return dagkit.dbt_project_dir() / "target" / "manifest.json"


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
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior

    profile_name, target, profiles = _profile()  # type: ignore[misc]
    project = dagkit.dbt_project_dir()
    manifest = manifest_path()
    project_cfg = ProjectConfig(
        dbt_project_path=project,
        manifest_path=manifest if manifest.is_file() else None,
        install_dbt_deps=False,
    )
    return DbtTaskGroup(
        group_id=group_id,
        project_config=project_cfg,
        profile_config=ProfileConfig(profile_name=profile_name, target_name=target,
                                     profiles_yml_filepath=profiles),
        execution_config=ExecutionConfig(dbt_executable_path=dbt_executable(),
                                         invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if manifest.is_file() else LoadMode.DBT_LS,
            test_behavior=TestBehavior.BUILD,
            invocation_mode=InvocationMode.SUBPROCESS,
            dbt_executable_path=dbt_executable(),
            emit_datasets=False,
        ),
        operator_args={"pool": dagkit.POOL, "install_deps": False,
                       "execution_timeout": dagkit.TIMEOUTS["dbt"]},
        default_args=dagkit.default_args("dbt"),
        **kwargs,
    )
