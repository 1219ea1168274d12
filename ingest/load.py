"""Batch orchestration: one delivery folder ``<landing>/<feed>/<date>/`` is one batch.

For each batch, in one DuckDB transaction: stage the new files (a file already loaded,
under any name, in any batch, is skipped by its sha256), validate every row in SQL,
tokenise and vault the UIDs, copy KYR photographs, insert good rows into
``raw.<feed>`` and problems into ``quarantine.rows``, record the batch and files in
``meta``. A refusal (unreadable file) rolls the batch back and is recorded; other
batches and feeds go on. After loading, ``std`` tables of changed feeds are rebuilt
from ``raw`` and each loaded batch is checked with its Great Expectations suite.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np

from core.errors import EXIT_OK, EXIT_REFUSED, mask_uids
from core.paths import PRIVATE_FILE, Home
from core.uid import verhoeff_valid_many
from ingest import masking, quarantine
from ingest.control import check_files, check_rows, read_control
from ingest.landing import data_files, survey
from ingest.reader import FileCheck, Refusal, inspect_file, stage_file
from ingest.registry import Source, load_registry, require_feeds
from ingest.timing import Steps, duckdb_config, null_steps, register, unregister
from ingest.tokens import Keys, require_keys, tokens_for
from ingest.validate import MASK_MACRO, lit, q, rules, value
from ingest.vault import Vault

FEED_ORDER = ["lgd_villages", "uid_kyr"]  # the village master first: places resolve against it

META_DDL = """
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS std;
CREATE TABLE IF NOT EXISTS meta.runs (
    run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, finished_at TIMESTAMP,
    landing VARCHAR, summary JSON);
