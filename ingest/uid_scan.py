"""Scan a home for raw UIDs outside the vault (the Aadhaar Data Vault rule), and gate on it.

``scan_for_uids(home)`` looks at every column of every table in the warehouse (and the
serving copy, if any) — text, JSON, structs, lists and whole numbers, cast to text — in
all rows, and at every file under the home (CSV, Parquet, JSON, HTML, logs, YAML, TXT),
except the vault, the landing and truth folders (what senders sent, and the generator's
truth) and the ``uid`` column of ``seeded`` rows in ``uid_seeding`` deliveries (the
full-UID deliveries a department may receive). A finding is a Verhoeff-valid 12-digit
number with any separators (:func:`core.uid.find_uids`, the rule the ingest masks by).

Precision: department identifiers (ration cards, bank accounts) may be 12 digits and pass
the Verhoeff check one time in ten. Columns holding them are skipped
(:func:`id_columns`: the fields declared ``identifier: true`` in the feed YAML, their
``std`` / dbt names) unless the number's token is in the vault, i.e. it is a real UID known
to SRDH. In a feed's mobile column a value that is a mobile after removing ``+91`` / ``91``
/ ``0`` is not a UID. Text that is not tabular (logs, JSON) has no such column; in HTML that
SRDH writes (the household card), an element marked ``data-srdh-identifier=<column>`` holds
that id column's value and is judged by the same rule.

``uid_gate(home, step)`` runs the scan before publish and before deliver: a finding stops
the step (:class:`UidLeak`). ``srdh scan`` runs it by hand.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from core.errors import EXIT_USAGE, UserError
from core.paths import Home
from core.uid import UID_CANDIDATE_SQL, find_uids, masked_uid, verhoeff_valid_many

TEXT_SUFFIXES = {".csv", ".json", ".html", ".htm", ".log", ".txt", ".yaml", ".yml", ".md",
                 ".tsv", ".xml", ".sql"}
# types never holding a UID as text (a UID stored as a number is caught: integers are cast)
_NOT_TEXT = ("BOOLEAN", "DATE", "TIME", "TIMESTAMP", "FLOAT", "DOUBLE", "BLOB", "UUID",
             "INTERVAL", "DECIMAL", "REAL")


class UidLeak(UserError):
    """A raw UID was found outside the vault: the step that was about to run is stopped
    (nothing done: exit code 2 on the command line). ``findings`` lists them, masked."""

    def __init__(self, step: str, findings: list[Finding]):
        self.findings = findings
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        super().__init__(
            f"{step} stopped: {len(findings)} raw UID(s) outside the vault, e.g. "
            f"{findings[0]}{more}",
            "`srdh scan` lists them; remove them, or declare a column of 12-digit department "
            "ids `identifier: true` in its feed YAML", code=EXIT_USAGE)


@dataclass(frozen=True)
class Finding:
    where: str  # table or file
    column: str | None  # column, or line number for files
    masked: str  # XXXX-XXXX-1234
    in_vault: bool | None = None  # the number's token is in the vault: a real, known UID
    token: str | None = None  # its uid_token (letters only), when the vault key is available

    def __str__(self) -> str:
        known = " (a UID held in the vault)" if self.in_vault else ""
        return f"{self.where} [{self.column}]: {self.masked}{known}"


@dataclass(frozen=True)
class _Rules:
    mac: bytes | None  # token key of the home, when available
    ids: frozenset[str]  # columns holding department identifiers
    mobiles: frozenset[str]  # columns holding mobiles


def scan_text(text: str) -> list[str]:
    """The UIDs (12 digits each) in ``text``."""
    return [d for _, _, d in find_uids(text)]


def _finding(rules: _Rules, where: str, column: str | None, digits: str) -> Finding:
    token = None
    if rules.mac:
        from ingest.tokens import token_for

        token = token_for(digits, rules.mac)
    return Finding(where, column, masked_uid(digits), token=token)


_ID_EXTRA = {"ration_card_no", "ration_card_member_id", "job_card_no", "member_id",
             "card_no", "bank_account_no"}


def id_columns() -> set[str]:
    """Lower-case names of columns holding department identifiers that may be 12 digits:
    fields declared ``identifier: true``, and their names in ``std`` and dbt."""
    cols = set(_ID_EXTRA)
    try:
        from ingest.registry import load_registry

        for src in load_registry().values():
            for name in src.identifier_fields:
                cols.add(name.lower())
                if src.person and name == src.person.household_ref:
                    cols.add("household_ref")
                if name == src.record_id:
                    cols.add("source_record_id")
    except Exception:  # a broken registry must not stop a leak scan
        pass
    return cols


def mobile_columns() -> set[str]:
    cols = {"mobile"}
    try:
        from ingest.registry import load_registry

        cols |= {s.person.mobile.lower() for s in load_registry().values()
                 if s.person and s.person.mobile}
    except Exception:
        pass
    return cols


def _is_id_column(rules: _Rules, column: str | None) -> bool:
    """A column of department identifiers, also as one side of a pair (``household_ref_l``,
    ``_r``: the review queue and its export put two records side by side)."""
    col = (column or "").lower()
    return col in rules.ids or re.sub(r"_[lr]$", "", col) in rules.ids


def _id_column_hits(rules: _Rules, where: str, column: str, values) -> list[Finding]:
    """A department-id column: only a value that is a whole UID *held in the vault* counts
    (checked by :func:`_mark_vault`); vectorised, as every ration card is a candidate."""
    if not rules.mac:
        return []
    from ingest.tokens import tokens_for

    digits = [d for d in {re.sub(r"[^0-9]", "", v) for v in values if v}
              if len(d) == 12 and d[0] in "23456789"]
    if not digits:
        return []
    arr = np.frombuffer("".join(digits).encode("ascii"), dtype=np.uint8).reshape(-1, 12) - 48
    valid = [d for d, ok in zip(digits, verhoeff_valid_many(arr), strict=True) if ok]
    return [Finding(where, column, masked_uid(d), token=t)
            for d, t in zip(valid, tokens_for(valid, rules.mac), strict=True)]


def _scan_values(rules: _Rules, where: str, column: str, values) -> list[Finding]:
    from ingest.masking import is_mobile

    if _is_id_column(rules, column):
        return _id_column_hits(rules, where, column, values)
    mobile = column.lower() in rules.mobiles
    out = []
    for v in values:
        if v is None or (mobile and is_mobile(v)):
            continue
        out += [_finding(rules, where, column, d) for d in scan_text(v)]
    return out


def _scan_relation(con, rules: _Rules, rel: str, where: str,
                   extra_where: dict[str, str] | None = None) -> list[Finding]:
    """Every column of ``rel`` (text, JSON, nested, integers cast to text), all rows, in one
    pass: the distinct candidate values of each column (SQL prefilter), then the exact rule
    on those few in Python."""
    cols = [(name, typ) for name, typ, *_ in con.execute(f"DESCRIBE SELECT * FROM {rel}")
            .fetchall() if not typ.upper().startswith(_NOT_TEXT)]
    if not cols:
        return []
    pattern = "'" + UID_CANDIDATE_SQL.replace("'", "''") + "'"
    aggs = []
    for name, typ in cols:
        ident = '"' + name.replace('"', '""') + '"'
        text = ident if typ.upper() == "VARCHAR" else f"CAST({ident} AS VARCHAR)"
        cond = (extra_where or {}).get(name, "")
        aggs.append(f"list(DISTINCT {text}) FILTER (WHERE regexp_matches({text}, {pattern})"
                    f" {cond})")
    lists = con.execute(f"SELECT {', '.join(aggs)} FROM {rel}").fetchone()
    out: list[Finding] = []
    for (name, _), values in zip(cols, lists, strict=True):
        out += _scan_values(rules, where, name, values or [])
    return out


def scan_database(path: Path, label: str | None = None, rules: _Rules | None = None
                  ) -> list[Finding]:
    rules = rules or _Rules(None, frozenset(), frozenset())
    out: list[Finding] = []
    if not path.exists():
        return out
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET enable_progress_bar = false")
        tables = con.execute("""
            SELECT DISTINCT table_schema, table_name FROM information_schema.columns
            WHERE table_catalog = current_database() ORDER BY ALL""").fetchall()
        for schema, table in tables:
            rel = f'"{schema}"."{table}"'
            out += _scan_relation(con, rules, rel, f"{label or path.name}:{schema}.{table}")
    finally:
        con.close()
    return out


def _scan_csv(rules: _Rules, path: Path, text: str) -> list[Finding]:
    """A CSV file, column by column (findings name the header). In a uid_seeding delivery
    the uid column of `seeded` rows is sanctioned."""
    out: list[Finding] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    lower = [h.strip().lstrip("\ufeff").lower() for h in header]
    for d in scan_text(",".join(header)):
        out.append(_finding(rules, str(path), "line 1", d))
    seeding = "uid_seeding" in path.name
    uid_i = lower.index("uid") if seeding and "uid" in lower else None
    for n, row in enumerate(reader, start=2):
        seeded = uid_i is not None and any(c.strip().lower() == "seeded" for c in row)
        for i, cell in enumerate(row):
            if i == uid_i and seeded:
                continue
            col = header[i].strip() if i < len(header) else f"line {n}"
            out += _scan_values(rules, f"{path}:line {n}", col, [cell])
    return out


_HTML_ID = re.compile(r"<(\w+)[^>]*\bdata-srdh-identifier=\"?([a-z_]+)\"?[^>]*>([^<]*)</\1>")


def _scan_html(rules: _Rules, path: Path, text: str) -> list[Finding]:
    """HTML line by line; an element marked ``data-srdh-identifier=<column>`` is a value of
    that department-id column (kept only if it is a UID held in the vault, as in a table)."""
    out: list[Finding] = []
    for n, line in enumerate(text.splitlines(), start=1):
        for m in _HTML_ID.finditer(line):
            out += [_finding(rules, f"{path}:line {n}", m.group(2), d)
                    for d in scan_text(m.group(3))]
        rest = _HTML_ID.sub(" ", line)
        out += [_finding(rules, str(path), f"line {n}", d) for d in scan_text(rest)]
    return out


def _scan_parquet(rules: _Rules, path: Path) -> list[Finding]:
    con = duckdb.connect()
    try:
        p = str(path).replace("'", "''")
        rel = f"read_parquet('{p}')"
        names = [c[0] for c in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        extra = {}
        if "uid_seeding" in path.name and "uid" in names:
            others = [f'lower(CAST("{c}" AS VARCHAR)) = \'seeded\'' for c in names if c != "uid"]
            if others:
                extra["uid"] = f"AND NOT ({' OR '.join(others)})"
        return _scan_relation(con, rules, rel, str(path), extra)
    finally:
        con.close()


def _rules(home: Home) -> _Rules:
    mac = None
    try:
        from ingest.tokens import Keys

        mac = Keys.for_home(home).mac
    except Exception:  # no key: findings are reported without vault membership
        pass
    return _Rules(mac, frozenset(id_columns()), frozenset(mobile_columns()))


def scan_for_uids(home: Home | str | Path, include_landing: bool = False,
                  serving: bool = True) -> list[Finding]:
    """Every UID found outside the vault (and outside landing/truth). ``serving``: scan the
    serving copy too (publish leaves it out: it is about to be replaced)."""
    home = home if isinstance(home, Home) else Home.at(home)
    rules = _rules(home)
    findings = scan_database(home.warehouse, "warehouse", rules)
    if serving and home.serving.exists():
        findings += scan_database(home.serving, "serving", rules)
    skip = [home.vault_dir.resolve()]
    if not include_landing:
        skip += [home.landing.resolve(), home.truth.resolve()]
    for path in sorted(home.root.rglob("*")):
        rp = path.resolve()
        if not path.is_file() or any(rp == s or s in rp.parents for s in skip):
            continue
        suffix = path.suffix.lower()
        findings += [_finding(rules, str(path), "file name", d) for d in scan_text(path.name)]
        if suffix == ".parquet":
            findings += _scan_parquet(rules, path)
        elif suffix in TEXT_SUFFIXES:
            text = path.read_text(encoding="utf-8", errors="replace")
            if not find_uids(text):  # the common case: one pass over the whole file
                continue
            if suffix == ".csv":
                findings += _scan_csv(rules, path, text)
                continue
            if suffix in (".html", ".htm"):
                findings += _scan_html(rules, path, text)
                continue
            for n, line in enumerate(text.splitlines(), start=1):
                findings += [_finding(rules, str(path), f"line {n}", d) for d in scan_text(line)]
    return _mark_vault(home, rules, findings)


def scan_arrow(home: Home | str | Path, table, where: str) -> list[Finding]:
    """The UIDs in an in-memory Arrow table about to be written (every column, all rows),
    by the same rules as :func:`scan_for_uids`: a writer checks its output before it
    lands (e.g. the Jan Samvad call list)."""
    home = home if isinstance(home, Home) else Home.at(home)
    rules = _rules(home)
    con = duckdb.connect()
    try:
        con.register("_scanned", table)
        findings = _scan_relation(con, rules, "_scanned", where)
    finally:
        con.close()
    return _mark_vault(home, rules, findings)


def _mark_vault(home: Home, rules: _Rules, findings: list[Finding]) -> list[Finding]:
    """Flag findings whose number is a UID held in the vault; drop those in a column known
    to hold department identifiers unless they are such a UID."""
    tokens = [f.token for f in findings if f.token]
    known: set[str] = set()
    if tokens and home.vault.exists():
        con = duckdb.connect(str(home.vault), read_only=True)
        try:
            known = {r[0] for r in con.execute(
                "SELECT uid_token FROM uids WHERE list_contains(?, uid_token)",
                [tokens]).fetchall()}
        finally:
            con.close()
    marked = [Finding(f.where, f.column, f.masked, f.token in known, f.token) for f in findings]
    return [f for f in marked if f.in_vault or not _is_id_column(rules, f.column)]


def uid_gate(home: Home | str | Path, step: str) -> None:
    """Stop ``step`` (publish, deliver) when a raw UID is found outside the vault: scans the
    warehouse and the home's files (not the serving copy, which publish replaces)."""
    findings = scan_for_uids(home, serving=False)
    if findings:
        raise UidLeak(step, findings)
