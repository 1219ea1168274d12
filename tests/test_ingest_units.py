"""Unit tests of the ingest's building blocks: phonetic keys, tokens, registry, reader."""

from __future__ import annotations

import re

import duckdb
import pytest
from ingest_helpers import U1

from ingest.registry import Source, load_registry
from ingest.standardise.contacts import mobile_sql
from ingest.standardise.names import indic_fold, macros, phonetic_key
from ingest.tokens import Keys, token_for


@pytest.mark.parametrize("a,b", [("Lakshmi", "Laxmi"), ("Verma", "Varma"), ("Shyam", "Syam"),
                                 ("Devi", "Devee"), ("Mohammad", "Mohammed"),
                                 ("Chhaya", "Chaya"), ("Bhagat", "Bhagat"), ("Sanjay", "Sanjai"),
                                 ("Lachhman", "Laxman"), ("Lachhmi", "Lakshmi"),
                                 ("Laksman", "Lakshman"), ("Maqsood", "Maksood"),
                                 ("Bakhsh", "Baksh")])
def test_phonetic_key_agrees_on_transliteration_variants(a, b):
    assert phonetic_key(a.upper()) == phonetic_key(b.upper())


@pytest.mark.parametrize("a,b", [("Ram", "Shyam"), ("Sita", "Gita"), ("Verma", "Sharma"),
                                 ("Marks", "March"), ("Wilks", "Welch")])
def test_phonetic_key_separates_different_names(a, b):
    assert phonetic_key(a.upper()) != phonetic_key(b.upper())


def test_indic_fold_rules():
    assert indic_fold("lakshmi") == indic_fold("laxmi") == indic_fold("lachhmi") == "LACHMI"
    assert indic_fold("Phool") == "FUL"


def test_token_is_letters_only_and_keyed():
    k1, k2 = Keys.from_master(b"\x01" * 32), Keys.from_master(b"\x02" * 32)
    t = token_for(U1, k1.mac)
    assert re.fullmatch(r"[a-p]{32}", t)
    assert t == token_for(U1, k1.mac) != token_for(U1, k2.mac)
    assert k1.enc != k1.mac


def test_name_macros_honorifics_and_cleaning():
    con = duckdb.connect()
    for m in macros():
        con.execute(m)
    rows = con.execute("""
        SELECT srdh_honorific(srdh_clean_name(x)), srdh_strip_honorific(srdh_clean_name(x))
        FROM (VALUES ('Smt. Laxmi  Devi'), ('shri ram'), ('Ku.Sita'), ('Dr. Shri Anil'),
                     ('Shrimati Kamla'), ('Rama-Krishna'), ('Kumari  Asha'), ('Sri Hari'),
                     ('D''Souza')) t(x)""").fetchall()
    assert rows == [("SMT", "LAXMI DEVI"), ("SHRI", "RAM"), ("KU", "SITA"), ("DR", "ANIL"),
                    ("SMT", "KAMLA"), (None, "RAMA KRISHNA"), ("KU", "ASHA"), ("SHRI", "HARI"),
                    (None, "DSOUZA")]


@pytest.mark.parametrize("raw,want", [("+91 98765 43210", "9876543210"), ("09876543210",
                                      "9876543210"), ("98765-43210", "9876543210"),
                                      ("919876543210", "9876543210"), ("12345", None),
                                      ("1234567890", None), (None, None)])
def test_mobile_normalisation(raw, want):
    con = duckdb.connect()
    sql = f"SELECT {mobile_sql('x')} FROM (SELECT CAST(? AS VARCHAR) AS x)"
    assert con.execute(sql, [raw]).fetchone()[0] == want


def test_registry_has_every_feed_and_checks_references(tmp_path):
    reg = load_registry()
    assert {"uid_kyr", "food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death",
            "lgd_villages", "facilities", "jansamvad_calls", "pm_tasks", "pm_survey"} <= set(reg)
    assert reg["uid_kyr"].uid_field.strict and not reg["food_pds"].uid_field.strict
    with pytest.raises(ValueError, match="unknown fields"):
        Source.model_validate({"feed": "x", "record_id": "nope", "fields": {"a": {}}})
