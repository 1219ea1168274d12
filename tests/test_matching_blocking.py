"""Blocking that survives one wrong field (issue 17): records whose village did not
resolve to the master, or whose name has one misspelt token, still meet their KYR row.

The prediction rules come from ``matching.blocking`` at run time, not from the saved
model, so the committed models pick up the new rules without retraining."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pandas as pd

from ingest.standardise.names import name_keys, place_key
from matching import blocking, inputs, predict
from matching.settings import load_settings

MODELS = Path(__file__).resolve().parents[1] / "matching" / "models"


def _person(rid, name, gender, *, by=None, age_from=None, dob=None, village=None,
            block=None, relative=None):
    full, first, last = name_keys([name])
    toks = name.split(" ")
    if dob is not None:
        by_min = by_max = dob.year
    elif age_from is not None:  # an age on 2025-01-01: born in one of two years
        by_min, by_max = 2025 - age_from - 1, 2025 - age_from
    else:
        by_min = by_max = by
    return {"source_record_id": rid, "uid_token": rid if rid.startswith("T") else None,
            "uid_valid": rid.startswith("T"), "name_std": name, "first_name": toks[0],
            "last_name": toks[-1], "name_key": full[0], "first_name_key": first[0],
            "last_name_key": last[0], "gender": gender, "dob": dob,
            "birth_year": dob.year if dob else (by if by_min == by_max else None),
            "birth_year_min": by_min, "birth_year_max": by_max,
            "place_key": place_key(village), "village_code": None, "block_std": block,
            "relative_name_key": name_keys([relative])[0][0] if relative else None}


def _pairs(kyr_rows, dept_rows) -> set[tuple[str, str]]:
    con = duckdb.connect()
    kyr = inputs.load_frame(con, inputs.KYR, pd.DataFrame(kyr_rows))
    dept = inputs.load_frame(con, "sw_pension", pd.DataFrame(dept_rows))
    model = json.loads((MODELS / "seed_sw_pension.json").read_text())
    # none saved with the model: the pairs below come from matching.blocking's rules
    model["blocking_rules_to_generate_predictions"] = []
    table, _ = predict.predict_seed(con, kyr, dept, model, load_settings())
    return set(con.execute(f"SELECT record_id, kyr_token FROM {table}").fetchall())


def test_prediction_rules_come_from_code_not_from_the_saved_model():
    from matching import blocking, train

    model = {"blocking_rules_to_generate_predictions": [
        {"blocking_rule": "l.old_col = r.old_col", "sql_dialect": "duckdb"}]}
    cols = {"place_key", "last_name_key", "gender", "first_name_key", "dob", "name_key",
            "birth_year"}
    rules = " ".join(r["blocking_rule"] for r in train.with_prediction_rules(
        model, blocking.SEED_PREDICTION_RULES, cols)["blocking_rules_to_generate_predictions"])
    assert "old_col" not in rules and '"place_key"' in rules and '"dob"' in rules


def test_unresolved_village_and_misspelt_first_name_with_age_off_by_two():
    kyr = [_person("T1", "RAMESH SAHU", "M", by=1980, village="KHARORA"),
           _person("T2", "DINESH VERMA", "M", by=1960, village="ARANG")]
    dept = [_person("P1", "RAMESS SAHU", "M", age_from=47, village="KHARORAA WARD NO 4")]
    assert ("P1", "T1") in _pairs(kyr, dept)


def test_misspelt_surname_with_the_same_date_of_birth_elsewhere():
    d = dt.date(1975, 3, 4)
    kyr = [_person("T1", "SUNITA VERMA", "F", dob=d, village="ARANG")]
    dept = [_person("P1", "SUNITA NERMA", "F", dob=d, village="BHILAI 3")]
    assert ("P1", "T1") in _pairs(kyr, dept)


def test_place_key_ignores_ward_numbers_and_state_tags():
    assert place_key("BHILAI 3 CG") == place_key("BHILAI") is not None
    assert place_key("KHARORAA WARD NO 4") == place_key("KHARORA")
    assert place_key(None) is None


def test_a_namesake_in_another_block_is_not_scored_unless_something_else_agrees():
    """Name + birth year is scoped to the block (issue 17: statewide, its pairs grow with
    the square of the state); the same name and age elsewhere still meets its KYR row
    when the relative's name agrees, and a feed without blocks keeps the statewide rule."""
    kyr = [_person("T1", "RAMESH SAHU", "M", by=1980, block="ARANG", relative="MOHAN"),
           _person("T2", "RAMESH SAHU", "M", by=1980, block="DHARSIWA", relative="GOPAL")]
    dept = [_person("P1", "RAMESH SAHU", "M", age_from=44, block="ARANG")]
    assert _pairs(kyr, dept) == {("P1", "T1")}
    moved = [_person("P2", "RAMESH SAHU", "M", age_from=44, block="BILHA", relative="GOPAL")]
    assert _pairs(kyr, moved) == {("P2", "T2")}
    no_blocks = [{**p, "block_std": None} for p in kyr]
    assert _pairs(no_blocks, [{**dept[0], "block_std": None}]) == {("P1", "T1"), ("P1", "T2")}


def test_no_name_rule_spans_a_block_or_the_state_on_the_name_alone():
    """Blocks and districts are fixed, so a name key across one (or the state) pairs
    ever more namesakes: where the feeds carry places, each name rule also needs the
    village (code or as spelled), a date of birth, the relative's name, or a birth year
    within the block or district."""
    names = {"name_key", "name_sorted_key", "first_name_key", "last_name_key"}
    linear = {"village_code", "place_key", "dob", "relative_name_key", "mover_village_key"}
    years = {"birth_year", "birth_year_min", "birth_year_max"}
    # an unresolved village's block key is the block, carried only by the records whose
    # village did not resolve: with a birth band (a few years) there
    for entry in blocking.SEED_PREDICTION_RULES + blocking.DEDUPE_PREDICTION_RULES:
        rule = set(blocking._alternatives(entry)[0])  # the one used where places resolve
        if "!district_std" in rule:  # used only where the feeds carry no district or block
            continue
        if rule & names:
            if "unresolved_block_key" in rule:
                assert rule & {"birth_band", "birth_band_shifted"}, rule
                continue
            assert rule & linear or (rule & {"block_std", "district_std", "mover_block_key"}
                                     and rule & years), rule
