"""A record whose date of birth was replaced and whose surname and village are both
misspelt (issue 17, FEBRL1/2-link development sets: "BENJAMIN CANNEKL", Kununuodra, 1965
/ "BENJAMIN CANNELL", Kununurra, 1985) met its KYR row on no key: every rule with a name
key asks for the date, the whole surname key or the whole place key. The typo key
(``matching.inputs.TYPO_KEY``: the first letters of the first-name, surname and place
keys) pairs it where the feeds carry no village code, and only there.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from matching import blocking, inputs
from tests.test_small_list_linkage import _febrl


def _blocked(kyr_rows, dept_rows) -> set[tuple[str, str]]:
    """The (department, KYR) pairs some seeding rule in use joins (before any scoring:
    a home trained on a list with replaced dates scores these pairs, the committed
    models of a state with reliable dates keep few of them)."""
    con = duckdb.connect()
    kyr = inputs.load_frame(con, inputs.KYR, pd.DataFrame(kyr_rows))
    dept = inputs.load_frame(con, "sw_pension", pd.DataFrame(dept_rows))
    rules = blocking.chosen(blocking.SEED_PREDICTION_RULES, set(kyr.usable) & set(dept.usable))
    ors = " OR ".join("(" + " AND ".join(f"d.{c} = k.{c}" for c in r) + ")" for r in rules)
    return set(con.execute(f"SELECT d.unique_id, k.unique_id FROM {dept.table} d "
                           f"JOIN {kyr.table} k ON {ors}").fetchall())


def test_the_date_and_two_more_fields_changed_still_pair():
    kyr = [_febrl("T1", "BENJAMIN CANNELL", dob=dt.date(1985, 12, 16), suburb="KUNUNURRA"),
           _febrl("T2", "CARLIN CLARKE", dob=dt.date(1989, 11, 11), suburb="KYABRAM"),
           _febrl("T3", "EMILY NEGENT", dob=dt.date(1912, 1, 13), suburb="NUNAWADING"),
           _febrl("T4", "ANNA SMITH", dob=dt.date(1950, 1, 1), suburb="PENRITH")]
    dept = [
        # first name kept; surname, village and date changed
        _febrl("P1", "BENJAMIN CANNEKL", dob=dt.date(1965, 5, 4), suburb="KUNUNUODRA"),
        _febrl("P2", "CARLIN CLARWKE", dob=dt.date(1953, 10, 13), suburb="KYABFAM"),
        # village kept; both names and the date changed
        _febrl("P3", "EMIIY NEGENHT", dob=dt.date(1908, 10, 20), suburb="NUNAWADING"),
        # the first letter of the surname changed, and the village and date: nothing
        # left to pair on (the key is first letters, not any letters)
        _febrl("P4", "ANNA TMITH", dob=dt.date(1970, 2, 2), suburb="BENDIGO"),
    ]
    got = _blocked(kyr, dept)
    assert {("P1", "T1"), ("P2", "T2"), ("P3", "T3")} <= got
    assert not {p for p in got if p[0] == "P4"}
    assert not {p for p in got if p[0] in ("P1", "P2", "P3") and p[1] == "T4"}
    # no rule but the typo key pairs them (before it, "never blocked")
    without = [r for r in blocking.SEED_PREDICTION_RULES if "typo_key" not in str(r)]
    orig, blocking.SEED_PREDICTION_RULES = blocking.SEED_PREDICTION_RULES, tuple(without)
    try:
        assert not _blocked(kyr, dept) & {("P1", "T1"), ("P2", "T2"), ("P3", "T3")}
    finally:
        blocking.SEED_PREDICTION_RULES = orig


def test_no_partial_key_a_record_without_surname_or_place_carries_none():
    con = duckdb.connect()
    kyr = inputs.load_frame(con, inputs.KYR, pd.DataFrame([
        _febrl("T1", "ANNA SMITH", dob=dt.date(1950, 1, 1), suburb="PENRITH"),
        _febrl("T2", "WHITE", dob=dt.date(1950, 1, 1), suburb="PENRITH"),
        _febrl("T3", "ANNA SMITH", dob=dt.date(1950, 1, 1), suburb="")]))
    keys = dict(con.execute(f"SELECT unique_id, typo_key FROM {kyr.table}").fetchall())
    assert keys["T1"] and keys["T1"].count(" ") == 2
    assert keys["T2"] is None and keys["T3"] is None
    # an empty key (a std frame from elsewhere) is no key either
    frame = inputs.TYPO_KEY.replace("first_name_key", "'AN'").replace(
        "last_name_key", "''").replace("place_key", "'PN'")
    assert con.execute(f"SELECT {frame}").fetchone()[0] is None


def test_the_typo_key_is_a_rule_only_where_no_village_code_resolved():
    cols = {"first_name_key", "last_name_key", "place_key", "typo_key", "village_code",
            "block_std", "district_std", "dob", "name_sorted_key"}
    used = blocking.chosen(blocking.SEED_PREDICTION_RULES, cols)
    assert not [r for r in used if "typo_key" in r]
    # no village code: within the district where feeds carry one (pairs grow with the
    # state, not its square), alone only where no district resolved either
    assert ("typo_key", "district_std") in blocking.chosen(
        blocking.SEED_PREDICTION_RULES, cols - {"village_code"})
    assert ("typo_key",) in blocking.chosen(
        blocking.SEED_PREDICTION_RULES, cols - {"village_code", "district_std"})
