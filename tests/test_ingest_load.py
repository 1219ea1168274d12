"""Loading hand-written deliveries: quarantine, refusals, idempotency, KYR deltas, vault,
places, onboarding a department by YAML alone, and atomicity under kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from fault_helpers import paused_env
from home_helpers import ensure_key
from ingest_helpers import (
    BAD,
    LGD,
    PDS_HEADER,
    U1,
    U2,
    U3,
    U4,
    kyr_delta,
    pds,
    small_landing,
    write,
)
from typer.testing import CliRunner

from core.paths import Home
from ingest.load import ingest
from ingest.tokens import Keys, token_for
from ingest.uid_scan import scan_for_uids
from ingest.vault import Vault


def _run(landing, home, **kw):
    ensure_key(home)
    return ingest(landing, Home.at(home), gx=False, echo=lambda *a: None, **kw)


def _q(home, sql, params=None):
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture()
def loaded(tmp_path, ingest_small_landing):
    landing = ingest_small_landing
    home = tmp_path / "home"
    run = _run(landing, home)
    return {"landing": landing, "home": home, "run": run, "tmp": tmp_path}


def test_good_rows_load_and_bad_rows_are_quarantined_with_clerk_reasons(loaded):
    home, run = loaded["home"], loaded["run"]
    by = {b.batch_id: b for b in run.batches}
    kyr = by["uid_kyr/2024-01-05"]
    assert (kyr.rows_read, kyr.rows_loaded, kyr.rows_quarantined) == (5, 2, 3)
    pdsb = by["food_pds/2024-01-15"]
    assert (pdsb.rows_read, pdsb.rows_loaded, pdsb.rows_quarantined) == (5, 3, 2)
    reasons = dict(((f, r, c), reason) for f, r, c, reason in _q(
        home, "SELECT feed, source_row, column_name, reason FROM quarantine.rows"))
    assert "is not a valid Aadhaar number" in reasons[("uid_kyr", 3, "uid")]
    assert reasons[("uid_kyr", 4, "dob")] == (
        "row 4, column dob: '31-02-1980' is not a real date (expected DD-MM-YYYY or YYYY)")
    assert "is in the future" in reasons[("uid_kyr", 5, "dob")]
    assert "'XYZ' is not a known card_type" in reasons[("food_pds", 2, "card_type")]
    assert reasons[("food_pds", 5, "member_name")] == (
        "row 5, column member_name: required value is empty")
    # the raw row is kept, UIDs masked to their last four digits
    raw_json = _q(home, "SELECT raw_json FROM quarantine.rows WHERE feed='uid_kyr' AND "
                  "source_row=4")[0][0]
    assert json.loads(raw_json)["uid"] == "XXXXXXXX" + U3[-4:]
    assert U3 not in raw_json and BAD not in str(reasons)
    # a department's wrong pre-seeded number: row stays, vaulted, flagged not valid
    rows = dict(_q(home, "SELECT source_record_id, uid_valid FROM std.food_pds"))
    assert rows == {"M1": True, "M3": None, "M4": False}
    # the quarantine command lists them
    from srdh.cli import app

    out = CliRunner().invoke(app, ["quarantine", "--home", str(home), "--feed", "food_pds"])
    assert out.exit_code == 0, out.output
    assert "food_pds/2024-01-15" in out.output and "is not a known card_type" in out.output


def test_std_person_contract_and_standardisation(loaded):
    home = loaded["home"]
    from ingest.standardise import PERSON_COLUMNS

    for feed in ("uid_kyr", "food_pds"):
        cols = [r[0] for r in _q(home, "SELECT column_name FROM information_schema.columns "
                                 "WHERE table_schema='std' AND table_name=? "
                                 "ORDER BY ordinal_position",
                                 [feed])]
        assert cols[: len(PERSON_COLUMNS)] == PERSON_COLUMNS
    k = _q(home, """SELECT name_std, honorific, relation_type, relative_name_std, dob_precision,
                   birth_year, mobile, district_std, village_code, uid_last4, uid_token
                   FROM std.uid_kyr ORDER BY source_row""")
    t1 = token_for(U1, Keys.for_home(Home.at(home)).mac)
    assert k[0] == ("LAXMI DEVI", "SMT", "W/O", "SHYAM LAL", "day", 1980, "9876543210", "Raipur",
                    "1001", U1[-4:], t1)
    # KYR year-only dob; Durg (pre-2012 parent) + a Balod block resolves to Balod
    assert k[1][:7] == ("RAMESH KUMAR VERMA", "SHRI", "S/O", "SURESH", "year", 1975, "9876543211")
    assert k[1][7:9] == ("Balod", "1002")
    p = dict((r[0], r[1:]) for r in _q(home, """SELECT source_record_id, name_key, honorific,
        dob_precision, birth_year_min, birth_year_max, district_std, block_std, village_code,
        household_ref, scheme_code, monthly_amount_inr, card_type FROM std.food_pds"""))
    kyr_key = _q(home, "SELECT name_key FROM std.uid_kyr WHERE source_row = 1")[0][0]
    assert p["M1"][0] == kyr_key  # Lakshmi Devee ~ Laxmi Devi
    assert p["M1"][2:4] == ("age", 1979) and p["M1"][4] == 1980  # age 44 on 2024-01-15
    assert p["M3"][1] == "KU" and p["M3"][5:8] == ("Balod", "Dondi Lohara", "1004")
    assert p["M1"][8:] == ("RC1", "PDS", 350, "AAY")
    # photograph copied into the photo store, keyed by token; only path + sha in warehouse
    path, sha = _q(home, "SELECT photo_path, photo_sha256 FROM std.uid_kyr WHERE source_row=1")[0]
    assert path.endswith(f"{t1}.jpg") and (Home.at(home).root / path).is_file() and len(sha) == 64


def test_raw_uids_only_in_vault_and_reveal_is_logged(loaded):
    home = Home.at(loaded["home"])
    for u in (U1, U2, U3, U4, BAD):
        for table in ("raw.uid_kyr", "raw.food_pds", "std.uid_kyr", "std.food_pds",
                      "quarantine.rows"):
            assert not _q(loaded["home"], f"SELECT 1 FROM {table} t WHERE "
                          f"contains(CAST(t AS VARCHAR), ?)", [u]), (u, table)
    assert scan_for_uids(home) == []
    t1 = token_for(U1, Keys.for_home(home).mac)
    from srdh.cli import app

    res = CliRunner().invoke(app, ["vault", "reveal", t1, "--purpose", "grievance 42",
                                   "--by", "clerk7", "--home", str(home.root)])
    assert res.exit_code == 0 and res.output.strip() == U1
    with Vault(home, Keys.for_home(home)) as v:
        log = v.con.execute(
            "SELECT by_whom, purpose, uid_token, outcome FROM access_log ORDER BY seq").fetchall()
        # the invalid KYR number is not vaulted; the department's invalid one is
        assert v.reveal(token_for(BAD, Keys.for_home(home).mac), "audit of invalid numbers",
                        "test") == BAD
        n = v.count()
    # the request is logged before decryption, then its outcome
    assert log == [("clerk7", "grievance 42", t1, "requested"),
                   ("clerk7", "grievance 42", t1, "revealed")]
    assert n == 5  # U1, U2, U3 (quarantined dob, still a valid uid), U4, BAD (from food_pds)
    assert oct(os.stat(home.secrets / "vault.key").st_mode & 0o777) == "0o600"


def test_rerun_and_redelivery_under_another_name_change_nothing(loaded):
    home, landing = loaded["home"], loaded["landing"]
    before = _q(home, "SELECT count(*) FROM raw.food_pds")[0][0]
    again = _run(landing, home)
    assert all(b.status == "unchanged" for b in again.batches)
    # the same bytes, renamed, in a later batch: skipped as a duplicate file
    write(landing / "food_pds" / "2024-02-01" / "copy_of_pds.csv",
          (landing / "food_pds" / "2024-01-15" / "pds.csv").read_bytes())
    third = _run(landing, home)
    b = {x.batch_id: x for x in third.batches}["food_pds/2024-02-01"]
    assert b.status == "unchanged" and b.files_skipped == 1
    assert _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == before
    assert _q(home, "SELECT count(*) FROM quarantine.rows WHERE feed='food_pds'")[0][0] == 2
    assert _q(home, "SELECT count(*) FROM meta.files")[0][0] == 3


def test_kyr_deltas_apply_in_last_updated_order_and_keep_history(loaded):
    home, landing = loaded["home"], loaded["landing"]
    write(landing / "uid_kyr" / "2024-02-03" / "delta.csv", kyr_delta())
    _run(landing, home)
    mac = Keys.for_home(Home.at(home)).mac
    t1, t2 = token_for(U1, mac), token_for(U2, mac)
    cur = dict(_q(home, "SELECT uid_token, village_std FROM std.uid_kyr"))
    assert cur == {t1: "Kurud"}  # U2 deactivated; U1 moved; the late old version lost
    hist = _q(home, "SELECT name_raw, village_std, valid_from, valid_to, is_current FROM "
                    "std.uid_kyr_history WHERE uid_token = ? ORDER BY valid_from", [t1])
    assert [h[0] for h in hist] == ["Laxmi Old", "Smt. Laxmi  Devi", "Laxmi Devi"]
    assert hist[1][1] == "Arang" and hist[1][3] is not None  # earlier address still queryable
    assert [h[4] for h in hist] == [False, False, True]
    assert _q(home, "SELECT action, active FROM std.uid_kyr_history WHERE uid_token = ? "
                    "AND is_current", [t2]) == [("D", False)]
    assert _q(home, "SELECT count(*) FROM raw.uid_kyr")[0][0] == 5


def test_headers_any_case_order_bom_and_missing_optional_columns(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "v.csv", LGD)
    cols = PDS_HEADER.split(",")
    order = list(reversed([c for c in cols if c not in ("aadhaar_no", "mobile_no")]))
    header = ",".join(f" {c.upper()} " if i % 2 else c.title() for i, c in enumerate(order))
    row = {"ration_card_no": "RC9", "card_type": "phh", "member_id": "Z1",
           "member_name": "Shyam  Verma", "relation_with_hof": "Self", "gender": "MALE",
           "age": "30", "district_name": "Raipur", "block_name": "Arang", "village_ward": "Arang"}
    body = ",".join(f'"{row[c]}"' for c in order)
    write(landing / "food_pds" / "2024-03-01" / "x.csv",
          "\ufeff" + header + "\r\n" + body + "\r\n")
    run = _run(landing, tmp_path / "home")
    b = {x.batch_id: x for x in run.batches}["food_pds/2024-03-01"]
    assert (b.status, b.rows_loaded, b.rows_quarantined) == ("loaded", 1, 0)
    assert _q(tmp_path / "home", "SELECT card_type, gender, relation_with_hof, uid_token, "
              "village_code FROM std.food_pds") == [("PHH", "M", "SELF", None, "1001")]
    assert "uid_kyr" in run.missing and "food_pds" not in run.missing


def test_a_corrected_file_in_the_same_delivery_supersedes_the_first(tmp_path):
    """A sender replaces a file of a delivery already loaded (same folder, same name,
    new content): the batch keeps both files in raw, and std holds each record once,
    from the file loaded last."""
    landing, home = tmp_path / "landing", tmp_path / "home"
    write(landing / "lgd_villages" / "2024-01-01" / "v.csv", LGD)
    row = "RC9,PHH,{mid},{name},SELF,Male,30,,,Raipur,Arang,Arang\n"
    folder = landing / "food_pds" / "2024-03-01"
    write(folder / "x.csv", PDS_HEADER + "\n" + row.format(mid="Z1", name="Shyam Verma"))
    _run(landing, home)
    write(folder / "x.csv", PDS_HEADER + "\n" + row.format(mid="Z1", name="Shyam Lal Verma")
          + row.format(mid="Z2", name="Ram Verma"))
    _run(landing, home)
    assert _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == 3
    assert sorted(_q(home, "SELECT source_record_id, name_std FROM std.food_pds")) == [
        ("Z1", "SHYAM LAL VERMA"), ("Z2", "RAM VERMA")]


def test_rebuild_std_restores_std_from_raw_without_new_batches(loaded):
    """`srdh ingest --rebuild-std` (after an upgrade): std is rebuilt from raw even though
    no batch is new."""
    home, landing = loaded["home"], loaded["landing"]
    before = sorted(_q(home, "SELECT source_record_id, name_std FROM std.food_pds"))
    con = duckdb.connect(str(Home.at(home).warehouse))
    con.execute("DELETE FROM std.food_pds")
    con.close()
    _run(landing, home)  # nothing new: std is left as it is
    assert _q(home, "SELECT count(*) FROM std.food_pds")[0][0] == 0
    run = _run(landing, home, feeds=["food_pds"], rebuild_std=True)
    assert all(b.status == "unchanged" for b in run.batches)
    assert run.std_rebuilt == ["food_pds"]
    assert sorted(_q(home, "SELECT source_record_id, name_std FROM std.food_pds")) == before


REFUSALS = {
    "unterminated_quote": (PDS_HEADER + '\nRC1,AAY,M1,"Ram,SELF,Male,4,,,Raipur,Arang,Arang\n'
                           "RC1,AAY,M2,Sita,WIFE,Female,40,,,Raipur,Arang,Arang\n", 2,
                           "never closed"),
    "last_line_cut": (PDS_HEADER + "\nRC1,AAY,M1,Ram,SELF,Male,4,,,Raipur,Arang,Arang\n"
                      "RC1,AAY,M2,Sita,WIFE,Fem", 3, "cut short"),
    "semicolon": (PDS_HEADER.replace(",", ";") + "\nRC1;AAY;M1;Ram;SELF;Male;4;;;Raipur;Arang;"
                  "Arang\n", 1, "wrong delimiter"),
    "tab": (PDS_HEADER.replace(",", "\t") + "\n", 1, "wrong delimiter"),
    "missing_required": (PDS_HEADER.replace(",card_type", "") + "\n", 1,
                         "missing required column(s): card_type"),
    "not_utf8": ((PDS_HEADER + "\nRC1,AAY,M1,Ram,SELF,Male,4,,,Raipur,Arang,Arang\n"
                  "RC1,AAY,M2,S\u00eeta,WIFE,Female,40,,,Raipur,Arang,Arang\n").encode("latin-1"),
                 3, "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unreadable_files_refuse_the_whole_batch_naming_file_and_line(tmp_path, case):
    text, line, words = REFUSALS[case]
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "v.csv", LGD)
    write(landing / "food_pds" / "2024-01-15" / "a_good.csv", pds())
    write(landing / "food_pds" / "2024-01-15" / "b_broken.csv", text)
    run = _run(landing, tmp_path / "home")
    by = {b.batch_id: b for b in run.batches}
    bad = by["food_pds/2024-01-15"]
    assert bad.status == "refused" and bad.rows_loaded == 0
    assert f"b_broken.csv, line {line}:" in bad.reason and words in bad.reason
    assert by["lgd_villages/2024-01-01"].status == "loaded"  # other feeds go on
    home = tmp_path / "home"
    assert _q(home, "SELECT count(*) FROM information_schema.tables WHERE table_schema='raw' "
                    "AND table_name='food_pds'")[0][0] == 0 or \
        _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == 0
    assert _q(home, "SELECT status, reason FROM meta.batches WHERE batch_id='food_pds/2024-01-15'"
              ) == [("refused", bad.reason)]
    # the sender fixes the file: the batch loads whole on the next run
    write(landing / "food_pds" / "2024-01-15" / "b_broken.csv", pds().replace("M", "N"))
    run2 = _run(landing, home)
    fixed = {b.batch_id: b for b in run2.batches}["food_pds/2024-01-15"]
    assert fixed.status == "loaded" and fixed.rows_read == 10


def test_new_department_is_onboarded_by_one_yaml_file(tmp_path, monkeypatch):
    sources = tmp_path / "sources"
    write(sources / "lab_bocw.yaml", """
