"""Stable SRDH resident ids: a persistent registry, and a history of every id change.

Clustering (``dedupe.resident_clusters``) gives each record a *cluster label*: ``K:<uid_token>``
for a resident linked to KYR, ``N:<source>|<record_id>`` (the smallest member) otherwise.
Labels move between runs; ids must not. ``assign`` turns labels into ids:

* a KYR-linked resident's id is derived from its UID token: ``'R' || md5('K:' || token)[:16]``
  (a keyed token, never a raw UID), so it is the same on every run and in every home
  that shares the token key;
* any other cluster takes an id its records held at the previous run
  (``matching.resident_id_map``): the id most of its records held, ties to the oldest id.
  One id goes to one cluster only: the candidate pairs (cluster, old id) are taken
  greedily by (records that held the id desc, id first issued asc, id asc), so on a
  split the largest part keeps the id and on a merge the most-held (then oldest) id
  survives;
* a cluster with no previous id gets ``'R' || md5(label)[:16]`` (salted with the run
  date if that id was ever issued before): ids are never reused.

Every record that changes id writes a row to ``matching.id_history`` (old_id, new_id,
reason, records, run_date): ``merge`` (the old id is retired into the new one),
``split`` (records left an id that lives on, for a new id), ``moved`` (records left an
id that lives on, for another existing id), ``linked_to_kyr`` (a cluster without a UID
joined a KYR resident). ``resolve`` follows the history from an old id to the current one.

The workspace holds the warehouse attached read-only as ``wh``; ``assign`` builds
``residents``, ``_id_map_new`` and ``_id_history_new``; ``store`` writes them.
"""

from __future__ import annotations

from matching import engine
from matching.inputs import WH

MAP = "resident_id_map"
HISTORY = "id_history"

MAP_DDL = (f"CREATE TABLE IF NOT EXISTS {{db}}.matching.{MAP} (source VARCHAR, "
           "record_id VARCHAR, resident_id VARCHAR, first_seen_run DATE, last_seen_run DATE)")
HISTORY_DDL = (f"CREATE TABLE IF NOT EXISTS {{db}}.matching.{HISTORY} (old_id VARCHAR, "
               "new_id VARCHAR, reason VARCHAR, records INTEGER, run_date DATE, "
               "recorded_at TIMESTAMP)")
MAX_ROUNDS = 50
PREV_MAP, PREV_HISTORY = "_prev_id_map", "_prev_id_history"  # workspace names


def has_table(con, schema: str, table: str, catalog: str = WH) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = ? "
        "AND table_schema = ? AND table_name = ?", [catalog, schema, table]).fetchall()[0][0])


def _previous(con, name: str, ddl: str) -> str:
    """The warehouse table if it exists, else an empty workspace table of the same shape."""
    if has_table(con, "matching", name):
        return f"{WH}.matching.{name}"
    con.execute("CREATE SCHEMA IF NOT EXISTS matching")
    con.execute(ddl.format(db="memory"))
    return f"memory.matching.{name}"


def load_previous(con) -> tuple[str, str]:
    """DuckDB workspace views ``_prev_id_map`` / ``_prev_id_history`` over the warehouse's
    registry and history (empty tables of the same shape on a first run)."""
    for name, ddl, local in ((MAP, MAP_DDL, PREV_MAP), (HISTORY, HISTORY_DDL, PREV_HISTORY)):
        con.execute(f"CREATE OR REPLACE VIEW {local} AS SELECT * FROM {_previous(con, name, ddl)}")
    return PREV_MAP, PREV_HISTORY


def kyr_id_sql(token_sql: str) -> str:
    return f"'R' || substr(md5('K:' || {token_sql}), 1, 16)"


