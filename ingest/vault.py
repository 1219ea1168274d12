"""The UID vault (UIDAI Aadhaar Data Vault): raw UIDs exist here only, encrypted.

Its own DuckDB file (``Home.vault``). Each UID is encrypted with AES-256-GCM under a
fresh random 96-bit nonce, with its token as associated data (a ciphertext cannot be
moved to another token), and carries the id of the encryption key it was written under
(``ingest.tokens.Keys``). Opening the vault with a key that cannot read it is refused
before anything is written. Writes are idempotent: a token is stored once (``store``
anti-joins what the vault holds; one writer at a time). There is deliberately no
PRIMARY KEY index: building it cost 4 s of a 1M-UID load and lookups scan fast anyway.

Every reveal is logged in ``access_log`` (``ingest.audit``): the request before any
decryption, then its outcome (revealed, not_found, failed), with the declared and the
operating-system user. The log is a keyed hash chain, checked before every reveal.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import UserError
from core.paths import Home
from ingest import audit
from ingest.timing import duckdb_config, register, unregister
from ingest.tokens import (
    Keys,
    VaultKeyError,
    check_fits,
    key_file,
    key_source,
    require_keys,
    stored_ids,
    write_keyring,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uids (
    uid_token   VARCHAR NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    key_id      VARCHAR NOT NULL,
    first_batch VARCHAR,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS vault_meta (name VARCHAR NOT NULL, value VARCHAR NOT NULL);
"""


class VaultDecryptError(UserError):
    """A ciphertext did not decrypt (wrong key or altered row); the failure is logged."""


