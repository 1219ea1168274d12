"""Linkage of a list where nearly every record has its KYR row (issue 17, FEBRL-like).

Two mechanisms, each with a hand-made case:

* the seeding prior "none of the candidates" follows the KYR's size up to the fixed
  prior of a state (``seed.null_weight_for``): a match weight that is overwhelming
  among 500 KYR rows is seeded there, and the same weight among 100,000 rows is not;
* a list whose places resolve to no district is still paired on what it carries: the
  name with the place as spelled, the full date of birth, or the name alone; where
  districts exist the name-alone rule is not used (its pairs would grow with the square
  of the state).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from matching import blocking, seed
from matching.settings import MatchSettings, SourceThresholds
from tests.test_matching_blocking import _pairs, _person


def test_null_weight_follows_the_kyr_size():
    r = 0.95
    assert seed.null_weight_for(500, r) == pytest.approx(4.72, abs=0.01)
    assert seed.null_weight_for(1_000_000, r) == pytest.approx(15.68, abs=0.01)
    # auto (None): the size's prior plus the margin, uncapped by default
    s = MatchSettings()
    assert seed.thresholds_for(s, "sw_pension", 500).null_weight == pytest.approx(5.72, abs=0.01)
    assert seed.thresholds_for(s, "sw_pension", 10_000).null_weight == pytest.approx(10.04,
                                                                                     abs=0.01)
    assert seed.thresholds_for(s, "sw_pension", 50_000).null_weight == pytest.approx(12.36,
                                                                                     abs=0.01)
    assert seed.thresholds_for(s, "sw_pension", 1_000_000).null_weight == pytest.approx(
        16.68, abs=0.01)
    # a state may cap it
    capped = s.with_thresholds("sw_pension", null_weight_max=12.0)
    assert seed.thresholds_for(capped, "sw_pension", 1_000_000).null_weight == 12.0
    # a configured number is kept
    fixed = s.with_thresholds("sw_pension", null_weight=12.0)
    assert seed.thresholds_for(fixed, "sw_pension", 500).null_weight == 12.0
    with pytest.raises(ValueError, match="null_weight is auto"):
        seed.provisional(duckdb.connect(), "src", "p", "i", SourceThresholds())


def _statuses(n_kyr: int) -> dict[str, tuple[str, float]]:
    """Two records, each with one KYR candidate at 11 bits (an exact name, place and
    date of birth in a FEBRL-like list), the other KYR rows far away."""
    con = duckdb.connect()
    con.register("_r", pd.DataFrame({"unique_id": ["a", "b"]}))
    con.execute("CREATE TABLE inp_src AS SELECT * FROM _r")
    con.register("_p", pd.DataFrame([("a", "T1", 11.0, 0.0), ("b", "T2", 11.0, 0.0)],
                                    columns=["record_id", "kyr_token", "match_weight",
                                             "match_probability"]))
    con.execute("CREATE TABLE pred_seed_src AS SELECT * FROM _p")
    th = seed.thresholds_for(MatchSettings().with_thresholds("src", seed_threshold=0.95),
                             "src", n_kyr)
    prov = seed.provisional(con, "src", "pred_seed_src", "inp_src", th)
    return {r: (s, p) for r, s, p in con.execute(
        f"SELECT source_record_id, match_status, match_probability FROM {prov}").fetchall()}


def test_a_strong_pair_in_a_small_list_is_seeded_not_reviewed():
    small = _statuses(500)   # 2^11 against 500 rows, 5% of records not in KYR (+1 bit)
    assert small["a"][0] == "seeded" and small["a"][1] == pytest.approx(0.975, abs=1e-3)
    large = _statuses(100_000)  # the same evidence among 100k rows is not enough
    null = seed.null_weight_for(100_000, 0.95, margin=1.0)  # 13.4 bits
    assert large["a"][0] != "seeded"
    assert large["a"][1] == pytest.approx(1 / (1 + 2 ** (null - 11)))


def _febrl(rid, name, *, dob=None, suburb=None):
    """A record as FEBRL's converted lists carry it: no district, block or village code."""
    return {**_person(rid, name, "M", dob=dob, village=suburb), "block_std": None}


def test_a_list_without_districts_pairs_on_what_it_carries():
    d = dt.date(1979, 7, 10)
    kyr = [_febrl("T1", "CHARLIE WELLER", dob=dt.date(1914, 7, 15), suburb="CRIB POINT"),
           _febrl("T2", "JORDAN THABA", dob=d, suburb="ARMIDALE"),
           _febrl("T3", "JAKE BERRY", dob=dt.date(1972, 7, 2), suburb="KINGSTHORPE"),
           _febrl("T4", "ANNA SMITH", dob=dt.date(1950, 1, 1), suburb="PENRITH")]
    dept = [_febrl("P1", "WELLER CHARLIE", suburb="CRIB POINT"),     # swapped, no dob
            _febrl("P2", "JORD AN BLAKE", dob=d, suburb="ARMIDA LE"),  # only the dob
            _febrl("P3", "JAKE BERRY", suburb="KINGSTGORPE")]          # only the name
    got = _pairs(kyr, dept)
    assert {("P1", "T1"), ("P2", "T2"), ("P3", "T3")} <= got
    assert not {p for p in got if p[1] == "T4"}  # nothing in common: never scored
    # a one-word name is not paired on the name alone (a surname shared by many)
    assert not _pairs([_febrl("T5", "WHITE", dob=dt.date(1972, 12, 7), suburb="ST CLAIR")],
                      [_febrl("P5", "WHITE", dob=dt.date(1974, 4, 5), suburb="BARCALDINE")])


def test_the_name_alone_is_not_a_rule_where_places_resolve():
    cols = {"name_sorted_key", "first_name_key", "last_name_key", "place_key", "dob",
            "village_code", "block_std", "district_std"}
    used = blocking.chosen(blocking.SEED_PREDICTION_RULES, cols)
    assert ("first_name_key", "last_name_key") not in used
    assert ("dob",) not in used and ("dob", "block_std") not in used
    # name + village as spelled only where no village code does it already
    assert ("name_sorted_key", "place_key", "district_std") not in used
    unresolved = blocking.chosen(blocking.SEED_PREDICTION_RULES, cols - {"village_code"})
    assert ("name_sorted_key", "place_key", "district_std") in unresolved
    assert ("first_name_key", "last_name_key") not in unresolved
    flat = blocking.chosen(blocking.SEED_PREDICTION_RULES,
                           cols - {"village_code", "block_std", "district_std"})
    assert ("first_name_key", "last_name_key") in flat and ("dob",) in flat
    assert ("name_sorted_key", "place_key") in flat
