"""The serving copy holds only the schemas the dashboards read (fast; no pipeline run)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from core.paths import Home
from warehouse.publish import SERVED_SCHEMAS, publish_serving_copy

ROOT = Path(__file__).resolve().parents[1]
SERVING_SCHEMA = ROOT / "dashboards" / "srdh_superset" / "serving_schema.json"


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {f"{s}.{t}" for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables").fetchall()}
    finally:
        con.close()


def test_serving_copy_holds_only_the_served_schemas(tmp_path):
    home = Home.at(tmp_path / "home").ensure()
    con = duckdb.connect(str(home.warehouse))
    for schema in ("raw", "std", "quarantine", "meta", "matching", "main_staging", "marts",
                   "jansamvad"):
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table {schema}.t as select 1 as x, 'secret' as note")
    con.execute("create table main.loose as select 1 as x")
    con.execute("create view marts.v as select x + 1 as y from raw.t")  # view over raw
    con.close()

    publish_serving_copy(home)

    assert _tables(home.warehouse) >= {"raw.t", "std.t", "meta.t", "main.loose"}  # were there
    assert _tables(home.serving) == {"marts.t", "marts.v", "jansamvad.t"}
    con = duckdb.connect(str(home.serving), read_only=True)
    try:  # the view was materialised: it answers without raw
        assert con.execute("select y from marts.v").fetchall() == [(2,)]
    finally:
        con.close()


def test_served_schemas_cover_every_table_the_dashboards_read():
    tables = json.loads(SERVING_SCHEMA.read_text())
    assert tables
    assert {t.split(".", 1)[0] for t in tables} <= set(SERVED_SCHEMAS)
