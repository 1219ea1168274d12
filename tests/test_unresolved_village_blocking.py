"""A department's village spelled past what resolution accepts (issue 17: "An unresolved
place is dropped entirely"), with the age a year or two off: no village rule can pair it,
and the block rules ask for an exact birth year. The department side carries its block as
``unresolved_block_key`` only where its village did not resolve (KYR always), so the full
name key within the block and a birth band (``blocking.UNRESOLVED_SEED_RULES``) pairs it,
and records whose village resolved add no pair. Real Splink + DuckDB."""

from __future__ import annotations

import duckdb
import pandas as pd

from matching import blocking, inputs
from tests.test_matching_blocking import _pairs, _person


def _placed(row: dict, block: str, village: str | None, spelled: str) -> dict:
    # an age gives ingest's birth_year as the later of its two years
    return {**row, "block_std": block, "village_code": village, "village_std": village,
            "place_text": spelled, "district_std": "D1", "birth_year": row["birth_year_max"]}


def test_an_unresolved_village_with_the_age_off_meets_its_kyr_row_in_the_block():
    kyr = [_placed(_person("T1", "MOHAN SEN", "M", by=1993, village="AONRAKHOL"),
                   "B1", "V1", "AONRAKHOL"),
           # the same name and age in another block: not paired on it
           _placed(_person("T2", "MOHAN SEN", "M", by=1993, village="KOHKA"),
                   "B2", "V9", "KOHKA"),
           # the block's other names, and a MOHAN SEN twenty years older: not paired
           _placed(_person("T3", "SURESH SEN", "M", by=1993, village="AONRAKHOL"),
                   "B1", "V1", "AONRAKHOL"),
           _placed(_person("T4", "MOHAN SEN", "M", by=1973, village="BORI"),
                   "B1", "V2", "BORI")]
    # aged 29 on 2025-01-01: born 1995 or 1996, KYR says 1993; "YONRAKHOQ" resolved nowhere
    dept = [_placed(_person("P1", "MOHAN SEN", "M", age_from=29, village="YONRAKHOQ"),
                    "B1", None, "YONRAKHOQ")]
    assert _pairs(kyr, dept) == {("P1", "T1")}


def test_only_a_department_record_whose_village_did_not_resolve_carries_the_key():
    con = duckdb.connect()
    rows = [_placed(_person("1", "MOHAN SEN", "M", by=1990), "B1", None, "YONRAKHOQ"),
            _placed(_person("2", "MOHAN SEN", "M", by=1990), "B1", "V1", "AONRAKHOL"),
            _placed(_person("3", "MOHAN SEN", "M", by=1990), "B1", None, None)]
    dept = inputs.load_frame(con, "sw_pension", pd.DataFrame(rows))
    kyr = inputs.load_frame(con, inputs.KYR, pd.DataFrame(rows))
    got = dict(con.execute(f"SELECT unique_id, unresolved_block_key FROM {dept.table}")
               .fetchall())
    assert got == {"1": "B1", "2": None, "3": None}
    assert {b for (b,) in con.execute(
        f"SELECT unresolved_block_key FROM {kyr.table}").fetchall()} == {"B1"}
    assert set(blocking.UNRESOLVED_SEED_RULES) <= set(blocking.SEED_PREDICTION_RULES)


def test_a_lost_village_and_one_name_token_off_meet_on_the_other_token_in_the_block():
    """The village lost and a name token misspelt too: the first name (a surname written
    otherwise), the surname (a given name written otherwise) or the relative's name within
    the block and a birth band, as the village rules ask for them."""
    kyr = [_placed(_person("T1", "CHANDRIKA NISHAD", "F", by=1961, village="KHAIRKONA"),
                   "B1", "V1", "KHAIRKONA"),
           _placed(_person("T2", "FULMATI KANWAR", "F", by=1972, village="NANDANPARA"),
                   "B1", "V2", "NANDANPARA"),
           _placed(_person("T3", "GEETA YADAV", "F", by=1985, village="BORI",
                           relative="SHYAM YADAV"), "B1", "V3", "BORI"),
           # the same first name in another block: not paired on it
           _placed(_person("T4", "CHANDRIKA NISHAD", "F", by=1961, village="KOHKA"),
                   "B2", "V9", "KOHKA")]
    dept = [_placed(_person("P1", "CHANDRIKA NISHHAD", "F", age_from=63,
                            village="VHAIVRKONA"), "B1", None, "VHAIVRKONA"),
            _placed(_person("P2", "FULWATI KANWAR", "F", age_from=50, village="INNDANPARA"),
                    "B1", None, "INNDANPARA"),                   # FLBT / FLMT
            _placed(_person("P3", "G YADAO", "F", age_from=38, village="BROI",
                            relative="SHYAM YADAV"), "B1", None, "BROI")]  # both tokens
    got = _pairs(kyr, dept)
    assert {("P1", "T1"), ("P2", "T2"), ("P3", "T3")} <= got
    assert ("P1", "T4") not in got
    # where the village resolved, none of these pairs: the village rules do that work
    resolved = [{**d, "village_code": "V8", "village_std": "V8"} for d in dept]
    assert not _pairs(kyr, resolved) & {("P1", "T1"), ("P2", "T2"), ("P3", "T3")}
