"""The pipeline's steps as plain functions: the `srdh` CLI and the Airflow DAGs both call these.

Each step opens the warehouse itself and serialises its own writes (DuckDB has one
writer). Steps are idempotent: rerunning one for the same inputs changes nothing. Each
returns a small typed result (srdh/results.py) that the CLI prints and the DAGs pass on.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from core.paths import Home
from srdh.results import Built, CallList, Delivered, Ingested, Matched, Published


def check_keys(home: str | Path | None) -> None:
    """Refuse to start a run when the vault key is missing or does not fit the vault
    (``ingest.tokens.VaultKeyError``, one line); nothing is created."""
    from ingest.tokens import require_keys

    require_keys(Home.at(home))


def ingest(home: str | Path | None, landing: str | Path,
           feeds: list[str] | None = None) -> Ingested:
    """Load every delivery under ``landing`` (or only ``feeds``) into the warehouse.

    A refused batch does not stop the others: it is in the result's ``refused``, with
    its reason, and its ``exit_code`` is 3 (core/errors.py)."""
    from ingest.load import load_landing

    gx = os.environ.get("SRDH_GX", "1") != "0"  # SRDH_GX=0 skips Great Expectations
    return Ingested.of(load_landing(landing=Path(landing), home=Home.at(home), feeds=feeds,
                                    gx=gx))


def match(home: str | Path | None, run_date: dt.date | None = None) -> Matched:
    """Link every departmental source to KYR, de-duplicate, and write the matching tables.

    Files for departments are written by :func:`deliver`, which applies the per-department
    UID rule (``warehouse/deliveries.yaml``).
    """
    from matching.api import run_matching

    return Matched.of(run_matching(home=Home.at(home), run_date=run_date or dt.date.today()))


def publish(home: str | Path | None) -> Published:
    """Publish the read-only serving copy that Superset reads (atomic swap)."""
    from warehouse.publish import publish_serving_copy

    return Published(publish_serving_copy(Home.at(home)))


def build(home: str | Path | None, run_date: dt.date | str | None = None) -> Built:
    """Build the dbt models and run their tests (register, households, cards, marts).

    ``run_date`` is the reference date for ages and payment periods (default today), so a
    rerun for the same date gives the same marts.
    """
    from warehouse.dbt import build as dbt_build

    as_of = {"srdh_as_of_date": str(run_date)} if run_date else None
    return Built.of(dbt_build(Home.at(home), vars=as_of))


def calllist(home: str | Path | None, run_date: dt.date | str | None = None,
             size: int = 200, seed: int = 0) -> CallList:
    """Draw the day's Jan Samvad outbound call list (deterministic for date and seed)."""
    from warehouse.calllist import make_call_list

    return CallList.of(make_call_list(Home.at(home), run_date or dt.date.today(), size,
                                      seed=seed))


def deliver(home: str | Path | None, run_date: dt.date | str | None = None,
            department: str | None = None, run_id: str | None = None,
            sources_dir: str | Path | None = None, gate: bool = True) -> Delivered:
    """Write departmental deliveries (all departments, or one) for ``run_date``.
    ``sources_dir``: an extra feed YAML folder (default ``$SRDH_SOURCES``), read with the
    built-in feeds. ``gate``: first scan for raw UIDs (``ingest.uid_scan.uid_gate``);
    False only where the caller's own gate has just scanned the same bytes."""
    from warehouse.deliver import deliver as deliver_one
    from warehouse.deliver import deliver_all

    h = Home.at(home)
    day = run_date or dt.date.today()
    if department:
        manifests = deliver_one(h, department, day, run_id=run_id, sources_dir=sources_dir,
                                gate=gate)
    else:
        manifests = deliver_all(h, day, run_id=run_id, sources_dir=sources_dir, gate=gate)
    return Delivered(run_date=str(day), manifests=tuple(manifests), department=department)
