"""Publish the serving copy: a read-only snapshot of the warehouse that Superset reads.

DuckDB allows one writer or many readers, never both. The pipeline writes the working
file; dashboards read a separate copy that is swapped in atomically with ``os.replace``,
so a reader sees either the old snapshot or the new one, never half of one. Readers
holding the old file keep their handle until they reconnect (POSIX rename semantics).

The copy holds only what the dashboards read (``SERVED_SCHEMAS``): never ``raw``,
``std``, ``quarantine``, ``meta``, ``matching`` or dbt's staging and intermediate layers,
so an analyst in SQL Lab cannot reach a source row or the pipeline's bookkeeping.
Views are copied as tables (their source schemas are not there to resolve them).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

from core.files import write_text_atomic
from core.identifiers import quote_ident
from core.paths import SERVING_DIR, SERVING_FILE, Home, share_with_serving_group

# The schemas Superset's assets query (dashboards/srdh_superset/serving_schema.json lists
# their tables; a test keeps the two in step). Nothing else is published.
SERVED_SCHEMAS = ("marts", "jansamvad")


def publish_serving_copy(home: Home, gate: bool = True) -> Path:
    """Snapshot ``home.warehouse`` into ``home.serving`` and swap it in atomically.

    ``gate``: first scan the warehouse and the home's files for raw UIDs
    (:func:`ingest.uid_scan.uid_gate`); a finding stops the publish (``UidLeak``) and the
    serving copy dashboards read stays as it was."""
    source = home.warehouse
    if not source.exists():
        raise FileNotFoundError(f"no warehouse to publish at {source}; run `srdh ingest` first")
    if gate:
        from ingest.uid_scan import uid_gate

        uid_gate(home, "publish")
    target = home.serving
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)

    con = duckdb.connect(str(tmp))
    try:
        con.execute("attach ? as warehouse_src (read_only)", [str(source)])
        _copy_served_schemas(con, "warehouse_src")
        con.execute("detach warehouse_src")
        con.execute("checkpoint")
    finally:
        con.close()

    with open(tmp, "rb") as fh:  # make the bytes durable before the rename
        os.fsync(fh.fileno())
    share_with_serving_group(target.parent, SERVING_DIR)
    share_with_serving_group(tmp, SERVING_FILE)  # Superset's group reads; nobody else
    os.replace(tmp, target)
    manifest = {
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": str(source),
        "bytes": target.stat().st_size,
    }
    write_text_atomic(target.parent / "published.json", json.dumps(manifest, indent=2),
                      mode=SERVING_FILE)
    return target


def _copy_served_schemas(con: duckdb.DuckDBPyConnection, src: str) -> None:
    """Copy every table and view of ``SERVED_SCHEMAS`` from ``src`` into ``con``'s db."""
    relations = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ?"
        " and schema_name in (select unnest(?)) union all"
        " select schema_name, view_name from duckdb_views() where database_name = ?"
        " and schema_name in (select unnest(?)) and not internal order by all",
        [src, list(SERVED_SCHEMAS), src, list(SERVED_SCHEMAS)]).fetchall()
    for schema in SERVED_SCHEMAS:
        con.execute(f"create schema if not exists {quote_ident(schema)}")
    for schema, name in relations:
        rel = f"{quote_ident(schema)}.{quote_ident(name)}"
        con.execute(f"create table {rel} as select * from {quote_ident(src)}.{rel}")

