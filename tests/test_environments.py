"""The two environments must agree on duckdb: its storage format is only backward-compatible."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _locked_version(lock: Path, package: str) -> str:
    data = tomllib.loads(lock.read_text())
    versions = {p["version"] for p in data["package"] if p["name"] == package}
    assert len(versions) == 1, f"{lock} locks {package} at {versions}"
    return versions.pop()


def _declared_pin(pyproject: Path, package: str) -> str:
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins = [d for d in deps if d.split("==")[0].strip() == package]
    assert pins and "==" in pins[0], f"{pyproject} must pin {package} with =="
    return pins[0].split("==")[1].strip()


def test_duckdb_pinned_identically_in_both_environments():
    pipeline = _declared_pin(ROOT / "pyproject.toml", "duckdb")
    bi = _declared_pin(ROOT / "dashboards" / "pyproject.toml", "duckdb")
    assert pipeline == bi, f"duckdb drifted: pipeline {pipeline}, dashboards {bi}"
    assert _locked_version(ROOT / "uv.lock", "duckdb") == pipeline
    assert _locked_version(ROOT / "dashboards" / "uv.lock", "duckdb") == bi


@pytest.mark.parametrize("venv", [ROOT / ".venv", ROOT / "dashboards" / ".venv"])
def test_installed_duckdb_matches_the_pin(venv: Path):
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{venv} is not installed; run `make install`")
    out = subprocess.run([str(python), "-c", "import duckdb; print(duckdb.__version__)"],
                         check=True, capture_output=True, text=True).stdout.strip()
    assert out == _declared_pin(ROOT / "pyproject.toml", "duckdb")


def test_superset_environment_keeps_sqlalchemy_1():
    """Superset 6.1 needs SQLAlchemy < 2; Airflow 3 needs >= 2: hence two environments."""
    assert _locked_version(ROOT / "dashboards" / "uv.lock", "sqlalchemy").startswith("1.")
    assert _locked_version(ROOT / "uv.lock", "sqlalchemy").startswith("2.")
