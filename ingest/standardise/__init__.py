"""Standardisation: ``std.<feed>`` rebuilt from ``raw.<feed>`` (deterministically).

New columns sit beside the raw values; raw is never overwritten. Person feeds follow the
contract in docs/CONVENTIONS.md (see :data:`PERSON_COLUMNS`), then feed-specific columns.
"""

from __future__ import annotations

import time

import duckdb

from core.paths import Home
from ingest.registry import Source
from ingest.standardise import names, places, scripts
from ingest.standardise.contacts import mobile_sql
from ingest.standardise.dates import DOB_SELECT, dob_columns
from ingest.timing import register, unregister
from ingest.validate import MASK_MACRO, parsed, q, value

PERSON_COLUMNS = [
    "source", "source_record_id", "batch_id", "source_row", "name_raw", "name_std", "honorific",
    "first_name", "middle_name", "last_name", "name_key", "first_name_key", "last_name_key",
    "relative_name_std", "relative_name_key", "relation_type", "gender", "dob", "dob_precision",
    "birth_year", "birth_year_min", "birth_year_max", "district_std", "block_std", "village_std",
    "village_code", "place_key", "place_text", "mobile", "uid_token", "uid_last4", "uid_valid",
    "household_ref",
]


def _setup(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MASK_MACRO)
    for m in names.macros():
        con.execute(m)
    con.execute(places.NORM_MACRO)


def build_std(con: duckdb.DuckDBPyConnection, reg: dict[str, Source], changed: set[str],
              home: Home | None = None, steps=None) -> list[str]:
    """Rebuild std for the changed feeds (all feeds with places when the master changed)."""
    _setup(con)
    todo = set(changed)
    if "lgd_villages" in changed:
        todo |= {f for f, s in reg.items() if s.places is not None}
    have = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema='raw'").fetchall()}
    order = sorted(todo & have, key=lambda f: (f != "lgd_villages", f))
    con.execute("SET preserve_insertion_order = false")  # std tables have no row order
    try:
        for feed in order:
            t = time.perf_counter()
            if steps is not None:
                with steps.step(f"std.{feed}"):
                    build_feed(con, reg[feed])
                steps.take()
                steps.line(f"std.{feed} rebuilt in {time.perf_counter() - t:.1f}s")
            else:
                build_feed(con, reg[feed])
            if feed == "lgd_villages":
                places.drop_prepared(con)
    finally:
        places.drop_prepared(con)
        con.execute("RESET preserve_insertion_order")
    return order


def _latest(src: Source, con=None) -> str:
    """raw rows to standardise: every version for KYR, else the latest per record id.

    Latest = the later delivery date, then the later batch, then the file loaded last
    (``meta.files.loaded_at``: a sender's corrected file in a delivery already loaded),
    then the later file name and row."""
    batch_date = "try_strptime(split_part(_batch_id, '/', 2), '%Y-%m-%d')"
    # one file loaded at once: its ids were checked unique (load.py), nothing to supersede
    single = con is not None and con.execute(
        f"SELECT count(DISTINCT _file_sha256) <= 1 FROM raw.{src.feed}").fetchall()[0][0]
    if src.history == "kyr" or (single and src.unique_record_id):
        return f"SELECT *, {batch_date} AS _bdate FROM raw.{src.feed}"
    rid = value(src.record_id)
    # only ids delivered more than once need ordering: the window runs over those rows only
    return (f"WITH b AS (SELECT *, {batch_date} AS _bdate FROM raw.{src.feed}), "
            f"d AS (SELECT {rid} AS _k FROM b GROUP BY 1 HAVING count(*) > 1) "
            f"SELECT * FROM b ANTI JOIN d ON d._k = {value(src.record_id, 'b')} "
            f"UNION ALL BY NAME (SELECT b.* FROM b SEMI JOIN d ON d._k = "
            f"{value(src.record_id, 'b')} LEFT JOIN meta.files f ON f.file_sha256 = b._file_sha256 "
            f"QUALIFY row_number() OVER (PARTITION BY {rid} ORDER BY _bdate DESC, "
            "_batch_id DESC, f.loaded_at DESC NULLS LAST, _file_name DESC, "
            "_source_row DESC) = 1)")


