"""The dbt models are sqlfluff-clean (dbt templater, rules in dbt_project/.sqlfluff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "dbt_project" / "models"

pytestmark = pytest.mark.slow


def test_sqlfluff_lint_models():
    proc = subprocess.run(
        [sys.executable, "-m", "sqlfluff", "lint", "dbt_project/models", "--processes", "2",
         "--disable-progress-bar"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]


def test_every_model_has_yaml_beside_it():
    import yaml

    documented: set[str] = set()
    for yml in MODELS.rglob("*.yml"):
        data = yaml.safe_load(yml.read_text()) or {}
        documented |= {m["name"] for m in data.get("models", [])}
    models = {p.stem for p in MODELS.rglob("*.sql")}
    assert models - documented == set()
