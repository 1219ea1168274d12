"""The clerical queue's budget (issue 17's decision: the queue stays <= 2% of records):
the items most likely true first, the rest wait as the backlog and come forward as
reviewers decide the ones ahead of them."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest

from matching import evidence, review
from matching.inputs import KYR, WH
from matching.settings import load_settings


@pytest.fixture
def con(tmp_path):
    """A warehouse with 100 pds and 50 pen records; in review: 6 pds seeding records
    (p 0.95 .. 0.55) and dedupe pairs: pds-pds 0.9, pds-pen 0.99, an unscored pds
    namesake pair, pen-pen 0.7."""
    wh = tmp_path / "wh.duckdb"
    w = duckdb.connect(str(wh))
    w.execute("CREATE SCHEMA matching")
    w.execute("""CREATE TABLE matching.seeding AS
        SELECT src AS source, src || i AS source_record_id, 'unmatched' AS match_status,
               'no_candidate' AS reason, NULL::VARCHAR AS uid_token,
               NULL::VARCHAR AS candidate_uid_token, NULL::DOUBLE AS match_probability,
               NULL::DOUBLE AS match_weight, NULL::DOUBLE AS runner_up_weight
        FROM (SELECT 'pds' AS src, range AS i FROM range(100)
              UNION ALL SELECT 'pen', range FROM range(50))""")
    for i, p in enumerate((0.95, 0.85, 0.75, 0.65, 0.6, 0.55)):
        w.execute("UPDATE matching.seeding SET match_status = 'review', reason = 'best_link',"
                  " candidate_uid_token = ?, match_probability = ? "
                  "WHERE source = 'pds' AND source_record_id = ?", [f"T{i}", p, f"pds{i}"])
    w.execute("""CREATE TABLE matching.dedupe_review_pairs (source_l VARCHAR,
        record_l VARCHAR, source_r VARCHAR, record_r VARCHAR, match_probability DOUBLE,
        match_weight DOUBLE)""")
    w.execute("""INSERT INTO matching.dedupe_review_pairs VALUES
        ('pds', 'pds50', 'pds', 'pds51', 0.9, 3.2), ('pds', 'pds52', 'pen', 'pen1', 0.99, 6.6),
        ('pds', 'pds53', 'pds', 'pds54', NULL, NULL), ('pen', 'pen2', 'pen', 'pen3', 0.7, 1.2)""")
    w.close()
    c = duckdb.connect()
    c.execute(f"ATTACH '{wh}' AS {WH}")
    review.load_effective(c)
    yield c
    c.close()


def _queue(con, settings, backlog=False):
    return con.execute(f"SELECT kind, record_l, record_r, match_probability FROM "
                       f"({evidence.review_queue_sql(con, 0, settings, backlog=backlog)}) "
                       f"ORDER BY pair_no").fetchall()


def test_the_queue_takes_the_most_likely_items_within_each_sources_budget(con):
    settings = replace(load_settings(), sources={})  # 2% for every source
    items = _queue(con, settings)
    # pds: 2 items (2% of 100): the pds-pen pair (0.99, half), the seed at 0.95 (1), the
    # pds pair at 0.9 would make 2.5: waits; pen: 1 item (2% of 50): the pds-pen half,
    # then pen-pen (0.7) would make 1.5: waits
    assert items == [("dedupe", "pds52", "pen1", 0.99), ("seed", "pds0", "T0", 0.95)]
    waiting = _queue(con, settings, backlog=True)
    assert [r[1] for r in waiting] == ["pds50", "pds1", "pds2", "pen2", "pds3", "pds4",
                                       "pds5", "pds53"]  # most likely first, unscored last
    assert len(items) + len(waiting) == 10  # nothing is lost


def test_a_decided_item_leaves_and_the_next_comes_forward(con):
    settings = replace(load_settings(), sources={})
    con.execute(f"INSERT INTO {review.EFFECTIVE} VALUES ('seed', 'pds', 'pds0', '{KYR}', "
                f"'T0', 'match', 'desk.1', TIMESTAMP '2026-12-01', 'same person')")
    assert [r[1] for r in _queue(con, settings)] == ["pds52", "pds50"]


def test_no_budget_queues_everything_and_a_source_can_have_its_own(con):
    unlimited = load_settings().with_thresholds("pds", review_queue_share=None)
    unlimited = replace(unlimited, defaults=replace(unlimited.defaults,
                                                    review_queue_share=None))
    assert len(_queue(con, unlimited)) == 10
    assert _queue(con, unlimited, backlog=True) == []
    wide = replace(load_settings(), sources={}).with_thresholds("pds", review_queue_share=0.05)
    # pds: 5 items (0.5 + 1 + 1 + 1 + 1; the next would make 5.5); pen (2%) still holds
    # the pen-pen pair back
    assert [r[1] for r in _queue(con, wide)] == ["pds52", "pds0", "pds50", "pds1", "pds2"]


def test_a_share_outside_0_1_is_refused():
    with pytest.raises(ValueError, match="review_queue_share"):
        replace(load_settings().defaults, review_queue_share=0)


def test_an_item_left_out_uses_no_budget():
    """A pair held back by its other source's full budget leaves this source's room to the
    next items (the review's case: pen full, pds-pen pairs must not starve pds)."""
    from matching.evidence import _within_budget

    items = [(1, "dedupe", "pen", "pen")]                           # pen's one item
    items += [(2 + i, "dedupe", "pds", "pen") for i in range(8)]    # pen is full: wait
    items += [(10 + i, "seed", "pds", KYR) for i in range(6)]       # pds: 4 fit
    assert _within_budget(items, {"pds": 4.0, "pen": 1.0}) == [1, 10, 11, 12, 13]
    assert _within_budget(items, {"pds": 4.0, "pen": None}) == [1, 2, 3, 4, 5, 6, 7, 8, 9]
