"""Mask at the door: a UID typed into the wrong column never reaches ``raw``.

Senders put Aadhaar numbers where they do not belong: in a name, a mobile, a care-of or an
e-mail column, in a grievance text, a file name or a header. Before a batch is written,
every staged field except the UID column, the photo file name and the fields declared
``identifier: true`` (ration cards, bank accounts: 12 digits by design) is searched for a
Verhoeff-valid 12-digit number with any separators (:func:`core.uid.find_uids`); each one
is replaced by ``XXXX-XXXX-1234``. A mobile is first normalised (``+91`` / ``91`` / ``0``
and separators removed): a 10-digit mobile is left alone. The number itself is tokenised
and kept in the vault (a clerk can reveal it to correct the record); the row still loads,
and ``meta.dq_notes`` gets one note per row and column naming what was masked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.uid import UID_CANDIDATE_SQL, find_uids, mask_uids_in_text
from ingest.registry import Source
from ingest.timing import register, unregister
from ingest.tokens import tokens_for
from ingest.validate import lit, q

DQ_DDL = """
CREATE TABLE IF NOT EXISTS meta.dq_notes (
    feed VARCHAR, batch_id VARCHAR, file_name VARCHAR, file_sha256 VARCHAR,
    source_row BIGINT, column_name VARCHAR, note VARCHAR, uid_token VARCHAR,
    noted_at TIMESTAMP);
"""
FILE_NAME, HEADER = "(file name)", "(header)"
_MOBILE = re.compile(r"^(?:91|0|091)?[6-9][0-9]{9}$")  # as ingest/standardise/contacts.py


def note_text(where: str) -> str:
    return (f"an Aadhaar number in {where} was masked (XXXX-XXXX + last 4 digits) and kept "
            "in the vault; ask the sender to send UIDs only in the UID column")


@dataclass
class StagedFile:
    table: str  # the temp table holding the file's rows
    name: str  # the file name as stored (already masked)
    sha256: str


@dataclass
class Masked:
    """UIDs found at the door of one batch: to tokenise into the vault."""

    tokens: list[str]
    uids: list[str]
    notes: int = 0


def is_mobile(value: str) -> bool:
    return bool(_MOBILE.match(re.sub(r"[^0-9]", "", value)))


def mask_staged(con, src: Source, files: list[StagedFile], batch_id: str, mac: bytes,
                file_level: list[tuple[StagedFile, str, list[str]]] = ()) -> Masked:
    """Mask UIDs in the staged tables in place and note them in ``meta.dq_notes`` (row
    numbers from the batch's ``_stage`` view over those tables).
    ``file_level``: (file, FILE_NAME or HEADER, UIDs found there) noted per file."""
    found: dict[str, str] = {}  # digits -> token
    mobile = src.person.mobile if src.person else None
    notes = 0
    for f, where, uids in file_level:
        toks = _tokens(uids, mac, found)
        con.execute("INSERT INTO meta.dq_notes VALUES (?, ?, ?, ?, NULL, ?, ?, ?, now())",
                    [src.feed, batch_id, f.name, f.sha256, where,
                     note_text("the " + where.strip("()")), toks[0]])
        notes += 1
    for f in files:
        for col in src.maskable_fields:
            values = [v for (v,) in con.execute(
                f"SELECT DISTINCT {q(col)} FROM {f.table} WHERE regexp_matches({q(col)}, ?)",
                [UID_CANDIDATE_SQL]).fetchall()]
            orig, masked, token = [], [], []
            for v in values:
                if col == mobile and is_mobile(v):
                    continue
                hits = find_uids(v)
                if hits:
                    orig.append(v)
                    masked.append(mask_uids_in_text(v))
                    token.append(_tokens([d for _, _, d in hits], mac, found)[0])
            if not orig:
                continue
            register(con, "_uidmask", {"_orig": ("VARCHAR", orig), "_masked": ("VARCHAR", masked),
                                       "_token": ("VARCHAR", token)})
            try:
                notes += con.execute(
                    f"INSERT INTO meta.dq_notes SELECT {lit(src.feed)}, {lit(batch_id)}, "
                    f"s._file_name, s._file_sha256, s._source_row, {lit(col)}, "
                    f"{lit(note_text('column ' + col))}, m._token, now() FROM _stage s "
                    f"JOIN _uidmask m ON s.{q(col)} = m._orig WHERE s._file_sha256 = ?",
                    [f.sha256]).fetchone()[0]
                con.execute(f"UPDATE {f.table} SET {q(col)} = m._masked FROM _uidmask m "
                            f"WHERE {f.table}.{q(col)} = m._orig")
            finally:
                unregister(con, "_uidmask")
    return Masked(list(found.values()), list(found), notes)


def _tokens(uids: list[str], mac: bytes, found: dict[str, str]) -> list[str]:
    new = [u for u in dict.fromkeys(uids) if u not in found]
    found.update(zip(new, tokens_for(new, mac), strict=True))
    return [found[u] for u in uids]