feed: lab_bocw
title: Labour — BOCW construction workers
kind: person
department: LABOUR
record_id: reg_no
fields:
  reg_no: {header: ["Registration No."], required: true}
  worker: {header: ["Worker Name", "Name of Worker"], required: true}
  father: {header: "Father/Husband"}
  sex: {header: "Sex", required: true, type: code, allowed: [M, F, T],
        values: {Purush: M, Mahila: F, Male: M, Female: F}}
  birth: {header: "Date of Birth", type: date, formats: ["%d.%m.%Y"]}
  aadhar: {header: "Aadhar No", type: uid}
  cell: {header: "Mobile"}
  zila: {header: "Zila", required: true}
  janpad: {header: "Janpad"}
  gaon: {header: "Gram"}
  cess_amount: {header: "Monthly Benefit (Rs)", type: int, min: 0}
person: {name: worker, relative_name: father, gender: sex, dob: birth, uid: aadhar, mobile: cell}
places: {district: zila, block: janpad, village: gaon}
scheme: {fixed_code: BOCW, monthly_amount: {column: cess_amount}}
""")
    monkeypatch.setenv("SRDH_SOURCES", str(sources))
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "v.csv", LGD)
    write(landing / "lab_bocw" / "2024-04-01" / "bocw list.csv", "\n".join([
        "Registration No.,Name of Worker,Father/Husband,Sex,Date of Birth,Aadhar No,Mobile,"
        "Zila,Janpad,Gram,Monthly Benefit (Rs)",
        f"B-1,Shri Ramu Sahu,S/O Late Bhola,Purush,05.06.1985,{U1},+91-9876500001,Raipur,"
        "Arang,Arang,1500",
        "B-2,Smt. Phoolbai,W/O Ramu,Mahila,31.02.1990,,,Raipur,Arang,Arang,1500",
    ]) + "\n")
    home = tmp_path / "home"
    run = _run(landing, home)
    b = {x.batch_id: x for x in run.batches}["lab_bocw/2024-04-01"]
    assert (b.status, b.rows_loaded, b.rows_quarantined) == ("loaded", 1, 1)
    assert _q(home, "SELECT reason FROM quarantine.rows WHERE feed='lab_bocw'") == [
        ("row 2, column birth: '31.02.1990' is not a real date (expected DD.MM.YYYY)",)]
    row = _q(home, """SELECT name_std, honorific, relation_type, relative_name_std, gender,
        dob, district_std, village_code, mobile, uid_last4, uid_valid, scheme_code,
        monthly_amount_inr FROM std.lab_bocw""")[0]
    assert row[:5] == ("RAMU SAHU", "SHRI", "S/O", "BHOLA", "M")
    assert str(row[5]) == "1985-06-05"
    assert row[6:] == ("Raipur", "1001", "9876500001", U1[-4:], True, "BOCW", 1500)
    assert _q(home, "SELECT count(*) FROM raw.lab_bocw WHERE uid_token IS NOT NULL")[0][0] == 1


def test_a_crash_mid_batch_leaves_nothing_and_the_rerun_loads_the_batch_whole(tmp_path):
    landing = small_landing(tmp_path)
    home = tmp_path / "home"
    marker = tmp_path / "in_batch"
    env = paused_env(dict(os.environ), marker, 120, batch="food_pds/2024-01-15")
    code = ("import sys; from ingest.load import ingest; "
            "ingest(sys.argv[1], sys.argv[2], gx=False)")
    ensure_key(home)
    proc = subprocess.Popen([sys.executable, "-c", code, str(landing), str(home)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not marker.exists() and time.time() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the load never reached the food_pds batch"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # the killed batch left nothing; earlier batches were committed
    assert _q(home, "SELECT feed, count(*) FROM meta.files GROUP BY feed ORDER BY feed") == [
        ("lgd_villages", 1), ("uid_kyr", 1)]
    assert _q(home, "SELECT count(*) FROM quarantine.rows WHERE feed='food_pds'")[0][0] == 0
    run = _run(landing, home)
    b = {x.batch_id: x for x in run.batches}
    assert b["food_pds/2024-01-15"].status == "loaded"
    assert b["uid_kyr/2024-01-05"].status == "unchanged"
    assert _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == 3
    assert _q(home, "SELECT count(*) FROM quarantine.rows WHERE feed='food_pds'")[0][0] == 2


def test_unknown_feed_folder_is_reported_and_missing_feeds_listed(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "mystery_feed" / "2024-01-01" / "x.csv", "a,b\n1,2\n")
    write(landing / "lgd_villages" / "2024-01-01" / "v.csv", LGD)
    lines: list[str] = []
    run = ingest(landing, Home.at(ensure_key(tmp_path / "home")), gx=False, echo=lines.append)
    assert run.unknown == ["mystery_feed"]
    assert "uid_kyr" in run.missing and "lgd_villages" not in run.missing
    assert any(line.strip().startswith("MISSING") and "food_pds" in line for line in lines)


def test_scan_finds_a_planted_uid_outside_the_vault(loaded):
    home = Home.at(loaded["home"])
    write(home.logs / "oops.log", f"debug: resident {U2[:4]} {U2[4:8]} {U2[8:]} failed\n")
    found = scan_for_uids(home)
    assert len(found) == 1 and found[0].in_vault and found[0].masked.endswith(U2[-4:])
    assert U2 not in str(found[0])
    Path(home.logs / "oops.log").unlink()


def test_scan_is_precise_department_ids_are_not_uids_but_real_uids_are_caught(loaded):
    from ingest_helpers import uid

    home = Home.at(loaded["home"])
    unknown = uid("78901234567")  # passes Verhoeff, not a UID SRDH knows (like a ration card)
    path = write(home.deliveries / "extract.csv",
                 "ration_card_no,notes,member_id,household_ref_l,household_ref_r\n"
                 f"{unknown},ok,M1,,\n"            # an id column: a department id, not reported
                 f"{U1},ok,M2,,\n"                  # a real UID, even in an id column: caught
                 f"RC9,call {unknown} back,M3,,\n"  # a free-text column: reported
                 # an id column as one side of a review pair (srdh review export): the same
                 f"RC8,ok,M4,{unknown},{U1}\n")
    try:
        found = scan_for_uids(home)
        got = sorted((f.column, f.masked[-4:], f.in_vault) for f in found)
        assert got == sorted([("ration_card_no", U1[-4:], True),
                              ("notes", unknown[-4:], False),
                              ("household_ref_r", U1[-4:], True)]), [str(f) for f in found]
    finally:
        path.unlink()
    assert scan_for_uids(home) == []


def test_uuid_groups_are_not_uids():
    # GX and Airflow write UUIDs; their middle groups can form a Verhoeff-valid number
    from core.uid import is_valid_uid
    from ingest.uid_scan import scan_text

    assert is_valid_uid("608242619932")
    assert scan_text('"id": "3b3c36c8-6082-4261-9932-18458fd3622c"') == []
    assert scan_text("aadhaar 6082-4261-9932 on the form") == ["608242619932"]
