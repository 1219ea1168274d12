"""`srdh evaluate` says why each matchable record was not seeded with its true UID."""

from __future__ import annotations

import duckdb
import pandas as pd

from matching.evaluate import MISS_CAUSES, classify_misses, true_pair_blocked_sql


def test_a_true_pair_is_blocked_only_when_one_rule_agrees_on_every_column():
    con = duckdb.connect()
    con.execute("""CREATE TABLE inp AS SELECT * FROM (VALUES
        ('a', 'RAM', 'V1', 1970), ('b', 'SITA', 'V2', 1980), ('c', NULL, 'V3', 1990))
        t(unique_id, name_key, village_code, birth_year)""")
    con.execute("""CREATE TABLE kyr AS SELECT * FROM (VALUES
        ('k1', 'RAM', 'V9', 1970), ('k2', 'SITA', 'V2', 1981), ('k3', NULL, 'V3', 1991))
        t(unique_id, name_key, village_code, birth_year)""")
    con.execute("CREATE TABLE ids AS SELECT * FROM (VALUES ('a', 'k1'), ('b', 'k2'), "
                "('c', 'k3')) t(source_record_id, true_token)")
    rules = [("name_key", "birth_year"), ("name_key", "village_code")]
    got = dict(con.execute(true_pair_blocked_sql("inp", "kyr", rules, "ids")).fetchall())
    # a: name + year agree; b: name + village agree; c: a null name never pairs
    assert got == {"a": True, "b": True, "c": False}
    assert not any(dict(con.execute(true_pair_blocked_sql("inp", "kyr", [], "ids"))
                        .fetchall()).values())


def test_each_miss_gets_its_cause():
    T = "true"
    rows = [  # record, status, reason, best candidate, runner-up weight, blocked
        ("w", "seeded", "best_link", "other", 3.0, True, "seeded_wrong"),
        ("nb", "unmatched", "no_candidate", None, None, False, "not_blocked"),
        ("ns", "unmatched", "no_candidate", None, None, True, "not_scored"),
        ("am", "review", "ambiguous", T, 20.0, True, "review_ambiguous"),
        ("uc", "review", "uid_conflict", T, None, True, "review_uid_conflict"),
        ("ru", "review", "below_seed", T, 14.0, True, "review_runner_up"),
        ("lw", "review", "below_seed", T, 2.0, True, "review_low_weight"),
        ("ob", "review", "below_seed", "other", 9.0, True, "review_other_best"),
        ("ut", "unmatched", "below_review", T, None, True, "unmatched_true_best"),
        ("uo", "unmatched", "below_review", "other", 1.0, True, "unmatched_other_best"),
    ]
    df = pd.DataFrame(rows, columns=["source_record_id", "match_status", "reason",
                                     "candidate_uid_token", "runner_up_weight", "blocked",
                                     "want"])
    df["true_token"] = T
    # the true UID was among the kept candidates of every blocked record but "ns"
    cands = pd.DataFrame({"source_record_id": ["ob", "uo"], "uid_token": [T, T]})
    got = classify_misses(df, cands, null_weight=12.0)
    assert got.tolist() == df["want"].tolist()
    assert set(got) == set(MISS_CAUSES)
