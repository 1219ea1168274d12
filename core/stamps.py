"""When each step last finished: one stamp file per step under the home's logs.

Written by the steps themselves (ingest, matching, dbt) and read by the CLI's step-order
checks (srdh/preflight.py), so it lives at the bottom, below both."""

from __future__ import annotations

import os
from pathlib import Path

from core.paths import Home


def _stamp_path(h: Home, step: str) -> Path:
    return h.logs / "steps" / f"{step}.finished"


def stamp(home: str | os.PathLike[str] | Home | None, step: str) -> None:
    """Record that ``step`` finished now (read by ``srdh.preflight.require``)."""
    import datetime as dt

    h = home if isinstance(home, Home) else Home.at(home)
    p = _stamp_path(h, step)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dt.datetime.now().isoformat(timespec="microseconds") + "\n")


def stamped(h: Home, step: str) -> str | None:
    p = _stamp_path(h, step)
    return p.read_text().strip() if p.is_file() else None
