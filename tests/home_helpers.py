"""A new SRDH home for a test: its vault key is created on purpose, as `srdh vault init-key`
does (an ingest never creates one). Call before the first ingest or run into a new home."""

from __future__ import annotations

import os
from pathlib import Path


def ensure_key(home: str | os.PathLike[str]) -> Path:
    """Create the home's vault key if it has none (idempotent); returns the home root."""
    from ingest.tokens import init_key, key_file
    from srdh.paths import Home

    h = Home.at(home)
    if not key_file(h).exists():
        init_key(h)
    return h.root
