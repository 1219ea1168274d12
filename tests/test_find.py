"""`srdh find`: a newcomer finds a resident's and a household's ids by name, mobile,
record id or UID, and never sees a full UID."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.slow


def _find(home, *args):
    return subprocess.run([sys.executable, "-m", "srdh.cli", "find", *args, "--home", str(home)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def resident(built_state):
    """One resident with KYR, a mobile, a household and a scheme record."""
    con = duckdb.connect(str(built_state["home"] / "warehouse" / "srdh.duckdb"), read_only=True)
    try:
        row = con.execute("""
            SELECT resident_id, name_std, village, mobile, household_id, uid_token,
                   scheme_identifiers[1].source_record_id AS record_id
            FROM marts.dim_resident
            WHERE has_kyr AND mobile IS NOT NULL AND household_id IS NOT NULL
              AND len(scheme_identifiers) > 0
            ORDER BY resident_id LIMIT 1""").df().iloc[0].to_dict()
    finally:
        con.close()
    return {**built_state, **row}


def test_by_name_within_a_village(resident):
    last, first = resident["name_std"].split(" ")[-1], resident["name_std"].split(" ")[0]
    out = _find(resident["home"], f"{last.lower()} {first.lower()}", "--village",
                resident["village"][:5], "--limit", "200")
    assert out.returncode == 0, out.stderr
    assert resident["resident_id"] in out.stdout and "by name" in out.stdout


def test_by_mobile_and_by_record_id_print_the_card_id(resident):
    out = _find(resident["home"], "+91 " + resident["mobile"])
    assert out.returncode == 0 and "by mobile" in out.stdout, out.stderr
    assert resident["resident_id"] in out.stdout
    out = _find(resident["home"], resident["record_id"])
    assert out.returncode == 0 and "by record id" in out.stdout, out.stderr
    assert resident["resident_id"] in out.stdout
    assert f"srdh card {resident['household_id']}" in out.stdout or \
        resident["household_id"] in out.stdout


def test_by_uid_through_its_token_never_printed(resident):
    from core.paths import Home
    from ingest.tokens import Keys, token_for

    truth = pd.read_parquet(resident["truth"] / "residents.parquet")
    mac = Keys.for_home(Home.at(resident["home"])).mac
    uids = truth["uid"].dropna().astype(str).str.replace(r"\D", "", regex=True)
    hit = [u for u in uids if len(u) == 12 and token_for(u, mac) == resident["uid_token"]]
    assert hit, "the resident's UID is in the truth"
    uid = hit[0]
    out = _find(resident["home"], f"{uid[:4]} {uid[4:8]} {uid[8:]}")
    assert out.returncode == 0 and "by uid" in out.stdout, out.stderr
    assert resident["resident_id"] in out.stdout
    assert uid not in out.stdout + out.stderr and uid[:8] not in out.stdout


def test_nothing_found_exits_1_and_an_unbuilt_home_says_what_to_run(resident, tmp_path):
    out = _find(resident["home"], "zzqx nobody")
    assert out.returncode == 1 and "no resident found by name" in out.stderr
    out = _find(tmp_path / "nohome", "geeta")
    assert out.returncode == 2 and "does not exist" in out.stderr
