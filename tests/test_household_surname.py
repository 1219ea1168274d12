"""A dropped surname the household tells (issue 17: "a dropped surname"; "Households").

A ration card lists "RAMESH" among SAHUs, a job card lists "RAMESH" son of "SHYAM SAHU":
the surname the one-word name leaves out is its relative's or its card-mates'. Without it,
"one name is the other without its surname" scored every RAMESH of the village alike, so
a lone given name among namesakes went to review or to the wrong one. The inputs carry
the surname the household tells (``implied_surname_key``), and the seeding models compare
it with the other side's surname (``household_surname``)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from matching_helpers import household_row, levels_of, name_linker, seed_linker

from matching import inputs
from matching.comparisons import (
    HOUSEHOLD_SURNAME_AGREES_LABEL,
    HOUSEHOLD_SURNAME_ELSE_M,
    NAME_KEY_LABEL,
    SURNAME_DROPPED_LABEL,
    build_comparisons,
    household_surname_comparison,
)
from matching.train import DEDUPE_COMPARISONS, SEED_COMPARISONS, usable_comparisons

_row = household_row


def _implied(rows: list[dict]) -> dict[str, str | None]:
    con = duckdb.connect()
    inputs.load_frame(con, "dept", pd.DataFrame(rows))
    return dict(con.execute("SELECT unique_id, implied_surname_key FROM inp_dept").fetchall())


def test_a_name_without_a_surname_takes_its_card_mates_else_its_relatives():
    got = _implied([
        _row("1", "RAMESH", card="C1"), _row("2", "SUNITA SAHU", card="C1"),
        _row("3", "AMIT SAHOO", card="C1"), _row("4", "GEETA VERMA", card="C1"),
        _row("5", "MOHAN", relative="SAHU SHYAM", card="C1"),    # written surname first
        _row("6", "SURESH", relative="MOHAN LAL", card="C1"),    # a father without one
        _row("7", "RAJU", card="C2"), _row("8", "ANITA SAHU", card="C2"),
        _row("9", "VIJAY YADAV", card="C2"),                     # a tie tells nothing
        _row("10", "DEVI", card="C1"),                           # a stand-in alone: none
        _row("11", "SAHU", card="C1"),                           # its own word: none
        _row("12", "SUNITA DEVI", card="C1"),                    # a given name and Devi
        _row("13", "KIRAN", relative="S"),                       # an initial: none
        _row("14", "RAHUL", relative="R NETAM"),                 # no card: the relative
        _row("15", "GEETA", relative="SHYAM KUMAR"),             # a stand-in: none
        _row("16", "ASHA", card="C3"), _row("17", "RAM DUBEY", card="C3"),  # DUBEY is a
        _row("18", "RAVI KUMAR", card="C3"),                     # surname, KUMAR is not
        _row("19", "RAMESH", card="C4"), _row("20", "SAHU R", card="C4"),  # an initial and
        _row("21", "BAI MANJU", card="C4"), _row("22", "GEETA SAHU", card="C4")])  # a
    # word beside a stand-in are no surnames: SAHU alone votes
    assert got["1"] == "SH"            # SAHU and SAHOO share a key: two of three
    assert got["5"] == "SH" and got["6"] == "SH" and got["12"] == "SH"   # the card first
    assert got["14"] == "NTM"
    assert got["16"] == "TB" and got["18"] == "TB"
    assert got["19"] == "SH" and got["21"] == "SH"
    assert all(got[k] is None for k in ("7", "10", "11", "13", "15"))
    assert all(got[k] is None for k in ("2", "3", "4", "8", "9", "17"))  # own surnames


def test_kyr_reads_its_care_of_line_as_the_relative():
    got = _implied([_row("K1", "SOMARU", relative="BUDHRAM NETAM"),
                    _row("K2", "SOMARU NETAM", relative="BUDHRAM NETAM")])
    assert got == {"K1": "NTM", "K2": None}


RULE = "l.unique_id = 'D'"  # the department's record D against every KYR row
NULL = "no surname told, or one edit off: no evidence"
PAIRS = [  # (department's name, KYR's name, KYR's care-of, level expected)
    ("RAMESH", "RAMESH SAHU", None, HOUSEHOLD_SURNAME_AGREES_LABEL),   # the card's surname
    ("RAMESH", "RAMESH SAHOO", None, HOUSEHOLD_SURNAME_AGREES_LABEL),  # its key
    ("RAMESH", "RAMESH KUMAR SAHU", None, HOUSEHOLD_SURNAME_AGREES_LABEL),  # a middle name
    ("RAMESH", "SURESH SAHU", None, HOUSEHOLD_SURNAME_AGREES_LABEL),   # a relative: the name
    ("RAMESH", "RAMESH VERMA", None, "All other comparisons"),         # another surname
    ("RAMESH", "RAMESH SAHUJI", None, NULL),                           # one edit off
    ("RAMESH", "RAMESH", None, NULL),                                  # no surname there
    ("SUNITA", "SUNITA DEVI", None, NULL),                             # a stand-in: none
    ("SUNITA DEVI", "SUNITA SAHU", None, HOUSEHOLD_SURNAME_AGREES_LABEL),  # Devi for SAHU
    ("RAMESH SAHU", "RAMESH VERMA", None, NULL),                       # its own surname
    ("RAMESH SAHU", "RAMESH", "SHYAM SAHU", HOUSEHOLD_SURNAME_AGREES_LABEL),  # KYR's told
    ("RAMESH SAHU", "RAMESH", "SHYAM VERMA", "All other comparisons"),
]


def _pair_frames():
    card = [_row(f"M{i}", "SUNITA SAHU", card=f"C{i}") for i in range(len(PAIRS))]
    dept = [_row(f"D{i}", d, card=f"C{i}") for i, (d, _k, _co, _lv) in enumerate(PAIRS)]
    kyr = [_row(f"D{i}", k, relative=co) for i, (_d, k, co, _lv) in enumerate(PAIRS)]
    return pd.DataFrame(dept + card), pd.DataFrame(kyr)


def test_the_household_surname_against_the_other_side():
    dept, kyr = _pair_frames()
    con = duckdb.connect()
    inputs.load_frame(con, "dept", dept)
    inputs.load_frame(con, "kyr", kyr)
    got = levels_of(con, household_surname_comparison())
    for (d, k, _co, want), level in zip(PAIRS, got, strict=True):
        assert level == want, (d, k, level)


def test_only_the_seeding_models_compare_it_and_only_where_a_side_carries_it():
    both = frozenset({"name_std", "last_name_key", "implied_surname_key"})
    kyr = frozenset({"name_std", "last_name_key"})
    assert "household_surname" in usable_comparisons(SEED_COMPARISONS, kyr, both)
    assert "household_surname" not in usable_comparisons(SEED_COMPARISONS, kyr, kyr)
    assert "household_surname" not in DEDUPE_COMPARISONS   # seeding only
    names = [c.get_comparison("duckdb").output_column_name
             for c in build_comparisons(["name", "household_surname"], kind="seed")]
    assert names == ["name", "household_surname"]


def test_u_is_counted_on_the_state_not_sampled():
    """One-word names are rare: a million random pairs met none on three sources of a
    tuning state and u fell to its floor (+19.9 bits for the same surname). It is counted:
    one KYR surname in ten is the one told."""
    from matching import train

    dept = pd.DataFrame([_row("D", "RAMESH", card="C"), _row("M", "SUNITA SAHU", card="C"),
                         _row("E", "GEETA", relative="MOHAN SAHU"),
                         _row("F", "RAM YADAV"), _row("G", "SHYAM NETAM")])
    kyr = pd.DataFrame([_row("K0", "RAMESH SAHU")] + [
        _row(f"K{i}", f"RAMESH {s}") for i, s in enumerate(
            ["VERMA", "YADAV", "NETAM", "KURRE", "MARKAM", "TIRKEY", "DHRUW", "NAG",
             "EKKA", "SAHUJI", "DEVI"], start=1)]   # one edit off, a stand-in: not counted
        + [_row("K12", "SOMARU", relative="BUDHRAM YADAV"),   # KYR's care-of tells YADAV
           _row("K13", "MOHAN", relative="SURESH VERMA")])     # ... and VERMA
    linker, con, levels = seed_linker(dept, kyr, RULE, ("name", "household_surname"))
    u = train.household_surname_u(linker, lambda sql: con.execute(sql).fetchall(),
                                  "inp_kyr", "inp_dept")
    # two told department names x ten KYR surnames, two agree; two told KYR names x the
    # department's three surnames (the told RAMESH and GEETA are none: both sides told
    # is no evidence), one agrees: (2 + 1) / (20 + 6)
    assert u == pytest.approx(3 / 26)
    assert levels[HOUSEHOLD_SURNAME_AGREES_LABEL].u_probability == pytest.approx(3 / 26)
    assert levels["All other comparisons"].u_probability == pytest.approx(23 / 26)


def test_splink_tells_two_namesakes_of_the_village_apart():
    """Real Splink, the seeding models' name comparison and this one: "RAMESH" on a card of
    SAHUs scores RAMESH SAHU above RAMESH VERMA (before, both fell in "one name is the
    other without its surname" at one weight), by the fixed m and the sampled u; and a
    surname told otherwise is no veto."""
    import math

    dept = pd.DataFrame([_row("D", "RAMESH", card="C"), _row("M", "SUNITA SAHU", card="C")])
    kyr = pd.DataFrame([_row("K1", "RAMESH SAHU"), _row("K2", "RAMESH VERMA")])
    linker, _con, levels = seed_linker(dept, kyr, RULE, ("name", "household_surname"))
    dropped = levels[SURNAME_DROPPED_LABEL]
    dropped.m_probability, dropped.u_probability = 0.003, 1e-5        # 300, both pairs
    agrees, other = levels[HOUSEHOLD_SURNAME_AGREES_LABEL], levels["All other comparisons"]
    assert agrees.m_probability == pytest.approx(1 - HOUSEHOLD_SURNAME_ELSE_M)
    assert other.m_probability == pytest.approx(HOUSEHOLD_SURNAME_ELSE_M)
    agrees.u_probability, other.u_probability = 0.025, 0.975          # a surname's share
    scored = linker.inference.predict().as_pandas_dataframe()
    w = {r.unique_id_r: r.match_weight for r in scored.itertuples()}
    assert w["K1"] == pytest.approx(math.log2(300 * 0.95 / 0.025), abs=0.01)   # +13.5
    assert w["K2"] == pytest.approx(math.log2(300 * 0.05 / 0.975), abs=0.01)   # +3.9
    assert w["K1"] - w["K2"] > 9          # the household tells the namesakes apart
    assert w["K2"] > 0                    # ... and vetoes nobody


def test_a_dropped_surname_is_never_evidence_against_the_pair():
    """``train._bound_names``: EM on one state's ration cards made "one name is the other
    without its surname" -6.6 bits, as if the names disagreed; it is kept at least at 1."""
    from matching import train

    dept = pd.DataFrame([_row("D", "RAMESH")])
    kyr = pd.DataFrame([_row("K", "RAMESH SAHU")])
    linker, levels = name_linker(dept, kyr)
    dropped = levels[SURNAME_DROPPED_LABEL]
    exact = levels[NAME_KEY_LABEL]                                    # its ceiling: 1,000
    exact.m_probability, exact.u_probability = 0.15, 1.5e-4
    dropped.m_probability, dropped.u_probability = 1e-7, 1e-5
    train._bound_names(linker, seeding=True)
    assert dropped.m_probability == pytest.approx(1e-5)
    dropped.m_probability = 3e-3                                      # EM's own: kept
    train._bound_names(linker, seeding=True)
    assert dropped.m_probability == pytest.approx(3e-3)
    dropped.m_probability = 1e-7                                      # the dedupe model's
    train._bound_names(linker, seeding=False)                         # EM stands
    assert dropped.m_probability == pytest.approx(1e-7)


def test_a_dropped_surname_never_says_more_than_the_whole_name():
    """The committed food_pds model had "one name is the other without its surname" at
    +13.8 bits (u sampled small: one-word names are rare) against the exact key's +10.1."""
    from matching import train

    linker, levels = name_linker(pd.DataFrame([_row("D", "RAMESH")]),
                                 pd.DataFrame([_row("K", "RAMESH SAHU")]))
    exact, dropped = levels[NAME_KEY_LABEL], levels[SURNAME_DROPPED_LABEL]
    exact.m_probability, exact.u_probability = 0.15, 1.5e-4           # 1,000
    dropped.m_probability, dropped.u_probability = 0.003, 2e-7        # 15,000: too strong
    for seeding in (True, False):
        train._bound_names(linker, seeding=seeding)
        assert dropped.m_probability / dropped.u_probability == pytest.approx(1000)


def test_a_seeding_model_counts_the_u_before_em(monkeypatch):
    """``train.train_seed_model`` on a small state whose department lists some names
    without their surname: the household-surname comparison is in the model, its u is
    the counted one (not the sampled floor), and the count runs before EM (whose m
    depend on u: second review)."""
    from matching_helpers import count_args, key, make_state, record_training_steps

    from matching import train
    from matching.settings import load_settings

    kyr, dept, _truth = make_state(400, 300)
    lone = dept.index[dept["relative_name_std"].notna()][:40]
    dept.loc[lone, "name_std"] = dept.loc[lone, "first_name"]
    dept.loc[lone, "name_key"] = dept.loc[lone, "first_name"].map(key)
    dept.loc[lone, ["last_name", "last_name_key"]] = None
    dept.loc[lone, "relative_name_key"] = dept.loc[lone, "relative_name_std"].map(
        lambda rel: " ".join(key(w) for w in rel.split()))  # the helper's keys, per word
    counted = train.household_surname_u
    order = record_training_steps(monkeypatch, household_surname_u="count")
    con = duckdb.connect()
    kyr_t = inputs.load_frame(con, inputs.KYR, kyr)
    dept_t = inputs.load_frame(con, "dept_a", dept)
    model = train.train_seed_model(con, kyr_t, dept_t, load_settings(), save=False)
    assert order and order[0] == "count" and "em" in order
    comp = next(c for c in model["comparisons"]
                if c["output_column_name"] == "household_surname")
    agree = next(lv for lv in comp["comparison_levels"]
                 if lv.get("label_for_charts") == HOUSEHOLD_SURNAME_AGREES_LABEL)
    u = counted(*count_args(con, kyr_t, dept_t))
    # the counted u, less the true pairs among them (train.u_without_matches: their share
    # is the model's lambda, about 1 / 400 KYR rows here): not the sampled value, which EM
    # would otherwise put back (Splink keeps the median of a level's recorded u values)
    share = train.seed_lambda(kyr_t.rows, load_settings())
    want = (u - share * (1 - HOUSEHOLD_SURNAME_ELSE_M)) / (1 - share)
    assert agree["u_probability"] == pytest.approx(want, rel=1e-6)
    assert agree["u_probability"] > 1e-4     # not the sampled floor (1 / a million pairs)
