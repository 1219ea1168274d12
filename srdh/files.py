"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from srdh.paths import PRIVATE_FILE


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
            pacsv.write_csv(table, tmp)
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