CREATE TABLE IF NOT EXISTS meta.batches (
    batch_id VARCHAR, feed VARCHAR, delivery_date DATE, run_id VARCHAR, status VARCHAR,
    reason VARCHAR, files INTEGER, files_skipped INTEGER, rows_read BIGINT,
    rows_loaded BIGINT, rows_quarantined BIGINT, uids_vaulted BIGINT,
    started_at TIMESTAMP, finished_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS meta.files (
    file_sha256 VARCHAR PRIMARY KEY, feed VARCHAR, batch_id VARCHAR, file_name VARCHAR,
    rows BIGINT, bytes BIGINT, ignored_columns VARCHAR, run_id VARCHAR, loaded_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS meta.gx_results (
    batch_id VARCHAR, feed VARCHAR, suite VARCHAR, run_id VARCHAR, success BOOLEAN,
    evaluated INTEGER, successful INTEGER, failed JSON, docs_path VARCHAR, run_at TIMESTAMP);
"""


@dataclass
class BatchResult:
    feed: str
    batch_id: str
    status: str  # loaded | refused | unchanged
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    files: int = 0
    files_skipped: int = 0
    uids_vaulted: int = 0
    uids_masked: int = 0  # values holding a UID outside the UID column (meta.dq_notes)
    reason: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # e.g. header-only files


@dataclass
class RunSummary:
    run_id: str
    landing: str
    batches: list[BatchResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files/folders outside the layout
    gx_docs: str | None = None  # Data Docs index.html
    gx_enabled: bool = True
    gx_failures: list[str] = field(default_factory=list)
    std_rebuilt: list[str] = field(default_factory=list)
    ids_masked: dict[str, int] = field(default_factory=dict)  # dept ids equal to a vaulted UID
    seconds: float = 0.0
    load_seconds: float = 0.0  # batches: read, validate, vault, raw + quarantine
    std_seconds: float = 0.0
    gx_seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds per step, whole run
    steps_cpu: dict[str, float] = field(default_factory=dict)  # process CPU s per step

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def refused(self) -> list[BatchResult]:
        return [b for b in self.batches if b.status in ("refused", "error")]

    @property
    def exit_code(self) -> int:
        """0 when everything that arrived was loaded (quarantined rows included), else 3
        (a batch refused, a file or folder outside the landing layout): core.errors."""
        return EXIT_REFUSED if self.refused or self.problems or self.unknown else EXIT_OK


def connect(home: Home) -> duckdb.DuckDBPyConnection:
    home.ensure()
    con = duckdb.connect(str(home.warehouse), config=duckdb_config())
    os.chmod(home.warehouse, PRIVATE_FILE)  # the service user only (docs/operations.md)
    con.execute(META_DDL)
    con.execute(quarantine.DDL)
    con.execute(masking.DQ_DDL)
    con.execute(MASK_MACRO)
    return con


def discover(landing: Path, reg: dict[str, Source], feeds: list[str] | None):
    """(batches to consider, missing expected feeds, unknown feed folders, layout problems);
    raises LandingMissing (nothing is created) when ``landing`` is no folder."""
    found = survey(landing, reg, feeds)
    wanted = feeds or [f for f, s in reg.items() if s.expected]
    missing = sorted(f for f in wanted if f in reg and f not in found.present)
    order = {f: i for i, f in enumerate(FEED_ORDER)}
    batches = sorted(found.batches,
                     key=lambda b: (order.get(b[0].feed, len(order)), b[0].feed, b[1].name))
    return batches, missing, found.unknown, found.problems


def ensure_raw_table(con: duckdb.DuckDBPyConnection, src: Source) -> None:
    cols = [(c, "VARCHAR") for c in src.raw_columns()]
    if src.uid_field is not None:
        cols.append(("uid_valid", "BOOLEAN"))
    cols += [("_batch_id", "VARCHAR"), ("_file_name", "VARCHAR"), ("_file_sha256", "VARCHAR"),
             ("_source_row", "BIGINT")]
    table = f"raw.{src.feed}"
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ("
                + ", ".join(f"{q(c)} {t}" for c, t in cols) + ")")
    have = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema='raw' "
        "AND table_name=?", [src.feed]).fetchall()}
    for c, t in cols:
        if c not in have:
            con.execute(f"ALTER TABLE {table} ADD COLUMN {q(c)} {t}")


ARROW_ABOVE = 20_000


def temp_table(con, name: str, columns: dict[str, tuple[str, list]]) -> None:
    """A temp table from Python lists (``{column: (sql_type, values)}``), without pandas
    or arrow (either would import pandas: seconds) and without touching disk."""
    names = list(columns)
    if len(columns[names[0]][1]) > ARROW_ABOVE:
        from ingest import arrow_columns  # big lists: arrow is much faster

        tbl = arrow_columns.table(columns)
        con.register(f"{name}_arrow", tbl)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
        return
    cols = ", ".join(f"CAST(unnest(${i + 1}) AS {columns[c][0]}) AS {q(c)}"
                     for i, c in enumerate(names))
    typed = ", ".join(f"NULL::{columns[c][0]} AS {q(c)}" for c in names)
    if not columns[names[0]][1]:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {typed} LIMIT 0")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {cols}",
                [columns[c][1] for c in names])


def _prepare_uids(con, src: Source, keys: Keys, cache: dict[str, str],
                  vaulted: set[str] | None = None) -> tuple[list[str], list[str]]:
    """Tokenise the batch's distinct UIDs into the ``_uidmap`` view (NumPy arrays:
    ``_uid_norm``, ``_uid_token``, ``_uid_valid``). Tokens are computed once per distinct
    number per run (``cache``). Returns the (tokens, uids) to vault (not those in
    ``vaulted``: already stored or found in the vault in this run)."""
    f = src.uid_field
    if f is None:
        return [], []
    shaped = "regexp_full_match(_uid_norm, '[2-9][0-9]{11}')"  # may pass Verhoeff
    twelve = con.sql(f"SELECT DISTINCT _uid_norm FROM _stage WHERE {shaped}"
                     ).fetchnumpy()["_uid_norm"].tolist()
    other = con.sql("SELECT DISTINCT _uid_norm FROM _stage WHERE regexp_full_match(_uid_norm, "
                    f"'[0-9]+') AND NOT {shaped}").fetchnumpy()["_uid_norm"].tolist()
    digits = twelve + other
    ok = np.zeros(len(digits), dtype=bool)
    if twelve:
        arr = np.frombuffer("".join(twelve).encode("ascii"), dtype=np.uint8).reshape(-1, 12) - 48
        ok[:len(twelve)] = verhoeff_valid_many(arr)
    if cache:
        todo = [n for n in digits if n not in cache]
        cache.update(zip(todo, tokens_for(todo, keys.mac), strict=True))
        tokens = [cache[n] for n in digits]
    else:
        tokens = tokens_for(digits, keys.mac)
        cache.update(zip(digits, tokens, strict=True))
    register(con, "_uidmap", {"_uid_norm": ("VARCHAR", digits),
                              "_uid_token": ("VARCHAR", tokens),
                              "_uid_valid": ("BOOLEAN", ok)})
    # KYR: only valid numbers enter the vault; numbers vaulted earlier in this run are known
    keep = np.flatnonzero(ok).tolist() if f.strict else range(len(digits))
    if vaulted:
        keep = [i for i in keep if tokens[i] not in vaulted]
    return [tokens[i] for i in keep], [digits[i] for i in keep]


def _good(src: Source, nbad: int, extra: str = "") -> str:
    """FROM clause of the batch's good rows (stage + UID map), excluding quarantined ones."""
    sql = "_stage s"
    if src.uid_field is not None:
        sql += " LEFT JOIN _uidmap m ON m._uid_norm = s._uid_norm"
    sql += extra
    if nbad:
        sql += (" ANTI JOIN _bad b ON b._file_name = s._file_name AND "
                "b._source_row = s._source_row")
    return sql


def _copy_photos(con, src: Source, home: Home, dirs: dict[str, Path], nbad: int) -> None:
    """Copy KYR photographs into the photo store as <token>.jpg; map path and sha256."""
    pf = src.photo_field
    if pf is None or src.uid_field is None:
        return
    rows = con.execute(
        f"SELECT DISTINCT s._file_name, {value(pf.name, 's')} AS p, m._uid_token "
        f"FROM {_good(src, nbad)} WHERE {value(pf.name, 's')} IS NOT NULL "
        "AND m._uid_token IS NOT NULL").fetchall()
    fn, pn, paths, shas = [], [], [], []
    home.photos.mkdir(parents=True, exist_ok=True)
    for file_name, photo, token in rows:
        source = dirs[file_name] / "photos" / Path(photo).name
        if not source.is_file():
            continue
        data = source.read_bytes()
        dest = home.photos / f"{token}{source.suffix.lower() or '.jpg'}"
        if not dest.exists() or dest.stat().st_size != len(data):
            dest.write_bytes(data)
        fn.append(file_name)
        pn.append(photo)
        paths.append(str(dest.relative_to(home.root)))
        shas.append(hashlib.sha256(data).hexdigest())
    temp_table(con, "_photomap", {
        "_file_name": ("VARCHAR", fn), "_photo": ("VARCHAR", pn),
        "_photo_path": ("VARCHAR", paths), "_photo_sha": ("VARCHAR", shas)})


def _validate(con, src: Source, checks_sql: list[tuple[str, str]]) -> int:
    """Rows with at least one problem into ``_bad`` (with ``_reasons``); returns how many.
    Good rows are never copied: they go from the stage straight to raw.

    Each field's trimmed value is computed once (``_v<i>``) and shared by its rules; the
    UID map is joined in the scan only when a rule needs it (KYR's strict uid), else to the
    few bad rows afterwards."""
    uid = src.uid_field
    strict = uid is not None and uid.strict
    trimmed = {value(f): f"_v{i}" for i, f in enumerate(src.fields)}
    join = " LEFT JOIN _uidmap m ON m._uid_norm = s._uid_norm" if strict else ""
    uid_cols = ", m._uid_token, m._uid_valid" if strict else \
        ", NULL::VARCHAR AS _uid_token, NULL::BOOLEAN AS _uid_valid"
    if uid is None:
        uid_cols += ", NULL::VARCHAR AS _uid_norm"
    dup_join, dup_cols = "", ""
    if src.unique_record_id:
        rid = value(src.record_id)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _dups AS
            SELECT {rid} AS _rid, min((_file_name, _source_row)) AS first
            FROM _stage WHERE {rid} IS NOT NULL GROUP BY 1 HAVING count(*) > 1""")
        dup_join = f" LEFT JOIN _dups d ON d._rid = {value(src.record_id, 's')}"
        dup_cols = ", d.first[1] AS _dup_first_file, d.first[2] AS _dup_first_row"
    if not checks_sql:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _bad AS SELECT s.*{uid_cols}, "
                    "[]::VARCHAR[] AS _reasons, true AS _bad FROM _stage s LIMIT 0")
        return 0
    named = []
    for i, (_, sql) in enumerate(checks_sql):
        for expr, col in trimmed.items():
            sql = sql.replace(expr, col)
        named.append(f"{sql} AS _r{i}")
    rs = [f"_r{i}" for i in range(len(checks_sql))]
    vs = ", ".join(f"{expr} AS {col}" for expr, col in trimmed.items())
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _bad AS
        SELECT * EXCLUDE ({', '.join(rs + list(trimmed.values()))}),
               CAST([{', '.join(rs)}] AS VARCHAR[]) AS _reasons, true AS _bad
        FROM (SELECT *, {', '.join(named)} FROM (
            SELECT s.*, {vs}{uid_cols}{dup_cols} FROM _stage s{join}{dup_join}))
        WHERE coalesce({', '.join(rs)}) IS NOT NULL""")
    nbad = con.execute("SELECT count(*) FROM _bad").fetchone()[0]
    if nbad and uid is not None and not strict:  # the bad rows' tokens, for the quarantine
        con.execute("""CREATE OR REPLACE TEMP TABLE _bad AS
            SELECT b.* EXCLUDE (_uid_token, _uid_valid), m._uid_token, m._uid_valid
            FROM _bad b LEFT JOIN _uidmap m ON m._uid_norm = b._uid_norm""")
    return nbad


