"""Lock down what SQL can do through Superset's connection to the serving copy.

Two layers, so one mistake is not enough to reach a file, the vault or the key:

1. DuckDB itself (``DUCKDB_CONNECT_ARGS``): the serving copy is opened read-only with
   external access disabled (no file reads or writes: ``read_text``, ``read_csv``,
   ``COPY ... TO``, ``ATTACH``, ``INSTALL``/``LOAD``) and the configuration locked (no
   ``SET``/``RESET`` can undo it). ``lock_duckdb_connection`` (Superset's
   ``DB_CONNECTION_MUTATOR``) forces these arguments on every DuckDB engine Superset
   creates, whatever the database's stored ``extra`` says.
2. Superset (``superset_config.py``): ``DISALLOWED_SQL_FUNCTIONS["duckdb"]`` refuses the
   file and query-string functions before a query runs, and ``refuse_unsafe_sql``
   (``SQL_QUERY_MUTATOR``) lets only read statements through. Superset's own mutation
   check passes ATTACH, COPY, INSTALL and SET, so this allowlist does the rest.
"""

from __future__ import annotations

from typing import Any

# DuckDB configuration for every connection Superset opens (names as in duckdb_settings()).
DUCKDB_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,  # last: nothing below it may change the above
}
DUCKDB_CONNECT_ARGS: dict[str, Any] = {"read_only": True, "config": DUCKDB_CONFIG}

# Functions that read files, the environment or run SQL from a string (upper case, as
# Superset's check compares them).
DUCKDB_DISALLOWED_FUNCTIONS: frozenset[str] = frozenset({
    "READ_TEXT", "READ_BLOB", "READ_CSV", "READ_CSV_AUTO", "SNIFF_CSV", "READ_JSON",
    "READ_JSON_AUTO", "READ_JSON_OBJECTS", "READ_JSON_OBJECTS_AUTO", "READ_NDJSON",
    "READ_NDJSON_AUTO", "READ_NDJSON_OBJECTS", "READ_PARQUET", "PARQUET_SCAN",
    "PARQUET_METADATA", "PARQUET_SCHEMA", "PARQUET_FILE_METADATA", "PARQUET_KV_METADATA",
    "READ_XLSX", "GLOB", "QUERY", "QUERY_TABLE", "GETENV", "DUCKDB_SECRETS",
    "ICEBERG_SCAN", "DELTA_SCAN", "SQLITE_SCAN", "POSTGRES_SCAN", "MYSQL_SCAN",
})


class UnsafeSQLError(ValueError):
    """A statement that may not run against the serving copy."""


def _allowed_statement(parsed: Any) -> bool:
    from sqlglot import exp

    return isinstance(parsed, (exp.Query, exp.Describe, exp.Show, exp.Summarize))


def unsafe_statements(sql: str) -> list[str]:
    """What in ``sql`` may not run: statements that are not plain reads (their first
    keyword) and any function of ``DUCKDB_DISALLOWED_FUNCTIONS`` (charts' SQL too)."""
    from superset.sql.parse import SQLScript

    try:
        script = SQLScript(sql, engine="duckdb")
    except Exception:  # noqa: BLE001 - unparseable SQL never reaches the database
        return ["unparseable SQL"]
    bad = []
    if script.check_functions_present(set(DUCKDB_DISALLOWED_FUNCTIONS)):
        bad.append("a file or query-string function")
    for st in script.statements:
        parsed = getattr(st, "_parsed", None)
        if parsed is None or not _allowed_statement(parsed):
            bad.append(str(st).split(None, 1)[0].upper() if str(st).strip() else "?")
    return bad


def refuse_unsafe_sql(sql: str, database: Any = None, **_: Any) -> str:
    """``SQL_QUERY_MUTATOR``: pass reads through unchanged, refuse everything else."""
    engine = getattr(getattr(database, "db_engine_spec", None), "engine", "duckdb")
    if engine != "duckdb":
        return sql
    bad = unsafe_statements(sql)
    if bad:
        raise UnsafeSQLError(
            f"SRDH: only SELECT queries may run on the serving copy; refused: "
            f"{', '.join(dict.fromkeys(bad))}")
    return sql


def lock_duckdb_connection(uri: Any, params: dict[str, Any], *_: Any, **__: Any
                           ) -> tuple[Any, dict[str, Any]]:
    """``DB_CONNECTION_MUTATOR``: every DuckDB engine gets ``DUCKDB_CONNECT_ARGS``."""
    if str(getattr(uri, "drivername", uri)).startswith("duckdb"):
        params = dict(params)
        connect = dict(params.get("connect_args") or {})
        config = {**(connect.get("config") or {}), **DUCKDB_CONFIG}
        config["lock_configuration"] = config.pop("lock_configuration")  # applied last
        connect.update(read_only=True, config=config)
        params["connect_args"] = connect
    return uri, params
