"""Build the import bundle from ``dashboards/assets`` and guard the Aadhaar rule.

The assets are Superset's native export format (``metadata.yaml``, ``databases/``,
``datasets/<db>/``, ``charts/``, ``dashboards/``). Only one thing is templated:
``{{ serving_uri }}`` in ``databases/*.yaml``, rendered at import time so no home
path is ever committed.
"""

from __future__ import annotations

import importlib.util
import io
import re
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DASHBOARDS_DIR = Path(__file__).resolve().parents[1]
ASSETS_DIR = DASHBOARDS_DIR / "assets"
SECURITY_FILE = DASHBOARDS_DIR / "security.yaml"

UID_NAME = re.compile(r"(^|[^a-z])(uid|aadhaa?r|adhaar)", re.IGNORECASE)
UID_RULES = DASHBOARDS_DIR.parent / "core" / "uid.py"
SOURCES_DIR = DASHBOARDS_DIR.parent / "ingest" / "sources"
# column types that never hold a UID as text (integers, JSON and nested types are scanned)
_NOT_TEXT = ("BOOLEAN", "DATE", "TIME", "TIMESTAMP", "FLOAT", "DOUBLE", "BLOB", "UUID",
             "INTERVAL", "DECIMAL", "REAL")


@cache
def _uid_rules():
    """``core/uid.py``, the one definition of a UID in text (the pipeline's ingest masks and
    its gate scans by it), loaded by path: this environment does not install the pipeline
    package, and the module is pure (re + numpy)."""
    spec = importlib.util.spec_from_file_location("srdh_uid_rules", UID_RULES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def uids_in(text: str) -> list[str]:
    """The Verhoeff-valid 12-digit numbers (any separators) in ``text``."""
    return [d for _, _, d in _uid_rules().find_uids(text)]


@cache
def declared_identifiers(sources_dir: Path = SOURCES_DIR) -> frozenset[str]:
    """Fields the feed YAMLs declare ``identifier: true`` (12 digits by design)."""
    out = set()
    for p in sorted(Path(sources_dir).glob("*.y*ml")):
        spec = yaml.safe_load(p.read_text()) or {}
        out |= {name.lower() for name, f in (spec.get("fields") or {}).items()
                if isinstance(f, dict) and f.get("identifier")}
    return frozenset(out)
PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class UidExposureError(ValueError):
    """A dataset would expose more of a UID than its last 4 digits."""


def serving_uri(serving_path: Path) -> str:
    return f"duckdb:///{Path(serving_path).resolve()}"  # 4 slashes: absolute path


def load_security(path: Path = SECURITY_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def asset_files(assets_dir: Path = ASSETS_DIR) -> dict[str, str]:
    """Relative path -> raw text of every YAML asset."""
    files = {}
    for p in sorted(assets_dir.rglob("*.yaml")):
        files[p.relative_to(assets_dir).as_posix()] = p.read_text()
    return files


def render(files: dict[str, str], variables: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, text in files.items():
        def sub(m: re.Match[str], name: str = name) -> str:
            key = m.group(1)
            if key not in variables:
                raise KeyError(f"{name}: no value for template variable {key!r}")
            return variables[key]
        out[name] = PLACEHOLDER.sub(sub, text)
    return out


def _allowed(column: str, allowed: set[str]) -> bool:
    c = column.lower()
    return c in allowed or "masked" in c


def uid_violations(name: str, dataset: dict[str, Any], allowed: set[str]) -> list[str]:
    """Column names, expressions and SQL of one dataset that reach a UID."""
    bad = []
    for col in dataset.get("columns") or []:
        cname = col["column_name"]
        if UID_NAME.search(cname) and not _allowed(cname, allowed):
            bad.append(f"{name}: column {cname!r}")
        if col.get("expression") and _mentions_uid(col["expression"], allowed):
            bad.append(f"{name}: column {cname!r} expression {col['expression']!r}")
    for met in dataset.get("metrics") or []:
        if _mentions_uid(met.get("expression") or "", allowed):
            bad.append(f"{name}: metric {met['metric_name']!r}")
    if dataset.get("sql") and _mentions_uid(dataset["sql"], allowed):
        bad.append(f"{name}: SQL mentions a UID column")
    return bad


def _mentions_uid(sql: str, allowed: set[str]) -> bool:
    for ident in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql):
        if UID_NAME.search(ident) and not _allowed(ident, allowed):
            return True
    return False


def check_datasets(files: dict[str, str], allowed: set[str],
                   serving_path: Path | None = None,
                   twelve_digit_ids: dict[str, str] | None = None) -> list[str]:
    """Every Aadhaar-rule violation in the dataset assets (and the serving tables).

    ``twelve_digit_ids``: column -> regex for identifiers that are 12 digits by design
    (ration card numbers); their values must all match the regex instead."""
    allowed = {a.lower() for a in allowed}
    problems: list[str] = []
    for name, text in files.items():
        if not name.startswith("datasets/"):
            continue
        ds = yaml.safe_load(text)
        problems += uid_violations(name, ds, allowed)
        if serving_path is not None and Path(serving_path).exists():
            problems += _check_serving_table(name, ds, allowed, Path(serving_path),
                                             twelve_digit_ids or {})
    return problems


def _check_serving_table(name: str, ds: dict[str, Any], allowed: set[str],
                         serving_path: Path, twelve_digit_ids: dict[str, str]) -> list[str]:
    import duckdb

    schema, table = ds.get("schema") or "main", ds["table_name"]
    # a physical table, or a virtual dataset's SQL as a subquery (its output columns)
    rel = f'({ds["sql"]}) as t' if ds.get("sql") else f'"{schema}"."{table}"'
    con = duckdb.connect(str(serving_path), read_only=True)
    try:
        try:
            cols = [(r[0], r[1]) for r in con.execute(f"describe select * from {rel}").fetchall()]
        except duckdb.CatalogException:
            return []  # not built yet: the chart fails, but exposes nothing
        problems = [f"{name}: serving table column {c!r}" for c, _ in cols
                    if UID_NAME.search(c) and not _allowed(c, allowed)]
        ids = declared_identifiers()
        for c, dtype in cols:  # text holding a UID is a raw UID whatever its name
            if dtype.upper().startswith(_NOT_TEXT):
                continue
            if c in twelve_digit_ids:  # an id that is 12 digits by design: must fit its shape
                n = con.execute(
                    f'select count(*) from {rel} where "{c}" is not null'
                    " and not regexp_full_match(\"" + c + "\", ?)", [twelve_digit_ids[c]]
                ).fetchone()[0]
                if n:
                    problems.append(f"{name}: {n} values in {c!r} do not look like"
                                    f" {twelve_digit_ids[c]!r} (a UID?)")
                continue
            if c.lower() in ids:  # declared in a feed YAML: a department id, not a UID
                continue
            # every row: candidates in SQL, the Verhoeff check on the distinct few in Python
            rows = con.execute(
                f'select distinct cast("{c}" as varchar) from {rel} where '
                f'regexp_matches(cast("{c}" as varchar), ?)',
                [_uid_rules().UID_CANDIDATE_SQL]).fetchall()
            n = sum(1 for (v,) in rows if uids_in(v))
            if n:
                problems.append(f"{name}: {n} values in {c!r} look like a 12-digit UID")
        return problems
    finally:
        con.close()


def build_contents(serving_path: Path, assets_dir: Path = ASSETS_DIR,
                   security: dict[str, Any] | None = None, check_serving: bool = True
                   ) -> dict[str, str]:
    """The rendered bundle as ``{path: yaml}``, refusing UID-exposing datasets."""
    security = security if security is not None else load_security()
    files = asset_files(assets_dir)
    problems = check_datasets(files, set(security.get("uid_columns_allowed", [])),
                              serving_path if check_serving else None,
                              security.get("twelve_digit_ids", {}))
    if problems:
        raise UidExposureError(
            "refusing to import datasets that expose more than uid_last4/uid_token:\n  "
            + "\n  ".join(problems))
    return render(files, {"serving_uri": serving_uri(serving_path)})


def build_zip(contents: dict[str, str], root: str = "srdh_assets") -> bytes:
    """The bundle as a zip, as `superset import-dashboards` and /api/v1/assets/import take."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in contents.items():
            zf.writestr(f"{root}/{name}", text)
    return buf.getvalue()