def assign(db, run_date: str, labels: str = "resident_labels") -> str:
    """``labels`` (source, record_id, label) -> table ``residents`` (source, record_id,
    resident_id) with stable ids, plus ``_id_map_new`` and ``_id_history_new``.

    Reads the previous registry as ``_prev_id_map`` / ``_prev_id_history``: on DuckDB
    ``load_previous`` makes them; on Spark the pipeline hands them over."""
    db = engine.of(db)
    if db.dialect == "duckdb":
        load_previous(db.raw)
    prev_map, prev_hist = PREV_MAP, PREV_HISTORY
    # one row per cluster; K clusters own their token-derived id
    db.create("_ids_clusters", f"""
        SELECT label, count(*) AS size,
               CASE WHEN label LIKE 'K:%' THEN {kyr_id_sql("substr(label, 3)")} END AS kyr_id
        FROM {labels} GROUP BY label
    """)
    # (cluster, previous id, records of the cluster that held it)
    db.create("_ids_cand", f"""
        WITH age AS (SELECT resident_id, min(first_seen_run) AS issued FROM {prev_map}
                     GROUP BY resident_id)
        SELECT l.label, m.resident_id AS old_id, count(*) AS n, min(age.issued) AS issued
        FROM {labels} l
        JOIN {prev_map} m ON m.source = l.source AND m.record_id = l.record_id
        JOIN age ON age.resident_id = m.resident_id
        JOIN _ids_clusters c ON c.label = l.label
        WHERE c.kyr_id IS NULL
          AND m.resident_id NOT IN (SELECT kyr_id FROM _ids_clusters WHERE kyr_id IS NOT NULL)
        GROUP BY l.label, m.resident_id
    """)
    db.create("_ids_taken", "SELECT CAST(NULL AS VARCHAR) AS label, "
                            "CAST(NULL AS VARCHAR) AS resident_id WHERE false")
    # greedy one-to-one assignment in set-based rounds: a (cluster, id) pair that is the
    # best for both its cluster and its id under one total order is taken; repeat
    order = "n DESC, issued ASC NULLS LAST, old_id ASC, label ASC"
    for _ in range(MAX_ROUNDS):
        db.create("_ids_round", f"""
            WITH open AS (
                SELECT * FROM _ids_cand
                WHERE label NOT IN (SELECT label FROM _ids_taken)
                  AND old_id NOT IN (SELECT resident_id FROM _ids_taken)
            ), ranked AS (
                SELECT *, row_number() OVER (PARTITION BY label ORDER BY {order}) AS rl,
                          row_number() OVER (PARTITION BY old_id ORDER BY {order}) AS ri
                FROM open
            )
            SELECT label, old_id AS resident_id FROM ranked WHERE rl = 1 AND ri = 1
        """)
        if not db.rows("SELECT count(*) FROM _ids_round")[0][0]:
            break
        db.create("_ids_taken", "SELECT * FROM _ids_taken UNION ALL SELECT * FROM _ids_round")
    db.drop("_ids_round")
    # ids ever issued: a fresh id must not collide with one of them
    db.create("_ids_issued", f"""
        SELECT resident_id AS id FROM {prev_map}
        UNION SELECT old_id FROM {prev_hist} UNION SELECT new_id FROM {prev_hist}
        UNION SELECT resident_id FROM _ids_taken
    """)
    db.create("_ids_final", f"""
        WITH fresh AS (
            SELECT c.label, 'R' || substr(md5(c.label), 1, 16) AS plain,
                   'R' || substr(md5(c.label || '|' || '{_date(run_date)}'), 1, 16) AS salted
            FROM _ids_clusters c LEFT JOIN _ids_taken t ON t.label = c.label
            WHERE c.kyr_id IS NULL AND t.label IS NULL
        )
        SELECT label, kyr_id AS resident_id, 'kyr' AS how FROM _ids_clusters
        WHERE kyr_id IS NOT NULL
        UNION ALL SELECT label, resident_id, 'kept' FROM _ids_taken
        UNION ALL
        SELECT f.label, CASE WHEN i.id IS NULL THEN f.plain ELSE f.salted END, 'new'
        FROM fresh f LEFT JOIN _ids_issued i ON i.id = f.plain
    """)
    db.create("residents", f"""
        SELECT l.source, l.record_id, f.resident_id
        FROM {labels} l JOIN _ids_final f ON f.label = l.label
    """)
    # the registry: every record seen now, plus records not seen this run (kept as they were)
    day = f"CAST('{_date(run_date)}' AS DATE)"
    db.create("_id_map_new", f"""
        SELECT r.source, r.record_id, r.resident_id,
               coalesce(m.first_seen_run, {day}) AS first_seen_run,
               {day} AS last_seen_run
        FROM residents r
        LEFT JOIN {prev_map} m ON m.source = r.source AND m.record_id = r.record_id
        UNION ALL
        SELECT m.* FROM {prev_map} m
        WHERE NOT EXISTS (SELECT 1 FROM residents r
                          WHERE r.source = m.source AND r.record_id = m.record_id)
    """)
    db.create("_id_history_new", f"""
        WITH moves AS (
            SELECT m.resident_id AS old_id, r.resident_id AS new_id, count(*) AS records
            FROM residents r
            JOIN {prev_map} m ON m.source = r.source AND m.record_id = r.record_id
            WHERE m.resident_id <> r.resident_id
            GROUP BY 1, 2
        ), live AS (SELECT DISTINCT resident_id FROM residents)
        SELECT mv.old_id, mv.new_id,
               CASE WHEN lo.resident_id IS NULL AND f.how = 'kyr' THEN 'linked_to_kyr'
                    WHEN lo.resident_id IS NULL THEN 'merge'
                    WHEN f.how = 'new' THEN 'split'
                    ELSE 'moved' END AS reason,
               CAST(mv.records AS INTEGER) AS records, {day} AS run_date,
               CAST(current_timestamp AS TIMESTAMP) AS recorded_at
        FROM moves mv
        JOIN _ids_final f ON f.resident_id = mv.new_id
        LEFT JOIN live lo ON lo.resident_id = mv.old_id
    """)
    db.drop("_ids_clusters", "_ids_cand", "_ids_taken", "_ids_issued", "_ids_final")
    return "residents"


