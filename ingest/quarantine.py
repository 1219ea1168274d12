"""The quarantine: rejected rows, one line per problem, with a reason a clerk can read.

The raw row is kept as JSON with every UID-like value masked to its last four digits.
"""

from __future__ import annotations

import duckdb

from ingest.registry import Source
from ingest.validate import q

DDL = """
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE TABLE IF NOT EXISTS quarantine.rows (
    feed           VARCHAR NOT NULL,
    batch_id       VARCHAR NOT NULL,
    file_name      VARCHAR NOT NULL,
    file_sha256    VARCHAR NOT NULL,
    source_row     BIGINT NOT NULL,
    column_name    VARCHAR,
    reason         VARCHAR NOT NULL,
    raw_json       VARCHAR,
    uid_token      VARCHAR,
    quarantined_at TIMESTAMP NOT NULL
);
"""


def insert(con: duckdb.DuckDBPyConnection, src: Source, batch_id: str, checked: str,
           columns: list[str]) -> int:
    """Copy the problems of ``checked`` (which has ``_reasons``) into quarantine.rows."""
    parts = []
    for f in src.fields.values():
        if f.type == "uid":
            parts.append(f"{q(f.name)} := CASE WHEN _uid_norm IS NOT NULL THEN 'XXXXXXXX' || "
                         f"right(_uid_norm, 4) END")
        else:
            parts.append(f"{q(f.name)} := {q(f.name)}")
    raw_json = f"srdh_mask_uids(CAST(to_json(struct_pack({', '.join(parts)})) AS VARCHAR))"
    names = "[" + ", ".join("'" + c + "'" for c in columns) + "]"
    con.execute(f"""
        INSERT INTO quarantine.rows
        SELECT ?, ?, _file_name, _file_sha256, _source_row, {names}[i], srdh_mask_uids(r),
               {raw_json}, _uid_token, now()
        FROM (SELECT *, unnest(_reasons) AS r, unnest(range(1, len(_reasons) + 1)) AS i
              FROM {checked} WHERE _bad)
        WHERE r IS NOT NULL""", [src.feed, batch_id])
    return con.execute(f"SELECT count(*) FROM {checked} WHERE _bad").fetchone()[0]


def insert_faults(con: duckdb.DuckDBPyConnection, feed: str, batch_id: str, file_name: str,
                  file_sha256: str, faults) -> int:
    """Rows that could not be split into the header's fields (``reader.RowFault``): one
    line each, the fields kept as a JSON list with UID-like numbers masked (a runaway
    value cut to its first 200 characters)."""
    import json

    if faults:
        con.executemany(
            "INSERT INTO quarantine.rows VALUES (?, ?, ?, ?, ?, ?, srdh_mask_uids(?), "
            "srdh_mask_uids(?), NULL, now())",
            [[feed, batch_id, file_name, file_sha256, f.row, f.column, f.reason,
              json.dumps(f.fields, ensure_ascii=False)] for f in faults])
    return len(faults)


def listing(con: duckdb.DuckDBPyConnection, feed: str | None = None, batch: str | None = None,
            limit: int = 200) -> list[tuple]:
    where, params = [], []
    if feed:
        where.append("feed = ?")
        params.append(feed)
    if batch:
        where.append("batch_id = ?")
        params.append(batch)
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    return con.execute(f"""
        SELECT feed, batch_id, file_name, source_row, column_name, reason
        FROM quarantine.rows {clause}
        ORDER BY feed, batch_id, file_name, source_row, column_name LIMIT {int(limit)}""",
                       params).fetchall()


def summary(con: duckdb.DuckDBPyConnection, feed: str | None = None) -> list[tuple]:
    clause = "WHERE feed = ?" if feed else ""
    return con.execute(f"""
        SELECT feed, batch_id, count(DISTINCT (file_name, source_row)) AS rows,
               count(*) AS problems
        FROM quarantine.rows {clause} GROUP BY ALL ORDER BY feed, batch_id""",
                       [feed] if feed else []).fetchall()


