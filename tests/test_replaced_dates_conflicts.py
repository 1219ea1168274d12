"""Copies listed several times, one with a replaced date of birth (issue 17, session 15).

Two records of one source seeded to one KYR resident whose birth years are more than
``dedupe.max_birth_year_gap`` apart were two people for certain (``dedupe.check_pairs``'
veto, ``dedupe.together_apart``), so the copy with the replaced date lost its UID
conflict and went to review: 29 of FEBRL2-link's 46 missed records. Where the home
measured that the source replaces dates (the seeding model's ``replaced_dob`` m above
the prior, trained here by the real ``train.train_seed_model`` on the hand-made lists of
``tests/test_replaced_dob.py``), the gap is no certainty: the pair is judged on its
evidence and both copies keep the UID. Where the prior is kept (the namesake villages;
every source of the generator's states), the veto stays, as does the card veto. A dense
list's dedupe model that learned the "else" m on random pairs lifts it for any pair of
its sources (FEBRL2 deduplicated).
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from matching import dedupe, review, seed
from matching.comparisons import BIRTH_M
from matching.inputs import FeedTable
from matching.settings import load_settings
from tests.test_replaced_dob import namesake_villages, replaced_list  # noqa: F401 (fixtures)

SRC = "sw_pension"


def _state(records, pairs, seeded):
    """records: (id, household_ref, birth_year or None); pairs: (id_l, id_r, p);
    seeded: id -> KYR token (provisionally seeded at p 0.99999: two such claims on one
    UID are one person at the seeding's joint posterior 0.9997,
    ``dedupe._joint_posterior_sql``), the others unmatched.
    Every record is in one village (the pairs are corroborated)."""
    con = duckdb.connect()
    df = pd.DataFrame([{"unique_id": r, "household_ref": h, "birth_year_min": y,
                        "birth_year_max": y, "village_code": "V1", "place_key": "V1"}
                       for r, h, y in records])
    df = df.astype({"birth_year_min": "Int64", "birth_year_max": "Int64"})
    con.register("_d", df)
    con.execute(f"CREATE TABLE inp_{SRC} AS SELECT * FROM _d")
    feed = FeedTable(SRC, f"inp_{SRC}", len(df), frozenset(df.columns))
    prov = pd.DataFrame([{
        "source": SRC, "source_record_id": r, "candidate_uid_token": seeded.get(r),
        "match_probability": 0.99999 if r in seeded else 0.1,
        "match_weight": 30.0 - i if r in seeded else 0.0, "runner_up_weight": None,
        "match_status": "seeded" if r in seeded else "unmatched",
        "reason": "best_link" if r in seeded else "below_review"}
        for i, (r, _, _) in enumerate(records)])
    con.register("_p", prov)
    con.execute(f"CREATE TABLE prov_{SRC} AS SELECT * FROM _p")
    pdf = pd.DataFrame([(SRC, a, SRC, b, p, 20.0) for a, b, p in pairs],
                       columns=["source_l", "record_l", "source_r", "record_r",
                                "match_probability", "match_weight"])
    con.register("_e", pdf)
    con.execute("CREATE TABLE pred_dedupe AS SELECT * FROM _e")
    return con, feed


def _decide(con, feed, replaced) -> dict[str, tuple[str, str | None]]:
    """The pipeline's order: edges, apart pairs, the conflict rule."""
    s = load_settings()
    dedupe.build_edges(con, s, [f"prov_{SRC}"], [feed], replaced)
    review.load_effective(con)
    apart = review.apart_pairs(con)
    out = seed.resolve(con, SRC, f"prov_{SRC}", None, "dedupe_edges",
                       s.dedupe.conflict_pair_threshold, apart)
    return {r: (st, why) for r, st, why in con.execute(
        f"SELECT source_record_id, match_status, reason FROM {out}").fetchall()}


@pytest.fixture(scope="module")
def measured(replaced_list, namesake_villages):  # noqa: F811
    """What the real training measured on a list with 8% replaced dates and on a state
    of same-named fathers and sons."""
    return {"replaced": dedupe.dates_replaced({SRC: replaced_list["model"]}),
            "namesakes": dedupe.dates_replaced({SRC: namesake_villages["model"]})}


def test_the_measurement_names_the_source(measured):
    assert measured["replaced"] == dedupe.DatesReplaced(seeding=frozenset({SRC}))
    assert measured["namesakes"] == dedupe.DatesReplaced()  # the prior kept: nothing lifted