def _date(run_date: str) -> str:
    """``run_date`` checked as an ISO date (it is inlined into the SQL)."""
    import datetime as dt

    return dt.date.fromisoformat(str(run_date)).isoformat()


def store(con, run_date: str) -> None:
    """Write the registry and append the history (inside the caller's transaction).

    A rerun on unchanged inputs keeps every id, so it appends no history."""
    con.execute(MAP_DDL.format(db=WH))
    con.execute(HISTORY_DDL.format(db=WH))
    con.execute(f"CREATE OR REPLACE TABLE {WH}.matching.{MAP} AS SELECT * FROM _id_map_new")
    con.execute(f"INSERT INTO {WH}.matching.{HISTORY} SELECT * FROM _id_history_new")


def resolve(con, resident_id: str, catalog: str | None = None, max_hops: int = 20
            ) -> tuple[str, list[dict]]:
    """Follow ``id_history`` from ``resident_id`` to a current id.

    Returns (current id, the hops taken: old_id, new_id, reason, records, run_date).
    At each hop the destination that received most records (then the latest) wins.
    """
    db = f"{catalog}." if catalog else ""
    hops: list[dict] = []
    current = resident_id
    seen = {current}
    for _ in range(max_hops):
        live = con.execute(f"SELECT count(*) FROM {db}matching.residents WHERE resident_id = ?",
                           [current]).fetchall()[0][0]
        if live:
            return current, hops
        if not has_table(con, "matching", HISTORY, catalog or _current_db(con)):
            break
        row = con.execute(f"""
            SELECT old_id, new_id, reason, records, CAST(run_date AS VARCHAR)
            FROM {db}matching.{HISTORY} WHERE old_id = ?
            ORDER BY run_date DESC, records DESC, new_id LIMIT 1""", [current]).fetchall()
        if not row or row[0][1] in seen:
            break
        hops.append(dict(zip(("old_id", "new_id", "reason", "records", "run_date"), row[0],
                             strict=True)))
        current = row[0][1]
        seen.add(current)
    return current, hops


def _current_db(con) -> str:
    return con.execute("SELECT current_database()").fetchall()[0][0]
