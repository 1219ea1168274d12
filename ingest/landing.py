"""The landing check: what arrived, and everything that does not fit the feed contract.

The contract's layout is ``<landing>/<feed>/<YYYY-MM-DD>/<name>.csv`` (one delivery folder
per feed and date; KYR may add ``photos/`` beside its CSV; any feed may add a
``_control.csv``). Every file or folder outside it is named here with the layout it
should have, so nothing a sender put in the wrong place is silently left behind. The check
only reads the folder tree: it creates nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import UserError, mask_uids
from ingest.registry import Source

DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = "_control.csv"
LAYOUT = "<landing>/<feed>/<YYYY-MM-DD>/<name>.csv"


class LandingMissing(UserError):
    pass


@dataclass
class Landing:
    batches: list[tuple[Source, Path]] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # feeds with at least one CSV
    unknown: list[str] = field(default_factory=list)  # top folders that are no feed
    problems: list[str] = field(default_factory=list)  # one line per misplaced thing


def data_files(folder: Path) -> list[Path]:
    """The delivery folder's data files: ``*.csv`` (any case), not the control file."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"
                  and p.name.lower() != CONTROL)


def _date_hint(name: str) -> str:
    m = re.fullmatch(r"(\d{4})[-_./](\d{1,2})[-_./](\d{1,2})", name)
    if m:
        try:
            return f" (rename it {dt.date(*map(int, m.groups())).isoformat()})"
        except ValueError:
            return " (not a real date)"
    return ""


def _unsupported(p: Path, where: str) -> str:
    name = p.name.lower()
    if name.endswith((".part", ".tmp", ".partial", ".crdownload")):
        why = "still being copied? it loads once renamed to .csv"
    elif name.endswith((".gz", ".zip", ".bz2", ".xz", ".7z")):
        why = "compressed files are not read: deliver the plain .csv"
    elif name.endswith((".xlsx", ".xls", ".ods")):
        why = "spreadsheets are not read: export it as CSV (UTF-8, comma-separated)"
    else:
        why = "only .csv files are loaded"
    return f"{where}/{p.name}: unsupported file, not loaded ({why})"


def survey(landing: Path, reg: dict[str, Source], feeds: list[str] | None) -> Landing:
    """Batches to load, in folder order, and every layout problem; raises LandingMissing."""
    if not landing.is_dir():
        what = "is a file, not a folder" if landing.exists() else "does not exist"
        raise LandingMissing(f"landing folder {landing} {what}",
                             f"pass --landing DIR laid out as {LAYOUT}")
    out = Landing()
    for d in sorted(landing.iterdir()):
        if d.name.startswith("."):
            continue
        if not d.is_dir():
            out.problems.append(f"{d.name}: a file at the landing root, not loaded (expected "
                                f"{LAYOUT}: move it into its feed's delivery-date folder)")
            continue
        if feeds and d.name not in feeds:
            continue
        src = reg.get(d.name)
        if src is None:
            out.unknown.append(d.name)
            continue
        for p in sorted(d.iterdir()):
            if p.name.startswith("."):
                continue
            if p.is_file():
                out.problems.append(f"{d.name}/{p.name}: a file directly in the feed folder, "
                                    f"not loaded (move it into {d.name}/<YYYY-MM-DD>/, the "
                                    "delivery date)")
            elif not DATE_DIR.match(p.name) or _date_hint(p.name) == " (not a real date)":
                out.problems.append(f"{d.name}/{p.name}/: not a delivery-date folder, not loaded"
                                    f" (expected {d.name}/YYYY-MM-DD/{_date_hint(p.name)})")
            else:
                _delivery(out, src, p)
    out.problems = [mask_uids(p) for p in out.problems]  # a file named after a person's UID
    out.unknown = [mask_uids(u) for u in out.unknown]
    return out


def _delivery(out: Landing, src: Source, folder: Path) -> None:
    where = f"{src.feed}/{folder.name}"
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        if p.is_dir():
            if p.name == "photos" and src.photo_field is not None:
                continue
            out.problems.append(f"{where}/{p.name}/: unexpected folder, not loaded (a delivery "
                                "folder holds .csv files" + (" and photos/" if src.photo_field
                                                             else "") + ")")
        elif p.suffix.lower() != ".csv":
            out.problems.append(_unsupported(p, where))
    files = data_files(folder)
    if files:
        out.present.add(src.feed)
        out.batches.append((src, folder))
    elif not (folder / CONTROL).is_file():
        out.problems.append(f"{where}/: no .csv file in the delivery folder")
    else:
        out.batches.append((src, folder))  # a control file alone: its check names the files