def load_batch(con, vault: Vault, keys: Keys, home: Home, src: Source, folder: Path,
               run_id: str, steps: Steps | None = None,
               token_cache: dict[str, str] | None = None,
               vaulted: set[str] | None = None) -> BatchResult:
    st = steps or null_steps()
    cache = {} if token_cache is None else token_cache
    vaulted = set() if vaulted is None else vaulted
    batch_id = f"{src.feed}/{folder.name}"
    res = BatchResult(src.feed, batch_id, "unchanged")
    t0 = time.perf_counter()
    started = datetime.now()
    files = data_files(folder)
    try:
        with st.step("hash+check"):
            checks: list[FileCheck] = [inspect_file(p, src) for p in files]
            control = read_control(folder)
            if control is not None:
                check_files(control, checks)
    except Refusal as r:
        return _refuse(con, res, r, run_id, started, len(files))
    known = {r[0] for r in con.execute("SELECT file_sha256 FROM meta.files").fetchall()}
    new: list[FileCheck] = []
    for c in checks:
        if c.sha256 in known:
            continue
        known.add(c.sha256)
        new.append(c)
    res.files, res.files_skipped = len(new), len(checks) - len(new)
    if not new:
        res.seconds = time.perf_counter() - t0
        return res
    ensure_raw_table(con, src)
    # staged outside the transaction: a file's failed read (row faults are retried
    # without the faulty rows, reader.py) must not abort the batch's transaction
    try:
        per_file, faults = {}, {}
        with st.step("read_csv"):
            first_rowid = []
            for i, c in enumerate(new):
                per_file[c.sha256], first, faults[c.sha256] = stage_file(con, c, src, f"_f{i}")
                if control is not None:
                    check_rows(control, c.path.name, per_file[c.sha256])
                first_rowid.append(first)
            # rowids need not start at 0: the row number is rowid - first + 1
            con.execute("CREATE OR REPLACE TEMP VIEW _stage AS " + " UNION ALL ".join(
                _stage_part(i, c, first_rowid[i], bool(faults[c.sha256]))
                for i, c in enumerate(new)))
    except Refusal as r:
        _drop_batch_temps(con, len(new))
        return _refuse(con, res, r, run_id, started, len(files))
    con.execute("BEGIN TRANSACTION")
    try:
        res.rows_read = sum(per_file.values())
        res.notes += [f"{c.name}: header only, no data rows (header checked: every "
                      "required column present)" for c in new if not per_file[c.sha256]]
        with st.step("mask"):  # UIDs in the wrong place: masked before anything is written
            staged = [masking.StagedFile(f"_f{i}", c.name, c.sha256) for i, c in enumerate(new)]
            at_file = [(f, where, uids) for f, c in zip(staged, new, strict=True)
                       for where, uids in ((masking.FILE_NAME, c.name_uids),
                                           (masking.HEADER, c.header_uids)) if uids]
            stray = masking.mask_staged(con, src, staged, batch_id, keys.mac, at_file)
            res.uids_masked = stray.notes
        with st.step("tokens"):
            to_vault = _prepare_uids(con, src, keys, cache, vaulted)
            to_vault = _with_stray(to_vault, stray, vaulted)
        checks_sql = rules(src)
        with st.step("validate"):
            nbad = _validate(con, src, checks_sql)
        with st.step("vault"):
            res.uids_vaulted = vault.store(*to_vault, batch_id=batch_id)
        dirs = {c.name: c.path.parent for c in new}
        with st.step("photos"):
            _copy_photos(con, src, home, dirs, nbad)
        with st.step("raw"):
            _insert_raw(con, src, batch_id, nbad)
        with st.step("quarantine"):
            res.rows_quarantined = quarantine.insert(con, src, batch_id, "_bad",
                                                     [c for c, _ in checks_sql]) if nbad else 0
        res.rows_quarantined += sum(quarantine.insert_faults(
            con, src.feed, batch_id, c.name, c.sha256, faults[c.sha256]) for c in new)
        res.rows_loaded = res.rows_read - res.rows_quarantined
        for c in new:
            con.execute("INSERT INTO meta.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
                        [c.sha256, src.feed, batch_id, c.name, per_file[c.sha256], c.size,
                         ", ".join(c.ignored) or None, run_id])
        res.status = "loaded"
        res.seconds = time.perf_counter() - t0
        _record(con, res, run_id, started)
        with st.step("commit"):
            con.execute("COMMIT")
        vaulted.update(to_vault[0])  # stored or already held: no need to look again
    except Refusal as r:
        con.execute("ROLLBACK")
        return _refuse(con, res, r, run_id, started, len(files))
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        _drop_batch_temps(con, len(new))
    return res


