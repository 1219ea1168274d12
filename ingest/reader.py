"""Reading delivered files: sniffing, refusal with file and line, staging into DuckDB.

A file is refused as a whole (and with it its batch) when it is not UTF-8, uses another
delimiter than a comma, lacks a required column, or is truncated (an unterminated quote,
a last line cut short). The refusal names the file and the line.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from core.errors import mask_uids
from core.uid import find_uids
from ingest.registry import Source, normalise_header

CHUNK = 8 << 20
# The longest line (bytes) a row may have: DuckDB's own default. A longer row is an export
# fault (a runaway value), quarantined with its column; both readers below use this limit.
MAX_LINE_BYTES = 2_000_000


class Refusal(Exception):
    """A whole-batch refusal: the file cannot be read as the feed's layout."""

    def __init__(self, file: str, line: int | None, reason: str):
        # a refusal is shown, logged and stored: never with a UID in it (file names too)
        file, reason = mask_uids(file), mask_uids(reason)
        self.file, self.line, self.reason = file, line, reason
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {reason}")


@dataclass
class FileCheck:
    path: Path
    sha256: str
    size: int
    headers: list[str]
    columns: dict[str, int]  # canonical field -> 0-based position in the file
    ignored: list[str] = field(default_factory=list)  # headers the feed does not know (masked)
    name: str = ""  # the file name as stored: UIDs in it masked
    name_uids: list[str] = field(default_factory=list)  # UIDs found in the file name
    header_uids: list[str] = field(default_factory=list)  # UIDs found in the header

    def __post_init__(self):
        self.name = self.name or mask_uids(self.path.name)


def _first_line(path: Path) -> str:
    with open(path, "rb") as fh:
        raw = fh.readline(1 << 20)
    return raw.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")


def inspect_file(path: Path, src: Source) -> FileCheck:
    """Hash the file, check it is UTF-8 and that its header fits the feed; or refuse it."""
    name = path.name
    sha = hashlib.sha256()
    dec = codecs.getincrementaldecoder("utf-8")()
    size = 0
    lines_before = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
            size += len(chunk)
            try:
                dec.decode(chunk)
            except UnicodeDecodeError as exc:
                line = lines_before + chunk.count(b"\n", 0, exc.start) + 1
                bad = chunk[exc.start]
                raise Refusal(name, line, f"the file is not UTF-8 text (byte 0x{bad:02x} cannot"
                              " be decoded); ask the sender to export as UTF-8") from None
            lines_before += chunk.count(b"\n")
        try:
            dec.decode(b"", final=True)
        except UnicodeDecodeError:
            raise Refusal(name, lines_before + 1, "the file is not UTF-8 text (it ends inside"
                          " a multi-byte character: truncated?)") from None
    if size == 0:
        raise Refusal(name, None, "the file is empty (no header row)")
    header_line = _first_line(path)
    headers = next(csv.reader([header_line]), [])
    if len(headers) <= 1 or len(headers) < len(src.required_fields):
        for delim, label in ((";", "semicolon ';'"), ("\t", "tab"), ("|", "pipe '|'")):
            if delim in header_line:
                raise Refusal(name, 1, f"wrong delimiter: the header is separated by {label};"
                              " the feed must be comma-separated")
    norm = [normalise_header(h) for h in headers]
    columns: dict[str, int] = {}
    ignored: list[str] = []
    lookup = {h: f.name for f in src.fields.values() for h in f.headers_norm}
    for i, h in enumerate(norm):
        canon = lookup.get(h)
        if canon is None:
            if h:
                ignored.append(headers[i].strip())
            continue
        if canon in columns:
            raise Refusal(name, 1, f"column '{headers[i].strip()}' appears twice in the header")
        columns[canon] = i
    missing = [f.name for f in src.required_fields if f.name not in columns]
    if missing:  # never echo the first line: without a header it is a row of data
        raise Refusal(name, 1, "missing required column(s): " + ", ".join(missing)
                      + f" (the first line has {len(headers)} fields, {len(columns)} of them"
                      f" known to feed {src.feed}; is the header row missing?)")
    header_uids = [d for h in headers for _, _, d in find_uids(h)]
    return FileCheck(path, sha.hexdigest(), size, headers, columns,
                     [mask_uids(h) for h in ignored],
                     name_uids=[d for _, _, d in find_uids(name)], header_uids=header_uids)


