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

A declared identifier is masked only when it equals a UID the vault holds
(:func:`mask_vaulted_ids`, run once all of a run's batches are in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.uid import (
    UID_CANDIDATE_SQL,
    find_uids,
    mask_uids_in_text,
    masked_uid,
    verhoeff_valid_many,
)
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


ID_NOTE = ("a department id equal to an Aadhaar number held in the vault was masked (XXXX-XXXX +"
           " last 4 digits, then its token); a chance match or a UID in the id column: ask the "
           "sender to check this id")
_TWELVE_DIGITS = r"^[^0-9]*[2-9]([^0-9]{0,3}[0-9]){11}[^0-9]*$"  # 12 digits, any separators


def masked_id(digits: str, token: str) -> str:
    """What a department id equal to a vaulted UID becomes: still one value per id (the
    token keeps two such ids apart, e.g. as household keys), never the number."""
    return f"{masked_uid(digits)} ({token})"


def mask_vaulted_ids(con, reg: dict[str, Source], vault_con, mac: bytes) -> dict[str, int]:
    """Mask, in ``raw``, every department id (a field declared ``identifier: true``) that
    equals an Aadhaar number held in the vault; returns the rows masked per feed.

    Ids are exempt from the door's masking because a ration card or bank account may be
    12 Verhoeff-valid digits by design (one in ten are). But one equal to a UID in the
    vault *is* an Aadhaar number, whether a sender typed it there or it matches by chance
    (a 3 crore state's KYR makes chance matches certain: ~1 in 3,000 of such ids), and it
    would reach deliveries and stop publish at the UID gate. Run after every batch of a run
    is in, over all of ``raw``: an id loaded before the KYR that holds its number is caught
    when that KYR arrives. Idempotent: a masked id holds four digits."""
    done: dict[str, int] = {}
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
    ).fetchall()}
    for src in reg.values():
        if src.feed not in have:
            continue
        for col in src.identifier_fields:
            if src.fields[col].type in ("uid", "photo"):
                continue
            values = [v for (v,) in con.execute(
                f"SELECT DISTINCT {q(col)} FROM raw.{q(src.feed)} "
                f"WHERE regexp_matches({q(col)}, ?)", [_TWELVE_DIGITS]).fetchall()]
            digits = [re.sub(r"[^0-9]", "", v) for v in values]
            if not digits:
                continue
            arr = np.frombuffer("".join(digits).encode("ascii"), dtype=np.uint8
                                ).reshape(-1, 12) - 48
            ok = verhoeff_valid_many(arr)
            cand = [(v, d) for v, d, good in zip(values, digits, ok, strict=True) if good]
            if not cand:
                continue
            toks = tokens_for([d for _, d in cand], mac)
            register(vault_con, "_idtok", {"uid_token": ("VARCHAR", toks)})
            try:
                held = {t for (t,) in vault_con.execute(
                    "SELECT uid_token FROM _idtok SEMI JOIN uids USING (uid_token)").fetchall()}
            finally:
                unregister(vault_con, "_idtok")
            hits = [(v, masked_id(d, t), t) for (v, d), t in zip(cand, toks, strict=True)
                    if t in held]
            if hits:
                done[src.feed] = done.get(src.feed, 0) + _mask_ids(con, src, col, hits)
    return done


def _mask_ids(con, src: Source, col: str, hits: list[tuple[str, str, str]]) -> int:
    orig, masked, token = (list(x) for x in zip(*hits, strict=True))
    register(con, "_idmask", {"_orig": ("VARCHAR", orig), "_masked": ("VARCHAR", masked),
                              "_token": ("VARCHAR", token)})
    con.execute("BEGIN TRANSACTION")
    try:
        n = con.execute(
            f"INSERT INTO meta.dq_notes SELECT {lit(src.feed)}, r._batch_id, r._file_name, "
            f"r._file_sha256, r._source_row, {lit(col)}, {lit(ID_NOTE)}, m._token, now() "
            f"FROM raw.{q(src.feed)} r JOIN _idmask m ON r.{q(col)} = m._orig").fetchone()[0]
        con.execute(f"UPDATE raw.{q(src.feed)} AS r SET {q(col)} = m._masked FROM _idmask m "
                    f"WHERE r.{q(col)} = m._orig")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        unregister(con, "_idmask")
    return n
