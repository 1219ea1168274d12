"""Two ways a clerk writes the same person differently (issue 17, FEBRL1/2 development
data and Indian lists): a date with day and month swapped, a name token joined or split.

Each had no level of its own: a swapped date counted only as "same birth year", and
"RAMKUMAR SAHU" / "RAM KUMAR SAHU" fell in "surname only", a sibling's level."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest
from matching_helpers import birth_linker
from test_matching_comparisons import _name_pair

from ingest.standardise.names import name_keys
from matching import comparisons
from matching.comparisons import birth_comparison, name_comparison


def _level_of(comparison, pairs: list[dict]) -> list[str]:
    """The label of the first level whose SQL condition holds, per pair (as Splink does)."""
    levels = comparison.get_comparison("duckdb").as_dict()["comparison_levels"]

    def lit(label: str) -> str:
        return "'" + label.replace("'", "''") + "'"

    case = " ".join(f"ELSE {lit(lvl['label_for_charts'])}" if lvl["sql_condition"] == "ELSE"
                    else f"WHEN {lvl['sql_condition']} THEN {lit(lvl['label_for_charts'])}"
                    for lvl in levels)
    con = duckdb.connect()
    con.register("p", pd.DataFrame(pairs))
    return [r[0] for r in con.execute(f"SELECT CASE {case} END FROM p").fetchall()]


def _birth_pair(dob_l, dob_r):
    return {"dob_l": dob_l, "dob_r": dob_r, "birth_year_l": dob_l.year,
            "birth_year_r": dob_r.year, "birth_year_min_l": dob_l.year,
            "birth_year_max_l": dob_l.year, "birth_year_min_r": dob_r.year,
            "birth_year_max_r": dob_r.year}


def test_day_and_month_swapped_is_its_own_birth_level():
    pairs = [_birth_pair(dt.date(1970, 3, 12), dt.date(1970, 12, 3)),  # DD/MM as MM/DD
             _birth_pair(dt.date(1970, 3, 12), dt.date(1970, 3, 12)),
             _birth_pair(dt.date(1970, 3, 12), dt.date(1970, 12, 4)),  # same year only
             _birth_pair(dt.date(1970, 3, 12), dt.date(1971, 12, 3))]  # another year
    for learn in (False, True):
        assert _level_of(birth_comparison(learn_birth_m=learn), pairs) == [
            "day and month swapped", "Exact match on dob", "same birth year",
            "birth years within 2"]


def test_day_and_month_swapped_keeps_a_fixed_prior_in_every_model():
    """EM on a state that never swaps would learn m near 0 (a penalty): fixed."""
    for learn in (False, True):
        levels = birth_comparison(learn_birth_m=learn).get_comparison("duckdb").as_dict()
        swapped = next(lvl for lvl in levels["comparison_levels"]
                       if lvl.get("label_for_charts") == "day and month swapped")
        assert swapped["fix_m_probability"] is True
        assert swapped["m_probability"] == comparisons.BIRTH_M[1]


def _keyed_pair(left: str, right: str) -> dict:
    """A pair as std holds it: the standardiser's own phonetic keys."""
    side = {}
    for sfx, name in (("l", left), ("r", right)):
        tokens = name.split()
        full, fk, lk = name_keys([name])
        side |= {f"name_std_{sfx}": name, f"first_name_{sfx}": tokens[0],
                 f"last_name_{sfx}": tokens[-1] if len(tokens) > 1 else None,
                 f"name_key_{sfx}": full[0], f"first_name_key_{sfx}": fk[0],
                 f"last_name_key_{sfx}": lk[0],
                 f"name_sorted_key_{sfx}": " ".join(sorted(full[0].split()))}
    return side


def test_a_joined_or_split_name_token_is_the_same_name_spaced_differently():
    label = "the same letters, spaced differently"
    pairs = [_keyed_pair("RAMKUMAR SAHU", "RAM KUMAR SAHU"),
             _keyed_pair("LAXMIBAI NETAM", "LAXMI BAI NETAM"),
             _keyed_pair("RILEY HO", "RILEY H O"),
             _keyed_pair("RAMESH SAHU", "SURESH SAHU")]  # brothers stay "surname only"
    for kw in ({}, {"swapped_both_ways": True}, {"reordered_tokens": True,
                                                 "term_frequencies": True}):
        labels = _level_of(name_comparison(**kw), pairs)
        assert labels[:3] == [label] * 3, kw
        assert labels[3] == "Exact match on last_name_key", kw
    # an exact name is still the exact level
    assert _level_of(name_comparison(), [_name_pair("RAM", "SAHU", "RAM", "SAHU")]) == [
        "Exact match on name_std"]


def test_spaced_name_level_is_plain_sql_for_every_backend():
    con = duckdb.connect()
    con.register("p", pd.DataFrame([{"name_std_l": "RAM KUMAR", "name_std_r": "RAMKUMAR"}]))
    assert con.execute(f"SELECT {comparisons.NAME_SPACED} FROM p").fetchone()[0] is True
    spark = name_comparison().get_comparison("spark").as_dict()["comparison_levels"]
    assert any("REPLACE(name_std_l, ' ', '')" in lvl["sql_condition"] for lvl in spark)


def test_a_swapped_date_is_never_worth_more_than_an_exact_one():
    """Sampling rarely meets a swapped pair, so its u fell to the floor and the level
    outscored an exact date of birth (+13 bits, independent review): its u is modelled
    as the share of dates whose day reads as a month times the exact date's u."""
    from matching import train

    linker, levels = birth_linker()
    exact, swapped = levels["Exact match on dob"], levels["day and month swapped"]
    exact.m_probability, exact.u_probability = 0.3, 1e-4
    swapped.u_probability = 1e-6                                # the floor
    train._swapped_dob_u(linker)
    assert swapped.u_probability == pytest.approx(comparisons.DAY_IS_A_MONTH * 1e-4)
    assert swapped.m_probability / swapped.u_probability < \
        exact.m_probability / exact.u_probability / 8           # 3.5 bits below