_LINE_RE = re.compile(r"CSV Error on Line:\s*(\d+)")
_COLS_RE = re.compile(r"Expected Number of Columns:\s*(\d+)\s*Found:\s*(\d+)")
_TOO_LONG = "Maximum line size"


def _duckdb_refusal(name: str, exc: Exception) -> Refusal:
    msg = str(exc)
    m = _LINE_RE.search(msg)
    line = int(m.group(1)) if m else None
    if "unterminated quote" in msg:
        reason = "a quoted value is never closed (the file is truncated or has a stray quote)"
    elif (c := _COLS_RE.search(msg)) is not None:
        exp, found = int(c.group(1)), int(c.group(2))
        if found < exp:
            reason = (f"expected {exp} fields, found {found} (the line is cut short: truncated"
                      " file, or not comma-separated)")
        else:
            reason = (f"expected {exp} fields, found {found} (an unquoted comma, or a wrong"
                      " delimiter)")
    elif _TOO_LONG in msg:
        reason = (f"a line longer than {MAX_LINE_BYTES:,} bytes that cannot be split into "
                  "rows (a quote opened and never closed?); ask the sender to check that "
                  "line and resend the file")
    elif "unicode" in msg.lower() or "utf" in msg.lower():
        reason = "the file is not UTF-8 text"
    else:  # never echo DuckDB's "Original Line": it may hold a UID
        reason = "the file cannot be read as CSV: " + msg.split("\n", 1)[0][:200]
    return Refusal(name, line, reason)


@dataclass
class RowFault:
    """A data row with more or fewer fields than the header, or a line over
    ``MAX_LINE_BYTES``: quarantined, not a refusal."""

    row: int  # data row number (1 = the first row after the header)
    fields: list[str]
    expected: int
    column: str | None = None  # the runaway value's column, for a line too long
    size: int = 0  # that value's length in bytes

    @property
    def reason(self) -> str:
        if self.column is not None:
            return (f"row {self.row}, column {self.column}: a value of {self.size:,} bytes "
                    f"(a line may hold at most {MAX_LINE_BYTES:,}); ask the sender to check "
                    "that value (a broken export?) and resend the file")
        found = len(self.fields)
        why = ("a value holds an unquoted comma, or a field too many" if found > self.expected
               else "fields are missing, or the line was cut")
        return (f"row {self.row}: expected {self.expected} fields, found {found} ({why}); "
                "fix the row and resend the file")


def row_faults(path: Path, expected: int, names: list[str] | None = None
               ) -> tuple[list[RowFault], int]:
    """Every data row whose field count differs from the header's or whose line is longer
    than ``MAX_LINE_BYTES`` (its longest value named by ``names``, the column per
    position), and the number of data rows (blank lines are skipped, as DuckDB does).
    Python's csv module follows quoted line breaks, so the row numbers match DuckDB's."""
    csv.field_size_limit(1 << 30)
    faults: list[RowFault] = []
    n = 0
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = csv.reader(fh)
        next(rows, None)
        for fields in rows:
            if not fields:
                continue
            n += 1
            sizes = [len(f.encode()) for f in fields]
            if sum(sizes) + len(fields) - 1 > MAX_LINE_BYTES:
                i = max(range(len(fields)), key=sizes.__getitem__)
                col = names[i] if names and i < len(names) else f"{i + 1} (by position)"
                kept = [f if len(f) <= 200 else f[:200] + "..." for f in fields]
                faults.append(RowFault(n, kept, expected, column=col, size=sizes[i]))
            elif len(fields) != expected:
                faults.append(RowFault(n, fields, expected))
    return faults, n


