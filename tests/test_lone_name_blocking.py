"""A dropped surname with a misspelt given name, aged a year or two off (issue 17): a
department's "RAHLU" for KYR's "RAHUL YADAV". No name key is shared (RL / RHL), and the
birth years differ, so no village rule paired it. The lone-name keys
(``matching.inputs.LONE_GIVEN``) pair a one-word name's folded initial with the given
names of the village within a birth band (``blocking.LONE_GIVEN_SEED_RULES``), both ways
(a KYR that dropped the surname too); a name with a surname carries no such key, so the
rules add no pair for it. Real Splink + DuckDB."""

from __future__ import annotations

from matching import blocking, inputs
from tests.test_matching_blocking import _pairs, _person


def _at(row: dict, village: str) -> dict:
    # an age gives ingest's birth_year as the later of its two years; a one-word name has
    # no surname (ingest leaves last_name and its key null)
    one_word = " " not in row["name_std"]
    return {**row, "village_code": village, "birth_year": row["birth_year_max"],
            **({"last_name": None, "last_name_key": None} if one_word else {})}


def test_a_one_word_misspelt_name_aged_two_years_off_meets_its_kyr_row_in_the_village():
    kyr = [_at(_person("T1", "RAHUL YADAV", "M", by=1985), "V1"),
           # the same name and age in another village: not paired on it
           _at(_person("T2", "RAHUL YADAV", "M", by=1985), "V2"),
           # the village's other initial, and an R twenty years older: not paired
           _at(_person("T3", "SANTOSH YADAV", "M", by=1985), "V1"),
           _at(_person("T4", "RAMESH SAHU", "M", by=1965), "V1")]
    # aged 37 on 2025-01-01: born 1987 or 1988, KYR says 1985
    dept = [_at(_person("P1", "RAHLU", "M", age_from=37), "V1")]
    assert _pairs(kyr, dept) == {("P1", "T1")}


def test_a_kyr_that_dropped_the_surname_meets_the_departments_full_name():
    kyr = [_at(_person("T1", "SANTOH", "M", by=1962), "V1"),
           _at(_person("T2", "SURESH PATEL", "M", by=1940), "V1")]
    dept = [_at(_person("P1", "SANTOSH PATEL", "M", age_from=60), "V1")]
    assert _pairs(kyr, dept) == {("P1", "T1")}


def test_names_with_a_surname_carry_no_lone_key_and_a_stand_in_alone_none():
    import duckdb
    import pandas as pd

    con = duckdb.connect()
    rows = [_at(_person(r, n, "F", by=1980), "V1") for r, n in
            (("1", "RAHLU"), ("2", "RAHUL YADAV"), ("3", "DEVI"), ("4", "K"),
             ("5", "VEENA"))]
    dept = inputs.load_frame(con, "sw_pension", pd.DataFrame(rows))
    kyr = inputs.load_frame(con, inputs.KYR, pd.DataFrame(rows))
    got = dict(con.execute(f"SELECT unique_id, lone_given_initial FROM {dept.table}").fetchall())
    assert got == {"1": "R", "2": None, "3": None, "4": None, "5": "B"}  # V folds to B
    kyr_side = con.execute(f"SELECT lone_given_initial, lone_kyr_initial FROM {kyr.table} "
                           f"ORDER BY lone_given_initial, lone_kyr_initial").fetchall()
    assert sorted(kyr_side, key=str) == sorted(
        [("R", "R"), ("R", None), ("D", None), ("K", None), ("B", "B")], key=str)
    assert set(blocking.LONE_GIVEN_SEED_RULES) <= set(blocking.SEED_PREDICTION_RULES)
