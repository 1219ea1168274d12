"""Issue 17's duplicate decision measures (``srdh evaluate``) on a hand-made source."""

from __future__ import annotations

import pandas as pd

from matching.evaluate import decision_metrics, decision_targets_met, score


def _records():
    # person P1 has three records (a, b, c), P2 two (d, e), P3 one (f), a ghost one (g)
    return pd.DataFrame({
        "source": "pds",
        "source_record_id": list("abcdefg"),
        "person": ["r:1", "r:1", "r:1", "r:2", "r:2", "r:3", "ghost:pds:g"],
        "resident_id": ["R1", "R1", "Rc", "Rd", "Re", "R1", "Rg"],
        "match_status": ["seeded", "seeded", "review", "unmatched", "unmatched", "seeded",
                         "unmatched"],
    })


def _queue(rows):
    return pd.DataFrame(rows, columns=["kind", "source_l", "record_l", "source_r", "record_r",
                                       "resident_l", "resident_r"])


def test_auto_precision_counts_merged_pairs_and_the_queue_adds_recall():
    df = _records()
    # auto-merged: a-b (true), a-f and b-f (namesake P3 in R1: false) -> precision 1/3
    # true pairs: a-b, a-c, b-c, d-e = 4; only a-b merged
    no_queue = decision_metrics(df, _queue([]))
    assert no_queue["dup_auto_precision"] == 1 / 3
    assert no_queue["dup_auto_review_recall"] == 1 / 4
    assert no_queue["review_queue_share"] == 0.0
    # c is in seeding review against the UID whose resident is R1: a-c and b-c covered;
    # a dedupe pair d-e in the band covers d-e; a cross-source item is half pds's
    q = _queue([("seed", "pds", "c", "uid_kyr", "T1", "Rc", "R1"),
                ("dedupe", "pds", "d", "pds", "e", "Rd", "Re"),
                ("dedupe", "pds", "f", "pen", "x", "R1", "Rx"),
                ("dedupe", "pen", "y", "pen", "z", "Ry", "Rz")])   # another source's
    m = decision_metrics(df, q)
    assert m["dup_auto_precision"] == 1 / 3               # the queue never changes it
    assert m["dup_auto_review_recall"] == 1.0
    assert m["dup_pairs_review_only"] == 3
    assert m["review_queue_items"] == 2.5 and m["review_queue_dedupe_items"] == 1.5
    assert m["review_queue_share"] == 2.5 / 7


def test_a_queue_item_between_other_residents_adds_no_recall():
    df = _records()
    # d's pair in the queue goes to the wrong resident (a namesake's)
    m = decision_metrics(df, _queue([("dedupe", "pds", "d", "pds", "f", "Rd", "R1")]))
    assert m["dup_auto_review_recall"] == 1 / 4


def test_score_carries_the_measures_and_the_targets_are_checked():
    df = _records()
    truth = df[["source", "source_record_id", "person"]].assign(true_token=None)
    pred = df.drop(columns="person").assign(uid_token=None, candidate_uid_token=None,
                                           match_probability=0.0)
    out = score(pred, truth, set(), _queue([("dedupe", "pds", "d", "pds", "e", "Rd", "Re")]))
    assert out["pds"]["dup_auto_review_recall"] == 2 / 4
    assert decision_targets_met(out) == {"pds": False}
    # a system without a queue (a baseline): its records in review are its queue
    base = score(pred, truth, set())
    assert base["pds"]["review_queue_items"] == 1
    assert base["pds"]["dup_auto_review_recall"] == base["pds"]["duplicate_recall"]


def test_the_backlog_is_reported_beside_the_queue_never_in_it():
    df = _records()
    q = _queue([("dedupe", "pds", "d", "pds", "e", "Rd", "Re")])
    waiting = _queue([("seed", "pds", "c", "uid_kyr", "T1", "Rc", "R1")])
    m = decision_metrics(df, q, waiting)
    assert m["review_queue_items"] == 1 and m["dup_auto_review_recall"] == 2 / 4
    assert m["review_backlog_items"] == 1
    assert m["dup_auto_review_backlog_recall"] == 1.0  # a-c and b-c, were c reviewed
