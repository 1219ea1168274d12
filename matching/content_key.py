"""Training tables keyed by content, so that the same landing trains the same model in
any home (issue 17, "deterministic decisions").

Splink 5 draws every training sample by a hash of the record's composite unique id:
u by random sampling (``SplinkDialect.proportion_sample_sql``, the ``seed`` only salts
that hash), its chunks and early stop (``chunking``), EM's record sample and the dedupe
prior's random pairs (``em_sampling._em_sample_filter_sql``). Row order plays no part.
KYR's unique id is the resident's ``uid_token``, a token of the home's own vault key,
so each home drew another sample of KYR rows and trained other u values (FEBRL4: seed
thresholds 0.77 and 0.60 in two fresh homes).

``content_keyed`` copies a table with ``unique_id`` replaced by an md5 of the columns
Splink compares and blocks on (never a token). Rows that agree on all of them (rare:
two residents alike in every standardised field) are told apart by their rank in the
token order; they differ in nothing Splink reads except the ``uid_token`` comparison.
Department ids (``source_record_id``) come from the landing and are content already.
"""

from __future__ import annotations

from matching.inputs import INPUT_COLUMNS

# not content: a home's tokens, and a column the run itself fills in after training
# the crossed name keys and the typo key copy the name and place keys, the lone-name
# initials the given name's first letter (blocking only): no content of their own; nor
# has the household's surname on KYR's side (its name and care-of line: a department's
# ids are content already), nor the card-mates (null on KYR's side)
NOT_CONTENT = frozenset({"unique_id", "uid_token", "kyr_anchor", "given_crossed_key",
                         "surname_crossed_key", "typo_key", "lone_given_initial",
                         "lone_kyr_initial", "unresolved_block_key", "implied_surname_key",
                         "card_mate_keys"})
CONTENT_COLUMNS = tuple(c for c in INPUT_COLUMNS if c not in NOT_CONTENT)
NULL_MARK = "\u2205"  # a null and an empty string must hash apart


def content_key_sql(table: str, columns: list[str]) -> str:
    """A ``SELECT`` (DuckDB SQL) of ``table`` with ``unique_id`` made of content."""
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '{NULL_MARK}')"
                      for c in CONTENT_COLUMNS if c in columns)
    others = ", ".join(c for c in columns if c != "unique_id")
    return (
        f"SELECT _h || ':' || CAST(row_number() OVER (PARTITION BY _h ORDER BY unique_id) "
        f"AS VARCHAR) AS unique_id, {others} "
        f"FROM (SELECT *, md5(concat_ws('|', {parts})) AS _h FROM {table}) t")


def content_keyed(con, table: str, out: str, backend: str = "duckdb") -> str:
    """``out``: ``table`` with content keys (a DuckDB table, or a Spark temp view with
    ``backend: spark``, where ``con`` is the SparkSession)."""
    if backend == "spark":
        from matching.engine import SparkEngine

        sql = content_key_sql(table, list(con.table(table).columns))
        con.sql(SparkEngine.translate(sql)).createOrReplaceTempView(out)
        return out
    columns = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    con.execute(f"CREATE OR REPLACE TABLE {out} AS {content_key_sql(table, columns)}")
    return out


def drop(con, name: str, backend: str = "duckdb") -> None:
    if backend == "spark":
        con.catalog.dropTempView(name)
    else:
        con.execute(f"DROP TABLE IF EXISTS {name}")