class Vault:
    def __init__(self, home: Home, keys: Keys):
        self.home = home
        self.keys = keys
        home.vault_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(home.vault_dir, 0o700)
        self.con = duckdb.connect(str(home.vault), config=duckdb_config())
        try:
            check_fits(keys, *stored_ids(self.con))  # before anything is written
            self.con.execute(_SCHEMA)
            if stored_ids(self.con)[1] is None:
                self.con.execute("INSERT INTO vault_meta VALUES ('token_key_id', ?)",
                                 [keys.token_key_id])
            self.log = audit.AccessLog(self.con, keys.audit, home.vault_dir)
        except BaseException:
            self.con.close()
            raise
        os.chmod(home.vault, 0o600)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def store(self, tokens: list[str], uids: list[str], batch_id: str | None = None) -> int:
        """Encrypt and store the UIDs whose token is not in the vault yet. Returns how many.

        Set-based: the tokens already held are found with one anti-join against registered
        NumPy arrays; the new ones (distinct, not held) are encrypted in a tight loop (one
        AES-GCM call per UID, nonces drawn from one ``os.urandom`` call) and appended in
        one INSERT."""
        if not tokens:
            return 0
        first: dict[str, int] = {}
        for i, t in enumerate(tokens):
            first.setdefault(t, i)
        idx = list(first.values()) if len(first) != len(tokens) else list(range(len(tokens)))
        register(self.con, "_incoming", {"uid_token": ("VARCHAR", [tokens[i] for i in idx]),
                                         "i": ("BIGINT", np.array(idx, dtype=np.int64))})
        try:
            new_i = self.con.execute(
                "SELECT i FROM _incoming ANTI JOIN uids USING (uid_token)"
            ).fetchnumpy()["i"].tolist()
        finally:
            unregister(self.con, "_incoming")
        if not new_i:
            return 0
        from ingest.arrow_columns import fixed_width  # pyarrow: only when storing

        enc = AESGCM(self.keys.enc).encrypt
        m = len(new_i)
        pool = os.urandom(12 * m)  # one 96-bit nonce per UID
        new_t = [tokens[i] for i in new_i]
        cts = [enc(pool[12 * j:12 * j + 12], uids[i].encode("ascii", "replace"), t.encode())
               for j, (i, t) in enumerate(zip(new_i, new_t, strict=True))]
        register(self.con, "_new", {"uid_token": ("VARCHAR", new_t),
                                    "nonce": ("BLOB", fixed_width(pool, 12)),
                                    "ciphertext": ("BLOB", cts)})
        try:
            self.con.execute("INSERT INTO uids SELECT uid_token, nonce, ciphertext, ?, ?, now() "
                             "FROM _new", [self.keys.key_id, batch_id])
        finally:
            unregister(self.con, "_new")
        return len(new_t)

    def count(self) -> int:
        return self.con.execute("SELECT count(*) FROM uids").fetchone()[0]

    def _decrypt(self, token: str, nonce: bytes, ct: bytes, key_id: str,
                 ciphers: dict[str, AESGCM]) -> str:
        key = self.keys.enc_keys.get(key_id)
        if key is None:
            raise VaultDecryptError(f"no encryption key {key_id} for a vault row")
        aes = ciphers.get(key_id) or ciphers.setdefault(key_id, AESGCM(key))
        try:
            return aes.decrypt(bytes(nonce), bytes(ct), token.encode()).decode()
        except InvalidTag:
            raise VaultDecryptError(f"a vault row under key {key_id} did not decrypt "
                                    "(altered row or wrong key)") from None

    def reveal(self, token: str, purpose: str, by: str) -> str | None:
        """Decrypt one UID for a stated purpose. The request is logged before decryption
        and its outcome after; a failed decryption is logged, then raised."""
        audit.check_request(purpose, by)
        self.log.require_intact()
        self.log.append(by, purpose, "requested", token=token, n=1)
        row = self.con.execute("SELECT nonce, ciphertext, key_id FROM uids WHERE uid_token = ?",
                               [token]).fetchone()
        if row is None:
            self.log.append(by, purpose, "not_found", token=token, n=0)
            return None
        try:
            uid = self._decrypt(token, row[0], row[1], row[2], {})
        except VaultDecryptError as exc:
            self.log.append(by, purpose, "failed", token=token, n=1, detail=str(exc))
            raise
        self.log.append(by, purpose, "revealed", token=token, n=1)
        return uid

    def reveal_many(self, tokens: list[str], purpose: str, by: str,
                    detail: str | None = None) -> dict[str, str]:
        """Decrypt many UIDs for one stated purpose (e.g. one delivery file, named in
        ``detail``): one log row for the request and one for the outcome, with counts."""
        audit.check_request(purpose, by)
        self.log.require_intact()
        tokens = list(tokens)
        self.log.append(by, purpose, "requested", n=len(tokens), detail=detail)
        rows = self.con.execute("SELECT u.uid_token, u.nonce, u.ciphertext, u.key_id FROM uids u "
                                "WHERE list_contains(?::VARCHAR[], u.uid_token)",
                                [tokens]).fetchall()
        ciphers: dict[str, AESGCM] = {}
        try:
            out = {t: self._decrypt(t, n, c, k, ciphers) for t, n, c, k in rows}
        except VaultDecryptError as exc:
            self.log.append(by, purpose, "failed", n=len(tokens), detail=str(exc))
            raise
        missing = len(set(tokens)) - len(out)
        note = "; ".join(x for x in (detail, f"{missing} not found" if missing else None) if x)
        self.log.append(by, purpose, "revealed", n=len(out), detail=note or None)
        return out

    def show_photos(self, tokens: list[str], purpose: str, by: str,
                    detail: str | None = None) -> dict[str, Path]:
        """The KYR photographs of ``tokens`` (``<photos>/<token>.*``) for one stated
        display: a ``requested`` row before any is looked up, then one ``photo_shown`` row
        per photograph returned (its token named), in the same hash-chained log as a reveal."""
        audit.check_request(purpose, by)
        self.log.require_intact()
        tokens = list(dict.fromkeys(tokens))
        self.log.append(by, purpose, "requested", n=len(tokens),
                        detail="; ".join(x for x in ("photographs", detail) if x))
        out: dict[str, Path] = {}
        for t in tokens:
            found = sorted(self.home.photos.glob(f"{t}.*")) if self.home.photos.is_dir() else []
            if found:
                out[t] = found[0]
                self.log.append(by, purpose, "photo_shown", token=t, n=1, detail=detail)
        return out

    def rotate(self) -> int:
        """Re-encrypt every UID not under the current key with the current key (tokens
        unchanged); one transaction. The keyring must still hold the older keys."""
        rows = self.con.execute("SELECT uid_token, nonce, ciphertext, key_id FROM uids "
                                "WHERE key_id <> ?", [self.keys.current]).fetchall()
        by, purpose = "srdh vault rotate", "re-encrypt the vault under a new key"
        self.log.require_intact()
        self.log.append(by, purpose, "requested", n=len(rows), detail=f"to {self.keys.current}")
        if not rows:
            return 0
        from ingest.arrow_columns import fixed_width

        ciphers: dict[str, AESGCM] = {}
        try:
            uids = [self._decrypt(t, n, c, k, ciphers) for t, n, c, k in rows]
        except VaultDecryptError as exc:
            self.log.append(by, purpose, "failed", n=len(rows), detail=str(exc))
            raise
        enc = AESGCM(self.keys.enc).encrypt
        pool = os.urandom(12 * len(rows))
        toks = [r[0] for r in rows]
        cts = [enc(pool[12 * j:12 * j + 12], u.encode("ascii", "replace"), t.encode())
               for j, (t, u) in enumerate(zip(toks, uids, strict=True))]
        del uids
        register(self.con, "_re", {"uid_token": ("VARCHAR", toks),
                                   "nonce": ("BLOB", fixed_width(pool, 12)),
                                   "ciphertext": ("BLOB", cts)})
        try:
            self.con.execute("BEGIN")
            self.con.execute("UPDATE uids SET nonce = r.nonce, ciphertext = r.ciphertext, "
                             "key_id = ? FROM _re r WHERE uids.uid_token = r.uid_token",
                             [self.keys.current])
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            unregister(self.con, "_re")
        self.log.append(by, purpose, "revealed", n=len(rows), detail=f"to {self.keys.current}")
        return len(rows)


def rotate_keys(home: Home, new_key_file: str | None = None) -> tuple[Path, str, int]:
    """``srdh vault rotate``: a new encryption key, every UID re-encrypted under it, the
    token key kept (tokens unchanged). Returns (keyring path, new key id, UIDs re-encrypted).

    Crash-safe order: the keyring holding the old and the new key is written first; the
    re-encryption is one transaction; only then is the keyring rewritten without the old
    key. A key from ``$SRDH_VAULT_KEY(_COMMAND)`` cannot be rewritten in place: the new
    keyring goes to ``new_key_file`` (a new file) for the operator to load into the KMS."""
    old = require_keys(home)
    if not home.vault.is_file():
        raise VaultKeyError(f"no vault at {home.vault}: nothing to rotate")
    external = bool(os.environ.get("SRDH_VAULT_KEY_COMMAND") or os.environ.get("SRDH_VAULT_KEY"))
    if external and not new_key_file:
        raise VaultKeyError(f"the key comes from {key_source(home)}: give --new-key-file PATH "
                            "for the new keyring, then load it into the key store")
    path = Path(new_key_file) if new_key_file else key_file(home)
    both = old.rotated()
    write_keyring(path, both, exclusive=external)
    with Vault(home, both) as vault:
        n = vault.rotate()
    write_keyring(path, both.only_current(), exclusive=False)
    return path, both.current, n
