"""Publish the serving copy: a read-only snapshot of the warehouse that Superset reads.

DuckDB allows one writer or many readers, never both. The pipeline writes the working
file; dashboards read a separate copy that is swapped in atomically with ``os.replace``,
so a reader sees either the old snapshot or the new one, never half of one. Readers
holding the old file keep their handle until they reconnect (POSIX rename semantics).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

from srdh.files import write_text_atomic
from srdh.paths import SERVING_DIR, SERVING_FILE, Home, share_with_serving_group


def publish_serving_copy(home: Home) -> Path:
    """Snapshot ``home.warehouse`` into ``home.serving`` and swap it in atomically."""
    source = home.warehouse
    if not source.exists():
        raise FileNotFoundError(f"no warehouse to publish at {source}; run `srdh ingest` first")
    target = home.serving
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)

    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{source}' as warehouse_src (read_only)")
        con.execute(f"copy from database warehouse_src to \"{_db_name(con)}\"")
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


def _db_name(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchone()[0]
