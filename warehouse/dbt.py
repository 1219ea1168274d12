"""Run the SRDH dbt project (``dbt_project/``) against a home's warehouse.

Plain functions, callable from the ``srdh`` CLI, tests, benchmarks and Airflow (which
runs the same project through astronomer-cosmos). dbt is invoked in-process through
``dbt.cli.main.dbtRunner``; its target and log folders live under the home
(``<home>/dbt/``), never in the repository, so concurrent homes do not collide.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.paths import Home

PROJECT_DIR = Path(os.environ.get("SRDH_DBT_PROJECT")
                   or Path(__file__).resolve().parent.parent / "dbt_project")
_NO_VARS = {"clean", "debug", "deps", "init"}  # dbt commands that take no --vars
_LOCK = threading.Lock()  # dbtRunner is not re-entrant; one invocation at a time per process


# The register and its marts with everything upstream (dbt selection syntax).
REGISTER_SELECTION = [
    "+dim_resident", "+dim_household", "+dim_household_member", "+fct_scheme_enrolment",
    "+mart_household_card", "+mart_scheme_leakage", "+mart_enrolment_flags", "+mart_inclusion_gaps",
    "+mart_data_quality", "+mart_data_quality_quarantine_reasons",
]


class DbtError(RuntimeError):
    """A dbt invocation failed (model error, failing test, or dbt itself crashed)."""


@dataclass
class DbtResult:
    command: list[str]
    success: bool
    results: list[dict[str, Any]] = field(default_factory=list)
    target_path: Path | None = None
    log_path: Path | None = None  # every line dbt logged (the console shows errors only)

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] in ("error", "fail", "runtime error")]

    def by_layer(self) -> list[str]:
        """One line per layer: models and tests run, and how many failed."""
        layers: dict[str, dict[str, int]] = {}
        for r in self.results:
            c = layers.setdefault(r.get("layer") or "other", {"models": 0, "tests": 0,
                                                              "failed": 0})
            c["tests" if "test" in r["resource_type"] else "models"] += 1
            c["failed"] += r["status"] in ("error", "fail", "runtime error")
        return [f"{layer}: {c['models']} model(s), {c['tests']} test(s), {c['failed']} failed"
                for layer, c in sorted(layers.items())]


LAYERS = ("staging", "intermediate", "marts")


def _layer(fqn) -> str:
    """staging / intermediate / marts: a model's folder, or a test's (tests on seeds and
    singular tests are 'other')."""
    parts = list(fqn or [])
    return parts[1] if len(parts) > 2 and parts[1] in LAYERS else "other"


def _declared_std_tables() -> set[str]:
    """std tables declared as dbt sources (models/staging/_sources.yml)."""
    import yaml

    data = yaml.safe_load((PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text())
    return {t["name"] for s in data.get("sources", []) if s.get("name") == "std"
            for t in s.get("tables", [])}


def department_feeds(sources: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """The dbt var ``srdh_department_feeds``: the catalogue's department feeds (built-in
    feeds plus ``$SRDH_SOURCES`` or ``sources``; KYR and CRS deaths have staging models of
    their own), sorted by feed name. dbt has no other list: a hand-run ``dbt`` gets it
    from ``python -m warehouse.dbt vars``."""
    from ingest.registry import catalogue

    cat = catalogue(sources)
    declared = _declared_std_tables()
    out = []
    for name in cat.department_feeds():
        src = cat.feeds[name]
        out.append({
            "feed": name,
            "department": src.department,
            "scheme": src.scheme is not None,
            "scheme_code": src.scheme.fixed_code if src.scheme else None,
            "declared": name in declared,
        })
    return out


def dbt_vars(vars: dict[str, Any] | None = None,
             sources: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Project vars for every invocation: the registry-derived departments, then ``vars``."""
    return {"srdh_department_feeds": department_feeds(sources), **(vars or {})}