def _extras(src: Source, alias: str = "r", skip: set[str] | None = None) -> list[str]:
    out = []
    for name in src.std_extra:
        if skip and name in skip:
            continue
        out.append(f"{parsed(src.fields[name], alias)} AS {q(name)}")
    return out


def _scheme(src: Source) -> list[str]:
    s = src.scheme
    if s is None:
        return []
    cols = []
    if s.code_column:
        cols.append(f"upper({value(s.code_column, 'r')}) AS scheme_code")
    else:
        cols.append(f"'{s.fixed_code}' AS scheme_code")
    a = s.monthly_amount
    if a is not None:
        if a.column:
            expr = f"try_cast({value(a.column, 'r')} AS DOUBLE) / {a.divide_by}"
        elif a.by_value_of:
            whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in a.values.items())
            expr = f"CASE {parsed(src.fields[a.by_value_of], 'r')} {whens} END"
        else:
            expr = str(a.fixed)
        cols.append(f"CAST(round({expr}) AS INTEGER) AS monthly_amount_inr")
    if s.status_column:
        cols.append(f"{parsed(src.fields[s.status_column], 'r')} AS status")
    return cols


def _place_join(con, src: Source, base: str) -> str:
    """Resolve the feed's distinct places into _places; return the join clause."""
    p = src.places
    d = value(p.district, "r") if p.district else "NULL"
    b = value(p.block, "r") if p.block else "NULL"
    v = value(p.village, "r") if p.village else "NULL"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _combos AS SELECT DISTINCT {d} AS d, {b} AS b, "
                f"{v} AS v FROM {base} r")
    places.resolve(con, "_combos", "_places")
    _place_keys(con)
    return (f"LEFT JOIN _places pl ON pl.d IS NOT DISTINCT FROM {d} AND "
            f"pl.b IS NOT DISTINCT FROM {b} AND pl.v IS NOT DISTINCT FROM {v}")


def _place_keys(con) -> None:
    """``_places.place_text`` and ``place_key``: the village as normalised text (the master's
    name when resolved, else the delivered text, so an unresolved village keeps its
    evidence) and its phonetic key, computed once per distinct spelling."""
    texts = con.sql("SELECT DISTINCT srdh_place_norm(coalesce(village_std, v)) AS t "
                    "FROM _places WHERE t IS NOT NULL").fetchnumpy()["t"].tolist()
    register(con, "_pk", {"t": ("VARCHAR", texts),
                          "k": ("VARCHAR", [names.place_key(t) for t in texts])})
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _places AS SELECT p.*, k.k AS place_key, "
                    "srdh_place_norm(coalesce(p.village_std, p.v)) AS place_text "
                    "FROM _places p LEFT JOIN _pk k "
                    "ON k.t = srdh_place_norm(coalesce(p.village_std, p.v))")
    finally:
        unregister(con, "_pk")


