"""Bad input handled the way an operator expects (issue 21): the landing check, exit codes a
script can trust, row faults that stay row faults, control files, header-only files,
control characters and one-line errors. Every case asserts the message, the exit code and
that nothing valid was lost."""

from __future__ import annotations

import duckdb
import pytest
from home_helpers import ensure_key
from ingest_helpers import LGD, PDS_HEADER, pds, write
from typer.testing import CliRunner

from core.paths import Home
from srdh.cli import app


def _cli(*args: str):
    res = CliRunner().invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def _q(home, sql):
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _good_landing(root):
    landing = root / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "villages.csv", LGD)
    write(landing / "food_pds" / "2024-01-15" / "pds.csv", pds())
    return landing


def _ingest(landing, home, *more, key: bool = True):
    if key:  # a new home's key is made on purpose (`srdh vault init-key`), never by ingest
        ensure_key(home)
    return _cli("ingest", "--landing", str(landing), "--home", str(home), "--no-gx", *more)


def test_clean_landing_exits_0_with_quarantined_rows_reported(tmp_path):
    code, out, err = _ingest(_good_landing(tmp_path), tmp_path / "home")
    assert code == 0, err
    assert "food_pds/2024-01-15" in out and "2 quarantined" in out
    assert "NOT IN LAYOUT" not in out


def test_everything_outside_the_layout_is_named_and_the_rest_loads(tmp_path):
    landing = _good_landing(tmp_path)
    write(landing / "food_pds" / "loose.csv", pds())
    write(landing / "food_pds" / "2025-3-1" / "pds.csv", pds())
    write(landing / "stray.csv", pds())
    batch = landing / "food_pds" / "2024-01-15"
    write(batch / "members.xlsx", b"PK\x03\x04not really a spreadsheet")
    write(batch / "members.CSV.gz", b"\x1f\x8b\x08gzip")
    write(batch / "readme.txt", "notes")
    write(batch / "upper.CSV", pds().replace("M", "U"))  # a .CSV in capitals is a CSV
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 3
    lines = [x.strip() for x in out.splitlines() if "NOT IN LAYOUT" in x]
    assert any("food_pds/loose.csv: a file directly in the feed folder" in x
               and "food_pds/<YYYY-MM-DD>/" in x for x in lines), lines
    assert any("food_pds/2025-3-1/: not a delivery-date folder" in x
               and "rename it 2025-03-01" in x for x in lines), lines
    assert any("stray.csv: a file at the landing root" in x
               and "<landing>/<feed>/<YYYY-MM-DD>/<name>.csv" in x for x in lines), lines
    for name, why in (("members.xlsx", "export it as CSV"), ("members.CSV.gz", "compressed"),
                      ("readme.txt", "only .csv")):
        assert any(f"food_pds/2024-01-15/{name}: unsupported file" in x and why in x
                   for x in lines), (name, lines)
    assert len(lines) == 6
    assert "outside the landing layout were not loaded" in err
    # nothing valid lost: both CSVs of the delivery and the village master loaded
    assert _q(home, "SELECT _file_name, count(*) FROM raw.food_pds GROUP BY 1 ORDER BY 1") == [
        ("pds.csv", 3), ("upper.CSV", 3)]
    assert _q(home, "SELECT count(*) FROM raw.lgd_villages")[0][0] == 5


def test_a_missing_landing_is_an_error_and_creates_nothing(tmp_path):
    home = tmp_path / "home"
    code, out, err = _ingest(tmp_path / "lnading", home, key=False)
    assert code == 2
    assert err.strip() == (f"error: landing folder {tmp_path / 'lnading'} does not exist; pass "
                           "--landing DIR laid out as <landing>/<feed>/<YYYY-MM-DD>/<name>.csv")
    assert not home.exists()  # no home, no vault key


