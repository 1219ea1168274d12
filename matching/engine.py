"""The SQL engine of a matching workspace: DuckDB (default) or Spark, one code path.

Every statement of the workspace (``seed``, ``dedupe``, ``review`` hooks, ``ids``) is
written once, in DuckDB SQL, as ``SELECT``s materialised by ``Engine.create`` (no
``UPDATE``/``DELETE``/``INSERT``: Spark's default catalog has none of them). On Spark
the text is translated by sqlglot and each table is written as Parquet and read back
as a temp view, so a loop of rounds (label propagation, id assignment) never grows its
lineage.

``of(x)`` wraps a DuckDB connection, so callers that hold one keep working.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)


class Engine(Protocol):
    dialect: str
    raw: Any  # what Splink's DB API wraps: a DuckDB connection or a SparkSession

    def rows(self, sql: str) -> list[tuple]: ...
    def create(self, name: str, sql: str) -> str: ...
    def drop(self, *names: str) -> None: ...
    def exists(self, name: str) -> bool: ...
    def columns(self, name: str) -> list[str]: ...


class DuckDBEngine:
    dialect = "duckdb"

    def __init__(self, con) -> None:
        self.raw = con

    def rows(self, sql: str) -> list[tuple]:
        return self.raw.execute(sql).fetchall()

    def create(self, name: str, sql: str) -> str:
        self.raw.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}")
        return name

    def drop(self, *names: str) -> None:
        for n in names:
            self.raw.execute(f"DROP TABLE IF EXISTS {n}")

    def exists(self, name: str) -> bool:
        return bool(self.raw.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_catalog = "
            "current_database() AND table_schema = 'main' AND table_name = ?",
            [name]).fetchall()[0][0])

    def columns(self, name: str) -> list[str]:
        return [d[0] for d in self.raw.execute(f"SELECT * FROM {name} LIMIT 0").description]


class SparkEngine:
    """A SparkSession; each table is written as Parquet under ``folder`` and read back
    as a temp view (Splink's default way to cut a plan's lineage on Spark; Spark's own
    ``checkpoint`` failed with an internal error on a union of checkpointed tables)."""

    dialect = "spark"

    def __init__(self, spark, folder: str | Path) -> None:
        self.raw, self.folder = spark, str(folder).rstrip("/")
        self._n = 0

    @staticmethod
    def translate(sql: str) -> str:
        """DuckDB SQL as Spark SQL, Jaro-Winkler as Splink's jar names it on Spark
        (sqlglot writes ``JAROWINKLER_SIMILARITY``, which Spark does not have)."""
        from matching.dialect import translate_sql

        return translate_sql(sql, "duckdb", "spark")

    def df(self, sql: str):
        """A Spark DataFrame for a DuckDB-SQL ``SELECT``."""
        return self.raw.sql(self.translate(sql))

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self.df(sql).collect()]

    def create(self, name: str, sql: str) -> str:
        self._n += 1  # a new path per version: the old one may still be being read
        path = f"{self.folder}/t{name}_{self._n}"
        self.df(sql).write.mode("overwrite").parquet(path)
        self.raw.read.parquet(path).createOrReplaceTempView(name)
        return name

    def drop(self, *names: str) -> None:
        for n in names:
            self.raw.catalog.dropTempView(n)

    def exists(self, name: str) -> bool:
        return bool(self.raw.catalog.tableExists(name))

    def columns(self, name: str) -> list[str]:
        return list(self.raw.table(name).columns)

    def register_parquet(self, name: str, path: str) -> str:
        self.raw.read.parquet(path).createOrReplaceTempView(name)
        return name


def of(x) -> Engine:
    """``x`` itself when it is an engine, else a DuckDB connection wrapped in one."""
    return x if hasattr(x, "create") and hasattr(x, "dialect") else DuckDBEngine(x)


def spark_session(settings, exchange_dir: Path) -> Any:
    """The SparkSession for ``backend: spark`` (``settings.spark``): the active one when
    there is one (spark-submit, a notebook, a test), else one built from the settings;
    with Splink's Jaro-Winkler jar and a checkpoint directory."""
    from core.quiet import quiet_third_party

    quiet_third_party()  # before the import: PySpark's own import-time warnings
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    sp = settings.spark
    session = SparkSession.getActiveSession()
    if session is None:
        builder = (SparkSession.builder.appName("srdh-matching").master(sp.master)
                   .config("spark.jars", similarity_jar_location()))
        for key, value in sp.conf.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        log.info("started a Spark session (master %s)", sp.master)
    if not session.sparkContext.getCheckpointDir():
        session.sparkContext.setCheckpointDir(
            str(sp.checkpoint_dir or Path(exchange_dir) / "checkpoints"))
    return session


def to_spark(con, spark: SparkEngine, names: list[str], folder: Path) -> None:
    """DuckDB workspace tables -> Spark temp views of the same names, through Parquet."""
    import sqlglot

    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        if not con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]:
            # Spark cannot read the schema of a Parquet file without row groups
            schema = ", ".join(
                f"`{c}` {sqlglot.exp.DataType.build(t, dialect='duckdb').sql('spark')}"
                for c, t, *_ in con.execute(f"DESCRIBE {name}").fetchall())
            spark.raw.createDataFrame([], schema).createOrReplaceTempView(name)
            continue
        path = folder / f"t{name}.parquet"  # Spark skips files named _* or .*
        con.execute(f"COPY (SELECT * FROM {name}) TO '{path}' (FORMAT parquet)")
        spark.register_parquet(name, str(path))


def to_duckdb(spark: SparkEngine, con, tables: dict[str, str], folder: Path) -> None:
    """``tables`` (name -> a SELECT in DuckDB SQL, run on Spark) -> DuckDB workspace
    tables, through Parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in tables.items():
        path = folder / f"t{name}"
        # one file per table: the results are small next to the pairs scored, and an
        # empty result still writes its schema
        spark.df(sql).coalesce(1).write.mode("overwrite").parquet(
            str(path))
        con.execute(f"CREATE OR REPLACE TABLE {name} AS "
                    f"SELECT * FROM read_parquet('{path}/*.parquet')")
