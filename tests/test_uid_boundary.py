"""UIDs typed into the wrong place never get past the door (issue 19, items 1 and 7).

A small hand-made landing plants Verhoeff-valid UIDs in a name, a mobile, ``fps_code``, a
care-of, an e-mail, a Jan Samvad grievance text (with spaces, hyphens, dots, none), a
file name, a header, and a KYR file without its header. After ingest (with Great
Expectations), a dbt build of the models that carry those columns and a publish (which
runs the gate), the scan finds nothing, every row of the well-formed files loaded, and
``meta.dq_notes`` names each column.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from ingest_helpers import KYR_HEADER, LGD, U1, U2, uid, write

from core.paths import Home
from ingest.load import ingest
from ingest.uid_scan import UidLeak, scan_for_uids, uid_gate

N1, N2, N3, N4, N5, N6, N7 = (uid(p) for p in ("28765432109", "39876543210", "41234567890",
                                                "52345678901", "63456789012", "74567890123",
                                                "85678901234"))
RATION = uid("22051234567")  # a ration card that happens to pass the Verhoeff check
SPACED, HYPHEN, DOTTED = (f"{N2[:4]}{s}{N2[4:8]}{s}{N2[8:]}" for s in (" ", "-", "."))
PLANTED = {N1, N2, N3, N4, N5, N6, N7}

PDS_HEADER = ("ration_card_no,card_type,member_id,member_name,relation_with_hof,gender,age,"
              "aadhaar_no,mobile_no,district_name,block_name,village_ward,fps_code")
JS_HEADER = ("call_id,call_date,source,source_record_id,household_id,scheme_code,district_name,"
             "block_name,outcome,benefit_received,satisfaction,grievance_category,"
             "grievance_text,do_not_call,agent_id")


def _landing(root):
    landing = root / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    kyr = [KYR_HEADER + ",email",
           f"{U1},Laxmi Devi,F,12-03-1980,W/O {SPACED},Arang,Arang,Raipur,Chhattisgarh,"
           f"+91 98765 43210,,2024-01-01T10:00:00,A,{DOTTED}@mail.example",
           f"{U2},Ramesh {N3},M,1975,S/O Suresh,Kurud,Kurud,Dhamtari,Chhattisgarh,"
           f"{N4},,2024-01-01T10:00:00,A,"]
    write(landing / "uid_kyr" / "2024-01-05" / "kyr.csv", "\n".join(kyr) + "\n")
    # a KYR delta without its header: refused, and the refusal echoes none of its values
    write(landing / "uid_kyr" / "2024-01-06" / "kyr_delta.csv",
          f"{N5},Sita Bai,F,1990,,Kurud,Kurud,Dhamtari,Chhattisgarh,,,2024-01-06T10:00:00,A\n")
    pds = [PDS_HEADER + f",{N6}",
           f"{RATION},AAY,M1,Lakshmi {HYPHEN},SELF,Female,44,,{N7},Raipur,Arang,Arang,FPS1,x",
           f"RC2,PHH,M2,Gita Bai,WIFE,Female,40,,+91 98765 43210,Durg,Dondi,Dondi,{N1},y",
           # a UID typed into the village: kept as place_text (issue 17) only masked
           f"RC2,PHH,M3,Sita,DAUGHTER,Female,12,,0 98765 43211,Durg,Dondi,Dondi {N3},FPS2,z"]
    write(landing / "food_pds" / "2024-01-15" / f"correction_{N3}.csv", "\n".join(pds) + "\n")
    js = [JS_HEADER,
          f"C1,2024-02-01,food_pds,M1,,PDS,Raipur,Arang,CONNECTED,N,2,NOT_RECEIVED,"
          f"my aadhaar {N5[:4]} {N5[4:8]} {N5[8:]} is not linked,N,A1",
          "C2,2024-02-01,food_pds,M2,,PDS,Durg,Dondi,CONNECTED,Y,5,NONE,,N,A1"]
    write(landing / "jansamvad_calls" / "2024-02-02" / "calls.csv", "\n".join(js) + "\n")
    # a field check (the feed added in issue 18): a UID as the inspector's id and in remarks
    fv = ["verification_id,flag_id,evidence_hash,outcome,verified_by,verified_at,remarks",
          f"V1,food_pds:M1:ghost,0123456789abcdef,not_confirmed,{N2},2024-02-03,"
          f"she showed aadhaar {N4}"]
    write(landing / "field_verification" / "2024-02-03" / "checks.csv", "\n".join(fv) + "\n")
    return landing


@pytest.fixture(scope="module")
def boundary(tmp_path_factory):
    from warehouse.dbt import build
    from warehouse.publish import publish_serving_copy

    root = tmp_path_factory.mktemp("uid_boundary")
    from home_helpers import ensure_key

    home = Home.at(ensure_key(root / "home"))
    lines: list[str] = []
    run = ingest(_landing(root), home, echo=lines.append)
    build(home, select=["stg_std__uid_kyr", "stg_std__food_pds", "stg_raw__jansamvad_calls", "stg_std__field_verification",
                        "mart_open_grievances", "mart_followup_due", "stg_meta__batches", "stg_quarantine__rows"])
    publish_serving_copy(home)  # runs the gate: raises UidLeak on a finding
    return {"home": home, "run": run, "log": "\n".join(lines)}


def _q(home: Home, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_the_gate_scan_finds_no_uid_anywhere(boundary):
    home = boundary["home"]
    assert home.serving.exists()
    assert scan_for_uids(home) == []
    # and nothing the scan could miss: no planted digits in any file of the home but the vault
    for path in home.root.rglob("*"):
        if path.is_file() and home.vault_dir not in path.parents and path.suffix != ".key":
            data = path.read_bytes()
            assert not any(n.encode() in data for n in PLANTED), path
    assert not any(n in boundary["log"] for n in PLANTED | {SPACED, HYPHEN, DOTTED})


def test_every_row_of_a_well_formed_file_loads(boundary):
    by_batch = {b.batch_id: b for b in boundary["run"].batches}
    assert by_batch["uid_kyr/2024-01-05"].rows_loaded == 2
    assert by_batch["food_pds/2024-01-15"].rows_loaded == 3
    assert by_batch["jansamvad_calls/2024-02-02"].rows_loaded == 2
    assert by_batch["field_verification/2024-02-03"].rows_loaded == 1
    assert sum(b.rows_quarantined for b in boundary["run"].batches) == 0
    home = boundary["home"]
    # the ration card (declared `identifier: true`) and the mobiles are left as sent
    assert _q(home, "SELECT ration_card_no FROM raw.food_pds WHERE member_id = 'M1'") == [
        (RATION,)]
    assert _q(home, "SELECT mobile FROM std.food_pds ORDER BY source_row")[1:] == [
        ("9876543210",), ("9876543211",)]
    assert _q(home, "SELECT grievance_text FROM marts.mart_open_grievances") == [
        (f"my aadhaar XXXX-XXXX-{N5[-4:]} is not linked",)]


def test_the_data_quality_notes_name_each_column(boundary):
    notes = _q(boundary["home"], "SELECT feed, column_name, source_row, file_name, note, "
                                 "uid_token FROM meta.dq_notes")
    got = {(f, c) for f, c, *_ in notes}
    assert got == {("uid_kyr", "co"), ("uid_kyr", "email"), ("uid_kyr", "name"),
                   ("uid_kyr", "phone"), ("food_pds", "member_name"),
                   ("food_pds", "mobile_no"), ("food_pds", "fps_code"), ("food_pds", "village_ward"),
                   ("food_pds", "(file name)"), ("food_pds", "(header)"),
                   ("jansamvad_calls", "grievance_text"),
                   ("field_verification", "verified_by"), ("field_verification", "remarks")}
    assert all(t for *_, t in notes)  # each number is tokenised (and held in the vault)
    assert {n[3] for n in notes if n[0] == "food_pds"} == {f"correction_XXXX-XXXX-{N3[-4:]}.csv"}
    home = boundary["home"]
    assert _q(home, "SELECT DISTINCT _file_name FROM raw.food_pds") == [
        (f"correction_XXXX-XXXX-{N3[-4:]}.csv",)]
    assert _q(home, "SELECT ignored_columns FROM meta.files WHERE feed = 'food_pds'") == [
        (f"XXXX-XXXX-{N6[-4:]}",)]


def test_the_clerk_sees_the_masked_columns(boundary):
    from typer.testing import CliRunner

    from srdh.cli import app

    assert "13 value(s) held an Aadhaar number outside the UID column" in boundary["log"]
    out = CliRunner().invoke(app, ["quarantine", "--home", str(boundary["home"].root)]).output
    assert f"food_pds/2024-01-15: correction_XXXX-XXXX-{N3[-4:]}.csv, column fps_code: 1 row" \
        in out
    assert "uid_kyr/2024-01-05: kyr.csv, column co: 1 row" in out
    assert not any(n in out for n in PLANTED)


def test_a_headerless_file_is_refused_without_echoing_its_data(boundary):
    refused = [b for b in boundary["run"].batches if b.status == "refused"]
    assert [b.batch_id for b in refused] == ["uid_kyr/2024-01-06"]
    reason = refused[0].reason
    assert "kyr_delta.csv" in reason and "header row missing" in reason
    assert "Sita" not in reason and N5[-4:] not in reason
    home = boundary["home"]
    stored = _q(home, "SELECT reason FROM meta.batches WHERE status = 'refused'")[0][0]
    summary = _q(home, "SELECT CAST(summary AS VARCHAR) FROM meta.runs")[0][0]
    assert stored == reason and "Sita" not in summary


def test_great_expectations_stores_no_sample_values(boundary):
    results = list((boundary["home"].root / "gx").rglob("*.json"))
    found = [r.get("result", {}) for p in results if "validations" in str(p)
             for r in json.loads(p.read_text()).get("results", [])]
    # the PDS mobile regex failed on one row (its mobile was a UID): counted, no sample kept
    assert any(r.get("unexpected_count") for r in found)
    assert all(not r.get("partial_unexpected_list") for r in found)
    html = "".join(p.read_text() for p in boundary["home"].gx_docs.rglob("*.html"))
    assert "XXXX-XXXX" not in html and not any(n in html for n in PLANTED)


def test_the_gate_stops_a_step_when_a_uid_leaks(boundary):
    home = boundary["home"]
    leak = write(home.logs / "debug.log", f"resident {N7[:4]}.{N7[4:8]}.{N7[8:]} failed\n")
    try:
        with pytest.raises(UidLeak) as err:
            uid_gate(home, "publish")
        message = str(err.value)
        assert message.startswith("publish stopped: 1 raw UID(s) outside the vault, e.g. ")
        assert f"debug.log [line 1]: XXXX-XXXX-{N7[-4:]}" in message and "\n" not in message
        assert N7 not in message and err.value.code == 2
        from typer.testing import CliRunner

        from srdh.cli import app

        res = CliRunner().invoke(app, ["scan", "--home", str(home.root)])
        assert res.exit_code == 3 and f"debug.log [line 1]: XXXX-XXXX-{N7[-4:]}" in res.output
    finally:
        leak.unlink()
    uid_gate(home, "deliver")  # clean again


def test_a_household_card_in_the_home_shows_its_ration_card_but_no_uid(boundary):
    """A ration card number that passes the Verhoeff check is the card's own id, marked as
    such in the HTML, so the gate lets it through; a UID typed into a member's name is not."""
    from warehouse.card import write_html

    home = boundary["home"]
    card = {"household_id": "HH-1", "household_source": "ration_card", "ration_card_no": RATION,
            "card_type": "AAY", "head_name": "Lakshmi", "village": "Arang", "members": [
                {"name": "Lakshmi", "relation_to_head": "SELF", "gender": "F", "age_years": 44,
                 "uid_masked": "XXXX-XXXX-1234"}], "nearest_facilities": []}
    out = write_html(card, home.root / "cards" / "HH-1.html")
    try:
        assert RATION in out.read_text()
        assert scan_for_uids(home) == []
        card["members"][0]["name"] = f"Lakshmi {N6}"
        write_html(card, out)
        (found,) = scan_for_uids(home)
        assert found.column.startswith("line ") and "HH-1.html" in found.where
        assert found.masked.endswith(N6[-4:]) and RATION[-4:] not in found.masked
    finally:
        out.unlink()


def test_seconds_written_as_text_never_read_as_a_uid():
    """A float written with exactly 12 digits reads as a UID one time in ten: a 3M run's
    ``matching.runs`` summary held such a step time, and the gate stopped publish (session
    21). What SRDH writes as text rounds its floats (``core.uid.round_floats``)."""
    from core.uid import find_uids, round_floats

    summary = {"timings": {"total": 2242.00000001, "parts": [366.123456789]},
               "dedupe_prior": {"prior": -23.4567890123}, "counts": {"x": 12}}
    assert find_uids(json.dumps(summary))                 # each of these reads as a UID
    assert not find_uids(json.dumps(round_floats(summary)))
    assert round_floats(summary)["counts"] == {"x": 12}  # whole numbers left as they are