def _stage_part(i: int, c: FileCheck, first: int, faulted: bool) -> str:
    """One file's part of the ``_stage`` view: its row number from rowid, or through the
    ``_f<i>_rows`` map when rows with a wrong field count were left out (reader.py)."""
    if not faulted:
        row, frm = f"rowid - {first} + 1", f"_f{i}"
    else:
        row = f"(SELECT _r FROM _f{i}_rows WHERE _k = f.rowid - {first})"
        frm = f"_f{i} f"
    return (f"SELECT *, {lit(c.name)} AS _file_name, {lit(c.sha256)} AS _file_sha256, "
            f"{row} AS _source_row FROM {frm}")


def _with_stray(to_vault: tuple[list[str], list[str]], stray: masking.Masked,
                vaulted: set[str]) -> tuple[list[str], list[str]]:
    """The batch's UIDs to vault plus those masked in other columns (not yet vaulted)."""
    tokens, uids = list(to_vault[0]), list(to_vault[1])
    have = set(tokens) | vaulted
    for t, u in zip(stray.tokens, stray.uids, strict=True):
        if t not in have:
            tokens.append(t)
            uids.append(u)
            have.add(t)
    return tokens, uids


def _drop_batch_temps(con, nfiles: int) -> None:
    con.execute("DROP VIEW IF EXISTS _stage")
    for t in (["_photomap", "_dups", "_bad"] + [f"_f{i}" for i in range(nfiles)]
              + [f"_f{i}_rows" for i in range(nfiles)]):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    unregister(con, "_uidmap")


