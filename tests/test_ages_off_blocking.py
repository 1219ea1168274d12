"""Ages further off (issue 17): a department's age is heaped or off by a year or two, and
its birthday unknown. With the surname misspelt too, every rule that pairs a name within a
village asked for an exact birth year, and the record never met its KYR row. The band keys
(``matching.inputs.BIRTH_BANDS``) pair the first name within the village for birth years up
to 3 apart."""

from __future__ import annotations

import datetime as dt

import duckdb

from matching import inputs
from tests.test_matching_blocking import _pairs, _person


def _in_village(row: dict, code: str) -> dict:
    return {**row, "village_code": code}


def test_first_name_in_the_village_with_surname_misspelt_and_age_three_years_off():
    kyr = [_in_village(_person("T1", "SANGEETA TOPPO", "F", dob=dt.date(1961, 11, 18)), "V1"),
           # the same first name and age in another village: not paired on it
           _in_village(_person("T2", "SANGEETA MINJ", "F", dob=dt.date(1959, 2, 1)), "V2")]
    # aged 66 on 2025-01-01: born 1958 or 1959 (ingest's birth_year: 1959), KYR says 1961;
    # TPOPO / TOPPO differ in key
    dept = [{**_in_village(_person("P1", "SANGEETA TPOPO", "F", age_from=66), "V1"),
             "birth_year": 1959}]
    pairs = _pairs(kyr, dept)
    assert ("P1", "T1") in pairs
    assert ("P1", "T2") not in pairs


def test_two_birth_years_at_most_three_apart_share_a_band():
    """Half a band apart is the guarantee: one of the two keys agrees, every year."""
    con = duckdb.connect()
    bands = ", ".join(f"{sql.replace('birth_year', 'y')} AS {col}"
                      for col, sql in inputs.BIRTH_BANDS.items())
    con.execute(f"CREATE TABLE b AS SELECT y, {bands} FROM range(1900, 2031) t(y)")
    (missed,) = con.execute("""
        SELECT count(*) FROM b l JOIN b r ON r.y BETWEEN l.y - 3 AND l.y + 3
        WHERE l.birth_band <> r.birth_band AND l.birth_band_shifted <> r.birth_band_shifted
    """).fetchone()
    assert missed == 0
    # and a band is narrow: years 6 apart never share one
    (wide,) = con.execute("""
        SELECT count(*) FROM b l JOIN b r ON r.y = l.y + 6
        WHERE l.birth_band = r.birth_band OR l.birth_band_shifted = r.birth_band_shifted
    """).fetchone()
    assert wide == 0
