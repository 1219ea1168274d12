"""A blocking rule whose pairs grow with the square of the state is left out, loudly
(issue 17: "a rule whose pairs grow with the square of the state needs another key").

The hand-made case: a department list sent with no district or block (nothing resolved),
so the statewide full-date-of-birth rule is in play, in a state where many residents share
dates of birth. Each record would meet hundreds of KYR rows on the date alone; the rule is
dropped with a warning naming it, while the village-scoped rules stay.
"""

from __future__ import annotations

import logging

import duckdb
import pytest

from matching import blocking
from matching.engine import DuckDBEngine


@pytest.fixture()
def db():
    con = duckdb.connect()
    # 600 KYR rows over 2 dates of birth and 60 villages; 5 department records
    con.execute("""CREATE TABLE kyr AS SELECT 'K' || i AS unique_id,
        CASE WHEN i % 2 = 0 THEN DATE '1980-01-01' ELSE DATE '1981-05-05' END AS dob,
        'V' || (i % 60) AS village_code, 'N' || (i % 7) AS name_sorted_key
        FROM range(600) t(i)""")
    con.execute("""CREATE TABLE dept AS SELECT 'D' || i AS unique_id,
        DATE '1980-01-01' AS dob, 'V' || i AS village_code, 'N' || i AS name_sorted_key
        FROM range(5) t(i)""")
    yield DuckDBEngine(con)
    con.close()


def test_pairs_are_counted_as_splink_makes_them(db):
    from splink import DuckDBAPI
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    api = DuckDBAPI(db.raw)
    tables = ["kyr", "dept"]
    dfs = [api.register(t, table_name=t) for t in tables]
    for cols in (("dob",), ("name_sorted_key", "village_code")):
        for link_only in (True, False):
            (splink,) = count_comparisons_from_blocking_rules(
                dfs, blocking_rules=blocking.block_on(*cols),
                link_type="link_only" if link_only else "link_and_dedupe",
                record_sample_proportion=1.0)
            assert blocking.rule_pairs(db, tables, cols, link_only) == \
                splink["marginal_comparison_count"], (cols, link_only)


def test_a_rule_past_the_budget_is_left_out_with_a_warning(db, caplog):
    spec = (("name_sorted_key", "village_code"), ("!district_std", "!block_std", "dob"))
    columns = {"dob", "village_code", "name_sorted_key"}  # no district, no block
    with caplog.at_level(logging.WARNING, logger="matching.blocking"):
        kept = blocking.within_budget(db, spec, columns, ["kyr", "dept"], True, 5, 200.0,
                                      "seeding food_pds")
    # dob: 5 records x 300 KYR rows born that day = 1,500 pairs, 300 per record
    assert kept == (("name_sorted_key", "village_code"),)
    (warning,) = caplog.messages
    assert warning.startswith("seeding food_pds: blocking rule dob left out: it makes 1,500 "
                              "pairs, 300 per record, past the budget of 200 per record")
    # a larger budget, or none, keeps it; the guard only ever removes whole rules
    assert blocking.within_budget(db, spec, columns, ["kyr", "dept"], True, 5, 400.0, "x") \
        == (("name_sorted_key", "village_code"), ("dob",))
    assert blocking.within_budget(db, spec, columns, ["kyr", "dept"], True, 5, None, "x") \
        == (("name_sorted_key", "village_code"), ("dob",))
    # where the list carries districts the guarded rule is not in play at all
    assert blocking.within_budget(db, spec, columns | {"district_std"}, ["kyr", "dept"], True,
                                  5, 200.0, "x") == (("name_sorted_key", "village_code"),)


def test_a_column_a_table_does_not_carry_counts_no_pairs(db):
    # kyr_anchor is set on department records after seeding; KYR never has it
    assert blocking.rule_pairs(db, ["kyr", "dept"], ("kyr_anchor",), True) == 0


def test_large_tables_are_estimated_on_a_sample_and_only_the_exact_count_decides(
        db, monkeypatch, caplog):
    db.raw.execute("""CREATE TABLE big_kyr AS SELECT 'K' || i AS unique_id,
        CASE WHEN i % 2 = 0 THEN DATE '1980-01-01' ELSE DATE '1981-05-05' END AS dob,
        'V' || (i % 2000) AS village_code, 'N' || (i % 7) AS name_sorted_key
        FROM range(8000) t(i)""")
    db.raw.execute("""CREATE TABLE big_dept AS SELECT 'D' || i AS unique_id,
        DATE '1980-01-01' AS dob, 'V' || i AS village_code, 'N' || (i % 7) AS name_sorted_key
        FROM range(400) t(i)""")
    monkeypatch.setattr(blocking, "EXACT_UP_TO_ROWS", 1000)  # both sides are sampled
    spec = (("name_sorted_key", "village_code"), ("!district_std", "dob"))
    with caplog.at_level(logging.WARNING, logger="matching.blocking"):
        kept = blocking.within_budget(db, spec, {"dob", "village_code", "name_sorted_key"},
                                      ["big_kyr", "big_dept"], True, 400, 200.0, "seeding x")
    assert kept == (("name_sorted_key", "village_code"),)
    # the figure in the warning is the exact count: 400 records x 4,000 born that day
    (warning,) = caplog.messages
    assert "it makes 1,600,000 pairs, 4000 per record" in warning
    # the sample is drawn by content: the same rows in another order give the same sample
    db.raw.execute("CREATE TABLE big_kyr_shuffled AS SELECT * FROM big_kyr ORDER BY random()")
    sampled = blocking._sampled(db, "big_kyr", 0)
    shuffled = blocking._sampled(db, "big_kyr_shuffled", 0)
    assert db.rows(f"SELECT list_sort(list(unique_id)) FROM {sampled}") == \
        db.rows(f"SELECT list_sort(list(unique_id)) FROM {shuffled}")


def test_no_rule_left_would_score_every_pair_so_the_cheapest_stays(db, caplog):
    spec = (("!district_std", "dob"), ("!district_std", "name_sorted_key"))
    with caplog.at_level(logging.WARNING, logger="matching.blocking"):
        kept = blocking.within_budget(db, spec, {"dob", "name_sorted_key"}, ["kyr", "dept"],
                                      True, 5, 10.0, "seeding x")
    # dob: 1,500 pairs; name_sorted_key: 5 x ~86 = 430 (N0..N4 among 600 rows by i % 7)
    assert kept == (("name_sorted_key",),)
    assert "every blocking rule is past the budget; name_sorted_key is kept" in caplog.text