def _mixed_line_endings(path: Path) -> int | None:
    """The line where a file that ended lines with CRLF switches to LF (or back), else None."""
    kinds: set[bool] = set()
    with open(path, "rb") as fh:
        for no, line in enumerate(fh, start=1):
            if line.endswith(b"\n"):
                kinds.add(line.endswith(b"\r\n"))
                if len(kinds) == 2:
                    return no
    return None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) in (b"\n", b"\r")


def stage_file(con: duckdb.DuckDBPyConnection, fc: FileCheck, src: Source, table: str
               ) -> tuple[int, int, list[RowFault]]:
    """Read the file once into the temp table ``table``: the feed's canonical text columns
    only (projection pushed into the CSV reader), plus ``_uid_norm`` (the UID column without
    spaces or hyphens) for a feed with a UID. The table's ``rowid`` gives the data row
    number (DuckDB preserves the file's order). Returns the number of data rows, the
    first rowid (``rowid - first + 1`` is the row number) and the row faults.

    A row with too many or too few fields is a row fault: the file is read again without
    those rows, and ``<table>_rows`` maps each staged row (``_k = rowid - first``) to its
    row number in the file (``_r``). A short last row without a line break is a file cut
    short (still being written): that refuses the batch."""
    n = len(fc.headers)
    cols = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n)) + "}"
    path = str(fc.path).replace("'", "''")
    sel = [f'c{fc.columns[f]} AS "{f}"' if f in fc.columns else f'NULL::VARCHAR AS "{f}"'
           for f in src.fields]  # the feed's field order, whatever the file's
    uid = src.uid_field
    if uid is not None:
        i = fc.columns.get(uid.name)
        sel.append(f"regexp_replace(c{i}, '[\\s\\-]', '', 'g') AS _uid_norm" if i is not None
                   else "NULL::VARCHAR AS _uid_norm")

    def read(skip_faults: bool, strict: bool = True) -> None:
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT {', '.join(sel)} FROM (SELECT * FROM "
            f"read_csv('{path}', auto_detect=false, header=false, skip=1, delim=',', quote='\"',"
            f" escape='\"', strict_mode={str(strict).lower()}, null_padding=false, "
            f"max_line_size={MAX_LINE_BYTES}, "
            f"columns={cols}, encoding='utf-8', ignore_errors={str(skip_faults).lower()}))")

    faults: list[RowFault] = []
    try:
        read(False)
    except duckdb.Error as exc:
        refusal = _duckdb_refusal(fc.path.name, exc)
        mixed = _mixed_line_endings(fc.path)
        if mixed:  # CRLF and LF rows: DuckDB's strict reader stops, the lenient one copes
            faults, total = row_faults(fc.path, n)
            try:
                read(False, strict=False)
                staged = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            except duckdb.Error:
                staged = -1
            if faults or staged != total:
                raise Refusal(fc.path.name, mixed, "the file mixes CRLF and LF line endings "
                              "(the ending changes here) and cannot be read safely; ask the "
                              "sender to export it again with one kind of line ending") from None
            return staged, con.execute(f"SELECT coalesce(min(rowid), 0) FROM {table}"
                                       ).fetchone()[0], []
        if _COLS_RE.search(str(exc)) is None and _TOO_LONG not in str(exc):
            raise refusal from None
        by_pos = {i: f for f, i in fc.columns.items()}
        faults, total = row_faults(fc.path, n, [by_pos.get(i, mask_uids(h))
                                                for i, h in enumerate(fc.headers)])
        if not faults or (faults[-1].column is None and len(faults[-1].fields) < n
                          and faults[-1].row == total
                          and not _ends_with_newline(fc.path)):
            raise refusal from None
        read(True)
        staged = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if staged + len(faults) != total:  # the two readers disagree: refuse, lose nothing
            raise refusal from None
    rows, first = con.execute(f"SELECT count(*), coalesce(min(rowid), 0) FROM {table}").fetchone()
    if faults:
        bad = {f.row for f in faults}
        good = [r for r in range(1, rows + len(faults) + 1) if r not in bad]
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_rows AS SELECT unnest($1) AS _k, "
                    "unnest($2) AS _r", [list(range(len(good))), good])
    return rows + len(faults), first, faults
