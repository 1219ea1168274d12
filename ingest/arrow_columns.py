"""Python columns as Arrow arrays, built from raw buffers.

``pyarrow.array`` on a Python list (or a NumPy bool array) imports pandas to check
for pandas types: about 2 s here, paid by every ingest process. Building the buffers
directly (offsets + one joined data buffer) is as fast and imports nothing more.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


class fixed_width:  # noqa: N801 - reads as a type in column specs
    """A BLOB column given as one buffer of equal-width values (e.g. nonces): sliced
    only if it goes through NumPy, passed to Arrow as is."""

    def __init__(self, data: bytes, width: int):
        self.data, self.width = data, width

    def __len__(self) -> int:
        return len(self.data) // self.width

    def values(self) -> list[bytes]:
        w = self.width
        return [self.data[i:i + w] for i in range(0, len(self.data), w)]


def _offsets(lengths: np.ndarray) -> pa.Buffer:
    off = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=off[1:])
    return pa.py_buffer(off)


def strings(values) -> pa.Array:
    """``list[str | None]`` -> ``large_string`` (None -> null)."""
    return _variable(values, pa.large_string(), str.encode)


def binaries(values) -> pa.Array:
    """``list[bytes | None]`` -> ``large_binary`` (None -> null); a ``fixed_width``
    buffer goes in as it is."""
    width = getattr(values, "width", None)
    if width is not None:
        n = len(values)
        return pa.Array.from_buffers(pa.large_binary(), n, [
            None, _offsets(np.full(n, width, dtype=np.int64)), pa.py_buffer(values.data)])
    return _variable(values, pa.large_binary(), bytes)


def _variable(values, typ: pa.DataType, to_bytes) -> pa.Array:
    n = len(values)
    nulls = [i for i, v in enumerate(values) if v is None]
    parts = [b"" if v is None else to_bytes(v) for v in values] if nulls else \
        [to_bytes(v) for v in values]
    lengths = np.fromiter(map(len, parts), dtype=np.int64, count=n)
    validity = None
    if nulls:
        mask = np.ones(n, dtype=bool)
        mask[nulls] = False
        validity = pa.py_buffer(np.packbits(mask, bitorder="little"))
    return pa.Array.from_buffers(typ, n, [validity, _offsets(lengths),
                                          pa.py_buffer(b"".join(parts))],
                                 null_count=len(nulls))


def booleans(values) -> pa.Array:
    """``list[bool | None]`` or a NumPy bool array -> ``bool`` (None -> null)."""
    validity, nnull = None, 0
    if not isinstance(values, np.ndarray) and any(v is None for v in values):
        mask = np.fromiter((v is not None for v in values), dtype=bool, count=len(values))
        validity, nnull = pa.py_buffer(np.packbits(mask, bitorder="little")), int((~mask).sum())
        values = [bool(v) for v in values]
    arr = np.asarray(values, dtype=bool)
    return pa.Array.from_buffers(pa.bool_(), len(arr),
                                 [validity, pa.py_buffer(np.packbits(arr, bitorder="little"))],
                                 null_count=nnull)


def int64s(values) -> pa.Array:
    arr = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(arr), [None, pa.py_buffer(arr)])


BUILDERS = {"VARCHAR": strings, "BLOB": binaries, "BOOLEAN": booleans, "BIGINT": int64s}


def table(columns: dict[str, tuple[str, object]]) -> pa.Table:
    """``{name: (sql_type, values)}`` -> an Arrow table (types VARCHAR, BLOB, BOOLEAN, BIGINT)."""
    return pa.Table.from_arrays([BUILDERS[t](v) for t, v in columns.values()],
                                names=list(columns))
