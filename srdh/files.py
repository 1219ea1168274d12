"""Atomic file writes: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def write_table_atomic(table: pa.Table, folder: Path, stem: str,
                       formats: tuple[str, ...] = ("csv", "parquet")) -> dict[str, dict[str, Any]]:
    """Write ``<folder>/<stem>.<fmt>`` via a temporary name, fsync and rename.

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
        _fsync(tmp)
        os.replace(tmp, final)
        out[final.name] = {"path": str(final), "rows": table.num_rows, "sha256": sha256(final)}
    return out


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
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
