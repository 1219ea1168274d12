"""The vault's access log: who asked for which UIDs, why, and what came of it.

Every row carries the declared user (``by_whom``), the operating-system user, the purpose,
the token (one reveal) or the count (a bulk reveal such as a delivery file), and the
outcome: ``requested`` is written *before* anything is decrypted, then ``revealed``,
``not_found`` or ``failed``.

The log is a hash chain keyed with the audit key (``Keys.audit``, derived from the token
key, so it survives rotation): ``row_hash = HMAC(audit, prev_hash || row)``. Editing or
deleting a row breaks the chain; someone who can write the vault file but has not the key
cannot recompute it. The last link is also kept in ``<vault>/access_log.head``, so that
deleting the newest rows is detected too. Appends happen in one process at a time (DuckDB
has one writer).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import os
from datetime import datetime
from pathlib import Path

from core.errors import UserError

GENESIS = "0" * 64
MIN_PURPOSE = 10  # characters
_COLUMNS = ("seq", "accessed_at", "by_whom", "os_user", "purpose", "uid_token", "n_uids",
            "outcome", "detail", "prev_hash", "row_hash")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS access_log (
    seq BIGINT, accessed_at TIMESTAMP NOT NULL, by_whom VARCHAR NOT NULL, os_user VARCHAR,
    purpose VARCHAR NOT NULL, uid_token VARCHAR, n_uids BIGINT, outcome VARCHAR NOT NULL,
    detail VARCHAR, prev_hash VARCHAR, row_hash VARCHAR
)"""


class AuditError(UserError):
    """The access log is broken (a row edited or deleted): no reveal until it is resolved."""


class RevealRequestError(UserError, ValueError):
    """A reveal without a real declaration of who asks and why."""


def check_request(purpose: str, by: str) -> None:
    """Refuse a trivial declaration ("-", ".", "x"): a reveal names who asks and why."""
    if sum(c.isalpha() for c in by) < 2:
        raise RevealRequestError("a reveal needs --by: who asks, at least 2 letters "
                                 "(a name or role)")
    p = purpose.strip()
    if len(p) < MIN_PURPOSE or sum(c.isalpha() for c in p) < 5:
        raise RevealRequestError(f"a reveal needs --purpose: why the numbers are needed, at least "
                         f"{MIN_PURPOSE} characters in words (e.g. 'DBT payment failure "
                         "ticket 1234')")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def _digest(key: bytes, prev: str, row: tuple) -> str:
    body = json.dumps([prev, *[v.isoformat() if isinstance(v, datetime) else v for v in row]],
                      separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


class AccessLog:
    def __init__(self, con, key: bytes, folder: Path):
        self.con, self.key, self.head = con, key, Path(folder) / "access_log.head"
        cols = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'access_log'").fetchall()}
        con.execute(_SCHEMA)
        if cols and "row_hash" not in cols:
            self._upgrade(cols)

    def _upgrade(self, cols: set[str]) -> None:
        """An access log from before the chain: add the columns, chain the rows as found."""
        types = {"seq": "BIGINT", "os_user": "VARCHAR", "n_uids": "BIGINT",
                 "detail": "VARCHAR", "prev_hash": "VARCHAR", "row_hash": "VARCHAR"}
        for name, typ in types.items():
            if name not in cols:
                self.con.execute(f"ALTER TABLE access_log ADD COLUMN {name} {typ}")
        self.con.execute("ALTER TABLE access_log ALTER uid_token DROP NOT NULL")
        rows = self.con.execute(
            "SELECT rowid, accessed_at, by_whom, purpose, uid_token, outcome FROM access_log "
            "ORDER BY accessed_at, rowid").fetchall()
        prev = GENESIS
        for seq, (rid, at, by, purpose, tok, outcome) in enumerate(rows, 1):
            row = (seq, at, by, None, purpose, tok, 1, outcome, None)
            h = _digest(self.key, prev, row)
            self.con.execute("UPDATE access_log SET seq=?, n_uids=1, prev_hash=?, row_hash=? "
                             "WHERE rowid = ?", [seq, prev, h, rid])
            prev = h
        self._write_head(len(rows), prev)

    def _write_head(self, seq: int, row_hash: str) -> None:
        tmp = self.head.with_name(f".{self.head.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(f"{seq} {row_hash}\n")
        os.replace(tmp, self.head)

    def append(self, by: str, purpose: str, outcome: str, token: str | None = None,
               n: int = 1, detail: str | None = None) -> None:
        """Add one row to the chain (committed before the caller goes on)."""
        last = self.con.execute("SELECT seq, row_hash FROM access_log "
                                "ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        row = (seq, datetime.now(), by, os_user(), purpose, token, n, outcome, detail)
        h = _digest(self.key, prev, row)
        self.con.execute(f"INSERT INTO access_log ({', '.join(_COLUMNS)}) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [*row, prev, h])
        self._write_head(seq, h)

    def problems(self) -> list[str]:
        """What is wrong with the chain: edited, deleted or inserted rows (empty when intact)."""
        rows = self.con.execute(f"SELECT {', '.join(_COLUMNS)} FROM access_log "
                                "ORDER BY seq NULLS FIRST, rowid").fetchall()
        out: list[str] = []
        prev = GENESIS
        for i, r in enumerate(rows, 1):
            seq, stored_prev, stored = r[0], r[9], r[10]
            if seq != i:
                out.append(f"access log row {i}: sequence {seq} (a row before it was deleted "
                           "or inserted)")
                break
            if stored_prev != prev:
                out.append(f"access log row {seq}: does not follow row {seq - 1} "
                           "(a row was deleted or replaced)")
                break
            if _digest(self.key, prev, r[:9]) != stored:
                out.append(f"access log row {seq}: content does not match its hash (edited)")
                break
            prev = stored
        head = self.head.read_text().split() if self.head.is_file() else None
        if head is None and rows:
            out.append(f"{self.head.name} is missing (the chain cannot show its newest rows)")
        elif head is not None and not out:
            head_seq, head_hash = int(head[0]), head[1]
            if head_seq > len(rows):
                out.append(f"access log: {head_seq - len(rows)} newest row(s) deleted "
                           f"(the head is row {head_seq}, the log ends at {len(rows)})")
            elif head_seq and rows[head_seq - 1][10] != head_hash:
                out.append(f"access log row {head_seq}: not the row the head recorded")
        return out

    def require_intact(self) -> None:
        found = self.problems()
        if found:
            raise AuditError(f"the vault access log is broken, no reveal until it is resolved "
                             f"(`srdh vault verify-log`): {found[0]}")
