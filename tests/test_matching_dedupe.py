"""Dedupe edges (vetoes) and seeding-anchored resident clusters, on hand-made tables."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pandas as pd

from matching import dedupe, review
from matching.inputs import FeedTable
from matching.settings import load_settings


def _setup(records, pairs, seeded, attrs=None, review=None):
    """records: (source, id, household_ref, birth_year); pairs: (src_l, id_l, src_r, id_r, p);
    seeded: id -> token (final and provisional), the others unmatched; review: id -> the
    token its seeding is in review against; attrs: id -> other columns (default: every
    record in village V1, so pairs share more than name, age and gender)."""
    con = duckdb.connect()
    feeds = []
    attrs, review = attrs or {}, review or {}
    for src in sorted({r[0] for r in records}):
        df = pd.DataFrame([{"unique_id": r[1], "household_ref": r[2], "birth_year_min": r[3],
                            "birth_year_max": r[3], "village_code": "V1", **attrs.get(r[1], {})}
                           for r in records if r[0] == src])
        con.register("_d", df)
        con.execute(f"CREATE TABLE inp_{src} AS SELECT * FROM _d")
        con.unregister("_d")
        feeds.append(FeedTable(src, f"inp_{src}", len(df), frozenset(df.columns)))
        sd = pd.DataFrame([{"source": src, "source_record_id": r[1],
                            "candidate_uid_token": seeded.get(r[1], review.get(r[1])),
                            "uid_token": seeded.get(r[1]),
                            "match_probability": (0.999 if r[1] in seeded else
                                                  0.6 if r[1] in review else 0.1),
                            "match_weight": 20.0 if r[1] in seeded else 0.0,
                            "match_status": ("seeded" if r[1] in seeded else
                                             "review" if r[1] in review else "unmatched")}
                           for r in records if r[0] == src])
        con.register("_s", sd)
        con.execute(f"CREATE TABLE seed_{src} AS SELECT * FROM _s")
        con.unregister("_s")
    pdf = pd.DataFrame(pairs, columns=["source_l", "record_l", "source_r", "record_r",
                                       "match_probability"])
    pdf["match_weight"] = 20.0
    con.register("_p", pdf)
    con.execute("CREATE TABLE pred_dedupe AS SELECT * FROM _p")
    con.execute("CREATE TABLE inp_uid_kyr AS SELECT * FROM (VALUES ('T1'), ('T2')) t(unique_id)")
    return con, feeds


def _residents(con, feeds, settings):
    kyr = FeedTable("uid_kyr", "inp_uid_kyr", 2, frozenset({"unique_id"}))
    dedupe.build_edges(con, settings, [f"seed_{f.feed}" for f in feeds], feeds)
    dedupe.resident_clusters(con, settings, kyr, feeds, [f"seed_{f.feed}" for f in feeds])
    dedupe.within_source_duplicates(con)
    res = con.execute("SELECT source || ':' || record_id, resident_id FROM residents").fetchall()
    return dict(res)


def test_same_card_same_name_is_two_people_and_seeding_anchors_clusters():
    s = load_settings()
    records = [("pds", "a", "RC1", 1960), ("pds", "b", "RC1", 1962),   # father, son on one card
               ("pds", "c", "RC9", 1960),                              # a's duplicate, other card
               ("pen", "x", None, 1961),                               # a in another source
               ("pds", "d", "RC5", 1990), ("pds", "e", "RC6", 1990),   # unseeded duplicates
               ("pds", "f", "RC7", 1950), ("pds", "g", "RC8", 1990)]   # birth years far apart
    pairs = [("pds", "a", "pds", "b", 0.999), ("pds", "b", "pds", "c", 0.999),
             ("pds", "a", "pen", "x", 0.999), ("pds", "d", "pds", "e", 0.999),
             ("pds", "f", "pds", "g", 0.999)]
    con, feeds = _setup(records, pairs, {"a": "T1", "c": "T1"})
    r = _residents(con, feeds, s)
    assert r["pds:a"] == r["pds:c"] == r["pen:x"] == r["uid_kyr:T1"]  # seeding + best edge
    assert r["pds:b"] != r["pds:a"]          # same card: vetoed, stays alone
    assert r["pds:d"] == r["pds:e"]          # unseeded component
    assert r["pds:f"] != r["pds:g"]          # 40 years apart: vetoed
    assert r["uid_kyr:T2"] not in {r["pds:a"], r["pds:d"]}
    dup = con.execute("SELECT source_record_id FROM duplicates WHERE source = 'pds'").df()
    assert set(dup["source_record_id"]) == {"a", "c", "d", "e"}
    # ids are digests, never a token
    assert all(v.startswith("R") and "T1" not in v for v in r.values())


def test_household_veto_can_be_switched_off():
    s = load_settings()
    s = replace(s, dedupe=replace(s.dedupe, household_veto=False))
    con, feeds = _setup([("pds", "a", "RC1", 1960), ("pds", "b", "RC1", 1961)],
                        [("pds", "a", "pds", "b", 0.999)], {})
    r = _residents(con, feeds, s)
    assert r["pds:a"] == r["pds:b"]


def test_seeded_to_different_residents_never_merge():
    s = load_settings()
    con, feeds = _setup([("pds", "a", "RC1", 1960), ("pds", "b", "RC2", 1960),
                         ("pds", "m", "RC3", 1960)],
                        [("pds", "a", "pds", "b", 0.999), ("pds", "a", "pds", "m", 0.999),
                         ("pds", "b", "pds", "m", 0.999)], {"a": "T1", "b": "T2"})
    r = _residents(con, feeds, s)
    assert r["pds:a"] != r["pds:b"]
    assert r["pds:m"] in {r["pds:a"], r["pds:b"]}  # joins one of them, not both


def test_tied_edges_go_to_the_same_resident_every_run():
    s = load_settings()
    records = [("pds", "a", "RC1", 1960), ("pds", "b", "RC2", 1960), ("pds", "m", "RC3", 1960)]
    pairs = [("pds", "a", "pds", "m", 0.999), ("pds", "b", "pds", "m", 0.999)]
    for order in (pairs, pairs[::-1], pairs, pairs[::-1]):
        con, feeds = _setup(records, order, {"a": "T1", "b": "T2"})
        r = _residents(con, feeds, s)
        assert r["pds:m"] == r["pds:a"]  # equal weights: the smaller label ('K:T1') wins


def test_two_records_of_one_card_never_join_one_resident_through_others():
    """The same-card veto sees direct pairs; two records of one card paired only with a
    third record (another source) joined it together, in the same step (a seeded third
    record) or through it (an unseeded one). One stays, the other is alone."""
    s = load_settings()
    for seeded in ({"x": "T1"}, {}):
        records = [("pds", "t1", "RC1", 1990), ("pds", "t2", "RC1", 1990),
                   ("pen", "x", None, 1990)]
        pairs = [("pds", "t1", "pen", "x", 0.999), ("pds", "t2", "pen", "x", 0.999)]
        con, feeds = _setup(records, pairs, seeded)
        r = _residents(con, feeds, s)
        assert r["pds:t1"] == r["pen:x"], seeded
        assert r["pds:t2"] != r["pen:x"], seeded


def test_a_reviewer_confirmed_pair_on_one_card_stays_one_resident():
    """A reviewer confirmed that two entries of one card are one person (listed twice):
    the same-card split must not undo it, seeded or not, and b's seeding in review (against
    another UID) does not either: the in-review rule stops model edges only."""
    s = load_settings()
    kyr = FeedTable("uid_kyr", "inp_uid_kyr", 2, frozenset({"unique_id"}))
    for seeded, in_review in (({"a": "T1"}, {}), ({}, {}), ({"a": "T1"}, {"b": "T2"}),
                              ({}, {"b": "T2"})):
        records = [("pds", "a", "RC1", 1990), ("pds", "b", "RC1", 1990),
                   ("pds", "c", "RC1", 1990)]
        con, feeds = _setup(records, [("pds", "b", "pds", "c", 0.01)], seeded,
                            review=in_review)
        dedupe.build_edges(con, s, ["seed_pds"], feeds)
        con.execute("INSERT INTO dedupe_edges VALUES ('pds', 'a', 'pds', 'b', "
                    f"{dedupe.CLERICAL_WEIGHT}, 1.0, 1.0)")
        dedupe.resident_clusters(con, s, kyr, feeds, ["seed_pds"])
        r = dict(con.execute("SELECT record_id, resident_id FROM residents "
                             "WHERE source = 'pds'").fetchall())
        case = (seeded, in_review)
        assert r["a"] == r["b"], case      # the reviewer's decision holds
        assert r["c"] != r["a"], case      # a card-mate nobody confirmed stays apart


def test_a_record_in_seeding_review_is_not_merged_by_a_model_edge():
    """Issue 17's queue: a record whose seeding is in review (a person decides which UID,
    if any, is its person) is not put in a KYR resident by a dedupe edge - on the noisy
    tuning state those joins were two people (a wife's namesake with her husband's name in
    one village, her seeding at p 0.5 for another UID). It stays its own resident, and its
    pair goes to the queue; the same record unmatched still joins by its edge."""
    records = [("pds", "a", "RC1", 1980), ("pds", "b", "RC2", 1980),   # b: in review vs T2
               ("pen", "x", None, 1980), ("pen", "y", None, 1980)]     # x: unmatched
    pairs = [("pds", "a", "pds", "b", 0.999), ("pds", "a", "pen", "x", 0.999),
             ("pen", "x", "pen", "y", 0.999)]
    con, feeds = _setup(records, pairs, {"a": "T1"}, review={"b": "T2", "y": "T1"})
    r = _residents(con, feeds, load_settings())
    assert r["pen:x"] == r["pds:a"] == r["uid_kyr:T1"]    # unmatched: joins by its edge
    assert r["pds:b"] not in {r["pds:a"], r["uid_kyr:T2"]}  # in review: not merged
    assert r["pen:y"] != r["uid_kyr:T1"]                  # nor through an unseeded record
    review.load_effective(con)
    con.execute("CREATE TABLE _seeding AS SELECT * FROM seed_pds UNION ALL "
                "SELECT * FROM seed_pen")
    queued = {frozenset((q.record_l, q.record_r)) for q in con.execute(
        review.dedupe_review_pairs_sql()).df().itertuples()}
    assert frozenset(("a", "b")) in queued  # b vs the record seeded to another UID


def test_records_in_seeding_review_are_not_joined_to_each_other_by_a_model_edge():
    """matching/README's rule for a record in review holds among unseeded records too: two
    records in review (each queued against a UID) joined by a pair at 0.999 stay two
    residents, as does a record in review and an unmatched one; two unmatched records
    joined by the same pair are one resident (independent review: the free edges had no
    in-review rule, and the two records in review were one N: resident)."""
    records = [("pds", "b", "RC2", 1980), ("pen", "y", None, 1980),   # both in review
               ("pds", "u", "RC3", 1980), ("pen", "v", None, 1980),   # u in review, v not
               ("pds", "m", "RC4", 1980), ("pen", "n", None, 1980)]   # both unmatched
    pairs = [("pds", "b", "pen", "y", 0.999), ("pds", "u", "pen", "v", 0.999),
             ("pds", "m", "pen", "n", 0.999)]
    con, feeds = _setup(records, pairs, {}, review={"b": "T1", "y": "T2", "u": "T1"})
    r = _residents(con, feeds, load_settings())
    assert r["pds:b"] != r["pen:y"]
    assert r["pds:u"] != r["pen:v"]
    assert r["pds:m"] == r["pen:n"]
    assert r["pds:b"] not in {r["uid_kyr:T1"], r["uid_kyr:T2"]}


def test_a_confirmed_pair_follows_its_record_into_a_kyr_resident():
    """A reviewer confirmed (b, c); c joined T1's resident by its own edge to a seeded
    record, and b has no edge to a seeded record: b joins T1's resident too, and so does d,
    confirmed with b (independent review: b stayed alone, the pair left the queue as
    decided, and the reviewer's decision was lost)."""
    s = load_settings()
    kyr = FeedTable("uid_kyr", "inp_uid_kyr", 2, frozenset({"unique_id"}))
    records = [("pds", "a", "RC1", 1980), ("pen", "c", None, 1980),
               ("pds", "b", "RC2", 1980), ("pen", "d", None, 1980), ("pen", "z", None, 1980)]
    con, feeds = _setup(records, [("pds", "a", "pen", "c", 0.999)], {"a": "T1"},
                        review={"b": "T2"})
    dedupe.build_edges(con, s, ["seed_pds", "seed_pen"], feeds)
    for left, right in ((("pds", "b"), ("pen", "c")), (("pen", "d"), ("pds", "b"))):
        con.execute(f"INSERT INTO dedupe_edges VALUES ('{left[0]}', '{left[1]}', "
                    f"'{right[0]}', '{right[1]}', {dedupe.CLERICAL_WEIGHT}, 1.0, 1.0)")
    dedupe.resident_clusters(con, s, kyr, feeds, ["seed_pds", "seed_pen"])
    r = dict(con.execute("SELECT source || ':' || record_id, resident_id "
                         "FROM residents").fetchall())
    assert r["pen:c"] == r["pds:a"] == r["uid_kyr:T1"]
    assert r["pds:b"] == r["uid_kyr:T1"]      # confirmed with c
    assert r["pen:d"] == r["uid_kyr:T1"]      # confirmed with b
    assert r["pen:z"] != r["uid_kyr:T1"]      # nobody confirmed z
