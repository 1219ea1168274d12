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

The frame (one row per active beneficiary record, with its household) comes from the
dbt marts when they exist (``marts.fct_scheme_enrolment``, ``marts.dim_resident``,
``marts.mart_household_card``), else from the ``std`` tables directly (a ration card,
a job card, or the beneficiary alone is the household). Nearest facilities come from
``marts.mart_village_facilities`` when built.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from srdh.paths import Home

CONFIG_PATH = Path(__file__).with_name("calllist.yaml")
TABLE = "jansamvad.call_lists"
FACILITY_TYPES = ["PHC", "CHC", "DISTRICT_HOSPITAL", "SCHOOL", "ANGANWADI", "RAILWAY_STATION"]

COLUMNS = [
    "list_date", "seed", "call_order", "household_id", "scheme_code", "district", "block",
    "village_code", "source", "source_record_id", "beneficiary_name", "beneficiary_uid_masked",
    "mobile", "head_name", "member_count", "schemes", "monthly_amount_inr",
    *[f"nearest_{t.lower()}_{c}" for t in FACILITY_TYPES for c in ("name", "km")],
    "all_weather_road", "electrified", "script_language",
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
    frame: str  # "marts" or "std"


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


def _columns(con, schema: str, name: str) -> set[str]:
    return {r[0].lower() for r in con.execute(
        "select column_name from information_schema.columns where table_schema = ? "
        "and table_name = ?", [schema, name]).fetchall()}


def _std_feeds() -> dict[str, str]:
    """The beneficiary lists read when the marts are not built (the feed catalogue's
    department feeds) -> their household id: the card the household shares (the feed's
    ``household_ref``: ration card, job card), else the beneficiary alone."""
    from ingest.registry import catalogue

    cat = catalogue()
    return {feed: (f"'HH-{feed}-' || household_ref" if person and person.household_ref
                   else f"'BEN-{feed}-' || source_record_id")
            for feed in cat.department_feeds() for person in [cat.feeds[feed].person]}


def _frame_sql(con) -> tuple[str, str]:
    """SQL of the beneficiary frame: one row per active beneficiary record with columns
    household_id, source, source_record_id, scheme_code, district, block, village_code,
    beneficiary_name, uid_last4, mobile, is_head, head_name, member_count."""
    if all(_exists(con, "marts", t) for t in
           ("fct_scheme_enrolment", "dim_resident", "mart_household_card")):
        sql = """
            select e.household_id, e.source, e.source_record_id, e.scheme_code,
                   e.district, e.block, coalesce(e.village_code, r.village_code) as village_code,
                   r.name_std as beneficiary_name, r.uid_last4, r.mobile,
                   coalesce(r.is_household_head, false) as is_head,
                   c.head_name, c.member_count,
                   e.monthly_amount_inr
            from marts.fct_scheme_enrolment e
            join marts.dim_resident r on r.resident_id = e.resident_id
            join marts.mart_household_card c on c.household_id = e.household_id
            where e.is_active and e.household_id is not null
              and not coalesce(r.is_deceased, false)
              and not coalesce(e.is_duplicate_extra, false)"""
        # the marts hold households only once matching has linked records to residents
        if con.execute(f"select count(*) from ({sql})").fetchall()[0][0] > 0:
            return sql, "marts"
    parts = []
    for feed, hh in _std_feeds().items():
        if not _exists(con, "std", feed):
            continue
        cols = _columns(con, "std", feed)
        if "household_ref" not in cols and "household_ref" in hh:
            continue
        status = "and upper(coalesce(status, 'ACTIVE')) = 'ACTIVE'" if "status" in cols else ""
        head = ("upper(coalesce(relation_with_hof, '')) = 'SELF'"
                if "relation_with_hof" in cols else "true")
        amount = "monthly_amount_inr" if "monthly_amount_inr" in cols else "null::integer"
        parts.append(f"""
            select {hh} as household_id, '{feed}' as source, source_record_id,
                   {"scheme_code" if "scheme_code" in cols else f"'{feed.upper()}'"}
                       as scheme_code,
                   district_std as district, block_std as block, village_code,
                   name_std as beneficiary_name, uid_last4, mobile, {head} as is_head,
                   {amount} as monthly_amount_inr
            from std.{feed}
            where source_record_id is not null {status}""")
    if not parts:
        raise RuntimeError("no beneficiary lists in the warehouse: run `srdh ingest` first")
    union = " union all ".join(parts)
    return (f"""
        with b as ({union}), hh as (
            select household_id,
                   coalesce(arg_min(beneficiary_name, source_record_id) filter (where is_head),
                            arg_min(beneficiary_name, source_record_id)) as head_name,
                   count(distinct source || ':' || source_record_id) as member_count
            from b where household_id is not null group by household_id)
        select b.*, hh.head_name, hh.member_count
        from b join hh using (household_id)""", "std")


def _calls_sql(con) -> str | None:
    """Past calls: household_id, source, source_record_id, call_date, do_not_call."""
    if _exists(con, "staging", "stg_raw__jansamvad_calls"):
        return ("select household_id, source, source_record_id, call_date, is_do_not_call "
                "as do_not_call from staging.stg_raw__jansamvad_calls")
    if _exists(con, "raw", "jansamvad_calls"):
        return ("""select nullif(trim(household_id), '') as household_id,
                          lower(nullif(trim(source), '')) as source,
                          nullif(trim(source_record_id), '') as source_record_id,
                          try_cast(nullif(trim(call_date), '') as date) as call_date,
                          coalesce(upper(trim(do_not_call)) = 'Y', false) as do_not_call
                   from raw.jansamvad_calls""")
    return None


def make_call_list(home: str | os.PathLike[str] | Home | None, date: str | dt.date, size: int,
                   seed: int = 0, strata_file: str | os.PathLike[str] | None = None,
                   recent_days: int | None = None) -> CallListResult:
    """Draw and write the call list of ``date``; returns where it went and how big it is."""
    import duckdb
    import pyarrow as pa

    from srdh.files import write_table_atomic

    h = home if isinstance(home, Home) else Home.at(home)
    day = dt.date.fromisoformat(str(date))
    cfg = Strata.load(strata_file)
    days = cfg.recent_days if recent_days is None else int(recent_days)
    if not h.warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {h.warehouse}: run `srdh ingest` first")
    key = f"{seed}|{day.isoformat()}"

    con = duckdb.connect(str(h.warehouse))
    try:
        con.execute("create schema if not exists jansamvad")
        con.execute(f"""create table if not exists {TABLE} (
            {', '.join(f'{c} {_sql_type(c)}' for c in COLUMNS)})""")
        frame_sql, frame_kind = _frame_sql(con)
        con.execute(f"create or replace temp table _frame as {frame_sql}")
        if cfg.schemes:
            con.execute("delete from _frame where scheme_code not in (select unnest(?))",
                        [list(cfg.schemes)])

        # exclusions, by household id and by (source, record id) mapped to the household
        con.execute("create or replace temp table _excluded (household_id varchar)")
        calls = _calls_sql(con)
        if calls is not None:
            con.execute(f"""
                insert into _excluded
                with c as ({calls}),
                hit as (
                    select * from c
                    where do_not_call
                       or (call_date >= ?::date - ?::integer and call_date < ?::date))
                select household_id from hit where household_id is not null
                union
                select f.household_id from hit
                join _frame f on f.source = hit.source
                             and f.source_record_id = hit.source_record_id""",
                        [day, days, day])
        con.execute(f"""
            insert into _excluded select household_id from {TABLE}
            where list_date >= ?::date - ?::integer and list_date < ?::date""",
                    [day, days, day])

        # eligible: one beneficiary per household for the day (hash-chosen scheme, then
        # prefer a mobile of its own and the head), reachable mobile, not excluded
        con.execute("""
            create or replace temp table _eligible as
            with f as (
                select *, regexp_full_match(coalesce(mobile, ''), '[6-9][0-9]{9}') as has_mobile
                from _frame
                where household_id not in (select household_id from _excluded
                                           where household_id is not null)
            ),
            reach as (
                select household_id,
                       arg_min(mobile, source || ':' || source_record_id)
                           filter (where has_mobile) as household_mobile
                from f group by household_id
            ),
            pick as (
                select f.*, reach.household_mobile,
                       md5(? || '|' || f.household_id) as hh_hash
                from f join reach using (household_id)
                where reach.household_mobile is not null
                qualify row_number() over (
                    partition by f.household_id
                    order by md5(? || '|' || f.household_id || '|' || f.scheme_code),
                             f.has_mobile desc, f.is_head desc, f.source, f.source_record_id
                ) = 1
            )
            select *, coalesce(scheme_code, '?') || '|' || coalesce(district, '?') as stratum
            from pick""", [key, key])
        counts = dict(con.execute(
            "select stratum, count(*) from _eligible group by stratum").fetchall())
        order = sorted(counts, key=lambda s: _md5(f"{key}|{s}"))
        alloc = allocate(counts, size, cfg.allocation, cfg.min_per_stratum, order)
        con.register("_alloc", pa.table({"stratum": list(alloc),
                                         "take": [int(alloc[s]) for s in alloc]}))
        have_fac = _exists(con, "marts", "mart_village_facilities")
        fac_cols = ", ".join(
            f"v.nearest_{t.lower()}_name, v.nearest_{t.lower()}_km" if have_fac else
            f"null::varchar as nearest_{t.lower()}_name, null::double as nearest_{t.lower()}_km"
            for t in FACILITY_TYPES)
        fac_join = ("left join marts.mart_village_facilities v on v.village_code = s.village_code"
                    if have_fac else "")
        road = ("v.all_weather_road, v.electrified" if have_fac else
                "null::boolean as all_weather_road, null::boolean as electrified")
        lang_rows = list(cfg.languages) or [("", cfg.default_language)]
        con.register("_lang", pa.table({"district_key": [d for d, _ in lang_rows],
                                        "language": [x for _, x in lang_rows]}))
        table = con.sql(f"""
            with sampled as (
                select e.* from _eligible e join _alloc a using (stratum)
                qualify row_number() over (partition by e.stratum order by e.hh_hash) <= a.take
            ),
            schemes as (
                select household_id,
                       string_agg(distinct scheme_code, ', ' order by scheme_code) as schemes,
                       sum(monthly_amount_inr) as monthly_amount_inr
                from _frame where household_id in (select household_id from sampled)
                group by household_id
            )
            select ?::date as list_date, ?::bigint as seed,
                   row_number() over (order by s.hh_hash)::integer as call_order,
                   s.household_id, s.scheme_code, s.district, s.block, s.village_code,
                   s.source, s.source_record_id, s.beneficiary_name,
                   case when regexp_full_match(coalesce(s.uid_last4, ''), '[0-9]{{4}}')
                        then 'XXXX XXXX ' || s.uid_last4 end as beneficiary_uid_masked,
                   s.household_mobile as mobile, s.head_name, s.member_count::integer as
                   member_count, sc.schemes, sc.monthly_amount_inr::integer as monthly_amount_inr,
                   {fac_cols}, {road},
                   coalesce(l.language, ?) as script_language
            from sampled s
            left join schemes sc using (household_id)
            {fac_join}
            left join _lang l on l.district_key = upper(trim(s.district))
            order by call_order""", params=[day, seed, cfg.default_language]).to_arrow_table()
        table = table.select(COLUMNS)
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
