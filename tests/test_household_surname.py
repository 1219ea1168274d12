"""A dropped surname the household tells (issue 17: "a dropped surname"; "Households").

A ration card lists "RAMESH" among SAHUs, a job card lists "RAMESH" son of "SHYAM SAHU":
the surname the one-word name leaves out is its relative's or its card-mates'. Without it,
"one name is the other without its surname" scored every RAMESH of the village alike, so
a lone given name among namesakes went to review or to the wrong one. The inputs carry
the surname the household tells (``implied_surname_key``), and the seeding models compare
it with the other side's surname (``household_surname``)."""

from __future__ import annotations

import logging

import duckdb
import pandas as pd
import pytest
from matching_helpers import name_linker

from ingest.standardise.names import name_keys
from matching import inputs
from matching.comparisons import (
    HOUSEHOLD_SURNAME_AGREES_LABEL,
    HOUSEHOLD_SURNAME_ELSE_M,
    SURNAME_DROPPED_LABEL,
    build_comparisons,
    household_surname_comparison,
)
from matching.train import DEDUPE_COMPARISONS, SEED_COMPARISONS, usable_comparisons


def _row(rid: str, name: str, relative: str | None = None, card: str | None = None) -> dict:
    full, first, last = name_keys([name])
    toks = name.split(" ")
    rel_key = name_keys([relative])[0][0] if relative else None
    return {"source_record_id": rid, "name_std": name, "first_name": toks[0],
            "last_name": toks[-1] if len(toks) > 1 else None, "name_key": full[0],
            "first_name_key": first[0], "last_name_key": last[0],
            "relative_name_std": relative, "relative_name_key": rel_key,
            "household_ref": card}


def _implied(rows: list[dict]) -> dict[str, str | None]:
    con = duckdb.connect()
    inputs.load_frame(con, "dept", pd.DataFrame(rows))
    return dict(con.execute("SELECT unique_id, implied_surname_key FROM inp_dept").fetchall())


def test_a_one_word_name_takes_its_relatives_surname_else_its_card_mates():
    got = _implied([
        _row("1", "RAMESH", card="C1"), _row("2", "SUNITA SAHU", card="C1"),
        _row("3", "AMIT SAHOO", card="C1"), _row("4", "GEETA VERMA", card="C1"),
        _row("5", "MOHAN", relative="SHYAM NETAM", card="C1"),   # the relative first
        _row("6", "SURESH", relative="SHYAM KUMAR", card="C1"),  # a stand-in: the card
        _row("7", "RAJU", card="C2"), _row("8", "ANITA SAHU", card="C2"),
        _row("9", "VIJAY YADAV", card="C2"),                     # a tie tells nothing
        _row("10", "DEVI", card="C1"),                           # a stand-in alone: none
        _row("11", "KIRAN", relative="S", card=None),            # an initial: none
        _row("12", "RAHUL", relative="R SAHU")])                 # an initial, then a surname
    assert got["1"] == "SH" and got["6"] == "SH"   # SAHU and SAHOO share a key: two of three
    assert got["5"] == "NTM"
    assert got["7"] is None and got["10"] is None and got["11"] is None
    assert got["12"] == "SH"
    assert all(got[k] is None for k in ("2", "3", "4", "8", "9"))   # names with a surname


NULL = "no surname told, or one edit off: no evidence"
PAIRS = [  # (department's name, KYR's name, level expected)
    ("RAMESH", "RAMESH SAHU", HOUSEHOLD_SURNAME_AGREES_LABEL),    # the card's surname
    ("RAMESH", "RAMESH SAHOO", HOUSEHOLD_SURNAME_AGREES_LABEL),   # its key
    ("RAMESH", "RAMESH KUMAR SAHU", HOUSEHOLD_SURNAME_AGREES_LABEL),  # a middle name
    ("RAMESH", "SURESH SAHU", HOUSEHOLD_SURNAME_AGREES_LABEL),    # a relative: the name says no
    ("RAMESH", "RAMESH VERMA", "All other comparisons"),          # another surname
    ("RAMESH", "RAMESH SAHUJI", NULL),                            # one edit off: undecided
    ("RAMESH", "RAMESH", NULL),                                   # no surname to compare
    ("RAMESH SAHU", "RAMESH VERMA", NULL),                        # its own surname: the name's
]


