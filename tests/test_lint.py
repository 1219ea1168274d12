"""Static checks that CI runs with the tests: ruff over the Python code, the import-linter
layer contract (pyproject.toml, [tool.importlinter]) and no copied blocks of code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MIN_LINES = 6  # a repeated block of this many lines or more is a copy
PYTHON_PACKAGES = ("core", "ingest", "matching", "warehouse", "srdh", "generator", "srdh_tools")
#: Staging models allowed to repeat >= MIN_LINES lines among themselves: none (the person
#: column list and the latest-version scaffolding are macros). Add a group only with a reason.
SQL_BASELINE: tuple[set[str], ...] = ()


def test_ruff_is_clean():
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_layers_hold_import_linter_contract():
    """core imports nothing above it; ingest, matching and warehouse never import Airflow,
    the CLI, the pipeline, the generator, the tools or the DAGs; the layers hold."""
    proc = subprocess.run([str(BIN / "lint-imports"), "--no-cache"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "broken" in proc.stdout and "0 broken" in proc.stdout


def test_no_python_block_is_repeated():
    """pylint's duplicate-code (R0801): no six-line block repeated across the packages."""
    proc = subprocess.run(
        [str(BIN / "pylint"), "--disable=all", "--enable=duplicate-code",
         f"--min-similarity-lines={MIN_LINES}", "--score=n", *PYTHON_PACKAGES],
        capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-2000:]


def test_no_new_repeated_block_between_sql_models():
    """The same for the dbt staging models (pylint's `symilar` on their text), against a
    baseline of the pairs that existed when the check was added."""
    models = ROOT / "dbt_project" / "models"
    files = sorted(str(p.relative_to(models)) for p in (models / "staging").rglob("*.sql"))
    proc = subprocess.run([str(BIN / "symilar"), "-d", str(MIN_LINES), *files],
                          capture_output=True, text=True, cwd=models)
    assert "TOTAL lines=" in proc.stdout, proc.stdout[-2000:] + proc.stderr[-2000:]
    pairs = re.findall(r"similar lines in \d+ files\n((?:==.*\n)+)", proc.stdout)
    found = {frozenset(re.findall(r"^==(.+?):\[", block, re.M)) for block in pairs}
    new = [pair for pair in found if not any(pair <= group for group in SQL_BASELINE)]
    assert not new, ("repeated blocks between SQL models (move them into a macro):\n"
                     + proc.stdout[-6000:])
