"""No level of a trained model counts against a pair more than total disagreement, and
total disagreement is never evidence for one (``train._bound_by_disagreement``).

EM on one home's data collapsed the levels it met no true pair in: a name written
surname first with a typo at -86 bits, a given name beside Devi / Bai / Kumar at -30 to
-79 bits, a first name with another surname (a woman after marriage) at -16, against
-6.6 for two unrelated names; and the village as spelled, compared where a side has no
village code, gave two *different* spellings +13.6 bits where no random pair had shown
the level. Real Splink linkers on the real comparisons (the real training's model:
``tests/test_place_evidence.py``)."""

from __future__ import annotations

import logging
import math

import duckdb
import pandas as pd
from splink import Linker, SettingsCreator

from matching import comparisons, train
from matching.settings import load_settings


def _linker(*comps) -> tuple[Linker, dict]:
    con = duckdb.connect()
    row = {"unique_id": "1", "name_std": "A B", "place_text": "X", "village_code": None}
    for feed in ("dept", "kyr"):
        con.register(f"_{feed}", pd.DataFrame([row]))
        con.execute(f"CREATE TABLE inp_{feed} AS SELECT * FROM _{feed}")
    db_api = train.make_db_api(con, load_settings())
    sdfs = [db_api.register(f"inp_{f}", table_name=f) for f in ("dept", "kyr")]
    linker = Linker(sdfs, SettingsCreator(link_type="link_only", comparisons=list(comps)),
                    log_level=logging.WARNING)
    levels = {(c.output_column_name, lv.label_for_charts): lv
              for c in linker._settings_obj.comparisons
              for lv in c.comparison_levels if not lv.is_null_level}
    return linker, levels


def _bits(level) -> float:
    return math.log2(level.m_probability / level.u_probability)


def test_a_collapsed_name_level_is_no_worse_than_unrelated_names():
    linker, levels = _linker(comparisons.name_comparison(swapped_both_ways=True,
                                                         stand_ins=True))
    name = {lb: lv for (c, lb), lv in levels.items() if c == "name"}
    swapped = next(lb for lb in name if lb.startswith("first and last names swapped"))
    beside = next(lb for lb in name if lb.startswith("a given name beside"))
    name[swapped].m_probability, name[swapped].u_probability = 1e-30, 1e-5  # -86 bits
    name[beside].m_probability, name[beside].u_probability = 1e-28, 1e-4
    name["Exact match on first_name_key"].m_probability = 1e-7
    name["Exact match on first_name_key"].u_probability = 1e-2
    exact = name[comparisons.NAME_KEY_LABEL]
    exact.m_probability, exact.u_probability = 0.5, 1e-4
    other = name[train.ELSE_LABEL]
    other.m_probability, other.u_probability = 0.01, 0.97
    floor = _bits(other)
    before = {lb: _bits(lv) for lb, lv in name.items()}
    assert before[swapped] < -80 and floor > -7
    train._bound_by_disagreement(linker)
    for lb, lv in name.items():
        assert _bits(lv) >= floor - 1e-9, lb
        if before[lb] >= floor:  # what was in order is untouched
            assert _bits(lv) == before[lb], lb
    assert _bits(name[swapped]) == _bits(name["Exact match on first_name_key"]) \
        == _bits(name[beside]) == _bits(other)
    assert _bits(exact) == before[comparisons.NAME_KEY_LABEL]


def test_two_different_spellings_of_a_village_are_no_evidence_for_a_pair():
    linker, levels = _linker(comparisons.place_comparison())
    other = levels[("place", train.ELSE_LABEL)]
    other.u_probability = 1e-7  # no random pair showed the level: u at its floor
    same = levels[("place", "same village text")]
    same.m_probability, same.u_probability = 0.6, 1e-6
    assert _bits(other) > 10
    train._bound_by_disagreement(linker)
    assert _bits(other) == 0.0
    assert _bits(same) > 18  # agreement keeps its weight


def test_a_one_district_home_keeps_its_location_priors():
    """KYR and the list in one district: no random pair disagrees on the district, so
    the last level's u is unobserved (its floor). It is capped at 0 bits, but floors
    nothing: "same block, another village" keeps its fixed penalty (review: a floor
    there had wiped out every location penalty of a district pilot)."""
    linker, levels = _linker(comparisons.location_comparison(fixed_m=True))
    loc = {lb: lv for (c, lb), lv in levels.items() if c == "location"}
    for lv in loc.values():
        lv.u_probability = 0.3
    other = loc[train.ELSE_LABEL]
    other.u_probability = 1e-7
    other._srdh_u_observed = False  # as train._unobserved_u marks it
    block = next(lv for lb, lv in loc.items() if "block" in lb)
    before = _bits(block)
    assert before < 0 and block._fix_m_probability
    train._bound_by_disagreement(linker)
    assert _bits(other) == 0.0
    assert _bits(block) == before
