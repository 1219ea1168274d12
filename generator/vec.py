"""Vectorised helpers: dates, ages, zero-padded ids, string joins (numpy + pyarrow compute)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY = np.timedelta64(1, "D")


def d(s: str) -> np.datetime64:
    return np.datetime64(s, "D")


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day arrays of a datetime64[D] array."""
    days = np.asarray(days, dtype="datetime64[D]")
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    m = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dd = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, dd


def age_on(dob: np.ndarray, on) -> np.ndarray:
    """Completed years between dob and ``on`` (scalar or array of datetime64[D])."""
    y1, m1, d1 = ymd(dob)
    on_arr = np.broadcast_to(np.asarray(on, dtype="datetime64[D]"), np.shape(dob))
    y2, m2, d2 = ymd(on_arr)
    before = (m2 < m1) | ((m2 == m1) & (d2 < d1))
    return (y2 - y1 - before.astype(np.int64)).astype(np.int64)


def fmt_date(days: np.ndarray, fmt: str, mask: np.ndarray | None = None) -> pa.Array:
    """Format datetime64[D] with strftime; rows where ``mask`` is False become null."""
    arr = pa.array(np.asarray(days, dtype="datetime64[D]"))
    out = pc.strftime(arr, format=fmt)
    if mask is not None:
        out = pc.if_else(pa.array(mask), out, pa.nulls(len(out), pa.string()))
    return out


def fmt_ts(seconds: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """``YYYY-MM-DDTHH:MM:SS`` from datetime64[s]."""
    arr = pa.array(np.asarray(seconds, dtype="datetime64[s]"))
    out = pc.strftime(arr, format="%Y-%m-%dT%H:%M:%S")
    if mask is not None:
        out = pc.if_else(pa.array(mask), out, pa.nulls(len(out), pa.string()))
    return out


def zpad(values: np.ndarray, width: int) -> pa.Array:
    s = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(s, width=width, padding="0")


def to_str(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(np.asarray(values)), pa.string())


def cat(*parts, sep: str = "") -> pa.Array:
    """Element-wise concatenation; null parts are skipped (a part may be a python str).

    (``binary_join_element_wise(null_handling="skip")`` mis-sizes its output in pyarrow 26,
    so nulls are handled here.)
    """
    n = max(len(p) for p in parts if not isinstance(p, str))
    arrs = []
    for p in parts:
        if isinstance(p, str):
            a = pa.array(np.full(n, p, dtype=object), pa.string())
        elif isinstance(p, pa.ChunkedArray):
            a = p.combine_chunks()
        elif isinstance(p, pa.Array):
            a = p
        else:
            a = pa.array(np.asarray(p, dtype=object), pa.string(), from_pandas=True)
        if a.type != pa.string():
            a = pc.cast(a, pa.string())
        arrs.append(pc.fill_null(a, ""))
    if not sep:
        return pc.binary_join_element_wise(*arrs, "")
    out = arrs[0]
    for a in arrs[1:]:
        joined = pc.binary_join_element_wise(out, a, sep)
        out = pc.if_else(pc.equal(out, ""), a, pc.if_else(pc.equal(a, ""), out, joined))
    return out


def where(mask: np.ndarray, a, b) -> pa.Array:
    """mask ? a : b, for pyarrow / numpy string arrays or python scalars (None -> null)."""
    n = len(mask)

    def arr(x):
        if x is None:
            return pa.nulls(n, pa.string())
        if isinstance(x, str):
            return pa.array(np.full(n, x, dtype=object), pa.string())
        if isinstance(x, pa.Array | pa.ChunkedArray):
            return x
        return pa.array(x, pa.string())

    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), arr(a), arr(b))


def nullify(values, keep: np.ndarray) -> pa.Array:
    """Keep values where ``keep`` is True, null elsewhere."""
    return where(keep, values, None)


def pick(rng: np.random.Generator, options: list, p: list[float] | None, n: int) -> np.ndarray:
    opts = np.array(options, dtype=object)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return opts[rng.choice(len(opts), size=n, p=p)]


def heap_ages(rng: np.random.Generator, age: np.ndarray, p_heap: float, p_err: float,
              min_age: int = 25) -> np.ndarray:
    """Age heaping (round to a multiple of 5) and ±1-2 year errors, as in registers."""
    age = age.copy()
    n = len(age)
    h = (rng.random(n) < p_heap) & (age >= min_age)
    age[h] = (np.round(age[h] / 5.0) * 5).astype(np.int64)
    e = rng.random(n) < p_err
    age[e] = age[e] + rng.choice([-2, -1, 1, 1, 2], size=int(e.sum()))
    return np.clip(age, 0, 110)
