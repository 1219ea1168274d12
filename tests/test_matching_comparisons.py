"""Name/birth comparison levels, the committed models' weights, dedupe anchors, blocking size."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from matching import blocking, dedupe
from matching.comparisons import birth_comparison, name_comparison
from matching.inputs import FeedTable
from matching.settings import load_settings

MODELS = Path(__file__).resolve().parents[1] / "matching" / "models"


def _level_of(comparison, pairs: list[dict]) -> list[str]:
    """The label of the first level whose SQL condition holds, per pair (as Splink does)."""
    levels = comparison.get_comparison("duckdb").as_dict()["comparison_levels"]
    case = " ".join("ELSE ?" if lvl["sql_condition"] == "ELSE"
                    else f"WHEN {lvl['sql_condition']} THEN ?" for lvl in levels)
    con = duckdb.connect()
    con.register("p", pd.DataFrame(pairs))
    return [r[0] for r in con.execute(f"SELECT CASE {case} END FROM p",
                                      [lvl["label_for_charts"] for lvl in levels]).fetchall()]


def _name_pair(l_first, l_last, r_first, r_last, key=lambda s: s[:3]):
    side = {}
    for sfx, first, last in (("l", l_first, l_last), ("r", r_first, r_last)):
        side |= {f"name_std_{sfx}": f"{first} {last}", f"first_name_{sfx}": first,
                 f"last_name_{sfx}": last, f"name_key_{sfx}": f"{key(first)} {key(last)}",
                 f"first_name_key_{sfx}": key(first), f"last_name_key_{sfx}": key(last)}
    return side


def test_siblings_fall_in_the_surname_only_level_and_initials_in_their_own():
    labels = _level_of(name_comparison(), [
        _name_pair("VINOD", "PAIKRA", "RAHOOL", "PAIKRA"),     # brothers
        _name_pair("H", "RATHORE", "HEMANT", "RATHORE"),       # initial
        _name_pair("SUSHILA", "SAHU", "SUSHIAL", "SAHU", key=lambda s: s),  # typo
        _name_pair("GEETA", "SONKAR", "ANITA", "MARKAM"),      # nothing in common
    ])
    assert labels == ["Exact match on last_name_key", "first-name initial, same surname",
                      "first and last names close (JW >= 0.88)", "All other comparisons"]


def test_birth_years_decades_apart_are_the_lowest_level():
    pair = {"dob_l": None, "dob_r": None, "birth_year_l": 1961, "birth_year_r": 2013,
            "birth_year_min_l": 1960, "birth_year_max_l": 1961,
            "birth_year_min_r": 2013, "birth_year_max_r": 2013}
    near = dict(pair, birth_year_r=1969, birth_year_min_r=1969, birth_year_max_r=1969)
    assert _level_of(birth_comparison(), [pair, near]) == [
        "All other comparisons", "birth years within 10"]


def _weights(model: dict, comparison: str) -> dict[str, float]:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == comparison)
    return {lvl["label_for_charts"]: math.log2(lvl["m_probability"] / lvl["u_probability"])
            for lvl in comp["comparison_levels"]
            if not lvl.get("is_null_level") and lvl.get("u_probability")
            and lvl.get("m_probability")}


@pytest.mark.parametrize("path", sorted(MODELS.glob("*.json")), ids=lambda p: p.stem)
def test_committed_models_count_a_shared_surname_as_weak_evidence(path):
    """A retrain that lets EM learn relatives as matches again fails here."""
    model = json.loads(path.read_text())
    name = _weights(model, "name")
    assert name["Exact match on last_name_key"] < 0
    if "Exact match on name_std" in name:  # edu_scholarship: name untrained (README)
        assert name["Exact match on name_std"] - name["Exact match on last_name_key"] > 8
    assert _weights(model, "birth")["All other comparisons"] < -9


def test_set_anchors_marks_records_whose_best_candidate_reaches_the_anchor_floor():
    """The anchor follows the candidate's posterior, not the status: a record at p 0.3 is
    unmatched since review_threshold is 0.5 and keeps its anchor (the old review floor,
    dedupe.anchor_probability 0.2); one at p 0.1 has none."""
    con = duckdb.connect()
    con.execute("CREATE TABLE inp_pds (unique_id VARCHAR, kyr_anchor VARCHAR)")
    con.execute("INSERT INTO inp_pds VALUES ('a', NULL), ('b', NULL), ('c', NULL), "
                "('d', NULL), ('e', NULL)")
    con.execute("""CREATE TABLE prov_pds AS SELECT * FROM (VALUES
        ('a', 'T1', 0.999, 'seeded'), ('b', 'T1', 0.6, 'review'),
        ('c', 'T2', 0.3, 'unmatched'), ('d', 'T3', 0.1, 'unmatched'),
        ('e', NULL, NULL, 'unmatched'))
        t(source_record_id, candidate_uid_token, match_probability, match_status)""")
    floor = load_settings().dedupe.anchor_probability
    assert floor == 0.2
    dedupe.set_anchors(con, [FeedTable("pds", "inp_pds", 5, frozenset())], ["prov_pds"], floor)
    got = dict(con.execute("SELECT unique_id, kyr_anchor FROM inp_pds").fetchall())
    assert got == {"a": "T1", "b": "T1", "c": "T2", "d": None, "e": None}
    # and the dedupe rules block on it even though the column is empty at load time
    rules = blocking.rules(blocking.DEDUPE_PREDICTION_RULES, {"name_key"})
    assert any("kyr_anchor" in r.get_blocking_rule("duckdb").blocking_rule_sql for r in rules)


def test_no_name_rule_spans_a_whole_district():
    """District counts are fixed, so a district-wide name key's pairs grow with the
    square of the state (21M pairs for one source at 1M residents): a rule with the
    district also needs the village name or a birth year beside the name."""
    names = {"name_key", "name_sorted_key", "first_name_key", "last_name_key",
             "relative_name_key"}
    for entry in blocking.SEED_PREDICTION_RULES + blocking.DEDUPE_PREDICTION_RULES:
        for rule in blocking._alternatives(entry):
            if "district_std" in rule and names & set(rule):
                assert {"place_key", "birth_year_max"} & set(rule), rule


def test_scoped_rules_fall_back_where_the_feeds_carry_no_district():
    """The place and birth-year-max rules are district-scoped where both feeds carry
    districts, and unscoped where they do not (FEBRL: no place resolves)."""
    cols = {"last_name_key", "place_key", "gender", "name_key", "birth_year_max"}
    flat = blocking.chosen(blocking.SEED_PREDICTION_RULES, cols)
    assert ("last_name_key", "place_key", "gender") in flat
    assert ("name_key", "birth_year_max") in flat
    scoped = blocking.chosen(blocking.SEED_PREDICTION_RULES, cols | {"district_std"})
    assert ("last_name_key", "place_key", "gender", "district_std") in scoped
    assert ("name_key", "birth_year_max", "district_std") in scoped
    assert ("name_key", "birth_year_max") not in scoped


def test_em_sessions_train_names_for_a_feed_without_villages():
    """Every feed gets an EM session that leaves the name comparison free to train: on
    village + birth year, or on block + birth year where the feed has no villages."""
    def sql(cols):
        return [r.get_blocking_rule("duckdb").blocking_rule_sql
                for r in blocking.training_rules(cols)]

    base = {"name_key", "birth_year", "first_name_key", "last_name_key", "district_std",
            "block_std"}
    with_village = sql(base | {"village_code"})
    without = sql(base)
    assert len(with_village) == len(without) == 3
    assert any("village_code" in s for s in with_village)
    assert not any("block_std" in s for s in with_village)  # the first usable one only
    assert any("block_std" in s and "birth_year" in s for s in without)
    assert not any("name" in s for s in without[1:2])  # the session that trains names


def test_a_dropped_surname_has_its_own_level():
    from matching.comparisons import name_comparison as nc

    one = _name_pair("RAMESH", "SAHU", "RAMESH", "SAHU")
    one |= {"name_std_r": "RAMESH", "last_name_r": None, "last_name_key_r": None,
            "name_key_r": "RAM"}
    two = _name_pair("RAMESH", "KUMAR", "RAMESH", "KUMAR")
    two |= {"name_std_l": "RAMESH KUMAR SAHU", "name_key_l": "RAM KUM SAH",
            "last_name_l": "SAHU", "last_name_key_l": "SAH"}
    assert _level_of(nc(), [one, two]) == ["one name is the other without its surname"] * 2


def test_a_name_written_surname_first_is_a_swap_only_when_both_tokens_cross():
    """Seeding models: "SHARMA SUMAN" / "SUMAN SHARMA" is a swap (exact keys, or close
    ones: "KASHYAB JAGDISH" / "JAGDISH KASHYAP"); a surname that is only someone's first
    name ("RAJ" / "SUNIL RAJ") is not. Splink's reversed level checked one direction."""
    nc = name_comparison(swapped_both_ways=True)
    labels = _level_of(nc, [
        _name_pair("SHARMA", "SUMAN", "SUMAN", "SHARMA"),
        _name_pair("KASHYAB", "JAGDISH", "JAGDISH", "KASHYAP", key=lambda s: s),
        _name_pair("RAJ", "KUMARI", "SUNIL", "RAJ"),
        _name_pair("SUNIL", "RAJ", "RAJ", "KUMARI"),
    ])
    assert labels[0].startswith("Match on reversed cols") and "both" in labels[0]
    assert labels[1] == "first and last names swapped, one of them close (JW >= 0.88)"
    assert not any("reversed" in lb or "swapped" in lb for lb in labels[2:])
    # both crossed tokens only close (a prefix) is no swap
    loose = _name_pair("CHANDRA", "SAROJINI", "SAROJ", "CHANDRAKAR", key=lambda s: s)
    assert "swapped" not in _level_of(nc, [loose])[0]
    # and the fold-aware closeness: SAHOO / SAHU are far apart spelled, one key
    typo = _name_pair("KNAHAIYA", "SAHOO", "KANHAIYA", "SAHU", key=lambda s: s)
    typo |= {"last_name_key_l": "SAH", "last_name_key_r": "SAH",
             "first_name_key_l": "KNHY", "first_name_key_r": "KNHY"}
    assert _level_of(nc, [typo]) == ["(Exact match on first_name_key) AND "
                                     "(Exact match on last_name_key)"]
    typo |= {"first_name_key_l": "KNAHY"}
    assert _level_of(nc, [typo]) == ["first and last names close (JW >= 0.88)"]
    assert _level_of(name_comparison(), [typo]) != ["first and last names close (JW >= 0.88)"]
    # an initial with a misspelt surname whose key agrees ("G YDAV" / "GAYATRI YADAV")
    init = _name_pair("G", "YDAV", "GAYATRI", "YADAV", key=lambda s: s)
    init |= {"last_name_key_l": "JTB", "last_name_key_r": "JTB"}
    assert _level_of(nc, [init]) == ["first-name initial, same surname"]


def test_a_feed_without_villages_pairs_on_the_relatives_name_in_its_block():
    """A scholarship lists a block only: a child written "R" with the father's name and
    year of birth still meets the KYR row (relative key + block + birth year)."""
    cols = {"relative_name_key", "block_std", "birth_year_min", "name_key"}
    assert ("relative_name_key", "block_std", "birth_year_min") in blocking.chosen(
        blocking.SEED_PREDICTION_RULES, cols)


def test_a_relative_written_by_an_initial_with_the_same_surname_has_its_own_level():
    from matching.comparisons import relative_name_comparison as rc

    def pair(a, b):
        return {"relative_name_std_l": a, "relative_name_std_r": b,
                "relative_name_key_l": a, "relative_name_key_r": b}
    label = "relative by initial, same surname"
    got = _level_of(rc(initials=True), [pair("K NXT", "KNH NXT"), pair("SNTX BKL", "S BKL"),
                                        pair("K NXT", "SNTX NXT"), pair("K", "KNH NXT"),
                                        pair("K NXT", "KNH SH")])
    assert got[:2] == [label, label] and label not in got[2:]
    assert label not in _level_of(rc(), [pair("K NXT", "KNH NXT")])