def test_an_unknown_feed_suggests_the_closest_and_creates_nothing(tmp_path):
    home = tmp_path / "home"
    code, out, err = _ingest(_good_landing(tmp_path), home, "--feed", "food_pd", key=False)
    assert code == 2
    assert err.startswith("error: unknown feed 'food_pd' (did you mean food_pds?); known feeds:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not home.exists()


def test_short_and_long_rows_are_quarantined_and_the_rest_of_the_batch_loads(tmp_path):
    landing = _good_landing(tmp_path)
    write(landing / "food_pds" / "2024-01-15" / "more.csv", "\n".join([
        PDS_HEADER,
        'RC7,PHH,M71,"Ram\nKumar",SELF,Male,40,,,Raipur,Arang,Arang',  # a quoted line break
        "RC7,PHH,M72,Sita,WIFE,Female,38,,,Raipur,Arang",  # short: 11 of 12
        "RC7,PHH,M73,Gita, Bai,DAUGHTER,Female,12,,,Raipur,Arang,Arang",  # long: 13
        "RC7,PHH,M74,Mohan,SON,Male,10,,,Raipur,Arang,Arang",
    ]) + "\n")
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 0, out + err
    assert _q(home, "SELECT file_name, source_row, column_name, reason FROM quarantine.rows "
                    "WHERE file_name='more.csv' ORDER BY source_row") == [
        ("more.csv", 2, None, "row 2: expected 12 fields, found 11 (fields are missing, or the "
                              "line was cut); fix the row and resend the file"),
        ("more.csv", 3, None, "row 3: expected 12 fields, found 13 (a value holds an unquoted "
                              "comma, or a field too many); fix the row and resend the file")]
    # the rest of that file and the other file of the batch loaded, with their row numbers
    assert _q(home, "SELECT _file_name, _source_row, member_id FROM raw.food_pds "
                    "ORDER BY 1, 2") == [
        ("more.csv", 1, "M71"), ("more.csv", 4, "M74"),
        ("pds.csv", 1, "M1"), ("pds.csv", 3, "M3"), ("pds.csv", 4, "M4")]
    assert _q(home, "SELECT status, rows_read, rows_loaded, rows_quarantined FROM meta.batches "
                    "WHERE batch_id='food_pds/2024-01-15'") == [("loaded", 9, 5, 4)]
    assert _q(home, "SELECT rows FROM meta.files WHERE file_name='more.csv'") == [(4,)]


def _control(folder, files: dict[str, str], rows: dict[str, int] | None = None):
    import hashlib

    lines = ["file_name,row_count,sha256"]
    for name, text in files.items():
        n = (rows or {}).get(name, len(text.strip().splitlines()) - 1)
        lines.append(f"{name},{n},{hashlib.sha256(text.encode()).hexdigest()}")
    write(folder / "_control.csv", "\n".join(lines) + "\n")


def test_a_control_file_that_matches_loads_the_batch(tmp_path):
    landing = _good_landing(tmp_path)
    batch = landing / "food_pds" / "2024-01-15"
    _control(batch, {"pds.csv": pds()})
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 0, out + err
    assert _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == 3
    assert _q(home, "SELECT file_name FROM meta.files WHERE feed='food_pds'") == [("pds.csv",)]


@pytest.mark.parametrize("case", ["cut_at_line", "row_count", "unlisted", "not_arrived"])
def test_a_control_file_mismatch_refuses_the_batch_naming_the_file(tmp_path, case):
    landing = _good_landing(tmp_path)
    batch = landing / "food_pds" / "2024-01-15"
    full = pds()
    if case == "cut_at_line":  # still being copied: the first three lines only
        _control(batch, {"pds.csv": full})
        write(batch / "pds.csv", "".join(full.splitlines(keepends=True)[:3]))
        words = "pds.csv: its sha256 differs from _control.csv (the file is incomplete"
    elif case == "row_count":
        _control(batch, {"pds.csv": full}, rows={"pds.csv": 6})
        words = "pds.csv: 5 data rows, but _control.csv says 6"
    elif case == "unlisted":
        _control(batch, {"pds.csv": full})
        write(batch / "extra.csv", full.replace("M", "E"))
        words = "extra.csv: not listed in _control.csv"
    else:
        _control(batch, {"pds.csv": full, "part2.csv": full.replace("M", "P")})
        words = "part2.csv: listed in _control.csv but not in the delivery folder"
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 3
    assert f"REFUSED food_pds/2024-01-15: {words}" in out, out
    assert _q(home, "SELECT count(*) FROM meta.files WHERE feed='food_pds'")[0][0] == 0
    assert _q(home, "SELECT count(*) FROM raw.lgd_villages")[0][0] == 5  # other feeds load
    # the sender completes the delivery: the next run loads the whole batch
    write(batch / "pds.csv", full)
    (batch / "extra.csv").unlink(missing_ok=True)
    _control(batch, {"pds.csv": full})
    code, out, err = _ingest(landing, home)
    assert code == 0, out + err
    assert _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == 3


def test_a_header_only_file_is_checked_and_reported(tmp_path):
    landing = _good_landing(tmp_path)
    write(landing / "food_pds" / "2024-01-15" / "empty.csv", PDS_HEADER + "\n")
    write(landing / "food_pds" / "2024-02-01" / "bad_header.csv", "ration_card_no,foo\n")
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 3  # the second header lacks required columns: refused
    assert ("NOTE food_pds/2024-01-15: empty.csv: header only, no data rows (header checked: "
            "every required column present)") in out
    assert "REFUSED food_pds/2024-02-01: bad_header.csv, line 1: missing required column(s)" \
        in out
    assert _q(home, "SELECT count(*) FROM raw.food_pds")[0][0] == 3  # pds.csv beside it


def test_a_control_character_is_quarantined_with_its_column(tmp_path):
    landing = _good_landing(tmp_path)
    write(landing / "food_pds" / "2024-01-15" / "nul.csv", (
        PDS_HEADER + "\nRC9,PHH,M91,Ra\x00m,SELF,Male,40,,,Raipur,Arang,Arang\n"
        "RC9,PHH,M92,Sita,WIFE,Female,38,,,Raipur,Arang,Ara\x1bng\n"
        "RC9,PHH,M93,Mohan,SON,Male,10,,,Raipur,Arang,Arang\n").encode())
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 0, out + err
    assert _q(home, "SELECT source_row, column_name, reason FROM quarantine.rows WHERE "
                    "file_name='nul.csv' ORDER BY 1") == [
        (1, "member_name", "row 1, column member_name: holds a control character (byte 0x00, "
                           "NUL); ask the sender to remove it and resend the file"),
        (2, "village_ward", "row 2, column village_ward: holds a control character (byte 0x1B);"
                            " ask the sender to remove it and resend the file")]
    assert _q(home, "SELECT member_id FROM raw.food_pds WHERE _file_name='nul.csv'") == [("M93",)]
    assert _q(home, "SELECT count(*) FROM raw.food_pds WHERE contains(member_name, chr(0))"
              )[0][0] == 0


def test_mixed_crlf_and_lf_rows_load_whole(tmp_path):
    landing = _good_landing(tmp_path)
    lines = pds().splitlines()
    mixed = "\r\n".join(lines[:3]) + "\r\n" + "\n".join(lines[3:]) + "\n"
    write(landing / "food_pds" / "2024-01-15" / "mixed.csv", mixed.replace("M", "X"))
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 0, out + err
    assert _q(home, "SELECT count(*), count(*) FILTER (WHERE contains(village_ward, chr(13))) "
                    "FROM raw.food_pds WHERE _file_name='mixed.csv'") == [(3, 0)]
    assert _q(home, "SELECT rows FROM meta.files WHERE file_name='mixed.csv'") == [(5,)]


def _one_line_error(code, err, expected_code=2):
    assert code == expected_code, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    return err.strip()


def test_a_source_yaml_with_an_unknown_key_is_one_line_naming_file_and_key(tmp_path):
    sources = tmp_path / "sources"
    write(sources / "lab_x.yaml", "feed: lab_x\nkind: person\nrecord_id: a\nfileds: {}\n")
    code, out, err = _cli("ingest", "--landing", str(_good_landing(tmp_path)), "--home",
                          str(tmp_path / "home"), "--sources", str(sources), "--no-gx")
    line = _one_line_error(code, err)
    assert f"{sources / 'lab_x.yaml'}: unknown key 'fileds'" in line and "fix the file" in line
    assert not (tmp_path / "home").exists()


def test_a_missing_or_wrong_matching_config_is_one_line(tmp_path):
    code, _, err = _cli("match", "--home", str(tmp_path / "home"), "--config",
                        str(tmp_path / "nope.yaml"))
    assert "matching config" in _one_line_error(code, err) and "does not exist" in err
    write(tmp_path / "m.yaml", "backend: duckdb\nthreshold: 3\n")
    code, _, err = _cli("match", "--home", str(tmp_path / "home"), "--config",
                        str(tmp_path / "m.yaml"))
    assert "unknown key(s) threshold" in _one_line_error(code, err)


@pytest.mark.parametrize("args", [["match"], ["build"], ["deliver"], ["card", "HH-1"],
                                  ["quarantine"], ["resident", "R1"], ["review", "export"],
                                  ["calllist", "--date", "2025-03-01", "--size", "5"],
                                  ["vault", "reveal", "abc", "--purpose", "x", "--by", "y"],
                                  ["scan"]])
def test_any_command_on_a_missing_home_is_one_line_and_creates_nothing(tmp_path, args):
    home = tmp_path / "no-such-home"
    code, _, err = _cli(*args, "--home", str(home))
    line = _one_line_error(code, err)
    assert line.startswith(f"error: the SRDH home {home} does not exist; pass --home")
    assert not home.exists()


def test_steps_out_of_order_say_which_command_to_run(tmp_path):
    landing = tmp_path / "landing"
    write(landing / "lgd_villages" / "2024-01-01" / "v.csv", LGD)  # no list of people yet
    home = tmp_path / "home"
    assert _ingest(landing, home)[0] == 0
    for args, needs, run in (
            (["match"], "std.<a person feed>",
             "srdh ingest --landing DIR (KYR or a department's list)"),
            (["build"], "matching.seeding, matching.residents", "srdh match"),
            (["deliver"], "marts.fct_scheme_enrolment, marts.mart_inclusion_gaps",
             "srdh build"),
            (["card", "HH-1"], "marts.mart_household_card", "srdh build"),
            (["publish"], "marts.dim_resident", "srdh build")):
        code, _, err = _cli(*args, "--home", str(home))
        assert _one_line_error(code, err) == (
            f"error: `srdh {args[0]}` needs {needs}, which {home} does not have yet; "
            f"run `{run}` first")
    assert _q(home, "SELECT count(*) FROM raw.lgd_villages")[0][0] == 5  # nothing touched
    # --debug shows the real exception (the CLI runner keeps it)
    res = CliRunner().invoke(app, ["--debug", "match", "--home", str(home)])
    assert type(res.exception).__name__ == "StepOutOfOrder"


def test_a_date_in_the_wrong_format_says_the_expected_one(tmp_path):
    code, _, err = _cli("calllist", "--date", "2025-3-1", "--size", "5", "--home",
                        str(tmp_path / "home"))
    assert _one_line_error(code, err) == (
        "error: --date '2025-3-1' is not a date; write it as YYYY-MM-DD with two-digit month "
        "and day, e.g. 2025-03-01")
    code, _, err = _cli("deliver", "--run-date", "1/3/2025", "--home", str(tmp_path / "home"))
    assert "--run-date '1/3/2025' is not a date" in _one_line_error(code, err)


@pytest.mark.slow
def test_srdh_run_with_a_refused_batch_delivers_everything_else_then_exits_3(tmp_path):
    """A whole `srdh run` (300 generated residents, ~2 min) where one food_pds file is
    refused: every other feed is matched, built and delivered; the exit code is 3."""
    import json
    import subprocess
    import sys

    landing = tmp_path / "landing"
    gen = subprocess.run([sys.executable, "-m", "srdh.cli", "generate", "-n", "300", "--seed",
                          "3", "--out", str(landing), "-q"], capture_output=True, text=True,
                         timeout=600)
    assert gen.returncode == 0, gen.stderr[-1000:]
    (pds_batch,) = (landing / "food_pds").iterdir()
    write(pds_batch / "zz_broken.csv", "ration_card_no;card_type\n")
    home = ensure_key(tmp_path / "home")
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "run", "--landing", str(landing),
                           "--home", str(home), "--run-date", "2025-03-01", "--calls", "20"],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert (f"REFUSED food_pds/{pds_batch.name}: zz_broken.csv, line 1: wrong delimiter"
            in proc.stdout)
    assert "not everything that arrived was loaded" in proc.stderr
    for step in ("match", "build", "calllist", "publish", "deliver"):
        assert f"   {step} done in" in proc.stderr, step
    # nothing valid lost: every other feed loaded, matched and delivered
    assert _q(home, "SELECT count(*) FROM meta.batches WHERE status <> 'loaded'") == [(1,)]
    assert _q(home, "SELECT count(*) FROM raw.sw_pension")[0][0] > 0
    assert _q(home, "SELECT count(DISTINCT source) FROM matching.seeding")[0][0] >= 3
    for dept in ("sw_pension", "rd_mgnrega", "edu_scholarship"):
        manifest = home / "deliveries" / dept / "2025-03-01" / "manifest.json"
        assert json.loads(manifest.read_text()), dept


