"""Namesake children in a scholarship list (issue 17, edudup): a pair whose records name
different mothers, or carry different full dates of birth, is not merged by a model edge;
it goes to the review queue (``dedupe.queue_contradicted``).

At 1M residents edu_scholarship's false auto-merges were two children with the same name,
father's name and birth year, one seeded and one not, joined by a pair at p >= 0.99: the
mother's name (a std extra column of the feed) was never looked at, and two dates of one
year scored as "same birth year". Real Splink training (EM on the list itself) and
scoring on a hand-made list, then the decision phase as ``pipeline.match_workspace``
runs it."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pandas as pd
from matching_helpers import DENSE_FIRST, DENSE_LAST

from ingest.standardise.names import name_keys
from matching import dedupe, inputs, predict, review, seed, train
from matching.inputs import FeedTable
from matching.settings import load_settings

MOTHERS = ["KAMLA", "SAVITRI", "GEETA", "RADHA", "SHANTI", "LALITA", "PARVATI", "SUMAN",
           "URMILA", "JANKI", "SHARDA", "MEENA", "REKHA", "ANITA", "KUSUM", "PREMA"]
FATHERS = ["RAMESH", "DINESH", "MAHESH", "SURESH", "GANESH", "SANTOSH", "RAJESH", "MUKESH",
           "HARI", "OMPRAKASH", "KANHAIYA", "BHOLA", "JITENDRA", "SOMARU", "BUDHU", "RAJU"]
BLOCKS = ["ARANG", "TILDA", "ABHANPUR", "DHARSIWA", "KURUD", "MAGARLOD"]
FEED = "edu_scholarship"


def _child(rid, first, last, father, mother, dob, block):
    name = f"{first} {last}"
    full, fk, lk = name_keys([name])
    rel = f"{father} {last}"
    return {"source_record_id": rid, "name_std": name, "first_name": first,
            "last_name": last, "name_key": full[0], "first_name_key": fk[0],
            "last_name_key": lk[0], "relative_name_std": rel,
            "relative_name_key": name_keys([rel])[0][0],
            # as delivered: title case, the std extra column the feed YAML names
            "mother_name": None if mother is None else f"{mother.title()} {last.title()}",
            "gender": "M", "dob": dob, "birth_year": dob.year,
            "birth_year_min": dob.year, "birth_year_max": dob.year,
            "district_std": "RAIPUR", "block_std": block, "village_code": None,
            "uid_token": None, "uid_valid": False}


# the pairs under test, all of one block, one name and one father's name per pair
CASES = {
    # two boys listed under two mothers (the same date of birth): "DRAUPADI KASHYAP" /
    # "PARVATI KASHYAP" are JW 0.87 as written, the family's surname shared
    "mothers": (("RAMESH", "KASHYAP", "SANTOSH", "DRAUPADI", dt.date(2011, 2, 7)),
                ("RAMESH", "KASHYAP", "SANTOSH", "PARVATI", dt.date(2011, 2, 7))),
    # two boys born months apart in one year (no mother on one record)
    "dates": (("LAKHAN", "TIRKEY", "PRAKASH", "DIVYA", dt.date(2014, 4, 16)),
              ("LAKHAN", "TIRKEY", "PRAKASH", None, dt.date(2014, 9, 3))),
    # a copy: its mother on both records, the same date
    "copy": (("DINESH", "KURRE", "SANTOSH", "CHANDRIKA", dt.date(2012, 6, 1)),
             ("DINESH", "KURRE", "SANTOSH", "CHANDRIKA", dt.date(2012, 6, 1))),
    # a copy whose mother's given name is an initial on one record
    "initial": (("SURESH", "DHRUW", "HARI", "KAMLA", dt.date(2009, 8, 21)),
                ("SURESH", "DHRUW", "HARI", "K", dt.date(2009, 8, 21))),
    # a copy whose date a clerk wrote day and month swapped
    "swapped": (("GOPAL", "MANDAVI", "BHOLA", "MANGLI", dt.date(2010, 3, 11)),
                ("GOPAL", "MANDAVI", "BHOLA", "MANGLI", dt.date(2010, 11, 3))),
    # a copy whose mother carries a title on one record (Smt.): a title is no name
    "title": (("VIKAS", "NETAM", "SOMARU", "SMT. SUKHIYA", dt.date(2012, 10, 5)),
              ("VIKAS", "NETAM", "SOMARU", "SUKHIYA", dt.date(2012, 10, 5))),
    # a copy whose date on one record is 1 January: what a clerk writes from the year
    "january": (("MOHAN", "NETAM", "BUDHRAM", "SUKHMATI", dt.date(2013, 1, 1)),
                ("MOHAN", "NETAM", "BUDHRAM", "SUKHMATI", dt.date(2013, 7, 19))),
}


# chains (issue 17, cannotlink): two brothers under two mothers (1, 2: a contradicted
# pair) and a copy of the first without his mother's name (3), which contradicts neither
# and scores high with both; a chain 1 - 3 - 2 must not join the brothers
CHAINS = {
    # the copy is the first brother's to the letter, the second brother's father is
    # written with an initial: the copy's edge to the first is the stronger one
    "chain": (("ARJUN", "DHRUW", "KANHAIYA", "MANGLI", dt.date(2010, 5, 14)),
              ("ARJUN", "DHRUW", "K KANHAIYA", "SUKHIYA", dt.date(2010, 5, 14)),
              ("ARJUN", "DHRUW", "KANHAIYA", None, dt.date(2010, 5, 14))),
}


def _list(seed_=3):
    """~1,600 children of 6-17, one in 15 listed twice (the copy as the original; the
    mother's name on 60% of the records), the CASES pairs (ids <case>1, <case>2) and the
    CHAINS triples (<chain>1, 2, 3)."""
    rng = random.Random(seed_)
    rows = []
    for i in range(1500):
        first, last = rng.choice(DENSE_FIRST), rng.choice(DENSE_LAST)
        father, mother = rng.choice(FATHERS), rng.choice(MOTHERS)
        dob = dt.date(2007, 1, 1) + dt.timedelta(days=rng.randrange(11 * 365))
        block = rng.choice(BLOCKS)
        rows.append(_child(f"C{i}", first, last, father,
                           mother if rng.random() < 0.6 else None, dob, block))
        if i % 15 == 0:
            rows.append(_child(f"C{i}b", first, last, father,
                               mother if rng.random() < 0.6 else None, dob, block))
    for case, sides in CASES.items():
        rows += [_child(f"{case}{k}", *side, "ARANG") for k, side in enumerate(sides, 1)]
    for case, sides in CHAINS.items():
        rows += [_child(f"{case}{k}", *side, "TILDA") for k, side in enumerate(sides, 1)]
    return rows


def _decide(con, feed: FeedTable, settings, seeded: dict | None = None, seeding=None):
    """The decision phase on ``pred_dedupe`` as ``pipeline.match_workspace`` runs it:
    (resident per record, the dedupe review queue as a set of pairs). ``seeded``: record
    -> (seeding posterior, match weight) of the records provisionally seeded to KYR's T1;
    no other record is seeded. ``seeding``: a dict filled with the records' (status,
    reason). Can run again on the same connection."""
    prov = f"prov_{FEED}"
    seeded = seeded or {}
    ids = [r[0] for r in con.execute(f"SELECT unique_id FROM {feed.table}").fetchall()]
    con.register("_p", pd.DataFrame({
        "source": FEED, "source_record_id": ids,
        "candidate_uid_token": ["T1" if i in seeded else None for i in ids],
        "match_probability": [seeded[i][0] if i in seeded else 0.1 for i in ids],
        "match_weight": [seeded[i][1] if i in seeded else 0.0 for i in ids],
        "runner_up_weight": None,
        "match_status": ["seeded" if i in seeded else "unmatched" for i in ids],
        "reason": "test"}).astype(
            {"candidate_uid_token": "object", "runner_up_weight": "float64"}))
    con.execute(f"CREATE OR REPLACE TABLE {prov} AS SELECT * FROM _p")
    con.execute("CREATE OR REPLACE TABLE inp_uid_kyr AS SELECT 'T1' AS unique_id")
    kyr = FeedTable("uid_kyr", "inp_uid_kyr", 1, frozenset({"unique_id"}))
    review.load_effective(con)
    dedupe.build_edges(con, settings, [prov], [feed])
    apart = review.apart_pairs(con)
    seed_table = seed.resolve(con, FEED, prov, None, "dedupe_edges",
                              settings.dedupe.conflict_pair_threshold, apart)
    dedupe.resident_clusters(con, settings, kyr, [feed], [seed_table], apart=apart)
    dedupe.namesake_pairs(con, settings, [feed], [seed_table])
    con.execute(f"CREATE OR REPLACE TABLE _seeding AS SELECT * FROM {seed_table}")
    queue = con.execute(review.dedupe_review_pairs_sql(namesakes="dedupe_namesakes")).df()
    res = dict(con.execute("SELECT record_id, resident_id FROM residents").fetchall())
    if seeding is not None:
        seeding.update({r: (st, why) for r, st, why in con.execute(
            "SELECT source_record_id, match_status, reason FROM _seeding").fetchall()})
    return res, {frozenset((r.record_l, r.record_r)) for r in queue.itertuples()}


def test_the_mother_name_is_read_from_the_std_extra_column():
    con = duckdb.connect()
    feed = inputs.load_frame(con, FEED, pd.DataFrame(_list()[:40]))
    assert "mother_name_std" in feed.usable
    names = {r[0] for r in con.execute(f"SELECT mother_name_std FROM {feed.table} "
                                       "WHERE mother_name_std IS NOT NULL").fetchall()}
    assert names and all(n == n.upper() and "  " not in n for n in names)
    # a feed without the column: null (no evidence either way)
    other = inputs.load_frame(con, "food_pds", pd.DataFrame(_list()[:5]).drop(
        columns="mother_name"))
    assert "mother_name_std" not in other.usable


def test_namesake_brothers_are_queued_and_their_copies_merged():
    con = duckdb.connect()
    feed = inputs.load_frame(con, FEED, pd.DataFrame(_list()))
    settings = load_settings()
    model = train.train_dedupe_model(con, [feed], settings, save=False)
    table, _ = predict.predict_dedupe(con, [feed], model, settings)
    assert table == "pred_dedupe"
    scored = {frozenset((a, b)): p for a, b, p in con.execute(
        "SELECT record_l, record_r, match_probability FROM pred_dedupe").fetchall()}
    t = settings.dedupe.threshold
    pair = {case: frozenset((f"{case}1", f"{case}2")) for case in CASES}
    # the model alone would merge the two boys: one name, father's name, year and block
    assert scored[pair["mothers"]] >= t and scored[pair["dates"]] >= t
    res, queue = _decide(con, feed, settings)
    for case in ("mothers", "dates"):  # two boys: not merged, a clerk decides
        assert res[f"{case}1"] != res[f"{case}2"], case
        assert pair[case] in queue, case
    for case in ("copy", "initial", "swapped", "title", "january"):  # a copy: merged
        assert res[f"{case}1"] == res[f"{case}2"], case
    copies = [(f"C{i}", f"C{i}b") for i in range(0, 1500, 15)]
    assert sum(res[a] == res[b] for a, b in copies) >= 0.95 * len(copies)


def test_the_rule_can_be_switched_off():
    from dataclasses import replace

    con = duckdb.connect()
    feed = inputs.load_frame(con, FEED, pd.DataFrame(_list()))
    s = load_settings()
    s = replace(s, dedupe=replace(s.dedupe, queue_contradicted=False))
    model = train.train_dedupe_model(con, [feed], s, save=False)
    predict.predict_dedupe(con, [feed], model, s)
    res, _ = _decide(con, feed, s)
    assert res["mothers1"] == res["mothers2"] and res["dates1"] == res["dates2"]


def test_records_seeded_to_one_uid_and_contradicted_stay_together_only_on_the_seeding():
    # two boys of one school, both seeded to T1 (one wrongly), their pair at p 0.999
    # (same name, father's name, block). Born months apart: the pair model does not keep
    # them on the UID, the seeding's own posterior that both are T1's does. Under two
    # mothers: not even that (tuning 100k seed 7: one seeded at p 0.9996)
    from test_dedupe_decision import _run

    dates = {"a": {"village_code": "V1", "dob": "2015-02-28"},
             "b": {"village_code": "V1", "dob": "2015-05-07"}}
    mothers = {"a": {"village_code": "V1", "mother_name_std": "SAROJINI BANJARE"},
               "b": {"village_code": "V1", "mother_name_std": "SUMITRA BANJARE"}}
    pairs = [("a", "b", 0.999)]
    weak = {"a": ("seeded", "T1", 30.0, 1.0), "b": ("seeded", "T1", 30.0, 0.95)}
    strong = {"a": ("seeded", "T1", 30.0, 1.0), "b": ("seeded", "T1", 30.0, 0.9996)}
    res, seeding, _ = _run(dates, pairs, weak)
    assert res["a"] != res["b"] and seeding.loc["b", "match_status"] == "review"
    res, _, _ = _run(dates, pairs, strong)
    assert res["a"] == res["b"]
    res, seeding, _ = _run(mothers, pairs, strong)
    assert res["a"] != res["b"] and "review" in set(seeding["match_status"])
    # without the contradiction the pair itself keeps them
    same = {k: {**v, "dob": "2015-02-28"} for k, v in dates.items()}
    res, _, _ = _run(same, pairs, weak)
    assert res["a"] == res["b"]


def test_a_contradicted_pair_is_never_joined_through_a_copy_of_one_of_them():
    # brothers 1 and 2 under two mothers, 3 a copy of 1 without his mother's name: the
    # edges 1-3 and 2-3 contradict nothing, and before the pair was a cannot-link
    # (issue 17, cannotlink) the chain put both brothers in one resident
    con = duckdb.connect()
    feed = inputs.load_frame(con, FEED, pd.DataFrame(_list()))
    settings = load_settings()
    model = train.train_dedupe_model(con, [feed], settings, save=False)
    predict.predict_dedupe(con, [feed], model, settings)
    scored = {frozenset((a, b)): (w, p) for a, b, w, p in con.execute(
        "SELECT record_l, record_r, match_weight, match_probability "
        "FROM pred_dedupe").fetchall()}
    t = settings.dedupe.threshold
    a, b, c = "chain1", "chain2", "chain3"
    brothers = frozenset((a, b))
    # the model alone would merge all three, and the copy is nearer the first brother
    assert scored[brothers][1] >= t
    assert scored[frozenset((a, c))][1] >= t and scored[frozenset((b, c))][1] >= t
    assert scored[frozenset((a, c))][0] > scored[frozenset((b, c))][0]
    # nothing seeded: the unseeded records' cluster {1, 2, 3} is split, the copy goes
    # with the brother it has the stronger edge to, the brothers' pair is queued
    res, queue = _decide(con, feed, settings)
    assert res[a] != res[b]
    assert res[c] == res[a]
    assert brothers in queue
    cl = {frozenset(r) for r in con.execute(
        "SELECT record_l, record_r FROM dedupe_checked WHERE cannot_link").fetchall()}
    assert brothers in cl and frozenset((a, c)) not in cl and frozenset((b, c)) not in cl
    # the copies elsewhere in the list are still merged
    copies = [(f"C{i}", f"C{i}b") for i in range(0, 1500, 15)]
    assert sum(res[x] == res[y] for x, y in copies) >= 0.95 * len(copies)
    # the copy seeded to T1, the brothers not: both would join its resident by their
    # edge to it; the one with the stronger edge does, the other stays apart
    res, queue = _decide(con, feed, settings, {c: (0.999, 30.0)})
    assert res[a] == res[c] and res[b] != res[c]
    assert brothers in queue
    # the first brother and the copy seeded to T1 (one resident), the second brother not:
    # his edge to the copy would take him into the resident that holds his brother
    res, _ = _decide(con, feed, settings, {a: (0.999, 30.0), c: (0.99, 28.0)})
    assert res[a] == res[c] and res[b] != res[a]
    # all three seeded to T1, the copy the best: the brothers each keep the UID through
    # their edge to the copy, never both: the lower-ranked brother goes to review
    seeding: dict = {}
    res, _ = _decide(con, feed, settings, {a: (0.99, 28.0), b: (0.99, 27.0),
                                           c: (0.999, 30.0)}, seeding)
    assert res[a] == res[c] and res[b] != res[a]
    assert seeding[b] == ("review", "uid_conflict") and seeding[a][0] == "seeded"