def test_a_copy_with_a_replaced_date_keeps_its_uid_where_the_source_replaces_dates(measured):
    # a: the KYR date; b: the same person listed again, its date 30 years off; c: a third
    # copy without a date, paired only with the other two (the chain around the veto)
    records = [("a", "H1", 1950), ("b", "H2", 1980), ("c", "H3", None)]
    direct = [("a", "b", 0.999)]
    chain = [("a", "c", 0.999), ("c", "b", 0.999)]
    for pairs in (direct, chain):
        con, feed = _state(records, pairs, {"a": "T1", "b": "T1", "c": "T1"})
        got = _decide(con, feed, measured["replaced"])
        assert got["a"][0] == "seeded", got
        if pairs is direct:  # the pair itself scored at the keep threshold: one person
            assert got["b"] == ("seeded", "best_link"), got
            assert got["c"][0] == "review", got  # no edge
        else:  # a chain through an undated record is no evidence that a and b are one
            assert got["b"] == ("review", "uid_conflict"), got
        # the namesake state keeps the veto: b is two people with a for certain
        con, feed = _state(records, pairs, {"a": "T1", "b": "T1", "c": "T1"})
        got = _decide(con, feed, measured["namesakes"])
        assert got["b"] == ("review", "uid_conflict"), (pairs, got)
        assert got["a"][0] == "seeded", got


def test_what_stays_certain_where_dates_are_replaced(measured):
    # one card lists two people (the card veto), and a record not seeded to the UID is
    # no copy of it: the seeding lift is for two records claiming one KYR resident
    records = [("a", "H1", 1950), ("b", "H1", 1980), ("u", "H5", 1950), ("v", "H6", 1985)]
    con, feed = _state(records, [("a", "b", 0.999), ("u", "v", 0.999)], {"a": "T1", "b": "T1"})
    got = _decide(con, feed, measured["replaced"])
    assert got["b"] == ("review", "uid_conflict"), got
    vetoed = dict(((r["record_l"], r["record_r"]), r["vetoed"]) for r in con.execute(
        "SELECT record_l, record_r, vetoed FROM dedupe_checked").df().to_dict("records"))
    assert vetoed == {("a", "b"): True, ("u", "v"): True}


def test_a_pair_apart_in_age_is_kept_on_its_own_probability(measured):
    """Lifted, the gap no longer vetoes the pair, but the seeding's posterior (0.99999
    each here) says nothing about two records born 30 years apart: the pair keeps the UID on
    its own probability only (review's independent finding: a father and his namesake
    son, each seeded to the father's UID, scored 0.001 as a pair, were kept together)."""
    records = [("a", "H1", 1950), ("b", "H2", 1980)]
    con, feed = _state(records, [("a", "b", 0.001)], {"a": "T1", "b": "T1"})
    got = _decide(con, feed, measured["replaced"])
    assert got["b"] == ("review", "uid_conflict") and got["a"][0] == "seeded", got
    keep = con.execute("SELECT keep_probability, vetoed FROM dedupe_checked").fetchall()
    assert keep == [(0.001, False)], keep


def test_a_share_a_few_records_above_the_prior_lifts_nothing():
    """m = max(prior, ...) leaves the prior at about 30 records in 100k: only a share
    whose lower bound, less the namesakes, is above the prior counts as measured."""
    from matching.replaced_dob import replaced_for_certain

    prior = BIRTH_M[-1]
    noise = {"m": prior * 1.5, "with_cell": 100_000, "all_else": 60, "namesakes_all_else": 25.0}
    febrl = {"m": 0.036, "with_cell": 4_000, "all_else": 180, "namesakes_all_else": 20.0}
    capped = {**febrl, "m": prior}  # the UID cap brought m to the prior
    assert not replaced_for_certain(noise)
    assert replaced_for_certain(febrl)
    assert not replaced_for_certain(capped) and not replaced_for_certain(None)
    model = {"srdh": {"replaced_dob": noise}}
    assert dedupe.dates_replaced({SRC: model}) == dedupe.DatesReplaced()


def _dense_dedupe(else_m: float, learnt: bool = True) -> dict:
    levels = [{"is_null_level": True}, *({"m_probability": m} for m in BIRTH_M[:-1]),
              {"m_probability": else_m}]
    return {"srdh": {"kind": "dedupe", "sources": [SRC], "m_learnt_on_random_pairs": learnt},
            "comparisons": [{"output_column_name": "birth", "comparison_levels": levels}]}


def test_a_dense_list_that_learnt_replaced_dates_judges_a_gap_on_its_evidence():
    """No KYR (FEBRL2 deduplicated): the dedupe model learned the "else" m on random pairs
    (0.034 on FEBRL2). Two unseeded copies 30 years apart at p 0.999 are one resident; a
    list that kept the fixed m, or learned nothing, keeps the veto."""
    records = [("u", "H5", 1950), ("v", "H6", 1980)]
    cases = ((_dense_dedupe(0.034), True), (_dense_dedupe(BIRTH_M[-1]), False),
             (_dense_dedupe(0.034, learnt=False), False), (None, False))
    # a run the size prior calls sparse lifts nothing, whatever the model learned
    assert dedupe.dates_replaced({}, _dense_dedupe(0.034), dense=False) == dedupe.DatesReplaced()
    for model, lifted in cases:
        replaced = dedupe.dates_replaced({}, model, dense=True)
        assert bool(replaced.dedupe) is lifted, model
        con, feed = _state(records, [("u", "v", 0.999)], {})
        dedupe.build_edges(con, load_settings(), [f"prov_{SRC}"], [feed], replaced)
        edges = con.execute("SELECT count(*) FROM dedupe_edges").fetchone()[0]
        assert edges == (1 if lifted else 0), model