def test_deliver_and_card_refuse_marts_older_than_the_last_match(tmp_path):
    from core.stamps import stamp
    from srdh.preflight import require

    home = Home.at(tmp_path / "home").ensure()
    con = duckdb.connect(str(home.warehouse))
    con.execute("CREATE SCHEMA marts")
    for t in ("fct_scheme_enrolment", "mart_inclusion_gaps", "mart_household_card"):
        con.execute(f"CREATE TABLE marts.{t} (x INT)")
    con.close()
    stamp(home, "build")
    stamp(home, "match")  # a new match after the build: the marts are stale
    for args in (["deliver"], ["card", "HH-1"]):
        code, _, err = _cli(*args, "--home", str(home.root))
        line = _one_line_error(code, err)
        assert f"`srdh {args[0]}` would read stale tables: the last `srdh build` (" in line
        assert line.endswith("; run `srdh build` first")
    stamp(home, "build")
    assert require(home, "deliver") == home and require(home, "card") == home


def test_a_misplaced_file_named_after_a_uid_is_reported_masked(tmp_path):
    from ingest_helpers import U1

    landing = _good_landing(tmp_path)
    write(landing / "food_pds" / f"{U1}.csv", pds())
    code, out, err = _ingest(landing, tmp_path / "home")
    assert code == 3
    assert f"food_pds/XXXX-XXXX-{U1[-4:]}.csv: a file directly in the feed folder" in out
    assert U1 not in out + err


