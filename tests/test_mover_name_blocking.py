"""A mover whose name or age is written otherwise too (issue 17, "Movers"): KYR's delta
moved the resident and the department still lists the old village, and it writes the
name surname first, misspells a token, or gives an age a few years off. The mover rules
asked the old village for an exact surname or birth year, or the old block for the whole
name key and the year: none paired these. ``blocking.MOVER_MORE_SEED_RULES`` give the old
village what the village rules give the current one. Real Splink + DuckDB."""

from __future__ import annotations

import pytest

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


KYR = [_kyr(_person("T1", "CHANDRIKA DESHMUKH", "F", by=1966), "V9", "V1"),
       _kyr(_person("T2", "DRAUPADI UIKE", "F", by=1954), "V8", "V1"),
       _kyr(_person("T3", "MANJU DEVI MARKAM", "F", by=1960, relative="DUKALU MARKAM"),
            "V7", "V1"),
       # the same names, never in V1: not paired on the old village
       _kyr(_person("T4", "CHANDRIKA DESHMUKH", "F", by=1966), "V6", "V5"),
       _kyr(_person("T5", "DRAUPADI UIKE", "F", by=1954), "V6", None)]
# ages on 2025-01-01, each a few years off KYR's year of birth
DEPT = [_dept(_person("P1", "DESHMUKH CHANDRIKA", "F", age_from=57), "V1"),  # surname first
        _dept(_person("P2", "DRAUPADI UHIKE", "F", age_from=69), "V1"),      # surname misspelt
        # both tokens misspelt, aged 63 (KYR: 1960): the relative's name is left
        _dept(_person("P3", "MAJNU MARKAN", "F", age_from=63, relative="DUKALU MARKAM"),
              "V1")]
TRUE = {("P1", "T1"), ("P2", "T2"), ("P3", "T3")}


def _base(monkeypatch, *family: str) -> None:
    """The seeding rules without the new ones, but those on ``family``'s keys."""
    monkeypatch.setattr(blocking, "SEED_PREDICTION_RULES", tuple(
        r for r in blocking.SEED_PREDICTION_RULES
        if r not in blocking.MOVER_MORE_SEED_RULES or r[0] in family))


def test_movers_written_otherwise_meet_their_kyr_row_in_the_old_village(monkeypatch):
    got = _pairs(KYR, DEPT)
    assert got >= TRUE
    assert not got & {("P1", "T4"), ("P2", "T5")}
    _base(monkeypatch)  # without the new rules none of the three pairs is made
    assert not _pairs(KYR, DEPT) & TRUE


CASES = [("name_sorted_key", ("P1", "T1")), ("first_name_key", ("P2", "T2")),
         ("relative_name_key", ("P3", "T3"))]


def test_every_key_of_the_rules_has_its_case():
    assert {f for f, _ in CASES} == {r[0] for r in blocking.MOVER_MORE_SEED_RULES}


@pytest.mark.parametrize(("family", "pair"), CASES)
def test_each_key_earns_its_rules(monkeypatch, family, pair):
    """Each key's rules alone, beside the rules before them, pair the case it is for."""
    _base(monkeypatch, family)
    assert pair in _pairs(KYR, DEPT)
