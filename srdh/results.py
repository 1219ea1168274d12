"""What each pipeline step (srdh/pipeline.py) returns: a small typed result.

The CLI prints from these and the Airflow DAGs pass them between tasks as XCom
(:meth:`StepResult.to_xcom`, rebuilt with :meth:`StepResult.from_xcom`). The step's full
detail (ingest's RunSummary, matching's MatchResult, dbt's DbtResult) rides along in
``detail`` for callers that need more; it never goes into XCom.

Standard library only: DAG-side code imports this cheaply.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

#: ``detail`` is the step's own, untyped-here return value: not compared, not in XCom
_DETAIL = {"repr": False, "compare": False, "default": None, "metadata": {"xcom": False}}


@dataclass(frozen=True)
class StepResult:
    def to_xcom(self) -> dict[str, Any]:
        """The result as JSON-safe plain data (paths as strings, tuples as lists)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)
                if f.metadata.get("xcom", True)}

    @classmethod
    def from_xcom(cls, data: dict[str, Any]) -> Self:
        """The inverse of :meth:`to_xcom` (without ``detail``)."""
        hints = typing.get_type_hints(cls)
        return cls(**{f.name: _revive(data[f.name], hints[f.name])
                      for f in dataclasses.fields(cls) if f.name in data})


def _revive(value: Any, hint: Any) -> Any:
    """A plain XCom value back to its annotated type (Path, tuple of Paths, ...)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if value is None:
        return None
    if origin in (typing.Union, types.UnionType):
        return _revive(value, next(a for a in args if a is not type(None)))
    if hint is Path:
        return Path(value)
    if origin is tuple:
        return tuple(_revive(v, args[0]) for v in value)
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _feed(batch_id: str) -> str:
    return batch_id.split("/", 1)[0]


@dataclass(frozen=True)
class Ingested(StepResult):
    """``srdh.pipeline.ingest``: which batches loaded and which were refused, and why."""

    run_id: str
    loaded: tuple[str, ...] = ()  # batch ids (<feed>/<date>) that loaded new files
    refused: dict[str, str] = field(default_factory=dict)  # batch id -> one-line reason
    outside_layout: tuple[str, ...] = ()  # one line per file or folder outside the layout
    unknown_feeds: tuple[str, ...] = ()  # landing folders no source YAML names
    rows_loaded: int = 0
    rows_quarantined: int = 0
    std_rebuilt: tuple[str, ...] = ()  # feeds whose std table changed
    exit_code: int = 0  # core.errors: 0 all loaded, 3 something that arrived was not
    detail: Any = field(**_DETAIL)  # ingest.load.RunSummary

    @classmethod
    def of(cls, run: Any) -> Ingested:
        """From ingest's ``RunSummary``."""
        return cls(
            run_id=run.run_id,
            loaded=tuple(b.batch_id for b in run.batches if b.status == "loaded"),
            refused={b.batch_id: b.reason or b.status for b in run.refused},
            outside_layout=tuple(run.problems), unknown_feeds=tuple(run.unknown),
            rows_loaded=int(sum(b.rows_loaded for b in run.batches)),
            rows_quarantined=int(sum(b.rows_quarantined for b in run.batches)),
            std_rebuilt=tuple(run.std_rebuilt),
            exit_code=run.exit_code,
            detail=run)

    def new_batches(self, feed: str | None = None) -> tuple[str, ...]:
        """Batches that loaded in this run (of ``feed``, or all)."""
        return tuple(b for b in self.loaded if feed is None or _feed(b) == feed)

    def problems(self, feed: str) -> list[str]:
        """One line per refused batch of ``feed`` and per misplaced file or folder in its
        landing folder: what did not load."""
        return ([f"{b} refused: {why}" for b, why in sorted(self.refused.items())
                 if _feed(b) == feed] +
                [p for p in self.outside_layout if p.startswith(f"{feed}/")])

    def landing_problems(self) -> list[str]:
        """What no feed owns: files at the landing root, folders no source YAML names."""
        return ([p for p in self.outside_layout if "/" not in p.split(": ", 1)[0]] +
                [f"{u}/: no source YAML names this feed, not loaded (add one, or move the "
                 "folder out of the landing)" for u in self.unknown_feeds])


@dataclass(frozen=True)
class Matched(StepResult):
    """``srdh.pipeline.match``: per source, how many records were seeded and sent to review."""

    run_date: str
    sources: tuple[str, ...] = ()
    seeded: int = 0
    to_review: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # source -> status -> n
    detail: Any = field(**_DETAIL)  # matching.pipeline.MatchResult

    @classmethod
    def of(cls, res: Any) -> Matched:
        counts = {str(s): {str(k): int(n) for k, n in c.items()} for s, c in res.counts.items()}
        return cls(run_date=str(res.run_date), sources=tuple(res.sources),
                   seeded=sum(c.get("seeded", 0) for c in counts.values()),
                   to_review=sum(c.get("review", 0) for c in counts.values()),
                   counts=counts, detail=res)


@dataclass(frozen=True)
class Built(StepResult):
    """``srdh.pipeline.build``: dbt's models and tests, per layer."""

    success: bool
    layers: tuple[str, ...] = ()  # one line per layer: models, tests, failed
    failures: tuple[str, ...] = ()  # unique ids of the failed models and tests
    log_path: Path | None = None  # every line dbt logged
    detail: Any = field(**_DETAIL)  # warehouse.dbt.DbtResult

    @classmethod
    def of(cls, res: Any) -> Built:
        return cls(success=res.success, layers=tuple(res.by_layer()),
                   failures=tuple(str(r.get("unique_id") or r.get("name")) for r in res.failures),
                   log_path=res.log_path, detail=res)


@dataclass(frozen=True)
class Published(StepResult):
    """``srdh.pipeline.publish``: the serving copy Superset reads."""

    path: Path


@dataclass(frozen=True)
class CallList(StepResult):
    """``srdh.pipeline.calllist``: the day's Jan Samvad call list."""

    date: str
    rows: int
    csv: Path
    parquet: Path

    @classmethod
    def of(cls, res: Any) -> CallList:
        return cls(date=str(res.date), rows=int(res.rows), csv=res.csv, parquet=res.parquet)


@dataclass(frozen=True)
class Delivered(StepResult):
    """``srdh.pipeline.deliver``: one manifest per department source written."""

    run_date: str
    manifests: tuple[Path, ...] = ()
    department: str | None = None  # None: every department
