"""The vault key's lifecycle: created only on purpose, refused when missing or foreign,
rotated with the tokens unchanged, and read from outside the home (file or KMS hook)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import duckdb
import pytest
from home_helpers import ensure_key, ingest, one_line_refusal, srdh
from ingest_helpers import BAD, U1, U2, U3, U4, small_landing

from core.paths import Home
from ingest.tokens import Keys, key_file, token_for
from ingest.vault import Vault

ALL_UIDS = (U1, U2, U3, U4, BAD)  # the small landing's vaulted numbers
def vault_rows(home: Path) -> list[tuple]:
    con = duckdb.connect(str(Home.at(home).vault), read_only=True)
    try:
        return con.execute("SELECT uid_token, key_id FROM uids ORDER BY 1").fetchall()
    finally:
        con.close()


@pytest.fixture()
def landing(tmp_path):
    return small_landing(tmp_path)


def test_a_missing_key_stops_the_run_and_no_key_is_created(tmp_path, landing):
    home = tmp_path / "home"
    one_line_refusal(ingest(landing, home), "no vault key", "init-key")
    assert not home.exists(), "a refused run created the home"
    one_line_refusal(srdh("run", "--landing", str(landing), "--home", str(home)),
                     "no vault key")
    assert not home.exists()

    ensure_key(home)
    assert ingest(landing, home).returncode == 0
    before = vault_rows(home)
    key = key_file(Home.at(home))
    key.unlink()  # the key is lost
    one_line_refusal(ingest(landing, home), "no vault key")
    assert not key.exists(), "an ingest created a new key"
    assert vault_rows(home) == before
    # and a new key is not started for a vault that holds UIDs
    one_line_refusal(srdh("vault", "init-key", "--home", str(home)), "holds UIDs", "restore")
    assert not key.exists()


def test_a_key_file_on_an_unmounted_volume_is_not_created(tmp_path, landing):
    home = tmp_path / "home"
    absent = tmp_path / "mnt" / "keys" / "vault.key"
    one_line_refusal(ingest(landing, home, SRDH_VAULT_KEY_FILE=str(absent)), str(absent))
    one_line_refusal(srdh("vault", "init-key", "--home", str(home),
                          SRDH_VAULT_KEY_FILE=str(absent)), "is it mounted")
    assert not (tmp_path / "mnt").exists() and not home.exists()


def test_init_key_never_overwrites(tmp_path):
    home = tmp_path / "home"
    first = srdh("vault", "init-key", "--home", str(home))
    assert first.returncode == 0, first.stderr
    key = key_file(Home.at(home))
    text = key.read_text()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert oct(key.parent.stat().st_mode & 0o777) == "0o700"
    one_line_refusal(srdh("vault", "init-key", "--home", str(home)), "already exists")
    assert key.read_text() == text


def test_a_key_that_does_not_fit_the_vault_is_refused(tmp_path, landing):
    home = ensure_key(tmp_path / "home")
    assert ingest(landing, home).returncode == 0
    before = vault_rows(home)
    held = before[0][1]
    key = key_file(Home.at(home))
    own = Keys.parse(key.read_text())
    key.write_text(Keys.new().dumps())  # someone else's key
    one_line_refusal(ingest(landing, home), "token key")
    one_line_refusal(srdh("run", "--landing", str(landing), "--home", str(home)), "token key")
    # the same token key, but the vault's encryption key is gone
    key.write_text(Keys(mac=own.mac, enc_keys={}, current="").rotated().dumps())
    one_line_refusal(ingest(landing, home), f"key id(s) {held}", "restore")
    assert vault_rows(home) == before


def test_rotation_keeps_tokens_and_every_uid_decrypts(tmp_path, landing):
    home = tmp_path / "home"
    h = Home.at(home)
    # today's single master key file (base64 of 32 bytes) reads as encryption key version 1
    h.secrets.mkdir(parents=True)
    master = os.urandom(32)
    key_file(h).write_text(base64.b64encode(master).decode() + "\n")
    assert ingest(landing, home).returncode == 0
    legacy = Keys.from_master(master)
    tokens = {u: token_for(u, legacy.mac) for u in ALL_UIDS}
    before = vault_rows(home)
    assert {k for _, k in before} == {legacy.key_id} and len(before) == len(ALL_UIDS)
    con = duckdb.connect(str(h.warehouse), read_only=True)
    wh_tokens = con.execute("SELECT uid_token FROM raw.uid_kyr ORDER BY ALL").fetchall()
    con.close()

    for _ in range(2):  # from the old key file, then from a keyring
        old_ids = {k for _, k in vault_rows(home)}
        rot = srdh("vault", "rotate", "--home", str(home))
        assert rot.returncode == 0, rot.stderr
        keys = Keys.for_home(h)
        doc = json.loads(key_file(h).read_text())
        assert doc["format"] == "srdh-keyring/1" and list(doc["encryption_keys"]) == [
            {"id": keys.current, "key": doc["encryption_keys"][0]["key"]}]  # old key retired
        assert oct(key_file(h).stat().st_mode & 0o777) == "0o600"
        after = vault_rows(home)
        assert {k for _, k in after} == {keys.current} and keys.current not in old_ids
        assert [t for t, _ in after] == [t for t, _ in before]  # same tokens, same rows
        assert keys.mac == legacy.mac and token_for(U1, keys.mac) == tokens[U1]
        # an old token still resolves through `srdh vault reveal`
        rev = srdh("vault", "reveal", tokens[U1], "--purpose", "rotation check ticket 7",
                   "--by", "ops on call", "--home", str(home))
        assert rev.returncode == 0 and rev.stdout.strip() == U1, rev.stderr
        with Vault(h, keys) as v:  # every UID decrypts under the new key
            got = v.reveal_many(list(tokens.values()), "rotation check, every UID",
                                "ops on call")
        assert got == {t: u for u, t in tokens.items()}
    # the ingest goes on with the rotated key and adds no second token for anyone
    assert ingest(landing, home).returncode == 0
    assert [t for t, _ in vault_rows(home)] == [t for t, _ in before]
    con = duckdb.connect(str(h.warehouse), read_only=True)
    assert con.execute("SELECT uid_token FROM raw.uid_kyr ORDER BY ALL").fetchall() == wh_tokens
    con.close()


def test_key_outside_the_home_through_a_command_hook(tmp_path, landing):
    home = tmp_path / "home"
    outside = tmp_path / "kms"
    outside.mkdir()
    keyfile = outside / "srdh.keyring"
    made = srdh("vault", "init-key", "--home", str(home), SRDH_VAULT_KEY_FILE=str(keyfile))
    assert made.returncode == 0, made.stderr
    assert not (home / "secrets" / "vault.key").exists()
    hook = {"SRDH_VAULT_KEY_COMMAND": f"cat {keyfile}"}  # stands in for a KMS client
    assert ingest(landing, home, **hook).returncode == 0
    assert not (home / "secrets" / "vault.key").exists()
    mac = Keys.parse(keyfile.read_text()).mac
    rev = srdh("vault", "reveal", token_for(U2, mac), "--purpose", "grievance 1234 check",
               "--by", "desk two", "--home", str(home), **hook)
    assert rev.stdout.strip() == U2, rev.stderr
    # a key the hook gives cannot be rewritten in place: rotate writes a new keyring file
    one_line_refusal(srdh("vault", "rotate", "--home", str(home), **hook), "--new-key-file")
    new = outside / "srdh.keyring.next"
    rot = srdh("vault", "rotate", "--home", str(home), "--new-key-file", str(new), **hook)
    assert rot.returncode == 0, rot.stderr
    nxt = {"SRDH_VAULT_KEY_COMMAND": f"cat {new}"}
    rev = srdh("vault", "reveal", token_for(U2, mac), "--purpose", "grievance 1234 check",
               "--by", "desk two", "--home", str(home), **nxt)
    assert rev.stdout.strip() == U2, rev.stderr
    # the hook failing is a refusal, like a missing key
    one_line_refusal(ingest(landing, home, SRDH_VAULT_KEY_COMMAND="false"), "key command")