def test_a_10_mb_value_quarantines_its_row_naming_the_column(tmp_path):
    landing = _good_landing(tmp_path)
    runaway = "x" * (10 << 20)
    write(landing / "food_pds" / "2024-01-15" / "huge.csv", "\n".join([
        PDS_HEADER,
        "RC8,PHH,M81,Ram,SELF,Male,40,,,Raipur,Arang,Arang",
        f'RC8,PHH,M82,"{runaway}",WIFE,Female,38,,,Raipur,Arang,Arang',
        "RC8,PHH,M83,Mohan,SON,Male,10,,,Raipur,Arang,Arang"]) + "\n")
    home = tmp_path / "home"
    code, out, err = _ingest(landing, home)
    assert code == 0, out + err
    assert "CSV Error" not in out + err
    rows = _q(home, "SELECT source_row, column_name, reason, length(raw_json) FROM "
                    "quarantine.rows WHERE file_name='huge.csv'")
    assert [r[:3] for r in rows] == [(2, "member_name", (
        "row 2, column member_name: a value of 10,485,760 bytes (a line may hold at most "
        "2,000,000); ask the sender to check that value (a broken export?) and resend the "
        "file"))]
    assert rows[0][3] < 2000  # the runaway value is not copied into the quarantine
    # nothing valid lost: the rows around it and the other file of the batch loaded
    assert _q(home, "SELECT _file_name, _source_row, member_id FROM raw.food_pds "
                    "WHERE _file_name='huge.csv' ORDER BY 2") == [
        ("huge.csv", 1, "M81"), ("huge.csv", 3, "M83")]
    assert _q(home, "SELECT count(*) FROM raw.food_pds WHERE _file_name='pds.csv'")[0][0] == 3
    code, out, err = _cli("quarantine", "--feed", "food_pds", "--home", str(home))
    assert code == 0 and "member_name" in out and "10,485,760 bytes" in out


def test_quarantine_of_an_unknown_feed_is_one_line_with_a_suggestion(tmp_path):
    home = tmp_path / "home"
    assert _ingest(_good_landing(tmp_path), home)[0] == 0
    code, out, err = _cli("quarantine", "--feed", "food_pd", "--home", str(home))
    assert _one_line_error(code, err).startswith(
        "error: unknown feed 'food_pd' (did you mean food_pds?); known feeds:")
    assert out == ""  # no empty table headers
    code, out, err = _cli("quarantine", "--feed", "sw_pension", "--home", str(home))
    assert code == 0 and out.splitlines()[0] == "no quarantined rows for feed sw_pension"
