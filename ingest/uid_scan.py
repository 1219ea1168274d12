"""Scan a home for raw UIDs outside the vault (the Aadhaar Data Vault rule).

``scan_for_uids(home)`` looks at every VARCHAR column of every table in the warehouse
(and the serving copy, if any) and at every text-like file under the home (CSV, JSON,
HTML, logs, YAML, TXT, and Parquet via DuckDB), except the vault folder, the landing and
truth folders (where raw UIDs are sanctioned). A finding is a 12-digit number (spaces or
hyphens allowed between digit groups) that is a valid UID: first digit 2-9 and a valid
Verhoeff check digit. The one sanctioned exception is the ``uid`` column of ``seeded``
rows in ``uid_seeding`` deliveries.

Precision: department identifiers (ration-card numbers, member and job-card ids) are often
12 digits and pass the Verhoeff check by chance one time in ten. A number is therefore
reported when (a) its token is in the vault, i.e. it is a real UID known to SRDH, wherever
it is found; or (b) it is found anywhere except a column known to hold non-UID identifiers
(:func:`id_columns`: every feed's record id and household reference, and their ``std`` /
dbt names). Text that is not tabular (logs, HTML, JSON) has no such column: every valid
number found there is reported. Without the vault key, (a) cannot be checked and nothing
is left out.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from srdh.paths import Home
from srdh.uid import is_valid_uid

# 12 digits, optionally in groups separated by one space or hyphen, not inside a longer number
# (a run inside a longer alphanumeric token, e.g. a sha256 in hex, is not a UID)
UID_PATTERN = (r"(?:^|[^0-9A-Za-z])([2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4})"
               r"(?:[^0-9A-Za-z]|$)")
_UID_RE = re.compile(r"(?<![0-9A-Za-z])[2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}(?![0-9A-Za-z])")
TEXT_SUFFIXES = {".csv", ".json", ".html", ".htm", ".log", ".txt", ".yaml", ".yml", ".md",
                 ".tsv", ".xml", ".sql"}


@dataclass(frozen=True)
class Finding:
    where: str  # table or file
    column: str | None  # column, or line number for files
    masked: str  # XXXX XXXX 1234
    in_vault: bool | None = None  # the number's token is in the vault: a real, known UID
    token: str | None = None  # its uid_token (letters only), when the vault key is available

    def __str__(self) -> str:
        known = {True: " (a UID held in the vault)", False: "", None: ""}[self.in_vault]
        return f"{self.where} [{self.column}]: {self.masked}{known}"


_MAC: list[bytes] = []  # token key of the home being scanned, when available


def _mask(v: str) -> str:
    digits = re.sub(r"[^0-9]", "", v)
    return f"XXXX XXXX {digits[-4:]}"


def _valid(candidate: str) -> bool:
    return is_valid_uid(candidate)


def _finding(where: str, column: str | None, hit: str) -> Finding:
    token = None
    if _MAC:
        from ingest.tokens import token_for

        token = token_for(re.sub(r"[^0-9]", "", hit), _MAC[0])
    return Finding(where, column, _mask(hit), token=token)


_ID_EXTRA = {"source_record_id", "household_ref", "ration_card_no", "job_card_no",
             "member_id", "card_no"}


def id_columns() -> set[str]:
    """Lower-case names of columns known to hold department identifiers, not UIDs."""
    cols = set(_ID_EXTRA)
    try:
        from ingest.registry import load_registry

        for src in load_registry().values():
            for name in (src.record_id, src.person.household_ref if src.person else None):
                if name and src.fields[name].type != "uid":
                    cols.add(name.lower())
    except Exception:  # a broken registry must not stop a leak scan
        pass
    return cols


# A UUID (GX expectation and run ids, Airflow ids) holds hyphen-separated groups of hex
# digits; its "2345-4678-9012" middle or all-digit last group is not a UID.
_UUID_RE = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-"
                      r"[0-9A-Fa-f]{12}")


def scan_text(text: str) -> list[str]:
    if "-" in text:
        text = _UUID_RE.sub(" ", text)
    return [m.group(0) for m in _UID_RE.finditer(text) if _valid(m.group(0))]


def scan_database(path: Path, label: str | None = None) -> list[Finding]:
    out: list[Finding] = []
    if not path.exists():
        return out
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute("""
            SELECT table_schema, table_name, column_name FROM information_schema.columns
            WHERE data_type = 'VARCHAR' AND table_catalog = current_database()""").fetchall()
        for schema, table, col in cols:
            ident = f'"{schema}"."{table}"'
            rows = con.execute(
                f'SELECT DISTINCT "{col}" FROM {ident} WHERE regexp_matches("{col}", ?)',
                [UID_PATTERN]).fetchall()
            for (v,) in rows:
                for hit in scan_text(v):
                    out.append(_finding(f"{label or path.name}:{schema}.{table}", col, hit))
    finally:
        con.close()
    return out


def _scan_csv(path: Path, text: str) -> list[Finding]:
    """A CSV file, column by column (findings name the header). In a uid_seeding delivery
    the uid column of `seeded` rows is sanctioned."""
    out: list[Finding] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    lower = [h.strip().lstrip("\ufeff").lower() for h in header]
    for hit in scan_text(",".join(header)):
        out.append(_finding(str(path), "line 1", hit))
    seeding = "uid_seeding" in path.name
    uid_i = lower.index("uid") if seeding and "uid" in lower else None
    for n, row in enumerate(reader, start=2):
        seeded = uid_i is not None and any(c.strip().lower() == "seeded" for c in row)
        for i, cell in enumerate(row):
            if i == uid_i and seeded:
                continue
            for hit in scan_text(cell):
                col = header[i].strip() if i < len(header) else f"line {n}"
                out.append(_finding(f"{path}:line {n}", col, hit))
    return out


def _scan_parquet(path: Path) -> list[Finding]:
    out: list[Finding] = []
    con = duckdb.connect()
    try:
        p = str(path).replace("'", "''")
        cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{p}')").fetchall()
        seeding = "uid_seeding" in path.name
        names = [c[0] for c in cols]
        for name, typ, *_ in cols:
            if typ != "VARCHAR":
                continue
            where = ""
            if seeding and name.lower() == "uid":
                others = [f'lower(CAST("{c}" AS VARCHAR)) = \'seeded\'' for c in names
                          if c != name]
                if others:
                    where = f"AND NOT ({' OR '.join(others)})"
            rows = con.execute(f'SELECT DISTINCT "{name}" FROM read_parquet(\'{p}\') WHERE '
                               f'regexp_matches("{name}", ?) {where}', [UID_PATTERN]).fetchall()
            for (v,) in rows:
                for hit in scan_text(v):
                    out.append(_finding(str(path), name, hit))
    finally:
        con.close()
    return out


def scan_for_uids(home: Home | str | Path, include_landing: bool = False) -> list[Finding]:
    """Every valid-looking UID found outside the vault (and outside landing/truth)."""
    home = home if isinstance(home, Home) else Home.at(home)
    _MAC.clear()
    try:
        from ingest.tokens import Keys

        _MAC.append(Keys.for_home(home).mac)
    except Exception:  # no key: findings are reported without vault membership
        pass
    findings = scan_database(home.warehouse, "warehouse")
    if home.serving.exists():
        findings += scan_database(home.serving, "serving")
    skip = [home.vault_dir.resolve()]
    if not include_landing:
        skip += [home.landing.resolve(), home.truth.resolve()]
    for path in sorted(home.root.rglob("*")):
        rp = path.resolve()
        if not path.is_file() or any(rp == s or s in rp.parents for s in skip):
            continue
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            findings += _scan_parquet(path)
        elif suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            if suffix == ".csv":
                findings += _scan_csv(path, text)
                continue
            for n, line in enumerate(text.splitlines(), start=1):
                for hit in scan_text(line):
                    findings.append(_finding(str(path), f"line {n}", hit))
    return _mark_vault(home, findings)


def _mark_vault(home: Home, findings: list[Finding]) -> list[Finding]:
    """Flag findings whose number is a UID held in the vault; drop the numbers that are
    not in the vault and sit in a column known to hold department identifiers."""
    tokens = [f.token for f in findings if f.token]
    if not tokens or not home.vault.exists():
        return findings  # no key or no vault: nothing can be ruled out
    con = duckdb.connect(str(home.vault), read_only=True)
    try:
        known = {r[0] for r in con.execute(
            "SELECT uid_token FROM uids WHERE list_contains(?, uid_token)", [tokens]).fetchall()}
    finally:
        con.close()
    ids = id_columns()
    marked = [Finding(f.where, f.column, f.masked, f.token in known, f.token) for f in findings]
    return [f for f in marked
            if f.in_vault or f.token is None or (f.column or "").lower() not in ids]
