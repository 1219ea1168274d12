"""An empty serving DuckDB shaped like the dbt marts, for demos without the pipeline.

``write_sample_serving(path)`` creates every table the assets read, with the columns
and types recorded in ``serving_schema.json`` (written by ``assetgen`` from a real
serving copy), and no rows: every chart runs and shows "No results". For real
numbers run the pipeline (``srdh run``) and publish. Works in either environment
(only needs ``duckdb``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("serving_schema.json")


def serving_schema() -> dict[str, dict[str, str]]:
    return json.loads(SCHEMA_FILE.read_text())


def write_sample_serving(path: str | os.PathLike[str]) -> Path:
    """Write the (empty) sample serving copy at ``path``, replacing it atomically."""
    import duckdb

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.sample.tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for table, columns in serving_schema().items():
            schema, name = table.split(".", 1)
            con.execute(f'create schema if not exists "{schema}"')
            cols = ", ".join(f'"{c}" {t}' for c, t in columns.items())
            con.execute(f'create table "{schema}"."{name}" ({cols})')
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(tmp, target)
    return target
