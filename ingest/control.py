"""The optional ``_control.csv`` of a delivery folder (FEEDS.md, "Control file").

Header ``file_name,row_count,sha256``, one line per data file. When present, the batch
loads only if every listed file is there with that sha256 and row count (data rows, header
excluded) and no unlisted ``.csv`` is in the folder; otherwise the batch is refused naming
the file and what differs. A file still being copied, or cut at a line boundary, fails
the check instead of loading half its rows.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ingest.landing import CONTROL
from ingest.reader import FileCheck, Refusal

RESEND = "ask the sender to resend it (copy under a temporary name, then rename)"


@dataclass(frozen=True)
class Expected:
    rows: int
    sha256: str


def read_control(folder: Path) -> dict[str, Expected] | None:
    """The control file's lines by file name, or None when the folder has none."""
    path = next((p for p in folder.iterdir() if p.name.lower() == CONTROL), None)
    if path is None:
        return None
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except UnicodeDecodeError:
        raise Refusal(path.name, None, "the control file is not UTF-8 text") from None
    head = [h.strip().lower() for h in rows[0]] if rows else []
    if head[:3] != ["file_name", "row_count", "sha256"]:
        raise Refusal(path.name, 1, "the header must be file_name,row_count,sha256 (found "
                      f"{','.join(head) or 'nothing'}); {RESEND}")
    out: dict[str, Expected] = {}
    for line, r in enumerate(rows[1:], start=2):
        if not r or not "".join(r).strip():
            continue
        try:
            name, count, sha = (x.strip() for x in r[:3])
            out[name] = Expected(int(count), sha.lower())
        except ValueError:
            raise Refusal(path.name, line, "expected file_name,row_count,sha256 with a whole "
                          f"row_count; {RESEND}") from None
    return out


def check_files(control: dict[str, Expected], checks: list[FileCheck]) -> None:
    """Every listed file present with its sha256, no unlisted CSV; or refuse the batch."""
    have = {c.path.name: c for c in checks}
    for name in sorted(set(have) - set(control)):
        raise Refusal(name, None, f"not listed in {CONTROL}: remove it, or ask the sender for "
                      "a control file that lists it")
    for name, exp in sorted(control.items()):
        c = have.get(name)
        if c is None:
            raise Refusal(name, None, f"listed in {CONTROL} but not in the delivery folder "
                          f"(still being copied?); {RESEND}")
        if c.sha256 != exp.sha256:
            raise Refusal(name, None, f"its sha256 differs from {CONTROL} (the file is "
                          f"incomplete or changed after the control file was written); {RESEND}")


def check_rows(control: dict[str, Expected], name: str, rows: int) -> None:
    exp = control.get(name)
    if exp is not None and exp.rows != rows:
        raise Refusal(name, None, f"{rows} data rows, but {CONTROL} says {exp.rows}; {RESEND}")
