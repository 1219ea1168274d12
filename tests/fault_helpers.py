"""Fault injection for tests, kept out of production code (see hooks/sitecustomize.py)."""

from __future__ import annotations

import os
from pathlib import Path

HOOKS = Path(__file__).resolve().parent / "hooks"


def paused_env(env: dict[str, str], marker: Path, seconds: float = 300,
               batch: str | None = None) -> dict[str, str]:
    """``env`` for a subprocess whose ingest pauses inside the write transaction of the
    first loaded batch (or of ``batch``), after writing its id to ``marker``."""
    out = dict(env, SRDH_TEST_PAUSE_MARKER=str(marker), SRDH_TEST_PAUSE_SECONDS=str(seconds),
               PYTHONPATH=os.pathsep.join(p for p in (str(HOOKS), env.get("PYTHONPATH")) if p))
    if batch:
        out["SRDH_TEST_PAUSE_BATCH"] = batch
    return out