def build_feed(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    if src.kind != "person":
        _build_plain(con, src)
        return
    p = src.person
    con.execute(f"CREATE OR REPLACE TEMP TABLE _base AS {_latest(src, con)}")
    kyr = src.history == "kyr"
    multi_join, multi_col = "", ""
    if kyr:  # residents with several versions: the only ones needing a window
        con.execute("CREATE OR REPLACE TEMP TABLE _multi AS SELECT uid_token AS _t FROM _base "
                    "GROUP BY 1 HAVING count(*) > 1")
        multi_join = " LEFT JOIN _multi mu ON mu._t = r.uid_token"
        multi_col = ", mu._t IS NOT NULL AS _m"
    name_u = f"upper(trim(r.{q(p.name)}))"
    rel_in_name = "r._rel"
    relative_src = "NULL"
    rel_type_src = "NULL"
    if p.care_of:
        co_u = names.relation_prefix_sql(f"upper(trim(r.{q(p.care_of)}))")
        co = f"regexp_extract({co_u}, '{names.RELATION_AT_START}', ['rel', 'rn'])"
        relative_src = f"coalesce(nullif({co}.rn, ''), r.{q(p.care_of)})"
        rel_type_src = f"nullif({co}.rel, '')"
    elif p.relative_name:
        rn = value(p.relative_name, "r")
        rs = (f"regexp_extract({names.relation_prefix_sql(f'upper({rn})')}, "
              f"'{names.RELATION_AT_START}', ['rel', 'rn'])")
        relative_src = f"coalesce(nullif({rs}.rn, ''), {rn})"
        rel_type_src = f"nullif({rs}.rel, '')"
    dob = dob_columns(src)
    uid_cols = ("r.uid_token, r.uid_last4, "
                + ("true" if (src.uid_field and src.uid_field.strict) else "r.uid_valid")
                + " AS uid_valid") if src.uid_field else \
        "NULL::VARCHAR AS uid_token, NULL::VARCHAR AS uid_last4, NULL::BOOLEAN AS uid_valid"
    rid = "r.uid_token" if src.history == "kyr" else value(src.record_id, "r")
    place_join = _place_join(con, src, "_base") if src.places else ""
    pl = ("pl.district_std, pl.block_std, pl.village_std, pl.village_code, pl.place_key, "
          "pl.place_text" if src.places else
          "NULL::VARCHAR AS district_std, NULL::VARCHAR AS block_std, "
          "NULL::VARCHAR AS village_std, NULL::VARCHAR AS village_code, "
          "NULL::VARCHAR AS place_key, NULL::VARCHAR AS place_text")
    gender = parsed(src.fields[p.gender], "r") if p.gender else "NULL::VARCHAR"
    mobile = mobile_sql(value(p.mobile, "r")) if p.mobile else "NULL::VARCHAR"
    hh = value(p.household_ref, "r") if p.household_ref else "NULL::VARCHAR"
    skip = {"uid"} if src.uid_field else set()
    extras = _scheme(src) + _extras(src, "r", skip)
    if src.photo_field:
        extras += ["r.photo_path", "r.photo_sha256"]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _s1 AS
        SELECT '{src.feed}' AS source, {rid} AS source_record_id, r._batch_id AS batch_id,
               r._source_row AS source_row, r.{q(p.name)} AS name_raw,
               CASE WHEN {rel_in_name}.rel <> '' THEN {rel_in_name}.n ELSE {name_u} END AS _n,
               CASE WHEN {rel_in_name}.rel <> '' THEN {rel_in_name}.rn
                    ELSE upper({relative_src}) END AS _rn,
               CASE WHEN {rel_in_name}.rel <> '' THEN {rel_in_name}.rel || '/O'
                    ELSE {rel_type_src} || '/O' END AS relation_type,
               {gender} AS gender, {', '.join(f'{e} AS {k}' for k, e in dob.items())},
               {pl}, {mobile} AS mobile, {uid_cols}, {hh} AS household_ref,
               r._bdate{multi_col}{''.join(', ' + e for e in extras)}
        FROM (SELECT *, regexp_extract({name_u.replace('r.', '')}, '{names.RELATION_IN_NAME}',
                                      ['n', 'rel', 'rn']) AS _rel FROM _base) r
        {place_join}{multi_join}""")
    _name_tables(con)
    dob_cols = {"dob", "dob_precision", "birth_year", "birth_year_min", "birth_year_max"}
    cols = [c for c in PERSON_COLUMNS if c not in dob_cols or c == "dob"]
    select = ", ".join(DOB_SELECT if c == "dob" else c for c in cols)
    extra_names = [e.rsplit(" AS ", 1)[-1] if " AS " in e else e.split(".", 1)[-1]
                   for e in extras]
    tail = (", " + ", ".join(extra_names)) if extra_names else ""
    # names were cleaned and keyed once per distinct spelling (_nm, _nk): joins, no regex
    final = f"""
        SELECT {select}{tail}, _bdate AS batch_date{', _m' if kyr else ''}
        FROM (SELECT *, _t[1] AS first_name,
                     CASE WHEN len(_t) > 2 THEN array_to_string(_t[2:len(_t) - 1], ' ')
                     END AS middle_name,
                     CASE WHEN len(_t) > 1 THEN _t[len(_t)] END AS last_name
              FROM (SELECT s.*, a.honorific, a.std AS name_std, b.std AS relative_name_std,
                           ka.name_key, ka.first_name_key, ka.last_name_key,
                           kb.name_key AS relative_name_key, string_split(a.std, ' ') AS _t
                    FROM _s1 s LEFT JOIN _nm a ON a.x = s._n LEFT JOIN _nm b ON b.x = s._rn
                    LEFT JOIN _nk ka ON ka.s = a.std LEFT JOIN _nk kb ON kb.s = b.std))
    """
    if kyr:
        _build_kyr(con, src, final)
    else:
        con.execute(f"CREATE OR REPLACE TABLE std.{src.feed} AS {final}")
    for t in ("_base", "_s1", "_nm", "_multi", "_combos", "_places"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    unregister(con, "_nk")


def _name_tables(con) -> None:
    """``_nm``: each distinct name spelling (and relative name) of ``_s1`` -> honorific and
    cleaned name; ``_nk``: each distinct cleaned name -> phonetic keys (computed in Python,
    once per distinct token, see :mod:`names`). Names repeat heavily, so this is a small
    fraction of the rows."""
    con.execute("CREATE OR REPLACE TEMP TABLE _nx AS SELECT _n AS x FROM _s1 "
                "UNION SELECT _rn FROM _s1")
    # names written in Devanagari (a Hindi list, KYR's name_local): romanised first, once
    # per distinct spelling, so they get the keys of their Latin form
    dev = con.sql(f"SELECT x FROM _nx WHERE regexp_matches(x, '{scripts.DEVANAGARI_RE}')"
                  ).fetchnumpy()["x"].tolist()
    register(con, "_dv", {"x": ("VARCHAR", dev),
                          "r": ("VARCHAR", [scripts.romanise(x) for x in dev])})
    try:
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _nm AS
            SELECT x, srdh_honorific(c) AS honorific, srdh_strip_honorific(c) AS std
            FROM (SELECT n.x, srdh_clean_name(coalesce(d.r, n.x)) AS c
                  FROM _nx n LEFT JOIN _dv d ON d.x = n.x WHERE n.x IS NOT NULL)""")
    finally:
        unregister(con, "_dv")
        con.execute("DROP TABLE IF EXISTS _nx")
    stds = con.sql("SELECT DISTINCT std FROM _nm WHERE std IS NOT NULL"
                   ).fetchnumpy()["std"].tolist()
    full, first, last = names.name_keys(stds)
    register(con, "_nk", {"s": ("VARCHAR", stds), "name_key": ("VARCHAR", full),
                          "first_name_key": ("VARCHAR", first),
                          "last_name_key": ("VARCHAR", last)})


