"""Write a feed file into the landing layout ``<landing>/<feed>/<YYYY-MM-DD>/<name>.csv``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

BOM = b"\xef\xbb\xbf"


def _as_string_array(values) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values if values.type == pa.string() else pc.cast(values, pa.string())
    arr = np.asarray(values)
    if arr.dtype.kind in "iuf":
        return pc.cast(pa.array(arr), pa.string())
    return pa.array(arr, pa.string(), from_pandas=True)


def write_csv(landing: Path, feed: str, date: str, name: str, columns: dict,
              order: list[str] | None = None, bom: bool = False) -> Path:
    folder = Path(landing) / feed / date
    folder.mkdir(parents=True, exist_ok=True)
    names = order or list(columns)
    table = pa.table({c: _as_string_array(columns[c]) for c in names})
    path = folder / f"{name}.csv"
    with open(path, "wb") as fh:
        if bom:
            fh.write(BOM)
        pacsv.write_csv(table, fh, write_options=pacsv.WriteOptions(batch_size=65536))
    return path


def shuffled(rng: np.random.Generator, cols: list[str]) -> list[str]:
    """Columns in another order than the contract lists them, as some senders do."""
    return [cols[i] for i in rng.permutation(len(cols))]
