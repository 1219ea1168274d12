"""End to end on a generated state: every feed loads, counts match the files, the rerun
changes nothing, the KYR delta is applied, Great Expectations runs, no UID leaks."""

from __future__ import annotations

import csv
import os
import shutil

import duckdb
import pytest
from home_helpers import ensure_key

from core.paths import Home
from ingest.load import ingest
from ingest.uid_scan import scan_for_uids


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    gen = pytest.importorskip("generator")
    root = tmp_path_factory.mktemp("ingest_gen")
    landing = root / "landing"
    try:
        gen.generate(2000, 5, landing, truth=root / "truth")
    except TypeError:
        gen.generate(2000, 5, landing)
    home = Home.at(ensure_key(root / "home"))
    lines: list[str] = []
    run = ingest(landing, home, gx=True, echo=lines.append)
    yield {"landing": landing, "home": home, "run": run, "lines": lines}
    shutil.rmtree(root, ignore_errors=True)


def _q(home, sql, params=None):
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _data_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_every_feed_loads_and_counts_match_the_files(state):
    run, home, landing = state["run"], state["home"], state["landing"]
    assert not run.refused and not run.missing
    loaded = {b.feed for b in run.batches if b.status == "loaded"}
    assert {"uid_kyr", "food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death",
            "lgd_villages", "facilities", "jansamvad_calls", "pm_tasks", "pm_survey"} <= loaded
    for b in run.batches:
        files = sorted((landing / b.batch_id).glob("*.csv"))
        expected = sum(_data_rows(f) for f in files)
        raw = _q(home, f"SELECT count(*) FROM raw.{b.feed} WHERE _batch_id = ?", [b.batch_id])
        quarantined = _q(home, "SELECT count(DISTINCT (file_name, source_row)) FROM "
                         "quarantine.rows WHERE batch_id = ?", [b.batch_id])
        assert raw[0][0] + quarantined[0][0] == expected == b.rows_read, b.batch_id
    assert any("total:" in line for line in state["lines"])


def test_rerun_changes_nothing(state):
    home = state["home"]
    before = _q(home, "SELECT (SELECT count(*) FROM raw.food_pds), (SELECT count(*) FROM "
                      "raw.uid_kyr), (SELECT count(*) FROM std.uid_kyr), "
                      "(SELECT count(*) FROM meta.files)")
    again = ingest(state["landing"], home, gx=False, echo=lambda *a: None)
    assert {b.status for b in again.batches} == {"unchanged"}
    assert _q(home, "SELECT (SELECT count(*) FROM raw.food_pds), (SELECT count(*) FROM "
                    "raw.uid_kyr), (SELECT count(*) FROM std.uid_kyr), "
                    "(SELECT count(*) FROM meta.files)") == before


def test_kyr_delta_applied_with_history(state):
    home = state["home"]
    kyr_batches = [b for b in state["run"].batches if b.feed == "uid_kyr"]
    assert len(kyr_batches) >= 2  # full refresh + delta
    n_hist, n_tokens, n_current_active = _q(home, """
        SELECT count(*), count(DISTINCT uid_token), count(*) FILTER (is_current AND active)
        FROM std.uid_kyr_history""")[0]
    assert n_hist > n_tokens  # some residents have several versions
    assert _q(home, "SELECT count(*) FROM std.uid_kyr")[0][0] == n_current_active
    assert _q(home, "SELECT count(*) - count(DISTINCT uid_token) FROM std.uid_kyr")[0][0] == 0


def test_places_resolve_and_std_is_usable(state):
    home = state["home"]
    for feed in ("uid_kyr", "food_pds", "sw_pension", "rd_mgnrega", "crs_death"):
        share = _q(home, f"SELECT avg((village_code IS NOT NULL)::INT) FROM std.{feed}")[0][0]
        assert share > 0.95, (feed, share)
    assert _q(home, "SELECT count(*) FROM std.food_pds WHERE name_key IS NULL")[0][0] == 0


def test_great_expectations_recorded_with_data_docs(state):
    home, run = state["home"], state["run"]
    n = _q(home, "SELECT count(DISTINCT batch_id) FROM meta.gx_results")[0][0]
    assert n == len([b for b in run.batches if b.rows_loaded])
    index = home.gx_docs / "index.html"
    assert run.gx_docs == str(index) and index.is_file()  # GX's own Data Docs site
    assert "food_pds" in index.read_text()
    assert any(f"Data Docs: {index}" in line for line in state["lines"])
    pages = _q(home, "SELECT docs_path FROM meta.gx_results WHERE feed = 'food_pds'")
    assert pages and all(p and os.path.isfile(p) for (p,) in pages)


def test_no_uid_outside_the_vault(state):
    # precise: ration-card numbers passing Verhoeff by chance are not findings any more
    findings = scan_for_uids(state["home"])
    assert not findings, [str(f) for f in findings]
