"""Indian names as they vary in the lists: transliteration folds, "late" prefixes, a
middle 'Kumar', a dropped surname, and names written in Devanagari (issue 17)."""

from __future__ import annotations

import duckdb
import pytest
from home_helpers import ensure_key
from ingest_helpers import LGD, U1, U2, U3, write

from core.paths import Home
from generator.names import DEVANAGARI
from ingest.load import ingest
from ingest.standardise.names import macros, name_keys, phonetic_key
from ingest.standardise.scripts import romanise


@pytest.mark.parametrize("a,b", [
    ("Vinod", "Binod"), ("Vijay", "Bijay"),          # b / v
    ("Dewangan", "Devangan"),                       # w / v
    ("Mahesh", "Mahes"),                            # sh / s
    ("Bharat", "Barat"), ("Sudha", "Suda"),         # a dropped h after a consonant
    ("Dhhaniram", "Dhaniram"),                      # ... or a doubled one
    ("Geeta", "Gita"), ("Poonam", "Punam"),         # ee / i, oo / u
    ("Kurre", "Kure"), ("Pappu", "Papu"),           # doubled letters
    ("Yadav", "Jadav"), ("Yogesh", "Jogesh"),       # a leading y written j
])
def test_transliteration_folds_give_one_key(a, b):
    assert phonetic_key(a.upper()) == phonetic_key(b.upper())


def test_late_prefixes_are_taken_off_a_dead_relatives_name():
    con = duckdb.connect()
    for m in macros():
        con.execute(m)
    rows = con.execute("""
        SELECT srdh_honorific(srdh_clean_name(x)), srdh_strip_honorific(srdh_clean_name(x))
        FROM (VALUES ('Swa. Ramlal Sahu'), ('Late Ramesh'), ('Lt. Shri Mohan'),
                     ('Swargiya Budhram'), ('SWARGIY  Dukalu'), ('Swami Nath')) t(x)""").fetchall()
    assert rows == [("LATE", "RAMLAL SAHU"), ("LATE", "RAMESH"), ("LATE", "MOHAN"),
                    ("LATE", "BUDHRAM"), ("LATE", "DUKALU"), (None, "SWAMI NATH")]


def test_a_middle_kumar_does_not_change_the_name_key():
    full, first, last = name_keys(["RAM KUMAR SAHU", "RAM SAHU", "RAJESH KUMAR"])
    assert full[0] == full[1] and first[0] == first[1] and last[0] == last[1]
    assert full[2] != full[1] and last[2] == phonetic_key("KUMAR")  # a last 'Kumar' stays


def test_devanagari_romanises_to_the_keys_of_the_latin_spelling():
    assert romanise("रामेश्वर साहू") == "rAmeshvar sAhU"
    assert romanise("राजकुमार") == "rAjkumAr" and romanise("कमला") == "kamlA"  # schwa deletion
    # the generator's Devanagari renderings (KYR name_local) key like their Latin names
    differ = [lat for lat, dev in DEVANAGARI.items()
              if phonetic_key(romanise(dev).upper()) != phonetic_key(lat.upper())]
    assert differ == []


SW_HEADER = ("pension_id,scheme_code,beneficiary_name,father_husband_name,gender,dob,age,"
             "sanction_date,village,block,district,monthly_amount_inr,status")


