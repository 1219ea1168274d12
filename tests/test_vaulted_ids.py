"""A department id equal to an Aadhaar number in the vault is masked like one (issue 17, 3M).

Ids declared ``identifier: true`` (a ration card, a bank account) are exempt from the door's
masking: one in ten 12-digit ids passes the Verhoeff check by design. At state scale some
of them equal a UID in KYR by chance (61 ration cards at 3M), or a sender typed the UID
there; either way it is an Aadhaar number, and the UID gate stopped publish on it. Now
ingest masks such an id in ``raw`` (then ``std``), whichever feed arrived first, keeps
one distinct value per id (it is a household key), and notes each row.
"""

from __future__ import annotations

import duckdb
from home_helpers import ensure_key
from ingest_helpers import KYR_HEADER, LGD, PDS_HEADER, U1, U2, uid, write

from core.paths import Home
from ingest.load import ingest
from ingest.masking import ID_NOTE
from ingest.uid_scan import scan_for_uids

RATION = uid("22051234567")  # Verhoeff-valid, but no UID in the vault: stays as sent


def _kyr(folder, day: str) -> None:
    rows = [KYR_HEADER,
            f"{U1},Laxmi Devi,F,12-03-1980,W/O Shyam Lal,Arang,Arang,Raipur,Chhattisgarh,,,"
            f"{day}T10:00:00,A",
            f"{U2},Ramesh Verma,M,1975,S/O Suresh,Kurud,Kurud,Dhamtari,Chhattisgarh,,,"
            f"{day}T10:00:00,A"]
    write(folder / "uid_kyr" / day / "kyr.csv", "\n".join(rows) + "\n")


def _pds(folder) -> None:
    spaced = f"{U2[:4]} {U2[4:8]} {U2[8:]}"  # the same number, typed with spaces
    rows = [PDS_HEADER,
            f"{U1},AAY,M1,Lakshmi Devi,SELF,Female,44,,,Raipur,Arang,Arang",
            f"{U1},AAY,M2,Shyam Lal,HUSBAND,Male,50,,,Raipur,Arang,Arang",
            f"{spaced},PHH,M3,Ramesh Verma,SELF,Male,49,,,Dhamtari,Kurud,Kurud",
            f"{RATION},PHH,M4,Gita Bai,SELF,Female,40,,,Durg,Dondi-Lohara,Dondi"]
    write(folder / "food_pds" / "2024-01-15" / "pds.csv", "\n".join(rows) + "\n")


def _cards(home: Home, schema: str, col: str) -> dict[str, str]:
    key = "member_id" if schema == "raw" else "source_record_id"
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return dict(con.execute(f"SELECT {key}, {col} FROM {schema}.food_pds").fetchall())
    finally:
        con.close()


def _notes(home: Home) -> list[tuple]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute("SELECT feed, source_row, column_name, uid_token FROM meta.dq_notes "
                           "WHERE note = ? ORDER BY source_row", [ID_NOTE]).fetchall()
    finally:
        con.close()


def _check(home: Home, lines: list[str]) -> None:
    raw = _cards(home, "raw", "ration_card_no")
    assert raw["M4"] == RATION  # a Verhoeff-valid card that is no UID in the vault is kept
    assert raw["M1"] == raw["M2"] != raw["M3"]  # one value per card: still a household key
    for m in ("M1", "M2", "M3"):
        assert U1 not in raw[m].replace(" ", "") and U2 not in raw[m].replace(" ", "")
    assert raw["M1"].startswith(f"XXXX-XXXX-{U1[-4:]} (")
    assert raw["M3"].startswith(f"XXXX-XXXX-{U2[-4:]} (")
    std = _cards(home, "std", "household_ref")
    assert std["M1"] == std["M2"] != std["M3"] and RATION in std["M4"]
    assert all(U1 not in (v or "") and U2 not in (v or "") for v in std.values())
    notes = _notes(home)
    assert [(f, r, c) for f, r, c, _ in notes] == [("food_pds", 1, "ration_card_no"),
                                                   ("food_pds", 2, "ration_card_no"),
                                                   ("food_pds", 3, "ration_card_no")]
    assert all(t and t.isalpha() for *_, t in notes)
    assert scan_for_uids(home) == []  # what stopped publish at 3M
    assert any("department id equal to an Aadhaar number" in ln for ln in lines)
    assert not any(U1 in ln or U2 in ln for ln in lines)


def test_an_id_equal_to_a_uid_in_the_same_run_is_masked(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    _kyr(landing, "2024-01-05")
    _pds(landing)
    home = Home.at(ensure_key(tmp_path / "home"))
    lines: list[str] = []
    ingest(landing, home, gx=False, echo=lines.append)
    _check(home, lines)
    again: list[str] = []
    ingest(landing, home, gx=False, echo=again.append)  # a rerun: idempotent
    assert len(_notes(home)) == 3


def test_an_id_loaded_before_the_kyr_holding_its_number_is_masked_when_it_arrives(tmp_path):
    first, later = tmp_path / "first", tmp_path / "later"
    write(first / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    _pds(first)
    home = Home.at(ensure_key(tmp_path / "home"))
    ingest(first, home, gx=False, echo=lambda _: None)
    assert _cards(home, "raw", "ration_card_no")["M1"] == U1  # no UID known yet: an id
    _kyr(later, "2024-02-01")
    lines: list[str] = []
    ingest(later, home, gx=False, echo=lines.append)
    _check(home, lines)
