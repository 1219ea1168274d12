"""`srdh find`: residents by name, mobile, a scheme record id (ration card, pension id,
job card, ...), a household id or a UID, with the ids `srdh resident` and `srdh card`
take.

Reads ``marts.dim_resident`` only (dbt owns the register). A UID typed in is turned into
its token in memory with the vault's token key and never printed or stored; results show
masked UIDs only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.paths import Home
from core.uid import is_valid_uid, normalise_uid

LIMIT = 20
COLUMNS = ("resident_id", "name_std", "gender", "age_years", "village", "district",
           "household_id", "uid_masked", "active_enrolments")


@dataclass(frozen=True)
class Query:
    """What a search term is taken to be, and the SQL condition for it."""

    kind: str
    where: str
    params: tuple[Any, ...]


def classify(term: str, token_of=None) -> Query:
    """A UID (12 digits, Verhoeff-valid) -> its token; 10 digits (after +91/0) -> a
    mobile; a term with a digit -> a record or household id; else a name (every word must
    appear, in any order)."""
    t = term.strip()
    uid = normalise_uid(t)
    if uid and is_valid_uid(uid) and token_of is not None:
        return Query("uid", "uid_token = ?", (token_of(uid),))
    digits = re.sub(r"\D", "", t)
    if re.fullmatch(r"(\+?91|0)?[6-9]\d{9}", re.sub(r"[\s-]", "", t)):
        return Query("mobile", "mobile = ?", (digits[-10:],))
    if re.search(r"\d", t):
        ids = "list_transform(scheme_identifiers, lambda x: upper(x.source_record_id))"
        return Query("record id", f"(household_id = ? OR list_contains({ids}, ?))",
                     (t, t.upper()))
    words = [w for w in re.split(r"\s+", t.upper()) if w]
    return Query("name", " AND ".join(["name_std LIKE ?"] * len(words)),
                 tuple(f"%{w}%" for w in words))


def find(home: Home, term: str, village: str | None = None, district: str | None = None,
         limit: int = LIMIT, database: Path | None = None) -> tuple[Query, list[dict]]:
    """Residents matching ``term`` (optionally within a village / district), best first."""
    import duckdb

    q = classify(term, _token_fn(home))
    where, params = [q.where], list(q.params)
    for col, value in (("village", village), ("district", district)):
        if value:
            where.append(f"upper({col}) LIKE ?")
            params.append(f"%{value.strip().upper()}%")
    con = duckdb.connect(str(database or home.warehouse), read_only=True)
    try:
        cur = con.execute(
            f"SELECT {', '.join(COLUMNS)} FROM marts.dim_resident WHERE {' AND '.join(where)} "
            f"ORDER BY name_std, resident_id LIMIT {int(limit)}", params)
        rows = [dict(zip(COLUMNS, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
    return q, rows


def _token_fn(home: Home):
    """The vault's token function, or None when this home has no key (no UID search)."""
    try:
        from ingest.tokens import Keys, token_for

        mac = Keys.for_home(home).mac
    except Exception:  # no key here: a UID is then searched as a record id
        return None
    return lambda uid: token_for(uid, mac)
