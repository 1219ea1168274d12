"""Seeding decisions: thresholds -> statuses, single best link, UID conflicts.

Pairs carry ``match_weight`` = log2 Bayes factor; the record's posterior is
``2^w1 / (2^w1 + sum others 2^wk + 2^null_weight)`` (null_weight 10 here)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from matching import seed
from matching.settings import SourceThresholds

TH = SourceThresholds(seed_threshold=0.99, review_threshold=0.5, min_margin_weight=3.0,
                      null_weight=10.0, claimed_weight=0.0)


def _con(records, pairs, clusters=None):
    con = duckdb.connect()
    con.register("_r", pd.DataFrame({"unique_id": records}))
    con.execute("CREATE TABLE inp_src AS SELECT * FROM _r")
    con.register("_p", pd.DataFrame(pairs, columns=["record_id", "kyr_token", "match_weight",
                                                    "match_probability"]))
    con.execute("CREATE TABLE pred_seed_src AS SELECT * FROM _p")
    if clusters is not None:
        con.register("_c", pd.DataFrame(clusters, columns=["source", "record_id",
                                                           "dedupe_cluster"]))
        con.execute("CREATE TABLE dd AS SELECT * FROM _c")
    return con


def _run(con, th=TH, dedupe=None):
    prov = seed.provisional(con, "src", "pred_seed_src", "inp_src", th)
    out = seed.resolve(con, "src", prov, dedupe)
    return con.execute(f"SELECT * FROM {out} ORDER BY source_record_id").df().set_index(
        "source_record_id")


def test_thresholds_map_to_statuses():
    con = _con(["a", "b", "c", "d"], [
        ("a", "T1", 20.0, 0.0),   # p = 0.999: seeded
        ("b", "T2", 10.5, 0.0),   # p = 0.59: review
        ("c", "T3", 3.0, 0.0),    # p = 0.008: unmatched
    ])
    df = _run(con)
    assert df.loc["a", "match_status"] == "seeded" and df.loc["a", "uid_token"] == "T1"
    assert df.loc["b", "match_status"] == "review" and pd.isna(df.loc["b", "uid_token"])
    assert df.loc["c", "match_status"] == "unmatched"
    assert df.loc["d", "match_status"] == "unmatched"  # no candidate at all
    assert df.loc["d", "reason"] == "no_candidate"
    assert len(df) == 4  # one row per source record


def test_threshold_changes_status():
    pairs = [("a", "T1", 17.0, 0.0)]  # p = 0.9922
    assert _run(_con(["a"], pairs)).loc["a", "match_status"] == "seeded"
    strict = SourceThresholds(seed_threshold=0.999, review_threshold=0.5, null_weight=10.0,
                              claimed_weight=0.0)
    assert _run(_con(["a"], pairs), strict).loc["a", "match_status"] == "review"


def test_ambiguous_best_candidate_goes_to_review():
    con = _con(["a"], [("a", "T1", 20.0, 0.9999), ("a", "T2", 19.0, 0.9998)])
    df = _run(con)
    assert df.loc["a", "match_status"] == "review"
    assert df.loc["a", "reason"] == "ambiguous"
    assert df.loc["a", "candidate_uid_token"] == "T1"


def test_queue_holds_only_records_at_least_as_likely_right_as_wrong():
    """Issue 17's queue limit: a record goes to review only when its best candidate - or,
    when it is ambiguous, one of the candidates a person must choose among - is at least
    review_threshold (0.5 by default) likely its person; else the model has settled it:
    unmatched. Default thresholds, null_weight 10."""
    th = SourceThresholds(null_weight=10.0, claimed_weight=0.0)
    assert th.review_threshold == 0.5
    df = _run(_con(["weak", "fair", "tie", "weak_tie"], [
        ("weak", "T1", 9.0, 0.0),       # p = 0.33: more likely nobody in KYR
        ("fair", "T2", 10.5, 0.0),      # p = 0.59: a reviewer's question
        ("tie", "T3", 14.0, 0.0),       # two candidates at 14 bits: p = 0.48 each,
        ("tie", "T4", 14.0, 0.0),       # one of them 0.97
        ("weak_tie", "T5", 8.0, 0.0),   # two at 8 bits: one of them 0.33
        ("weak_tie", "T6", 8.0, 0.0),
    ]), th)
    assert df.loc["weak", "match_status"] == "unmatched"
    assert df.loc["weak", "reason"] == "below_review"
    assert df.loc["fair", "match_status"] == "review"
    assert df.loc["tie", "match_status"] == "review" and df.loc["tie", "reason"] == "ambiguous"
    assert df.loc["tie", "match_probability"] < 0.5
    assert df.loc["weak_tie", "match_status"] == "unmatched"
    # the old floor (0.2) queued the weak record
    old = _run(_con(["weak"], [("weak", "T1", 9.0, 0.0)]),
               SourceThresholds(review_threshold=0.2, null_weight=10.0, claimed_weight=0.0))
    assert old.loc["weak", "match_status"] == "review"


def test_a_tie_is_what_the_ambiguity_rule_calls_one():
    """With a margin, p_tied counts the runners-up the ambiguity rule cannot tell from the
    best (strictly less than the margin behind, or equal), not one exactly the margin
    behind. Margin 3: T2 at 12 bits (2 behind) is tied, T3 at 11 (3 behind) is not;
    null_weight 14.4: p_tied = (2^14 + 2^12) / (2^14 + 2^12 + 2^11 + 2^14.4) = 0.46 < 0.5
    (counting T3 gave 0.51: review)."""
    th = SourceThresholds(seed_threshold=0.99, review_threshold=0.5, min_margin_weight=3.0,
                          null_weight=14.4, claimed_weight=0.0)
    df = _run(_con(["a"], [("a", "T1", 14.0, 0.0), ("a", "T2", 12.0, 0.0),
                           ("a", "T3", 11.0, 0.0)]), th)
    assert df.loc["a", "match_status"] == "unmatched"
    assert df.loc["a", "reason"] == "below_review"


def test_a_pair_listed_twice_does_not_tie_with_itself():
    """A duplicated (record, candidate) row is one candidate: not a runner-up at the same
    weight (ambiguous, never seeded), its mass not counted twice."""
    once = _run(_con(["a"], [("a", "T1", 20.0, 0.0)]))
    twice = _run(_con(["a"], [("a", "T1", 20.0, 0.0), ("a", "T1", 20.0, 0.0)]))
    assert once.loc["a", "match_status"] == twice.loc["a", "match_status"] == "seeded"
    assert twice.loc["a", "reason"] == "best_link"
    assert twice.loc["a", "match_probability"] == pytest.approx(
        once.loc["a", "match_probability"])


def test_at_most_one_uid_per_record_best_link_wins():
    con = _con(["a"], [("a", "T1", 12.0, 0.9998), ("a", "T2", 25.0, 0.99999)])
    df = _run(con)
    assert df.loc["a", "uid_token"] == "T2"


def test_different_people_never_share_a_uid():
    # a and b both point at T1 and are not duplicates of each other: best keeps it
    con = _con(["a", "b"], [("a", "T1", 20.0, 0.0), ("b", "T1", 22.0, 0.0)])
    df = _run(con)
    assert df.loc["b", "match_status"] == "seeded" and df.loc["b", "uid_token"] == "T1"
    assert df.loc["a", "match_status"] == "review" and pd.isna(df.loc["a", "uid_token"])
    assert df.loc["a", "reason"] == "uid_conflict"
    seeded = df[df.match_status == "seeded"]
    assert seeded["uid_token"].is_unique


def test_duplicates_of_one_person_may_share_a_uid():
    pairs = [("a", "T1", 20.0, 0.0), ("b", "T1", 22.0, 0.0), ("c", "T1", 21.0, 0.0)]
    clusters = [("src", "a", "K1"), ("src", "b", "K1"), ("src", "c", "K2")]
    df = _run(_con(["a", "b", "c"], pairs, clusters), dedupe="dd")
    assert set(df[df.match_status == "seeded"].index) == {"a", "b"}
    assert df.loc["c", "reason"] == "uid_conflict"


def test_posterior_counts_every_candidate():
    # two near-equal candidates: neither is THE match with confidence
    df = _run(_con(["a"], [("a", "T1", 20.0, 0.0), ("a", "T2", 19.5, 0.0)]),
              SourceThresholds(0.99, 0.5, 0.0, 10.0, 0.0))
    assert df.loc["a", "match_status"] == "review"
    assert abs(df.loc["a", "match_probability"] - 1 / (1 + 2 ** -0.5 + 2 ** -10)) < 1e-9


def test_runner_up_claimed_by_another_record_is_explained_away():
    # same-named father (a) and son (b): b's record is clearly T2, so T2 is not a
    # competitor for a
    pairs = [("a", "T1", 20.0, 0.0), ("a", "T2", 19.5, 0.0), ("b", "T2", 25.0, 0.0)]
    df = _run(_con(["a", "b"], pairs), SourceThresholds(0.99, 0.5, 0.0, 10.0, 0.0))
    assert df.loc["a", "match_status"] == "seeded" and df.loc["a", "uid_token"] == "T1"
    assert df.loc["b", "match_status"] == "seeded" and df.loc["b", "uid_token"] == "T2"


def test_candidate_claimed_more_strongly_by_another_record_costs_claimed_weight():
    # a is clearly T1 (GEETA SAHU with her mobile); b, a namesake of the same village,
    # scores T1 a little above her own T2. With the claimed-weight prior (T1 is already
    # listed in this source) b goes to T2; without it b takes a's UID.
    pairs = [("a", "T1", 39.0, 0.0), ("b", "T1", 22.7, 0.0), ("b", "T2", 21.0, 0.0)]
    off = _run(_con(["a", "b"], pairs), SourceThresholds(0.9, 0.2, 0.0, 12.0, 0.0))
    assert off.loc["b", "candidate_uid_token"] == "T1"
    on = _run(_con(["a", "b"], pairs), SourceThresholds(0.9, 0.2, 0.0, 12.0, -5.0))
    assert on.loc["a", "uid_token"] == "T1" and on.loc["a", "match_status"] == "seeded"
    assert on.loc["b", "candidate_uid_token"] == "T2"
    assert on.loc["b", "match_status"] == "seeded" and on.loc["b", "uid_token"] == "T2"
    # a duplicate with no other candidate still points at the claimed record, with a
    # posterior lowered by the prior (here: from 0.9998 to 0.994)
    dup = _run(_con(["a", "c"], [("a", "T1", 39.0, 0.0), ("c", "T1", 24.0, 0.0)]),
               SourceThresholds(0.9, 0.2, 0.0, 12.0, -5.0))
    assert dup.loc["c", "candidate_uid_token"] == "T1"
    assert dup.loc["c", "match_probability"] == pytest.approx(1 / (1 + 2.0 ** (12 - 19)))


def test_posterior_does_not_depend_on_pairwise_probability():
    # the pred table's pairwise probability (size-dependent prior) is ignored
    a = _run(_con(["a"], [("a", "T1", 18.0, 0.01)]))
    b = _run(_con(["a"], [("a", "T1", 18.0, 0.99)]))
    assert a.loc["a", "match_probability"] == b.loc["a", "match_probability"]


@pytest.mark.parametrize("seed_t,review_t", [(0.5, 0.9), (1.5, 0.2)])
def test_invalid_thresholds_rejected(seed_t, review_t):
    with pytest.raises(ValueError):
        SourceThresholds(seed_threshold=seed_t, review_threshold=review_t)


@pytest.mark.parametrize("names", [("T1", "T2"), ("T9", "T0")])
def test_tied_candidates_decide_nothing_whatever_the_token_order(names):
    """Tokens follow each home's random key, so they must never break a tie (issue 17:
    two homes disagreed on 9 of 28,708 decisions). s scores two namesakes identically
    (twins listed once), r too: neither may claim one of them, and both go to review."""
    k1, k2 = names
    pairs = [("s", k1, 25.0, 0.0), ("s", k2, 25.0, 0.0),
             ("r", k1, 20.0, 0.0), ("r", k2, 20.0, 0.0)]
    df = _run(_con(["r", "s"], pairs), SourceThresholds(0.9, 0.2, 0.0, 12.0, -5.0))
    assert (df["match_status"] == "review").all()
    assert (df["reason"] == "ambiguous").all()
    assert df["uid_token"].isna().all()