def _build_kyr(con, src: Source, final: str) -> None:
    """KYR history: every version with valid_from/valid_to; current = latest, not deactivated.
    Only residents with several versions (``_m``) go through the window; the others are
    their own current version."""
    ob, act = q(src.order_by), q(src.action)
    win = (f"OVER (PARTITION BY source_record_id ORDER BY {ob}, batch_date, batch_id, "
           "source_row)")
    common = f"* EXCLUDE ({act}, _m), coalesce({act}, 'A') AS action, {ob} AS valid_from"
    active = f"coalesce({act}, 'A') <> 'D' AS active"
    con.execute(f"""
        CREATE OR REPLACE TABLE std.uid_kyr_history AS
        WITH f AS MATERIALIZED ({final})
        SELECT {common}, lead({ob}) {win} AS valid_to,
               lead(source_row) {win} IS NULL AS is_current, {active}
        FROM f WHERE _m
        UNION ALL BY NAME
        SELECT {common}, NULL AS valid_to, true AS is_current, {active}
        FROM f WHERE NOT _m""")
    con.execute("""
        CREATE OR REPLACE TABLE std.uid_kyr AS
        SELECT * EXCLUDE (valid_to, is_current, active) FROM std.uid_kyr_history
        WHERE is_current AND active""")


def _build_plain(con, src: Source) -> None:
    """Reference and event feeds: typed columns, latest version per record id."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _base AS {_latest(src, con)}")
    place_join = _place_join(con, src, "_base") if src.places else ""
    pl = (", pl.district_std, pl.block_std, pl.village_std, pl.village_code"
          if src.places else "")
    extras = _extras(src, "r")
    con.execute(f"""
        CREATE OR REPLACE TABLE std.{src.feed} AS
        SELECT '{src.feed}' AS source, {value(src.record_id, 'r')} AS source_record_id,
               r._batch_id AS batch_id, r._source_row AS source_row,
               {', '.join(extras)}{pl}, r._bdate AS batch_date
        FROM _base r {place_join}""")
    for t in ("_base", "_combos", "_places"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
