"""Steps in the right order: each command checks that its home exists and that what it
reads has been made, and says which command to run first, in one line (core/errors.py)."""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import UserError
from core.paths import Home
from core.stamps import stamped

# step -> (tables it reads, the command that makes them)
NEEDS: dict[str, tuple[tuple[str, ...], str]] = {
    # "std.<person>": any person feed (KYR or a department list; no KYR yet: dedupe only)
    "match": (("std.<person>",), "srdh ingest --landing DIR (KYR or a department's list)"),
    "train": (("std.<person>",), "srdh ingest --landing DIR (KYR or a department's list)"),
    "build": (("matching.seeding", "matching.residents"), "srdh match"),
    "resident": (("matching.residents",), "srdh match"),
    "review": (("matching.seeding",), "srdh match"),
    "deliver": (("marts.fct_scheme_enrolment", "marts.mart_inclusion_gaps"), "srdh build"),
    "card": (("marts.mart_household_card",), "srdh build"),
    "publish": (("marts.dim_resident",), "srdh build"),
    "find": (("marts.dim_resident",), "srdh build"),
}


# a step that reads another's output must be at least as new: deliver/card read the marts
# that `srdh build` makes from the last match (publish serves them)
FRESH_AFTER: dict[str, tuple[str, str]] = {"deliver": ("build", "match"),
                                           "card": ("build", "match"),
                                           "publish": ("build", "match")}


class HomeMissing(UserError):
    pass


class StepOutOfOrder(UserError):
    pass


def require_home(home: str | os.PathLike[str] | Home | None) -> Home:
    """The home, or a one-line error when it (or its warehouse) does not exist."""
    h = home if isinstance(home, Home) else Home.at(home)
    if not h.warehouse.is_file():
        what = "has no warehouse yet" if h.root.is_dir() else "does not exist"
        raise HomeMissing(f"the SRDH home {h.root} {what}",
                          "pass --home (or set $SRDH_HOME) to your home, or load a landing "
                          "folder first: srdh ingest --landing DIR --home " + str(h.root))
    return h


def require(home: str | os.PathLike[str] | Home | None, step: str,
            database: Path | None = None) -> Home:
    """Raise StepOutOfOrder when a table ``step`` reads is missing (``NEEDS``)."""
    import duckdb

    h = require_home(home)
    tables, before = NEEDS[step]
    con = duckdb.connect(str(database or h.warehouse), read_only=True)
    try:
        have = {f"{s}.{t}" for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    finally:
        con.close()
    if "std.<person>" in tables:
        from ingest.registry import load_registry

        people = {f"std.{f}" for f, src in load_registry().items() if src.kind == "person"}
        if have & people:
            tables = tuple(t for t in tables if t != "std.<person>")
        else:
            tables = tuple("std.<a person feed>" if t == "std.<person>" else t for t in tables)
    missing = [t for t in tables if t not in have]
    if missing:
        raise StepOutOfOrder(f"`srdh {step}` needs {', '.join(missing)}, which {h.root} does "
                             "not have yet", f"run `{before}` first")
    if step in FRESH_AFTER:
        made_by, upstream = FRESH_AFTER[step]
        made, up = stamped(h, made_by), stamped(h, upstream)
        if made and up and made < up:  # unknown (e.g. dbt run by Airflow's Cosmos): trust it
            raise StepOutOfOrder(f"`srdh {step}` would read stale tables: the last `srdh "
                                 f"{made_by}` ({made}) is older than the last `srdh {upstream}` "
                                 f"({up})", f"run `srdh {made_by}` first")
    return h

