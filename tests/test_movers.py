"""Movers (issue 17): KYR's delta moves a resident to a new village while the department
still lists the old one. KYR's history keeps the old address, and seeding uses it."""

from __future__ import annotations

import duckdb
import pytest
from home_helpers import ensure_key
from ingest_helpers import LGD, PDS_HEADER, U1, U2, write

from core.paths import Home
from ingest.load import ingest
from ingest.tokens import Keys, token_for
from matching.api import run_matching

KYR = "uid,name,gender,dob,co,vtc,subdist,dist,state,phone,last_updated,action"


@pytest.fixture(scope="module")
def moved_home(tmp_path_factory):
    """KYR's full refresh has Ramesh Sahu (U1, born 1980) in Arang (Raipur) and a namesake
    (U2, born 1987) in the same village; the delta moves U1 to Kurud (another district).
    The ration card still lists Ramesh Sahu, 43 (his age on the card's date), in Arang."""
    root = tmp_path_factory.mktemp("movers")
    landing = root / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    write(landing / "uid_kyr" / "2024-01-05" / "kyr.csv", "\n".join([
        KYR,
        f"{U1},Ramesh Sahu,M,10-05-1980,S/O Budhram Sahu,Arang,Arang,Raipur,Chhattisgarh,,"
        "2024-01-01T10:00:00,A",
        f"{U2},Ramesh Sahu,M,02-02-1987,S/O Mohan Sahu,Arang,Arang,Raipur,Chhattisgarh,,"
        "2024-01-01T10:00:00,A"]) + "\n")
    write(landing / "uid_kyr" / "2024-02-03" / "kyr_delta.csv", "\n".join([
        KYR,
        f"{U1},Ramesh Sahu,M,10-05-1980,S/O Budhram Sahu,Kurud,Kurud,Dhamtari,Chhattisgarh,,"
        "2024-02-02T10:00:00,U"]) + "\n")
    write(landing / "food_pds" / "2024-01-15" / "pds.csv", "\n".join([
        PDS_HEADER,
        "RC1,PHH,M1,Ramesh Sahu,SELF,Male,43,,,Raipur,Arang,Arang"]) + "\n")
    home = Home.at(root / "home")
    ensure_key(home.root)
    ingest(landing, home, gx=False, echo=lambda *a: None)
    run_matching(home, run_date="2024-03-01")
    return home


def _q(home, sql):
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_kyr_side_carries_the_previous_village(moved_home):
    from matching import inputs

    con = inputs.open_workspace(moved_home.warehouse)
    try:
        t = inputs.load_feed(con, inputs.KYR, inputs.WH)
        rows = dict(con.execute(
            f"SELECT unique_id, prev_village_code FROM {t.table}").fetchall())
    finally:
        con.close()
    mac = Keys.for_home(moved_home).mac
    assert rows[token_for(U1, mac)] == "1001"   # Arang, before the move to Kurud (1003)
    assert rows[token_for(U2, mac)] is None     # never moved


def test_record_listing_the_old_village_seeds_to_the_moved_resident(moved_home):
    """The namesake still living in Arang shares the village the card lists, but not the
    age; the moved resident shares the age and, through KYR's history, the village."""
    mac = Keys.for_home(moved_home).mac
    (status, token, cand), = _q(moved_home, "SELECT match_status, uid_token, "
                                "candidate_uid_token FROM matching.seeding "
                                "WHERE source = 'food_pds' AND source_record_id = 'M1'")
    assert cand == token_for(U1, mac)           # the namesake does not win
    assert (status, token) == ("seeded", token_for(U1, mac))


def test_the_previous_address_level_scores_the_pair(moved_home):
    """The committed seeding model has the level, trained (not hand-set), below the
    current village and above the block."""
    import json

    from matching.comparisons import PREVIOUS_ADDRESS_LABEL
    from matching.settings import load_settings
    from matching.train import load_model, model_path

    model = load_model(model_path(load_settings(), "seed_food_pds"))
    loc = next(c for c in model["comparisons"] if c["output_column_name"] == "location")
    labels = [lvl.get("label_for_charts") for lvl in loc["comparison_levels"]]
    i = labels.index(PREVIOUS_ADDRESS_LABEL)
    assert i == 2 and "village_code" in json.dumps(loc["comparison_levels"][1])
    level = loc["comparison_levels"][i]
    assert not level.get("fix_m_probability")
    assert 0 < level["m_probability"] < loc["comparison_levels"][1]["m_probability"]
    assert level["m_probability"] > level["u_probability"]  # evidence for the pair


def test_previous_address_is_the_latest_other_one_and_ties_go_by_content():
    """The most recent earlier version whose village differs from the current one; two
    versions of the same moment are told apart by their content, never by row order."""
    from matching import inputs

    con = duckdb.connect()
    con.execute("CREATE SCHEMA std")
    con.execute("""CREATE TABLE std.uid_kyr AS SELECT * FROM (VALUES
        ('T1', 'RAMESH SAHU', '1003', 'B3'), ('T2', 'GEETA SAHU', '1002', 'B2'),
        ('T3', 'MOHAN SAHU', '1001', 'B1'))
        t(uid_token, name_std, village_code, block_std)""")
    rows = [("T1", "1001", "B1", False, "2020-01-01"), ("T1", "1002", "B2", False, "2021-01-01"),
            ("T1", "1003", "B3", True, "2022-01-01"),
            # T2: back where it started; the last address before is 1004
            ("T2", "1002", "B2", False, "2019-01-01"), ("T2", "1004", "B2", False, "2020-01-01"),
            ("T2", "1002", "B2", True, "2021-01-01"),
            # T3: two other villages at the same moment, listed in either order
            ("T3", "1005", "B5", False, "2020-01-01"), ("T3", "1006", "B6", False, "2020-01-01"),
            ("T3", "1001", "B1", True, "2021-01-01")]
    for order in (rows, rows[::-1]):
        con.execute("DROP TABLE IF EXISTS std.uid_kyr_history")
        con.execute("CREATE TABLE std.uid_kyr_history (uid_token VARCHAR, village_code VARCHAR, "
                    "block_std VARCHAR, is_current BOOLEAN, valid_from TIMESTAMP)")
        con.executemany("INSERT INTO std.uid_kyr_history VALUES (?, ?, ?, ?, ?)", order)
        t = inputs.load_feed(con, inputs.KYR, "memory")
        got = {r[0]: r[1:] for r in con.execute(
            f"SELECT unique_id, prev_village_code, prev_block_std, mover_village_key "
            f"FROM {t.table}").fetchall()}
        assert got == {"T1": ("1002", "B2", "1002"), "T2": ("1004", None, "1004"),
                       "T3": ("1006", "B6", "1006")}