def test_a_hindi_department_list_standardises_to_the_keys_of_kyr(tmp_path):
    """KYR writes 'Rameshwar Sahu', S/O 'Late Ram Kumar Sahu'; the pension list writes the
    same man in Devanagari with 'स्व.' (late) before his father's name."""
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    write(landing / "uid_kyr" / "2024-01-05" / "kyr.csv", "\n".join([
        "uid,name,name_local,gender,dob,co,vtc,subdist,dist,state,last_updated,action",
        f"{U1},Rameshwar Sahu,रामेश्वर साहू,M,1960,S/O: Late Ram Kumar Sahu,Arang,Arang,Raipur,"
        "Chhattisgarh,2024-01-01T10:00:00,A",
        f"{U2},Shrimati Kamla Bai,,F,1965,W/O Rameshwar,Arang,Arang,Raipur,Chhattisgarh,"
        "2024-01-01T10:00:00,A"]) + "\n")
    write(landing / "sw_pension" / "2024-01-20" / "pension.csv", "\n".join([
        SW_HEADER,
        "P1,IGNOAPS,रामेश्वर साहू,स्व. राम साहू,Male,,64,01/01/2024,Arang,Arang,Raipur,500,ACTIVE",
        "P2,IGNWPS,श्रीमती कमला बाई,,Female,,59,01/01/2024,Arang,Arang,Raipur,500,ACTIVE"]) + "\n")
    home = Home.at(tmp_path / "home")
    ensure_key(home.root)
    ingest(landing, home, gx=False, echo=lambda *a: None)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        cols = ("name_std, name_key, first_name_key, last_name_key, honorific, "
                "relative_name_std, relative_name_key")
        kyr = con.execute(f"SELECT {cols} FROM std.uid_kyr ORDER BY source_row").fetchall()
        dept = con.execute(f"SELECT {cols} FROM std.sw_pension ORDER BY source_row").fetchall()
    finally:
        con.close()
    assert kyr[0][:4] == ("RAMESHWAR SAHU", "RMSBR SH", "RMSBR", "SH")
    assert dept[0][0] == "RAMESHVAR SAHU"  # romanised spelling, its own letters
    assert dept[0][1:4] == kyr[0][1:4]     # ... and the keys of KYR's Latin form
    # father: 'स्व.' and KYR's 'Late' both dropped; KYR's middle 'Kumar' left out of the key
    assert kyr[0][5] == "RAM KUMAR SAHU" and dept[0][5] == "RAM SAHU"
    assert dept[0][6] == kyr[0][6]
    assert dept[1][4] == kyr[1][4] == "SMT" and dept[1][1] == kyr[1][1]


def test_written_out_relation_words_read_as_their_prefix(tmp_path):
    """A care-of or relative's name that starts with SON OF, PUTRA, पुत्र, PATNI or PITA
    keeps only the relative's name, and the relation, as S/O and W/O do (relation_words.csv);
    a name that merely starts with those letters (PATIRAM) is left whole."""
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    kyr = ["uid,name,gender,dob,co,vtc,subdist,dist,state,last_updated,action"]
    for uid, name, gender, co in [(U1, "Mohan Sahu", "M", "पुत्र रामलाल साहू"),
                                  (U2, "Kamla Bai", "F", "Patni: Rameshwar"),
                                  (U3, "Sita Bai", "F", "Patiram Sahu")]:
        kyr.append(f"{uid},{name},{gender},1980,{co},Arang,Arang,Raipur,Chhattisgarh,"
                   "2024-01-01T10:00:00,A")
    write(landing / "uid_kyr" / "2024-01-05" / "kyr.csv", "\n".join(kyr) + "\n")
    write(landing / "sw_pension" / "2024-01-20" / "pension.csv", "\n".join([
        SW_HEADER,
        "P1,IGNOAPS,Mohan Sahu,Son of Ramlal Sahu,Male,,44,01/01/2024,Arang,Arang,Raipur,500,"
        "ACTIVE",
        "P2,IGNWPS,Kamla Bai,PITA - Budhram,Female,,44,01/01/2024,Arang,Arang,Raipur,500,"
        "ACTIVE"]) + "\n")
    home = Home.at(tmp_path / "home")
    ensure_key(home.root)
    ingest(landing, home, gx=False, echo=lambda *a: None)
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        sql = "SELECT relation_type, relative_name_std FROM std.{} ORDER BY source_row"
        kyr_rows = con.execute(sql.format("uid_kyr")).fetchall()
        dept = con.execute(sql.format("sw_pension")).fetchall()
    finally:
        con.close()
    assert kyr_rows == [("S/O", "RAMLAL SAHU"), ("W/O", "RAMESHWAR"), (None, "PATIRAM SAHU")]
    assert dept == [("S/O", "RAMLAL SAHU"), ("S/O", "BUDHRAM")]