def _insert_raw(con, src: Source, batch_id: str, nbad: int) -> None:
    sel = []
    for f in src.fields.values():
        if f.type == "uid":
            sel += ["m._uid_token AS uid_token",
                    "CASE WHEN m._uid_token IS NOT NULL THEN right(s._uid_norm, 4) END "
                    "AS uid_last4", "m._uid_valid AS uid_valid"]
        elif f.type == "photo":
            sel += [f"srdh_mask_uids(s.{q(f.name)}) AS {q(f.name)}",
                    "p._photo_path AS photo_path", "p._photo_sha AS photo_sha256"]
        else:
            sel.append(f"s.{q(f.name)}")
    photo_join = ""
    if src.photo_field is not None:
        photo_join = (f" LEFT JOIN _photomap p ON p._file_name = s._file_name AND "
                      f"p._photo = {value(src.photo_field.name, 's')}")
    src_sql = _good(src, nbad, photo_join)
    con.execute("SET preserve_insertion_order = false")  # raw has no meaningful order
    try:
        con.execute(f"""
            INSERT INTO raw.{src.feed} BY NAME
            SELECT {', '.join(sel)}, ? AS _batch_id, s._file_name, s._file_sha256,
                   s._source_row
            FROM {src_sql}""", [batch_id])
    finally:
        con.execute("RESET preserve_insertion_order")


