"""A mover whose name or age is written otherwise too (issue 17, "Movers"): KYR's delta
moved the resident and the department still lists the old village, and it writes the
name surname first, misspells a token, or gives an age a year or two off. The mover rules
asked the old village for an exact surname or birth year, or the old block for the whole
name key and the year: none paired these. ``blocking.MOVER_MORE_SEED_RULES`` give the old
village what the village rules give the current one. Real Splink + DuckDB."""

from __future__ import annotations

from matching import blocking
from tests.test_matching_blocking import _pairs, _person


def _kyr(row: dict, now: str, before: str | None) -> dict:
    """A KYR row living in ``now``, its history holding ``before`` (the old village)."""
    return {**row, "village_code": now, "block_std": "B" + now, "prev_village_code": before,
            "prev_block_std": "B" + before if before else None}


def _dept(row: dict, village: str) -> dict:
    # an age gives ingest's birth_year as the later of its two years
    return {**row, "village_code": village, "block_std": "B" + village,
            "birth_year": row["birth_year_max"]}


def test_movers_written_otherwise_meet_their_kyr_row_in_the_old_village(monkeypatch):
    kyr = [_kyr(_person("T1", "CHANDRIKA DESHMUKH", "F", by=1966), "V9", "V1"),
           _kyr(_person("T2", "DRAUPADI UIKE", "F", by=1954), "V8", "V1"),
           _kyr(_person("T3", "SANTOSH YADAV", "M", by=1962, relative="SOMARU YADAV"),
                "V7", "V1"),
           # the same names, never in V1: not paired on the old village
           _kyr(_person("T4", "CHANDRIKA DESHMUKH", "F", by=1966), "V6", "V5"),
           _kyr(_person("T5", "DRAUPADI UIKE", "F", by=1954), "V6", None)]
    # surname first, aged 57 on 2025-01-01: born 1967 or 1968
    dept = [_dept(_person("P1", "DESHMUKH CHANDRIKA", "F", age_from=57), "V1"),
            # the surname misspelt, aged 69: born 1955 or 1956
            _dept(_person("P2", "DRAUPADI UHIKE", "F", age_from=69), "V1"),
            # surname first, the given name misspelt and the age off: the relative's name
            _dept(_person("P3", "YADAV SANTOH", "M", age_from=60, relative="SOMARU YADAV"),
                  "V1")]
    got = _pairs(kyr, dept)
    assert {("P1", "T1"), ("P2", "T2"), ("P3", "T3")} <= got
    assert not got & {("P1", "T4"), ("P2", "T5")}
    # without these rules none of the three pairs is made (what the test is about)
    monkeypatch.setattr(blocking, "SEED_PREDICTION_RULES", tuple(
        r for r in blocking.SEED_PREDICTION_RULES if r not in blocking.MOVER_MORE_SEED_RULES))
    assert not _pairs(kyr, dept) & {("P1", "T1"), ("P2", "T2"), ("P3", "T3")}
