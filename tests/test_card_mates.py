"""Card-mates who name the relative (issue 17: "Households").

A job card lists "SANTOSH SAHU" with no father written and, on the same card, "HARI SAHU";
KYR holds two SANTOSH SAHUs of that village, one with care-of "HARI SAHU", one with care-of
"RAMLAL SAHU". Before, the two scored alike and the record went to review. The inputs carry
each department record's card-mates (``card_mate_keys``) and the seeding models ask whether
one of them is a candidate's care-of (``card_mate_relative``), with u counted among pairs
of one village and one surname (a card-mate named in a care-of line mostly carries the
family's surname: counted over random pairs it would say again what the surname says)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from matching_helpers import household_row, levels_of, seed_linker

from ingest.standardise.names import name_keys
from matching import inputs, train
from matching.comparisons import (
    CARD_MATE_AGREES_LABEL,
    build_comparisons,
    card_mate_relative_comparison,
)
from matching.train import DEDUPE_COMPARISONS, SEED_COMPARISONS, usable_comparisons

NULL = ("a relative written, no card-mates, no care-of or other surnames: no evidence")
ELSE = "All other comparisons"


def _row(rid: str, name: str, relative: str | None = None, card: str | None = None,
         village: str = "V1") -> dict:
    return household_row(rid, name, relative, card, village_code=village, district_std="D")


def _mates(rows: list[dict]) -> dict[str, list[str] | None]:
    con = duckdb.connect()
    inputs.load_frame(con, "dept", pd.DataFrame(rows))
    return dict(con.execute("SELECT unique_id, card_mate_keys FROM inp_dept").fetchall())


def test_a_record_carries_its_card_mates_name_keys():
    key = lambda n: name_keys([n])[0][0]  # noqa: E731
    most = [_row(f"A{i}", f"RAM{'A' * i} NETAM", card="MOST")
            for i in range(inputs.CARD_MATES_MAX)]
    big = [_row(f"B{i}", f"RAM{'A' * i} NETAM", card="BIG")
           for i in range(inputs.CARD_MATES_MAX + 1)]
    unkeyed = dict(_row("7", "SUNITA SAHU", card="C1"), name_key=None)
    got = _mates([_row("1", "SANTOSH SAHU", card="C1"), _row("2", "HARI SAHU", card="C1"),
                  _row("3", "GEETA SAHU", card="C1"), _row("4", "HARI SAHU", card="C1"),
                  _row("5", "RAJU YADAV", card="C2"), _row("6", "MOHAN VERMA"), unkeyed,
                  *most, *big])
    assert got["1"] == sorted({key("HARI SAHU"), key("GEETA SAHU")})   # distinct, no null
    assert got["2"] == sorted({key("SANTOSH SAHU"), key("GEETA SAHU"), key("HARI SAHU")})
    assert got["5"] is None and got["6"] is None       # alone on its card; no card
    assert got["A0"] == [key("RAM NETAM")]     # the largest household allowed (one key)
    assert all(got[f"B{i}"] is None for i in range(len(big)))   # no household that big


def test_kyr_has_no_card_mates():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA std")
    con.register("k", pd.DataFrame([_row("K1", "SANTOSH SAHU", card="C1"),
                                    _row("K2", "HARI SAHU", card="C1")]))
    con.execute("CREATE TABLE std.uid_kyr AS SELECT * FROM k")
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    inputs.load_feed(con, inputs.KYR, catalog)
    assert con.execute("SELECT count(card_mate_keys) FROM inp_uid_kyr").fetchall() == [(0,)]


# (department's name, its relative, its card-mate, KYR's name, KYR's care-of, level)
PAIRS = [
    ("SANTOSH SAHU", None, "HARI SAHU", "SANTOSH SAHU", "HARI SAHU", CARD_MATE_AGREES_LABEL),
    ("SANTOSH SAHU", None, "HARI SAHOO", "SANTOSH SAHU", "HARI SAHU",
     CARD_MATE_AGREES_LABEL),                                           # by phonetic key
    ("SANTOSH SAHU", None, "HARI SAHU", "SANTOSH SAHU", "RAMLAL SAHU", ELSE),
    ("SANTOSH SAHU", "HARI SAHU", "HARI SAHU", "SANTOSH SAHU", "HARI SAHU",
     NULL),                        # the relative written: the relative comparison speaks
    ("SANTOSH SAHU", None, "HARI SAHU", "SANTOSH SAHU", None, NULL),   # no care-of
    ("SANTOSH SAHU", None, "HARI SAHU", "SANTOSH VERMA", "HARI SAHU",
     NULL),                                             # other surnames: no household
    ("SANTOSH SAHU", None, None, "SANTOSH SAHU", "HARI SAHU", NULL),   # alone on its card
]


def _pair_frames():
    dept, kyr = [], []
    for i, (d, rel, mate, k, co, _lv) in enumerate(PAIRS):
        dept.append(_row(f"D{i}", d, relative=rel, card=f"C{i}"))
        if mate:
            dept.append(_row(f"M{i}", mate, card=f"C{i}"))
        kyr.append(_row(f"D{i}", k, relative=co))
    return pd.DataFrame(dept), pd.DataFrame(kyr)


@pytest.mark.parametrize("department_on", ["left", "right"])
def test_the_card_mates_against_the_care_of_line(department_on):
    """Either way round: Splink may put KYR on either side of a pair."""
    dept, kyr = _pair_frames()
    left, right = (dept, kyr) if department_on == "left" else (kyr, dept)
    con = duckdb.connect()
    inputs.load_frame(con, "dept", left)
    inputs.load_frame(con, "kyr", right)
    got = levels_of(con, card_mate_relative_comparison())
    for (d, rel, mate, k, co, want), level in zip(PAIRS, got, strict=True):
        assert level == want, (d, rel, mate, k, co, level)


def test_only_the_seeding_models_compare_it_and_only_card_mates_against_care_of():
    dept = frozenset({"name_std", "last_name_key", "card_mate_keys"})
    kyr = frozenset({"name_std", "last_name_key", "relative_name_key"})
    assert "card_mate_relative" in usable_comparisons(SEED_COMPARISONS, kyr, dept)
    assert "card_mate_relative" in usable_comparisons(SEED_COMPARISONS, dept, kyr)
    # the card-mates and the care-of must be on two sides, not one
    both_on_one = frozenset(dept | {"relative_name_key"})
    assert "card_mate_relative" not in usable_comparisons(
        SEED_COMPARISONS, both_on_one, frozenset({"name_std", "last_name_key"}))
    assert "card_mate_relative" not in usable_comparisons(SEED_COMPARISONS, kyr, kyr)
    assert "card_mate_relative" not in DEDUPE_COMPARISONS  # seeding only
    names = [c.get_comparison("duckdb").output_column_name
             for c in build_comparisons(["name", "card_mate_relative"], kind="seed")]
    assert names == ["name", "card_mate_relative"]


RULE = "l.unique_id = 'D'"  # the department's record D against every KYR row


def test_u_is_counted_among_pairs_of_one_village_and_surname():
    """D (no relative, card-mate HARI SAHU) against KYR's SAHUs of its village with a
    care-of: four pairs, one names HARI SAHU. Another village's SAHU, a VERMA of the
    village and a SAHU without care-of are no such pairs; E writes its relative, F has no
    card-mates: they count for nothing."""
    dept = pd.DataFrame([_row("D", "SANTOSH SAHU", card="C"), _row("M", "HARI SAHU", card="C"),
                         _row("E", "GEETA SAHU", relative="HARI SAHU", card="C2"),
                         _row("N", "HARI SAHU", card="C2"), _row("F", "RAMU SAHU")])
    kyr = pd.DataFrame([
        _row("K1", "SANTOSH SAHU", relative="HARI SAHU"),
        _row("K2", "SANTOSH SAHU", relative="RAMLAL SAHU"),
        _row("K3", "GEETA SAHU", relative="MOHAN SAHU"),
        _row("K4", "RAMU SAHU", relative="BIRJU SAHU"),
        _row("K5", "SANTOSH SAHU", relative="HARI SAHU", village="V2"),   # another village
        _row("K6", "SANTOSH VERMA", relative="HARI SAHU"),               # another surname
        _row("K7", "SUNITA SAHU")])                                       # no care-of
    linker, con, levels = seed_linker(dept, kyr, RULE, ("name", "card_mate_relative"))
    # M and N (HARI SAHU, card-mates SANTOSH SAHU / GEETA SAHU) are such records too:
    # against K1-K4 none of their care-ofs is a card-mate of theirs
    u = train.card_mate_relative_u(linker, lambda sql: con.execute(sql).fetchall(),
                                   "inp_kyr", "inp_dept")
    assert u == pytest.approx(1 / 12)          # D, M, N x K1-K4: one names the card-mate
    assert levels[CARD_MATE_AGREES_LABEL].u_probability == pytest.approx(1 / 12)
    assert levels[ELSE].u_probability == pytest.approx(11 / 12)


def test_splink_tells_two_namesakes_of_the_village_apart():
    """Real Splink: the card-mate named in K1's care-of line scores K1 above K2 by the
    agreeing level's Bayes factor over the other's."""
    import math

    dept = pd.DataFrame([_row("D", "SANTOSH SAHU", card="C"), _row("M", "HARI SAHU", card="C")])
    kyr = pd.DataFrame([_row("K1", "SANTOSH SAHU", relative="HARI SAHU"),
                        _row("K2", "SANTOSH SAHU", relative="RAMLAL SAHU")])
    linker, _con, levels = seed_linker(dept, kyr, RULE, ("name", "card_mate_relative"))
    agrees, other = levels[CARD_MATE_AGREES_LABEL], levels[ELSE]
    agrees.m_probability, agrees.u_probability = 0.4, 0.1
    other.m_probability, other.u_probability = 0.6, 0.9
    scored = linker.inference.predict().as_pandas_dataframe()
    w = {r.unique_id_r: r.match_weight for r in scored.itertuples()}
    assert w["K1"] - w["K2"] == pytest.approx(math.log2(4) - math.log2(0.6 / 0.9), abs=0.01)


def test_the_levels_never_turn_against_their_sense():
    """``train._bound_card_mates``: EM meeting few such pairs may learn the agreeing level
    below its u or the other above its: each is then worth nothing."""
    dept = pd.DataFrame([_row("D", "SANTOSH SAHU", card="C"), _row("M", "HARI SAHU", card="C")])
    kyr = pd.DataFrame([_row("K1", "SANTOSH SAHU", relative="HARI SAHU")])
    linker, _con, levels = seed_linker(dept, kyr, RULE, ("name", "card_mate_relative"))
    agrees, other = levels[CARD_MATE_AGREES_LABEL], levels[ELSE]
    agrees.m_probability, agrees.u_probability = 0.05, 0.1
    other.m_probability, other.u_probability = 0.95, 0.9
    train._bound_card_mates(linker)
    assert agrees.m_probability == pytest.approx(0.1)
    assert other.m_probability == pytest.approx(0.9)
    agrees.m_probability, other.m_probability = 0.4, 0.6     # in their sense: kept
    train._bound_card_mates(linker)
    assert (agrees.m_probability, other.m_probability) == (0.4, 0.6)


def test_a_count_with_nothing_to_tell_gives_no_u_of_zero():
    """Splink refuses a u of 0: no pair, or every pair agreeing, keeps both levels open."""
    assert train.counted_share(0, 0) == 0.5
    assert train.counted_share(3, 3) == pytest.approx(2 / 3)
    assert train.counted_share(0, 10) == pytest.approx(1 / 10)   # at least one hit
    assert train.counted_share(7, 100) == pytest.approx(7 / 100)


def test_a_seeding_model_counts_the_u_before_em_and_bounds_the_levels(monkeypatch):
    """``train.train_seed_model`` on a small state whose cards list each record with its
    relative's namesake: the comparison is in the model, its u is the counted one, counted
    before EM, and the bounds run."""
    from matching_helpers import count_args, make_state, record_training_steps

    from matching.settings import load_settings

    kyr, dept, _truth = make_state(400, 300)
    dept["household_ref"] = [f"C{i // 3}" for i in range(len(dept))]   # cards of three
    # the record's relative, written as a card-mate instead of on the record
    mates = dept.index[dept["relative_name_std"].notna()][:60]
    for i in mates:
        mate = household_row(f"{dept.at[i, 'source_record_id']}M", dept.at[i, "relative_name_std"],
                             card=dept.at[i, "household_ref"])
        for col in ("village_code", "district_std", "block_std", "gender"):
            mate[col] = dept.at[i, col]
        dept.loc[len(dept)] = pd.Series(mate)
    dept.loc[mates, ["relative_name_std", "relative_name_key"]] = None
    counted = train.card_mate_relative_u
    order = record_training_steps(monkeypatch, card_mate_relative_u="count",
                                  _bound_card_mates="bound")
    con = duckdb.connect()
    kyr_t = inputs.load_frame(con, inputs.KYR, kyr)
    dept_t = inputs.load_frame(con, "dept_a", dept)
    model = train.train_seed_model(con, kyr_t, dept_t, load_settings(), save=False)
    assert order[0] == "count" and "em" in order and order[-1] == "bound"
    comp = next(c for c in model["comparisons"]
                if c["output_column_name"] == "card_mate_relative")
    agree = next(lv for lv in comp["comparison_levels"]
                 if lv.get("label_for_charts") == CARD_MATE_AGREES_LABEL)

    u = counted(*count_args(con, kyr_t, dept_t))
    assert 1e-3 < u < 0.5      # counted on these cards, not a sampled floor
    # the counted u, less the true pairs among them (train.u_without_matches: their share
    # is the model's lambda, about 1 / 400 KYR rows here), not a sampled value
    share = train.seed_lambda(kyr_t.rows, load_settings())
    want = (u - share * agree["m_probability"]) / (1 - share)
    assert agree["u_probability"] == pytest.approx(want, rel=0.05)
