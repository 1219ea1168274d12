"""A name written surname first with one token misspelt (issue 17): a job card's "DEWAGAN
SOMAROO" for KYR's "SOMARU DEWANGAN", aged two years off. The sorted name key differs
(DEWAGAN / DEWANGAN), the first-name rules compare the card's first token (its surname)
with KYR's given name, and the surname rules its last (the given name) with KYR's surname:
no village rule paired it. The crossed keys (``matching.inputs.CROSSED_NAMES``) compare the
card's last token with KYR's given name, and its first with KYR's surname, within the
village and a birth band (``blocking.CROSSED_NAME_SEED_RULES``). Real Splink + DuckDB."""

from __future__ import annotations

from tests.test_matching_blocking import _pairs, _person


def _at(row: dict, village: str) -> dict:
    # an age gives ingest's birth_year as the later of its two years
    return {**row, "village_code": village, "birth_year": row["birth_year_max"]}


def test_surname_first_with_the_surname_misspelt_meets_its_kyr_row_in_the_village():
    kyr = [_at(_person("T1", "SOMARU DEWANGAN", "M", by=1977), "V1"),
           # the same given name and age in another village: not paired on it
           _at(_person("T2", "SOMARU DEWANGAN", "M", by=1977), "V2"),
           # the same given name in the village, 20 years older: not paired on it
           _at(_person("T3", "SOMARU SAHU", "M", by=1957), "V1")]
    # aged 45 on 2025-01-01: born 1979 or 1980, KYR says 1977
    dept = [_at(_person("P1", "DEWAGAN SOMAROO", "M", age_from=45), "V1")]
    assert _pairs(kyr, dept) == {("P1", "T1")}


def test_surname_first_with_the_given_name_misspelt_and_a_stand_in_on_one_side():
    kyr = [_at(_person("T1", "GAYATRI MANDAVI", "F", by=1979), "V1"),
           _at(_person("T2", "GAYATRI MANDAVI", "F", by=1979), "V2")]
    # aged 44: born 1980 or 1981, KYR says 1979; GAIATRI / GAYATRI differ in key
    dept = [_at(_person("P1", "MANDAVI BAI GAIATRI", "F", age_from=44), "V1")]
    assert _pairs(kyr, dept) == {("P1", "T1")}