def _pair_frames():
    card = [_row(f"M{i}", "SUNITA SAHU", card=f"C{i}") for i in range(len(PAIRS))]
    dept = [_row(f"D{i}", d, card=f"C{i}") for i, (d, _k, _lv) in enumerate(PAIRS)]
    kyr = [_row(f"D{i}", k) for i, (_d, k, _lv) in enumerate(PAIRS)]
    return pd.DataFrame(dept + card), pd.DataFrame(kyr)


def _levels_on(con, comparison) -> list[str]:
    """Each PAIRS row's level: the first whose SQL holds, as Splink picks it."""
    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in inputs.INPUT_COLUMNS)
    levels = comparison.get_comparison("duckdb").as_dict()["comparison_levels"]
    case = " ".join(
        "ELSE ?" if lv["sql_condition"] == "ELSE" else f"WHEN {lv['sql_condition']} THEN ?"
        for lv in levels)
    labels = [lv["label_for_charts"] for lv in levels]
    return [r[0] for r in con.execute(
        f"SELECT CASE {case} END FROM (SELECT {cols} FROM inp_dept l JOIN inp_kyr r "
        f"USING (unique_id) ORDER BY CAST(substr(unique_id, 2) AS INTEGER))",
        labels).fetchall()]


def test_the_household_surname_against_the_other_side():
    dept, kyr = _pair_frames()
    con = duckdb.connect()
    inputs.load_frame(con, "dept", dept)
    inputs.load_frame(con, "kyr", kyr)
    got = _levels_on(con, household_surname_comparison())
    for (d, k, want), level in zip(PAIRS, got, strict=True):
        assert level == want, (d, k, level)


def test_only_the_seeding_models_compare_it_and_only_where_a_side_carries_it():
    both = frozenset({"name_std", "last_name_key", "implied_surname_key"})
    kyr = frozenset({"name_std", "last_name_key"})
    assert "household_surname" in usable_comparisons(SEED_COMPARISONS, kyr, both)
    assert "household_surname" not in usable_comparisons(SEED_COMPARISONS, kyr, kyr)
    assert "household_surname" not in DEDUPE_COMPARISONS
    names = [c.get_comparison("duckdb").output_column_name
             for c in build_comparisons(["name", "household_surname"], kind="seed")]
    assert names == ["name", "household_surname"]


def test_splink_tells_two_namesakes_of_the_village_apart():
    """Real Splink, the seeding models' name comparison and this one: "RAMESH" on a card of
    SAHUs scores RAMESH SAHU above RAMESH VERMA (before, both fell in "one name is the
    other without its surname" at one weight), by the fixed m and the sampled u; and a
    surname told otherwise is no veto."""
    import math

    from splink import Linker, SettingsCreator

    from matching import train
    from matching.settings import load_settings

    dept = pd.DataFrame([_row("D", "RAMESH", card="C"), _row("M", "SUNITA SAHU", card="C")])
    kyr = pd.DataFrame([_row("K1", "RAMESH SAHU"), _row("K2", "RAMESH VERMA")])
    con = duckdb.connect()
    inputs.load_frame(con, "dept", dept)
    inputs.load_frame(con, "kyr", kyr)
    db_api = train.make_db_api(con, load_settings())
    sdfs = [db_api.register(f"inp_{f}", table_name=f) for f in ("dept", "kyr")]
    sc = SettingsCreator(link_type="link_only",
                         comparisons=build_comparisons(["name", "household_surname"],
                                                       kind="seed"),
                         blocking_rules_to_generate_predictions=["l.unique_id = 'D'"],
                         probability_two_random_records_match=0.5)
    linker = Linker(sdfs, sc, log_level=logging.WARNING)
    levels = {lv.label_for_charts: lv for c in linker._settings_obj.comparisons
              for lv in c.comparison_levels if not lv.is_null_level}
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
    dropped.m_probability, dropped.u_probability = 1e-7, 1e-5
    train._bound_names(linker)
    assert dropped.m_probability == pytest.approx(1e-5)
    dropped.m_probability = 3e-3                                      # EM's own: kept
    train._bound_names(linker)
    assert dropped.m_probability == pytest.approx(3e-3)
