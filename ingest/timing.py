"""Per-step timings of an ingest run, echoed as progress so long steps are visible.

``Steps.step(name)`` times a block and adds it to a per-run total (``RunSummary.steps``);
``Steps.line(text)`` echoes a progress line prefixed with the run's elapsed time.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from contextlib import contextmanager


class Steps:
    def __init__(self, echo=print):
        self.echo = echo
        self.t0 = time.perf_counter()
        self.totals: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)  # process CPU s (all threads)
        self.last: dict[str, float] = {}

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def line(self, text: str) -> None:
        self.echo(f"  [{self.elapsed():7.1f}s] {text}")

    @contextmanager
    def step(self, name: str):
        t, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            d = time.perf_counter() - t
            self.cpu[name] += time.process_time() - c
            self.totals[name] += d
            self.last[name] = self.last.get(name, 0.0) + d

    def take(self) -> dict[str, float]:
        """The timings since the last take (e.g. one batch's steps)."""
        out, self.last = self.last, {}
        return out

    @staticmethod
    def fmt(timings: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:.1f}s" for k, v in timings.items() if v >= 0.05)

    def rounded(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.totals.items()}

    def rounded_cpu(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in self.cpu.items()}


class _Null(Steps):
    def line(self, text: str) -> None:  # pragma: no cover - silent
        pass


def null_steps() -> Steps:
    return _Null(lambda *a: None)


def duckdb_config() -> dict[str, str]:
    """DuckDB settings for the ingest connections: 2 threads (the machine has 2 cores, shared)
    and a memory limit, both overridable (``SRDH_DUCKDB_THREADS``, ``SRDH_DUCKDB_MEMORY``)."""
    return {"threads": os.environ.get("SRDH_DUCKDB_THREADS", "2"),
            "memory_limit": os.environ.get("SRDH_DUCKDB_MEMORY", "4GB")}


def frame(columns: dict) -> dict:
    """Columns (lists or NumPy arrays) as a dict of NumPy arrays that ``con.register`` can
    scan: no pandas or Arrow import (seconds here), no copy into a table. Lists of ``str``
    become VARCHAR, of ``bytes`` BLOB."""
    import numpy as np

    out = {}
    for name, values in columns.items():
        if isinstance(values, np.ndarray):
            out[name] = values
        else:
            arr = np.empty(len(values), dtype=object)
            arr[:] = values
            out[name] = arr
    return out


ARROW_ABOVE = 50_000


def register(con, name: str, columns: dict[str, tuple[str, object]]) -> None:
    """``name`` as a temp view over Python columns (``{column: (sql_type, values)}``),
    typed even when empty or all NULL. Undo with :func:`unregister`.

    Large columns go through Arrow: DuckDB scans Arrow buffers several times faster than
    NumPy object arrays (1M tokens + ciphertexts into the vault: 13 s against 34 s on
    the shared machine); ``ingest.arrow_columns`` builds them without importing pandas.
    Small ones use :func:`frame` (no import)."""
    n = len(next(iter(columns.values()))[1]) if columns else 0
    if n > ARROW_ABOVE:
        from ingest import arrow_columns

        con.register(f"{name}_np", arrow_columns.table(columns))
    else:
        con.register(f"{name}_np", frame({c: v.values() if hasattr(v, "width") else v
                                          for c, (_, v) in columns.items()}))
    cols = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, (t, _) in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {cols} FROM {name}_np")


def unregister(con, name: str) -> None:
    con.execute(f"DROP VIEW IF EXISTS {name}")
    try:
        con.unregister(f"{name}_np")
    except Exception:
        pass
