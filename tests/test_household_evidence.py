"""Household-aware evidence (issue 17): a ration card's shared mobile and another member's
pre-seeded UID must not outweigh disagreeing names and ages."""

from __future__ import annotations

import duckdb
from home_helpers import ensure_key
from ingest_helpers import LGD, PDS_HEADER, U1, U2, write

from core.paths import Home
from ingest.load import ingest
from ingest.tokens import Keys, token_for
from matching.api import run_matching

KYR = "uid,name,gender,dob,co,vtc,subdist,dist,state,phone,last_updated,action"


def test_a_son_sharing_his_fathers_card_mobile_and_uid_is_not_seeded_to_the_father(tmp_path):
    """One card: the father (UID U1, the card's mobile) and his son, whose record carries
    the same mobile and, by a clerk's slip, the father's UID. KYR knows both men."""
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    write(landing / "uid_kyr" / "2024-01-05" / "kyr.csv", "\n".join([
        KYR,
        f"{U1},Ramesh Sahu,M,10-05-1965,S/O Budhram Sahu,Arang,Arang,Raipur,Chhattisgarh,"
        "9876543210,2024-01-01T10:00:00,A",
        f"{U2},Suresh Sahu,M,02-02-1990,S/O Ramesh Sahu,Arang,Arang,Raipur,Chhattisgarh,,"
        "2024-01-01T10:00:00,A"]) + "\n")
    write(landing / "food_pds" / "2024-01-15" / "pds.csv", "\n".join([
        PDS_HEADER,
        f"RC1,PHH,M1,Ramesh Sahu,SELF,Male,58,{U1},9876543210,Raipur,Arang,Arang",
        f"RC1,PHH,M2,Suresh Sahu,SON,Male,33,{U1},9876543210,Raipur,Arang,Arang"]) + "\n")
    home = Home.at(tmp_path / "home")
    ensure_key(home.root)
    ingest(landing, home, gx=False, echo=lambda *a: None)
    run_matching(home, run_date="2024-02-01")
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        got = dict(con.execute("SELECT source_record_id, uid_token FROM matching.seeding "
                               "WHERE source = 'food_pds' AND match_status = 'seeded'"
                               ).fetchall())
    finally:
        con.close()
    mac = Keys.for_home(home).mac
    assert got.get("M1") == token_for(U1, mac)
    assert got.get("M2") != token_for(U1, mac)   # never the father's UID
    assert got.get("M2") == token_for(U2, mac)   # his own



def _mobile_level(dept: dict, kyr: dict) -> str:
    """The seeding models' mobile level for one hand-made pair: the inputs built by
    ``matching.inputs`` from std rows, the first level whose SQL holds (as Splink picks it)."""
    import pandas as pd

    from matching import inputs
    from matching.comparisons import mobile_comparison

    con = duckdb.connect()
    for feed, row in (("dept", dept), ("kyr", kyr)):
        inputs.load_frame(con, feed, pd.DataFrame([{"source_record_id": "1", **row}]))
    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in inputs.INPUT_COLUMNS)
    levels = mobile_comparison().get_comparison("duckdb").as_dict()["comparison_levels"]
    case = " ".join("ELSE ?" if lv["sql_condition"] == "ELSE"
                    else f"WHEN {lv['sql_condition']} THEN ?" for lv in levels)
    return con.execute(f"SELECT CASE {case} END FROM (SELECT {cols} FROM inp_dept l "
                       "JOIN inp_kyr r USING (unique_id))",
                       [lv["label_for_charts"] for lv in levels]).fetchall()[0][0]


def test_a_wife_written_by_her_initials_with_the_cards_mobile_is_no_evidence_for_her_husband():
    """A ration card lists the wife as "P D YADAV" (female) with the card's mobile, which
    KYR holds on her husband PRAKASH YADAV (male). The initial agrees with his first name
    and the ages are close, but a man and a woman are not one person: the shared mobile
    says "same household" and is no evidence (it had carried +17 bits to the husband)."""
    wife = {"name_std": "P D YADAV", "first_name": "P", "last_name": "YADAV",
            "gender": "F", "birth_year_min": 1980, "birth_year_max": 1981,
            "mobile": "6437018675"}
    husband = {"name_std": "PRAKASH YADAV", "first_name": "PRAKASH", "last_name": "YADAV",
               "gender": "M", "birth_year_min": 1980, "birth_year_max": 1980,
               "mobile": "6437018675"}
    assert _mobile_level(wife, husband).startswith("missing on one side, or the same mobile")
    # the same record of a man (or with no gender) still counts as the same mobile
    for gender in ("M", None):
        assert _mobile_level({**wife, "gender": gender}, husband) == \
            "same mobile, names and ages agree"
