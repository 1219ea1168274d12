"""The reveal audit: real declarations, the OS user, the request logged before decryption,
failed decryptions logged, a hash chain that shows a deleted or edited row, and one row
with a count per delivery file."""

from __future__ import annotations

import getpass
from pathlib import Path

import duckdb
import pytest
from home_helpers import ensure_key, ingest, one_line_refusal, srdh
from ingest_helpers import U1, U2, small_landing

from core.paths import Home
from ingest.tokens import Keys, token_for
from ingest.vault import Vault

PURPOSE, BY = "grievance 1234: wrong name on card", "desk clerk 7"


@pytest.fixture()
def home(tmp_path) -> Home:
    root = ensure_key(tmp_path / "home")
    assert ingest(small_landing(tmp_path), root).returncode == 0
    return Home.at(root)


def reveal(home: Home, token: str, purpose: str = PURPOSE, by: str = BY):
    return srdh("vault", "reveal", token, "--purpose", purpose, "--by", by,
                "--home", str(home.root))


def log(home: Home) -> list[tuple]:
    con = duckdb.connect(str(home.vault), read_only=True)
    try:
        return con.execute("SELECT seq, by_whom, os_user, purpose, uid_token, n_uids, outcome, "
                           "detail FROM access_log ORDER BY seq").fetchall()
    finally:
        con.close()


def tamper(home: Home, sql: str) -> None:
    con = duckdb.connect(str(home.vault))
    try:
        con.execute(sql)
    finally:
        con.close()


def tok(home: Home, uid: str) -> str:
    return token_for(uid, Keys.for_home(home).mac)


@pytest.mark.parametrize("purpose,by", [(".", "-"), ("x" * 20, "-"), (".", "Asha Rao"),
                                        ("1234567890123", "Asha Rao"), ("because", "Asha")])
def test_trivial_declarations_are_refused_and_nothing_is_decrypted(home, purpose, by):
    one_line_refusal(reveal(home, tok(home, U1), purpose, by), "a reveal needs")
    assert log(home) == []


def test_a_reveal_logs_request_then_outcome_with_the_os_user(home):
    t1 = tok(home, U1)
    res = reveal(home, t1)
    assert res.returncode == 0 and res.stdout.strip() == U1
    missing = reveal(home, "a" * 32)
    assert missing.returncode == 1
    me = getpass.getuser()
    assert log(home) == [
        (1, BY, me, PURPOSE, t1, 1, "requested", None),
        (2, BY, me, PURPOSE, t1, 1, "revealed", None),
        (3, BY, me, PURPOSE, "a" * 32, 1, "requested", None),
        (4, BY, me, PURPOSE, "a" * 32, 0, "not_found", None)]
    ok = srdh("vault", "verify-log", "--home", str(home.root))
    assert ok.returncode == 0 and "intact: 4 row(s)" in ok.stdout


def test_a_failed_decryption_is_logged(home):
    t1 = tok(home, U1)
    # an altered ciphertext (or a wrong key) must not decrypt, and the attempt is on record
    tamper(home, f"UPDATE uids SET ciphertext = ciphertext || '\\x00'::BLOB "
                 f"WHERE uid_token = '{t1}'")
    one_line_refusal(reveal(home, t1), "did not decrypt")
    rows = log(home)
    assert [r[6] for r in rows] == ["requested", "failed"] and rows[1][4] == t1
    assert "did not decrypt" in rows[1][7]
    assert U1 not in str(rows)


@pytest.mark.parametrize("attack,found", [
    ("DELETE FROM access_log WHERE seq = 2", "row"),               # a row in the middle
    ("DELETE FROM access_log WHERE seq = 6", "newest row(s) deleted"),  # the newest row
    ("DELETE FROM access_log", "newest row(s) deleted"),           # all of it
    ("UPDATE access_log SET by_whom = 'someone else' WHERE seq = 3", "edited"),
    ("UPDATE access_log SET purpose = 'x', row_hash = NULL WHERE seq = 1", "edited"),
])
def test_a_deleted_or_edited_log_row_is_detected(home, attack, found):
    for uid in (U1, U2, U1):
        assert reveal(home, tok(home, uid)).returncode == 0
    assert len(log(home)) == 6
    tamper(home, attack)
    bad = srdh("vault", "verify-log", "--home", str(home.root))
    assert bad.returncode == 1 and found in bad.stderr, bad.stderr
    # and every reveal checks the chain first: refused, nothing decrypted or printed
    again = reveal(home, tok(home, U2))
    one_line_refusal(again, "access log is broken")
    assert U2 not in again.stdout


def test_delivery_reveal_logs_one_row_per_file_with_the_count(home):
    from warehouse.deliver import PURPOSE as DELIVERY
    from warehouse.deliver import _reveal

    folder = home.deliveries / "food_pds" / "2025-03-01"
    tokens = [tok(home, U1), tok(home, U2)]
    got = _reveal(home, tokens, folder / "uid_seeding")
    assert sorted(got.values()) == sorted([U1, U2])
    rows = log(home)
    assert [(r[1], r[3], r[5], r[6]) for r in rows] == [
        ("srdh deliver", DELIVERY, 2, "requested"), ("srdh deliver", DELIVERY, 2, "revealed")]
    assert rows[1][2] == getpass.getuser()
    assert "deliveries/food_pds/2025-03-01/uid_seeding" in rows[1][7]
    with Vault(home, Keys.for_home(home)) as v:
        assert v.log.problems() == []


def test_the_chain_survives_a_restart_and_rotation(home):
    assert reveal(home, tok(home, U1)).returncode == 0
    assert srdh("vault", "rotate", "--home", str(home.root)).returncode == 0
    assert reveal(home, tok(home, U1)).returncode == 0
    assert srdh("vault", "verify-log", "--home", str(home.root)).returncode == 0
    assert [r[6] for r in log(home)] == ["requested", "revealed"] * 3
    assert isinstance(Path(home.vault_dir / "access_log.head").read_text(), str)
