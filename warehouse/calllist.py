"""Jan Samvad outbound call lists: the day's sample of beneficiary households.

``make_call_list(home, date, size)`` draws ``size`` households from the scheme
beneficiary lists, stratified by (scheme, district) as ``warehouse/calllist.yaml``
says, and writes them to ``<home>/deliveries/jansamvad/<date>/call_list.{csv,parquet}``
(temp name, then rename) and to the warehouse table ``jansamvad.call_lists``.

Excluded: households called in the last K days (the ``jansamvad_calls`` feed and the
call lists already written for earlier dates), households without a reachable mobile
number, households that asked not to be called (``do_not_call = Y`` on any call), and
beneficiaries who are inactive, deceased or unmatched.

Deterministic: every choice orders by ``md5(seed|date|...)``; there is no global RNG, so
the same date and seed give the same file, byte for byte.

Reads marts only: ``marts.mart_calllist_candidates`` (every callable beneficiary record
with its household, masked UID, household mobile, schemes, inclusion gaps and the
village's nearest facilities) and ``marts.mart_calllist_contacts`` (calls already made,
by household); dbt derives both (dbt_project/models/marts/jansamvad). This module only
applies the day's policy from ``warehouse/calllist.yaml`` and writes the files, after
checking them for raw UIDs with the ``ingest.uid_scan`` rules.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from core.paths import Home

CONFIG_PATH = Path(__file__).with_name("calllist.yaml")
TABLE = "jansamvad.call_lists"
FACILITY_TYPES = ["PHC", "CHC", "DISTRICT_HOSPITAL", "SCHOOL", "ANGANWADI", "RAILWAY_STATION"]

#: the marts the call list reads (dbt_project/models/marts/jansamvad)
MARTS = ("mart_calllist_candidates", "mart_calllist_contacts")

COLUMNS = [
    "list_date", "seed", "call_order", "household_id", "scheme_code", "district", "block",
    "village_code", "source", "source_record_id", "beneficiary_name", "beneficiary_uid_masked",
    "mobile", "head_name", "member_count", "schemes", "monthly_amount_inr",
    *[f"nearest_{t.lower()}_{c}" for t in FACILITY_TYPES for c in ("name", "km")],
    "all_weather_road", "electrified", "script_language", "inclusion_gaps",
]


@dataclass(frozen=True)
class Strata:
    allocation: str = "proportional"
    min_per_stratum: int = 1
    schemes: tuple[str, ...] = ()
    recent_days: int = 30
    default_language: str = "Hindi"
    languages: tuple[tuple[str, str], ...] = ()  # (district upper, language)

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> Strata:
        data = yaml.safe_load(Path(path or CONFIG_PATH).read_text(encoding="utf-8")) or {}
        langs = dict(data.get("languages") or {})
        default = langs.pop("default", "Hindi")
        pairs = tuple((str(d).strip().upper(), str(lang)) for lang, ds in langs.items()
                      for d in (ds or []))
        alloc = str(data.get("allocation", "proportional")).lower()
        if alloc not in ("proportional", "equal"):
            raise ValueError(f"{path or CONFIG_PATH}: allocation must be proportional or equal")
        return cls(allocation=alloc, min_per_stratum=int(data.get("min_per_stratum", 1)),
                   schemes=tuple(str(s).upper() for s in data.get("schemes") or ()),
                   recent_days=int(data.get("recent_days", 30)), default_language=default,
                   languages=pairs)


@dataclass
class CallListResult:
    date: str
    rows: int
    csv: Path
    parquet: Path
    strata: int
    eligible_households: int
    frame: str  # households: "resident_household" (matched) or "feed_household" (before)


def allocate(counts: dict[Any, int], size: int, allocation: str, minimum: int,
             order: list[Any]) -> dict[Any, int]:
    """Sample size per stratum: proportional (largest remainder) or equal, each stratum at
    least ``minimum`` (as far as ``size`` allows) and never more than it holds. ``order``
    (a deterministic shuffle of the strata) breaks ties and decides who gets the minimum
    when ``size`` is too small for every stratum."""
    strata = [s for s in order if counts.get(s, 0) > 0]
    total = sum(counts[s] for s in strata)
    size = min(size, total)
    alloc = {s: 0 for s in strata}
    if size <= 0:
        return alloc
    floor_each = min(minimum, size // len(strata)) if strata else 0
    rest = size
    if floor_each == 0 and minimum > 0:  # too few calls for every stratum: first come
        for s in strata[:size]:
            alloc[s] = 1
        return alloc
    for s in strata:
        alloc[s] = min(floor_each, counts[s])
        rest -= alloc[s]
    while rest > 0:
        room = {s: counts[s] - alloc[s] for s in strata if counts[s] > alloc[s]}
        if not room:
            break
        if allocation == "equal":
            weights = {s: 1.0 for s in room}
        else:
            weights = {s: float(counts[s]) for s in room}
        wsum = sum(weights.values())
        quota = {s: rest * weights[s] / wsum for s in room}
        given = 0
        for s in room:
            add = min(int(math.floor(quota[s])), room[s])
            alloc[s] += add
            given += add
        left = rest - given
        ranked = sorted(room, key=lambda s: (-(quota[s] - math.floor(quota[s])), order.index(s)))
        for s in ranked:
            if left <= 0:
                break
            if alloc[s] < counts[s]:
                alloc[s] += 1
                left -= 1
        if left == rest:  # nothing could be placed
            break
        rest = left
    return alloc


def _exists(con, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? "
        "and table_name = ?", [schema, name]).fetchall()[0][0] > 0


def _require_marts(con) -> None:
    missing = [m for m in MARTS if not _exists(con, "marts", m)]
    if missing:
        raise RuntimeError(f"no marts.{missing[0]} in the warehouse: run `srdh build` (dbt) "
                           "after `srdh ingest`")


def make_call_list(home: str | os.PathLike[str] | Home | None, date: str | dt.date, size: int,
                   seed: int = 0, strata_file: str | os.PathLike[str] | None = None,
                   recent_days: int | None = None) -> CallListResult:
    """Draw and write the call list of ``date``; returns where it went and how big it is."""
    import duckdb
    import pyarrow as pa

    from core.files import write_table_atomic

    h = home if isinstance(home, Home) else Home.at(home)
    day = dt.date.fromisoformat(str(date))
    cfg = Strata.load(strata_file)
    days = cfg.recent_days if recent_days is None else int(recent_days)
    if not h.warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {h.warehouse}: run `srdh ingest` first")
    key = f"{seed}|{day.isoformat()}"

    con = duckdb.connect(str(h.warehouse))
    try:
        _require_marts(con)
        con.execute("create schema if not exists jansamvad")
        con.execute(f"""create table if not exists {TABLE} (
            {', '.join(f'{c} {_sql_type(c)}' for c in COLUMNS)})""")
        # a list table written before a column was added gets it (null for older lists)
        have = {r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = "
            "'jansamvad' and table_name = 'call_lists'").fetchall()}
        for c in COLUMNS:
            if c not in have:
                con.execute(f"alter table {TABLE} add column {c} {_sql_type(c)}")
        con.execute("create or replace temp table _frame as "
                    "select * from marts.mart_calllist_candidates")
        if cfg.schemes:
            con.execute("delete from _frame where scheme_code not in (select unnest(?))",
                        [list(cfg.schemes)])
        kinds = [r[0] for r in con.execute(
            "select distinct household_basis from _frame order by 1").fetchall()]
        frame_kind = kinds[0] if kinds else "none"

        # exclusions: households called in the last K days (the calls feed and the lists
        # written for earlier dates) or that ever asked not to be called
        con.execute("""
            create or replace temp table _excluded as
            select household_id from marts.mart_calllist_contacts
            where is_do_not_call or (call_date >= ?::date - ?::integer and call_date < ?::date)
            union
            select household_id from jansamvad.call_lists
            where list_date >= ?::date - ?::integer and list_date < ?::date""",
                    [day, days, day] * 2)

        # eligible: one beneficiary per household for the day (hash-chosen scheme, then
        # prefer a mobile of its own and the head), reachable mobile, not excluded
        con.execute("""
            create or replace temp table _eligible as
            select *, md5(? || '|' || household_id) as hh_hash,
                   coalesce(scheme_code, '?') || '|' || coalesce(district, '?') as stratum
            from _frame
            where household_mobile is not null
              and household_id not in (select household_id from _excluded
                                       where household_id is not null)
            qualify row_number() over (
                partition by household_id
                order by md5(? || '|' || household_id || '|' || scheme_code),
                         has_own_mobile desc, is_head desc, source, source_record_id
            ) = 1""", [key, key])
        counts = dict(con.execute(
            "select stratum, count(*) from _eligible group by stratum").fetchall())
        order = sorted(counts, key=lambda s: _md5(f"{key}|{s}"))
        alloc = allocate(counts, size, cfg.allocation, cfg.min_per_stratum, order)
        con.register("_alloc", pa.table({"stratum": list(alloc),
                                         "take": [int(alloc[s]) for s in alloc]}))
        lang_rows = list(cfg.languages) or [("", cfg.default_language)]
        con.register("_lang", pa.table({"district_key": [d for d, _ in lang_rows],
                                        "language": [x for _, x in lang_rows]}))
        facilities = ", ".join(f"s.nearest_{t.lower()}_{c}" for t in FACILITY_TYPES
                               for c in ("name", "km"))
        table = con.sql(f"""
            with sampled as (
                select e.* from _eligible e join _alloc a using (stratum)
                qualify row_number() over (partition by e.stratum order by e.hh_hash) <= a.take
            )
            select ?::date as list_date, ?::bigint as seed,
                   row_number() over (order by s.hh_hash)::integer as call_order,
                   s.household_id, s.scheme_code, s.district, s.block, s.village_code,
                   s.source, s.source_record_id, s.beneficiary_name, s.beneficiary_uid_masked,
                   s.household_mobile as mobile, s.head_name, s.member_count,
                   s.household_schemes as schemes,
                   s.household_monthly_amount_inr as monthly_amount_inr,
                   {facilities}, s.all_weather_road, s.electrified,
                   coalesce(l.language, ?) as script_language, s.inclusion_gaps
            from sampled s
            left join _lang l on l.district_key = upper(trim(s.district))
            order by call_order""", params=[day, seed, cfg.default_language]).to_arrow_table()
        table = table.select(COLUMNS)
        _refuse_raw_uids(h, table, f"call list {day.isoformat()}")
        eligible = con.execute("select count(*) from _eligible").fetchall()[0][0]

        con.execute("begin transaction")
        con.execute(f"delete from {TABLE} where list_date = ?", [day])
        con.register("_out", table)
        con.execute(f"insert into {TABLE} by name select * from _out")
        con.execute("commit")
    finally:
        con.close()

    out_dir = h.deliveries / "jansamvad" / day.isoformat()
    written = write_table_atomic(table, out_dir, "call_list")  # CSV cells spreadsheet-safe
    csv_path, pq_path = (Path(written[f"call_list.{e}"]["path"]) for e in ("csv", "parquet"))
    return CallListResult(date=day.isoformat(), rows=table.num_rows, csv=csv_path,
                          parquet=pq_path, strata=sum(1 for v in alloc.values() if v > 0),
                          eligible_households=int(eligible), frame=frame_kind)


def _refuse_raw_uids(home: Home, table: Any, where: str) -> None:
    """Stop before writing when a cell of the list holds a raw UID (ingest.uid_scan's rules:
    a Verhoeff-valid 12-digit number, department ids declared in the feed YAML excepted)."""
    from ingest.uid_scan import UidLeak, scan_arrow

    findings = scan_arrow(home, table, where)
    if findings:
        raise UidLeak("calllist", findings)


def _md5(s: str) -> str:
    import hashlib

    return hashlib.md5(s.encode()).hexdigest()


def _sql_type(col: str) -> str:
    if col == "list_date":
        return "date"
    if col in ("seed",):
        return "bigint"
    if col in ("call_order", "member_count", "monthly_amount_inr"):
        return "integer"
    if col.endswith("_km"):
        return "double"
    if col in ("all_weather_road", "electrified"):
        return "boolean"
    return "varchar"
