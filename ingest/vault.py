"""The UID vault (UIDAI Aadhaar Data Vault): raw UIDs exist here only, encrypted.

Its own DuckDB file (``Home.vault``). Each UID is encrypted with AES-256-GCM under a
fresh random 96-bit nonce, with its token as associated data (a ciphertext cannot be
moved to another token). Writes are idempotent: a token is stored once (``store``
anti-joins what the vault holds; one writer at a time). There is deliberately no
PRIMARY KEY index: building it cost 4 s of a 1M-UID load and lookups scan fast anyway.
Every reveal is logged (who, when, purpose, token) in ``access_log``.
"""

from __future__ import annotations

import os
from datetime import datetime

import duckdb
import numpy as np
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ingest.timing import duckdb_config, register, unregister
from ingest.tokens import Keys
from srdh.paths import Home

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uids (
    uid_token   VARCHAR NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    key_id      VARCHAR NOT NULL,
    first_batch VARCHAR,
    created_at  TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS access_log (
    accessed_at TIMESTAMP NOT NULL,
    by_whom   VARCHAR NOT NULL,
    purpose   VARCHAR NOT NULL,
    uid_token VARCHAR NOT NULL,
    outcome   VARCHAR NOT NULL
);
"""


class Vault:
    def __init__(self, home: Home, keys: Keys):
        self.home = home
        self.keys = keys
        home.vault_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(home.vault_dir, 0o700)
        self.con = duckdb.connect(str(home.vault), config=duckdb_config())
        self.con.execute(_SCHEMA)

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

    def reveal(self, token: str, purpose: str, by: str) -> str | None:
        """Decrypt one UID for a stated purpose; the access is logged whatever the outcome."""
        if not purpose.strip() or not by.strip():
            raise ValueError("a reveal needs a purpose and who asks")
        row = self.con.execute("SELECT nonce, ciphertext FROM uids WHERE uid_token = ?",
                               [token]).fetchone()
        outcome = "revealed" if row else "not_found"
        uid = None
        if row:
            aes = AESGCM(self.keys.enc)
            uid = aes.decrypt(bytes(row[0]), bytes(row[1]), token.encode()).decode()
        self.con.execute("INSERT INTO access_log VALUES (?, ?, ?, ?, ?)",
                         [datetime.now(), by, purpose, token, outcome])
        return uid

    def reveal_many(self, tokens: list[str], purpose: str, by: str) -> dict[str, str]:
        """Decrypt many UIDs for one stated purpose (one log line per token)."""
        if not purpose.strip() or not by.strip():
            raise ValueError("a reveal needs a purpose and who asks")
        tokens = list(tokens)
        rows = self.con.execute("SELECT u.uid_token, u.nonce, u.ciphertext FROM uids u "
                                "WHERE list_contains(?::VARCHAR[], u.uid_token)",
                                [tokens]).fetchall()
        aes = AESGCM(self.keys.enc)
        out = {t: aes.decrypt(bytes(n), bytes(c), t.encode()).decode() for t, n, c in rows}
        now = datetime.now()
        self.con.execute(
            "INSERT INTO access_log SELECT $1, $2, $3, t, CASE WHEN t IN "
            "(SELECT uid_token FROM uids) THEN 'revealed' ELSE 'not_found' END "
            "FROM (SELECT unnest($4::VARCHAR[]) AS t)", [now, by, purpose, tokens])
        return out