def dbt_env(home: Home) -> dict[str, str]:
    """Environment variables the profile (``dbt_project/profiles.yml``) reads."""
    return {
        "SRDH_WAREHOUSE": str(home.warehouse),
        "SRDH_HOME": str(home.root),
        "SRDH_DBT_TARGET": "dev",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


@contextlib.contextmanager
def _environ(values: dict[str, str]):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def release_duckdb() -> None:
    """Close the DuckDB instance dbt-duckdb caches per process, so the caller (or the next
    invocation, or a read-only reader in this process) can open the file afresh."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager

        with DuckDBConnectionManager._LOCK:
            env = DuckDBConnectionManager._ENV
            DuckDBConnectionManager._ENV = None
            if env is not None:
                env.close()
    except Exception:  # noqa: BLE001 - best effort; dbt's own cleanup may have run
        pass


def run_dbt(home: str | os.PathLike[str] | Home | None, args: list[str],
            target_path: Path | None = None, raise_on_failure: bool = True,
            vars: dict[str, Any] | None = None) -> DbtResult:
    """Invoke ``dbt <args>`` for one home; returns a summary of node results.

    ``--vars`` is added: the departments from the feed registry (:func:`dbt_vars`) plus
    ``vars``; do not put ``--vars`` in ``args``.
    """
    from dbt.cli.main import dbtRunner

    if args and args[0] not in _NO_VARS:
        args = [*args, "--vars", json.dumps(dbt_vars(vars))]
    h = home if isinstance(home, Home) else Home.at(home)
    h.warehouse.parent.mkdir(parents=True, exist_ok=True)
    target = Path(target_path) if target_path else h.root / "dbt" / "target"
    logs = h.root / "dbt" / "logs"
    target.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    # the console gets errors only; every line goes to <home>/dbt/logs/dbt.log
    quiet = [] if os.environ.get("SRDH_DBT_VERBOSE") else ["--quiet"]
    cli = [*quiet, *args,
           "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
           "--target-path", str(target), "--log-path", str(logs)]
    with _LOCK, _environ(dbt_env(h)):
        try:
            res = dbtRunner().invoke(cli)
        finally:
            release_duckdb()
    summary: list[dict[str, Any]] = []
    result = res.result
    for r in getattr(result, "results", None) or []:
        node = getattr(r, "node", None)
        summary.append({
            "name": getattr(node, "name", None),
            "unique_id": getattr(node, "unique_id", None),
            "resource_type": str(getattr(node, "resource_type", "")),
            "layer": _layer(getattr(node, "fqn", None)),
            "status": str(getattr(r, "status", "")).lower().split(".")[-1],
            "seconds": round(float(getattr(r, "execution_time", 0) or 0), 3),
            "message": getattr(r, "message", None),
            "failures": getattr(r, "failures", None),
        })
    out = DbtResult(command=cli, success=bool(res.success), results=summary, target_path=target,
                    log_path=logs / "dbt.log")
    if raise_on_failure and not res.success:
        detail = "; ".join(f"{r['name']}: {r['status']} {r['message'] or ''}".strip()
                           for r in out.failures[:20])
        if res.exception is not None:
            detail = f"{res.exception!r}; {detail}"
        raise DbtError(f"dbt {' '.join(args)} failed: {detail}")
    return out


def build(home: str | os.PathLike[str] | Home | None = None, select: str | list[str] | None = None,
          exclude: str | list[str] | None = None, vars: dict[str, Any] | None = None,
          raise_on_failure: bool = True) -> DbtResult:
    """``dbt build`` (seeds, models, data tests and unit tests) into the home's warehouse.

    ``select``/``exclude`` take dbt selection syntax (a string or a list of them);
    ``vars`` are dbt project vars, e.g. ``{"srdh_as_of_date": "2025-06-30"}``.
    Raises ``DbtError`` when a model or test fails (unless ``raise_on_failure=False``).
    """
    args = ["build"]
    for flag, value in (("--select", select), ("--exclude", exclude)):
        if value:
            args += [flag, *([value] if isinstance(value, str) else list(value))]
    res = run_dbt(home, args, raise_on_failure=raise_on_failure, vars=vars)
    if res.success and not select and not exclude:  # the marts are as new as this build
        from core.stamps import stamp

        stamp(home, "build")
    return res


def docs(home: str | os.PathLike[str] | Home | None = None) -> Path:
    """``dbt docs generate`` into ``<home>/dbt_docs``; returns the path of ``index.html``.

    Open it with ``uv run dbt docs serve --project-dir dbt_project --profiles-dir
    dbt_project --target-path <home>/dbt_docs`` (or any static web server over that folder).
    """
    h = home if isinstance(home, Home) else Home.at(home)
    target = h.root / "dbt_docs"
    run_dbt(h, ["docs", "generate"], target_path=target)
    return target / "index.html"


if __name__ == "__main__":  # `python -m warehouse.dbt vars`: the vars for a hand-run dbt
    import sys

    if sys.argv[1:] != ["vars"]:
        sys.exit("usage: python -m warehouse.dbt vars   # JSON for `dbt ... --vars`")
    print(json.dumps(dbt_vars()))