def _record(con, res: BatchResult, run_id: str, started: datetime) -> None:
    date = res.batch_id.split("/", 1)[1]
    con.execute("INSERT INTO meta.batches VALUES (?, ?, try_strptime(?, '%Y-%m-%d')::DATE, ?, ?,"
                " ?, ?, ?, ?, ?, ?, ?, ?, now())",
                [res.batch_id, res.feed, date, run_id, res.status, res.reason, res.files,
                 res.files_skipped, res.rows_read, res.rows_loaded, res.rows_quarantined,
                 res.uids_vaulted, started])


def _refuse(con, res: BatchResult, r: Refusal, run_id: str, started: datetime,
            nfiles: int) -> BatchResult:
    res.status, res.reason = "refused", str(r)
    res.files = nfiles
    res.rows_loaded = res.rows_quarantined = 0
    _record(con, res, run_id, started)
    return res


def ingest(landing: str | os.PathLike[str], home: str | os.PathLike[str] | Home | None = None,
           feeds: list[str] | None = None, sources: str | os.PathLike[str] | None = None,
           gx: bool = True, echo=print, rebuild_std: bool = False) -> RunSummary:
    """Load everything that arrived under ``landing`` into the home's warehouse.

    ``rebuild_std``: rebuild ``std`` from ``raw`` for every loaded feed (or ``feeds``), not
    only those that changed: after an upgrade that changes standardisation."""
    t0 = time.perf_counter()
    home = home if isinstance(home, Home) else Home.at(home)
    landing = Path(landing).expanduser().resolve()
    reg = load_registry(sources)
    require_feeds(feeds, reg)
    batches, missing, unknown, problems = discover(landing, reg, feeds)  # before creating
    keys = require_keys(home)  # a missing or foreign key stops the run before anything is made
    home.ensure()
    run = RunSummary(run_id=datetime.now().strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:6],
                     landing=str(landing))
    run.missing, run.unknown, run.problems = missing, unknown, problems
    con = connect(home)
    started = datetime.now()
    changed: set[str] = set()
    steps = Steps(echo)
    token_cache: dict[str, str] = {}
    vaulted: set[str] = set()
    try:
        with Vault(home, keys) as vault:
            for src, folder in batches:
                try:
                    res = load_batch(con, vault, keys, home, src, folder, run.run_id, steps,
                                     token_cache, vaulted)
                except Exception as exc:  # an unexpected failure stops this batch only
                    res = BatchResult(src.feed, f"{src.feed}/{folder.name}", "error",
                                      reason=mask_uids(
                                          f"{type(exc).__name__}: {str(exc)[:300]}"))
                    _record(con, res, run.run_id, datetime.now())
                run.batches.append(res)
                t = steps.take()
                if res.status == "loaded":
                    changed.add(src.feed)
                    steps.line(f"{res.batch_id}: {res.rows_read:,} rows in {res.seconds:.1f}s "
                               f"({Steps.fmt(t)})")
            # after every batch: a KYR that arrives after a department's list still masks
            # the list's ids that equal its UIDs
            with steps.step("mask_ids"):
                run.ids_masked = masking.mask_vaulted_ids(con, reg, vault.con, keys.mac)
            changed |= set(run.ids_masked)
        run.load_seconds = time.perf_counter() - t0
        if rebuild_std:  # build_std skips feeds never delivered
            changed |= {f for f in reg if not feeds or f in feeds}
        from ingest.standardise import build_std

        t1 = time.perf_counter()
        run.std_rebuilt = build_std(con, reg, changed, home, steps=steps)
        run.std_seconds = time.perf_counter() - t1
        t1 = time.perf_counter()
        if gx:
            loaded = [b for b in run.batches if b.status == "loaded" and b.rows_loaded > 0]
            if loaded:
                from ingest.quality import validate_batches

                steps.line(f"Great Expectations: {len(loaded)} batch(es)")
                with steps.step("gx"):
                    run.gx_docs, run.gx_failures = validate_batches(con, reg, loaded, home,
                                                                    run.run_id)
        run.gx_seconds = time.perf_counter() - t1
        run.gx_enabled = gx
        from ingest.quality import docs_index

        if run.gx_docs is None and docs_index(home).is_file():
            run.gx_docs = str(docs_index(home))  # the latest Data Docs, from an earlier run
        run.steps = steps.rounded()
        run.steps_cpu = steps.rounded_cpu()
        run.seconds = time.perf_counter() - t0
        con.execute("INSERT INTO meta.runs VALUES (?, ?, now(), ?, ?)",
                    [run.run_id, started, str(landing), json.dumps(run.as_dict(), default=str)])
    finally:
        con.close()
    print_summary(run, echo)
    return run


