"""Four phenomena read on the FEBRL1/2-link development sets (issue 17; matching/README.md
"FEBRL linkage development sets", session 12), each with a hand-made case:

* a village written as one word or two ("NAVAGAON" / "NAVA GAON") has one phonetic key,
  so it still pairs and compares as the same village;
* a surname misspelt, with no date of birth, still meets its KYR row through the first
  name and the village as spelled, where no village code resolved (and only there);
* one person listed several times: a copy keeps the UID through a chain of dedupe edges
  to the best-scoring copy, while a copy with no edge to any of them loses the conflict;
* a one-word name that is the other's surname ("LESLIE" / "STIRLING LESLIE") is
  "surname only" evidence, not a disagreeing name.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from ingest.standardise.names import place_key
from matching import blocking, inputs, seed
from matching.comparisons import SURNAME_ALONE_LABEL, build_comparisons
from tests.test_dedupe_decision import _run
from tests.test_matching_blocking import _pairs, _person


def test_a_village_written_as_one_word_or_two_has_one_key():
    assert place_key("NAVA GAON") == place_key("NAVAGAON") is not None
    assert place_key("BADE BACHELI") == place_key("BADEBACHELI")
    assert place_key("NAYA ATARI") == place_key("NAYAATARI")
    assert place_key("NAVAGAON") != place_key("NAGAON")       # another village
    # the same name, no date of birth or age: only the village as spelled pairs them
    kyr = [_person("T1", "SUNITA VERMA", "F", village="NAVAGAON", block="ARANG"),
           _person("T2", "SUNITA VERMA", "F", village="NAGAON", block="ARANG")]
    dept = [_person("P1", "SUNITA VERMA", "F", village="NAVA GAON", block="ARANG")]
    assert _pairs(kyr, dept) == {("P1", "T1")}


def test_a_misspelt_surname_without_a_date_meets_its_row_through_the_first_name():
    kyr = [_person("T1", "NAOMI HANIGAN", "F", dob=dt.date(1997, 3, 15),
                   village="ALBION PARK", block="B1"),
           _person("T2", "NAOMI CLARKE", "F", dob=dt.date(1960, 1, 2), village="MOE",
                   block="B1")]
    dept = [_person("P1", "NAOMI HANIAGN", "F", village="ALBION PARK", block="B1")]
    assert _pairs(kyr, dept) == {("P1", "T1")}
    # where village codes resolve, the village rules pair such records: the first name
    # with a village would grow with the square of a village, and is not used
    cols = {"first_name_key", "last_name_key", "place_key", "village_code", "block_std",
            "district_std", "name_sorted_key", "dob"}
    assert ("first_name_key", "place_key", "district_std") not in blocking.chosen(
        blocking.SEED_PREDICTION_RULES, cols)
    assert ("first_name_key", "place_key", "district_std") in blocking.chosen(
        blocking.SEED_PREDICTION_RULES, cols - {"village_code"})


def test_a_copy_keeps_the_uid_through_a_chain_of_edges_to_the_best_copy():
    # one pensioner listed four times, all seeded to T1 on their own evidence. a is the
    # best; b pairs with a (same village); c pairs with b (same mobile) but with a only on
    # name and age (another spelling of the village): no edge a-c. x shares name and age
    # with a alone: no edge to any copy
    records = {"a": {"village_code": "V1"}, "b": {"village_code": "V1", "mobile": "98"},
               "c": {"village_code": "V2", "mobile": "98"}, "x": {"village_code": "V7"}}
    prov = {"a": ("seeded", "T1", 38.0), "b": ("seeded", "T1", 35.0),
            "c": ("seeded", "T1", 24.0), "x": ("seeded", "T1", 23.0)}
    pairs = [("a", "b", 0.9999), ("b", "c", 0.999), ("a", "c", 0.9999), ("a", "x", 0.9999)]
    res, seeding, _ = _run(records, pairs, prov)
    assert seeding.loc["c", "match_status"] == "seeded"     # via b: one resident
    assert res["a"] == res["b"] == res["c"]
    assert seeding.loc["x", "reason"] == "uid_conflict"     # name + age only: review
    assert res["x"] != res["a"]
    # without b, nothing joins c to a: c loses the conflict as before
    del records["b"], prov["b"]
    res, seeding, _ = _run(records, [p for p in pairs if "b" not in p], prov)
    assert seeding.loc["c", "reason"] == "uid_conflict" and res["c"] != res["a"]


def test_a_chain_of_edges_never_joins_two_people_for_certain():
    # father f1 and son s on one ration card, one name, s with no age; f2, a copy of the
    # father on another card with no age either: f1-f2 and f2-s are edges, f1-s is
    # vetoed (same card). s must not keep the father's UID through f2 (review, issue 17)
    records = {"f1": {"household_ref": "C1", "village_code": "V1", "mobile": "98"},
               "f2": {"household_ref": "C2", "village_code": "V1", "mobile": "98",
                      "birth_year_min": None, "birth_year_max": None},
               "s": {"household_ref": "C1", "village_code": "V1", "mobile": "98",
                     "birth_year_min": None, "birth_year_max": None}}
    prov = {"f1": ("seeded", "T1", 38.0), "f2": ("seeded", "T1", 30.0),
            "s": ("seeded", "T1", 29.0)}
    pairs = [("f1", "f2", 0.9999), ("f2", "s", 0.9999), ("f1", "s", 0.9999)]
    res, seeding, _ = _run(records, pairs, prov)
    assert seeding.loc["f2", "match_status"] == "seeded" and res["f1"] == res["f2"]
    assert seeding.loc["s", "reason"] == "uid_conflict" and res["s"] != res["f1"]
    # the undated copy scored best: father and son both have a direct edge to it
    _, seeding, _ = _run(records, pairs, {**prov, "f2": ("seeded", "T1", 40.0)})
    assert seeding.loc["f1", "match_status"] == "seeded"
    assert seeding.loc["s", "reason"] == "uid_conflict"
    # birth years apart (1960 / 1985), f2 with none, and the model scored f1-s low (the
    # pair never reached the scored pairs the vetoes are read from): the same
    records["s"] = {"village_code": "V1", "mobile": "98", "birth_year_min": 1985,
                    "birth_year_max": 1986}
    low = [("f1", "f2", 0.9999), ("f2", "s", 0.9999), ("f1", "s", 0.05)]
    _, seeding, _ = _run(records, low, {**prov, "s": ("seeded", "T1", 29.0, 0.95)})
    assert seeding.loc["s", "reason"] == "uid_conflict"


def test_a_chain_never_runs_through_a_record_that_lost_the_uid():
    # a and b are card-mates (apart), both with a direct edge to the best record w; b
    # ranks lower and loses. d's only link is b: it must lose too (it kept through b when
    # the apart check ran once, after the chain). c's only link is a, and c is apart from
    # b (birth years): b lost, so c keeps through a
    near = {"village_code": "V1", "mobile": "98"}
    records = {"w": {**near, "household_ref": "C0"}, "a": {**near, "household_ref": "C1"},
               "b": {**near, "household_ref": "C1", "birth_year_min": 1980,
                     "birth_year_max": 1981},
               "d": {**near, "household_ref": "C3", "birth_year_min": None,
                     "birth_year_max": None},
               "c": {**near, "household_ref": "C4", "birth_year_min": 1960,
                     "birth_year_max": 1961}}
    records["a"] |= {"birth_year_min": None, "birth_year_max": None}
    records["w"] |= {"birth_year_min": None, "birth_year_max": None}
    prov = {"w": ("seeded", "T1", 40.0), "a": ("seeded", "T1", 35.0),
            "b": ("seeded", "T1", 33.0), "d": ("seeded", "T1", 30.0),
            "c": ("seeded", "T1", 29.0)}
    pairs = [("w", "a", 0.9999), ("w", "b", 0.9999), ("b", "d", 0.9999), ("a", "c", 0.9999)]
    _, seeding, _ = _run(records, pairs, prov)
    status = {r: (seeding.loc[r, "match_status"], seeding.loc[r, "reason"]) for r in records}
    assert status["a"][0] == "seeded" and status["b"] == ("review", "uid_conflict"), status
    assert status["d"] == ("review", "uid_conflict"), status
    assert status["c"][0] == "seeded", status


def test_a_chain_keeps_the_uid_for_at_most_conflict_hops_edges():
    # a - b - c - d - e, each pair an edge only to its neighbours; a is the best
    ids = "abcde"
    records = {r: {"village_code": "V1", "mobile": "98"} for r in ids}
    prov = {r: ("seeded", "T1", 40.0 - i) for i, r in enumerate(ids)}
    pairs = [(x, y, 0.9999) for x, y in zip(ids, ids[1:], strict=False)]
    _, seeding, _ = _run(records, pairs, prov)
    kept = [r for r in ids if seeding.loc[r, "match_status"] == "seeded"]
    assert kept == list(ids[:seed.CONFLICT_HOPS + 1])  # a and 3 edges: b, c, d
    assert seeding.loc["e", "reason"] == "uid_conflict"


SURNAME_PAIRS = [  # (department's name, KYR's name, the seeding model's level)
    ("LESLIE", "STIRLING LESLIE", SURNAME_ALONE_LABEL),
    ("SAHU", "RAMESH SAHU", SURNAME_ALONE_LABEL),
    ("RAMESH SAHU", "SAHU", SURNAME_ALONE_LABEL),
    ("ALICIA", "ALICIA REID", "one name is the other without its surname"),
    ("VERMA", "RAMESH SAHU", "All other comparisons"),       # another surname
    ("LESLIE", "LESLIE", "Exact match on name_std"),
    ("DEVI", "SITA DEVI", "All other comparisons"),  # a stand-in is no surname
    ("SITA DEVI", "BAI", "All other comparisons"),
]


def _name_levels(pairs) -> list[str]:
    """The seeding model's name level of each pair, as Splink picks it (the first level
    whose SQL holds), on inputs built by matching.inputs."""
    from tests.test_name_stand_ins import _std

    con = duckdb.connect()
    for side, col in (("dept", 0), ("kyr", 1)):
        inputs.load_frame(con, side, pd.DataFrame(
            [_std(f"D{i}", p[col]) for i, p in enumerate(pairs)]))
    comp = build_comparisons(["name"], kind="seed")[0]
    levels = comp.get_comparison("duckdb").as_dict()["comparison_levels"]
    case = " ".join("ELSE ?" if lv["sql_condition"] == "ELSE"
                    else f"WHEN {lv['sql_condition']} THEN ?" for lv in levels)
    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in inputs.INPUT_COLUMNS)
    return [r[0] for r in con.execute(
        f"SELECT CASE {case} END FROM (SELECT {cols} FROM inp_dept l JOIN inp_kyr r "
        f"USING (unique_id) ORDER BY CAST(substr(unique_id, 2) AS INTEGER))",
        [lv["label_for_charts"] for lv in levels]).fetchall()]


def test_a_one_word_name_that_is_the_other_surname_is_surname_only_evidence():
    got = _name_levels(SURNAME_PAIRS)
    for (dept, kyr, want), level in zip(SURNAME_PAIRS, got, strict=True):
        assert level.startswith(want), (dept, kyr, level)
    # the dedupe model has no such level
    dedupe = build_comparisons(["name"], kind="dedupe")[0]
    assert SURNAME_ALONE_LABEL not in [lv["label_for_charts"] for lv in dedupe.get_comparison(
        "duckdb").as_dict()["comparison_levels"]]


def test_the_surname_alone_level_is_never_stronger_than_surname_only():
    """One-word names are rare among random pairs, so the level's sampled u is small:
    its Bayes factor is kept at "surname only"'s."""
    import logging

    from splink import Linker, SettingsCreator

    from matching import train
    from matching.comparisons import SURNAME_ONLY_LABEL
    from matching.settings import load_settings
    from tests.test_name_stand_ins import _std

    con = duckdb.connect()
    for feed in ("dept", "kyr"):
        inputs.load_frame(con, feed, pd.DataFrame([_std("1", "RAMESH SAHU")]))
    db_api = train.make_db_api(con, load_settings())
    sdfs = [db_api.register(f"inp_{f}", table_name=f) for f in ("dept", "kyr")]
    linker = Linker(sdfs, SettingsCreator(link_type="link_only", comparisons=build_comparisons(
        ["name"], kind="seed")), log_level=logging.WARNING)
    levels = {lv.label_for_charts: lv for c in linker._settings_obj.comparisons
              for lv in c.comparison_levels if not lv.is_null_level}
    only, alone = levels[SURNAME_ONLY_LABEL], levels[SURNAME_ALONE_LABEL]
    only.u_probability = 0.0035                          # m fixed 0.015: about 2 bits
    alone.u_probability = 3e-5                           # sampled: 9 bits, too strong
    train._bound_names(linker, seeding=True)
    assert alone.m_probability / alone.u_probability == pytest.approx(0.015 / 0.0035)
    alone.m_probability, alone.u_probability = 0.015, 0.01   # weaker: kept
    train._bound_names(linker, seeding=True)
    assert alone.m_probability == pytest.approx(0.015)