def print_summary(run: RunSummary, echo=print) -> None:
    echo(f"ingest run {run.run_id} from {run.landing}")
    if run.batches:
        echo(f"  {'batch':<34} {'status':<10} {'read':>9} {'loaded':>9} {'quarant.':>9} "
             f"{'files':>5} {'dup':>4}")
        for b in run.batches:
            echo(f"  {b.batch_id:<34} {b.status:<10} {b.rows_read:>9} {b.rows_loaded:>9} "
                 f"{b.rows_quarantined:>9} {b.files:>5} {b.files_skipped:>4}")
    for b in run.refused:
        echo(f"  {b.status.upper()} {b.batch_id}: {b.reason}")
    for b in run.batches:
        for note in b.notes:
            echo(f"  NOTE {b.batch_id}: {note}")
    tot = sum(b.rows_loaded for b in run.batches)
    qn = sum(b.rows_quarantined for b in run.batches)
    echo(f"  total: {tot} rows loaded, {qn} quarantined, {len(run.refused)} batch(es) refused"
         f" in {run.seconds:.1f} s (load {run.load_seconds:.1f}, std {run.std_seconds:.1f},"
         f" gx {run.gx_seconds:.1f})")
    masked = sum(b.uids_masked for b in run.batches)
    if masked:
        echo(f"  {masked} value(s) held an Aadhaar number outside the UID column: masked, the"
             " rows loaded; see `srdh quarantine` (meta.dq_notes)")
    for feed, n in run.ids_masked.items():
        echo(f"  {feed}: {n} row(s) had a department id equal to an Aadhaar number in the vault:"
             " masked, the rows loaded; see meta.dq_notes")
    if run.missing:
        echo("  MISSING (expected, not in landing): " + ", ".join(run.missing))
    if run.unknown:
        echo("  unknown feed folders (no source YAML), not loaded: " + ", ".join(run.unknown))
    for p in run.problems:
        echo(f"  NOT IN LAYOUT {p}")
    if run.gx_failures:
        echo("  Great Expectations failures: " + "; ".join(run.gx_failures))
    if run.gx_docs:
        echo(f"  Data Docs: {run.gx_docs}")
    else:
        echo("  Data Docs: none built yet" + ("" if run.gx_enabled else
             " (Great Expectations is off: --no-gx or SRDH_GX=0)"))


def load_landing(landing: str | os.PathLike[str], home: Home | str | None = None,
                 feeds: list[str] | None = None, gx: bool = True) -> RunSummary:
    """The pipeline step (``srdh.pipeline.ingest``): :func:`ingest` with keyword names."""
    return ingest(landing, home=home, feeds=feeds, gx=gx)
