"""The clerical review loop: reviewers' decisions, kept forever, that override the model.

``matching.review_decisions`` (warehouse, append-only; nothing in a matching run
replaces or deletes it) holds one row per decision on a pair:

* ``kind = 'seed'``: a source record (``source_l, record_l``) against a KYR resident
  (``source_r = 'uid_kyr'``, ``record_r`` = the resident's uid_token);
* ``kind = 'dedupe'``: two source records (stored in sorted order).

``decision`` is ``match`` or ``non_match``, with ``reviewer``, ``decided_at``, ``reason``
and where it was imported from. For a pair the latest decision counts
(``effective_sql``). At the next ``srdh match`` (hooks called by ``matching.pipeline``):

* a rejected seed pair is removed from the candidates before the posterior is computed
  (the record can never be seeded to that UID; its next-best candidate competes), and
  the record never joins that KYR resident through a dedupe edge either;
* a confirmed seed pair is seeded (``reason = 'clerical_match'``, probability 1) and wins
  any UID conflict in its source;
* a rejected dedupe pair loses its edge; a confirmed one gets an edge (probability 1).

``labels_sql`` exposes the decisions as training / evaluation labels;
``seed_label_outcomes`` turns a source's seeding decisions into (posterior, confirmed)
labels that check and tune its auto seed threshold (``seed.choose_threshold``).

A field check that found a flag's link wrong (feed ``field_verification``, outcome
``wrong_match``) becomes ``non_match`` decisions here (``import_field_wrong_matches``, at
the start of ``srdh match``): the inspector is the reviewer.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from pathlib import Path

from core.files import spreadsheet_unsafe
from matching import engine
from matching.dedupe import CLERICAL_WEIGHT, REVIEW_FLOOR  # confirmed pair's edge weight
from matching.inputs import KYR, WH
from matching.seed import PROV_COLUMNS, SEED_COLUMNS

TABLE = "review_decisions"
DDL = (f"CREATE TABLE IF NOT EXISTS {{db}}.matching.{TABLE} ("
       "decision_id VARCHAR, kind VARCHAR, source_l VARCHAR, record_l VARCHAR, "
       "source_r VARCHAR, record_r VARCHAR, decision VARCHAR, reviewer VARCHAR, "
       "decided_at TIMESTAMP, reason VARCHAR, imported_at TIMESTAMP, import_file VARCHAR, "
       "file_row INTEGER)")
EFFECTIVE = "review_effective"  # workspace table: the latest decision per pair
DECISIONS = {"match": "match", "non_match": "non_match", "non-match": "non_match",
             "nonmatch": "non_match", "no_match": "non_match"}
KINDS = ("seed", "dedupe")
IMPORT_COLUMNS = ("kind", "source_l", "record_l", "source_r", "record_r", "decision",
                  "reviewer", "reason", "decided_at")


def effective_sql(table: str) -> str:
    """The latest decision for each pair of ``table`` (a decisions table)."""
    return f"""
        SELECT kind, source_l, record_l, source_r, record_r, decision, reviewer, decided_at,
               reason
        FROM {table}
        QUALIFY row_number() OVER (PARTITION BY kind, source_l, record_l, source_r, record_r
                                   ORDER BY decided_at DESC, imported_at DESC,
                                            decision_id DESC) = 1"""


def labels_sql(db: str = WH) -> str:
    """Reviewer labels (kind, source_l, record_l, source_r, record_r, is_match) for
    ``srdh train`` or evaluation; ``db`` is the catalog holding ``matching``."""
    return (f"SELECT kind, source_l, record_l, source_r, record_r, "
            f"decision = 'match' AS is_match FROM ({effective_sql(f'{db}.matching.{TABLE}')})")


# --------------------------------------------------------------------------- run hooks

def load_effective(con) -> str:
    """Workspace table ``review_effective`` from the warehouse (empty if none yet)."""
    from matching.ids import has_table

    if has_table(con, "matching", TABLE):
        src = f"{WH}.matching.{TABLE}"
    else:
        con.execute("CREATE SCHEMA IF NOT EXISTS matching")
        con.execute(DDL.format(db="memory"))
        src = f"memory.matching.{TABLE}"
    con.execute(f"CREATE OR REPLACE TABLE {EFFECTIVE} AS {effective_sql(src)}")
    return EFFECTIVE


def _seed(decision: str, source: str) -> str:
    return (f"SELECT record_l AS record_id, record_r AS kyr_token FROM {EFFECTIVE} "
            f"WHERE kind = 'seed' AND source_l = '{source}' AND decision = '{decision}'")


def _confirmed(source: str) -> str:
    """Confirmed (record, UID) pairs of ``source``, one per record (the latest)."""
    return (f"SELECT record_id, kyr_token FROM (SELECT record_l AS record_id, "
            f"record_r AS kyr_token, row_number() OVER (PARTITION BY record_l "
            f"ORDER BY decided_at DESC, record_r) AS rk FROM {EFFECTIVE} "
            f"WHERE kind = 'seed' AND source_l = '{source}' AND decision = 'match') q "
            f"WHERE rk = 1")


def _any(db, sql: str) -> bool:
    return bool(db.rows(f"SELECT count(*) FROM ({sql}) q")[0][0])


def drop_rejected_seed_pairs(db, source: str, pred_table: str) -> None:
    """Before the posterior: a rejected (record, UID) pair is no candidate at all."""
    db = engine.of(db)
    rejected = _seed("non_match", source)
    if _any(db, rejected):
        db.create(pred_table, f"""
            SELECT p.* FROM {pred_table} p
            WHERE NOT EXISTS (SELECT 1 FROM ({rejected}) r
                              WHERE r.record_id = p.record_id AND r.kyr_token = p.kyr_token)""")


def force_confirmed_seeds(db, source: str, seed_table: str, pred_table: str,
                          final: bool = False) -> None:
    """A confirmed pair is seeded. ``final`` (after the conflict rule): the record keeps
    its UID and other records of the source seeded to it go to review (uid_conflict)."""
    db = engine.of(db)
    conf = _confirmed(source)
    if not _any(db, conf):
        return
    hit = "c.record_id IS NOT NULL"
    lost = "x.kyr_token IS NOT NULL AND c.record_id IS NULL" if final else "false"
    expr = {
        "uid_token": f"CASE WHEN {hit} THEN c.kyr_token WHEN {lost} THEN NULL "
                     "ELSE s.uid_token END",
        "candidate_uid_token": f"CASE WHEN {hit} THEN c.kyr_token ELSE s.candidate_uid_token END",
        "match_status": f"CASE WHEN {hit} THEN 'seeded' WHEN {lost} THEN 'review' "
                        "ELSE s.match_status END",
        "reason": f"CASE WHEN {hit} THEN 'clerical_match' WHEN {lost} THEN 'uid_conflict' "
                  "ELSE s.reason END",
        "match_probability": f"CASE WHEN {hit} THEN 1.0 ELSE s.match_probability END",
        "match_weight": f"CASE WHEN {hit} THEN p.match_weight ELSE s.match_weight END",
    }
    cols = SEED_COLUMNS if final else PROV_COLUMNS
    select = ", ".join(f"{expr[c]} AS {c}" if c in expr else f"s.{c}" for c in cols)
    lost_join = (f"LEFT JOIN (SELECT DISTINCT kyr_token FROM ({conf}) k) x "
                 "ON x.kyr_token = s.uid_token" if final else "")
    db.create(seed_table, f"""
        SELECT {select} FROM {seed_table} s
        LEFT JOIN ({conf}) c ON c.record_id = s.source_record_id
        LEFT JOIN {pred_table} p ON p.record_id = c.record_id AND p.kyr_token = c.kyr_token
        {lost_join}""")


def has_seed_labels(db, source: str) -> bool:
    """Whether reviewers decided any seeding pair of ``source``."""
    return _any(engine.of(db), f"SELECT 1 FROM {EFFECTIVE} WHERE kind = 'seed' "
                               f"AND source_l = '{source}'")


def seed_label_outcomes(db, source: str, prov_table: str) -> list[tuple[float, bool]]:
    """(p, confirmed) for each record of ``source`` whose best candidate in ``prov_table``
    (built *before* the decisions removed or forced anything) reviewers decided:
    confirmed when they confirmed that pair; wrong when they rejected it or confirmed
    another resident (KYR lists a person once). A record whose only decisions reject
    other candidates says nothing about its best one and is left out; so are ambiguous
    records, which are never seeded. These are the labels that check and tune the seed
    threshold (``seed.choose_threshold``)."""
    rows = engine.of(db).rows(f"""
        SELECT p.match_probability,
               bool_or(d.decision = 'match' AND d.record_r = p.candidate_uid_token)
        FROM {prov_table} p
        JOIN {EFFECTIVE} d ON d.kind = 'seed' AND d.source_l = '{source}'
             AND d.record_l = p.source_record_id
        WHERE p.candidate_uid_token IS NOT NULL AND p.reason <> 'ambiguous'
        GROUP BY p.source_record_id, p.match_probability
        HAVING bool_or(d.record_r = p.candidate_uid_token) OR bool_or(d.decision = 'match')
        ORDER BY p.source_record_id""")
    return [(float(p), bool(ok)) for p, ok in rows]


def barred_links(db) -> str:
    """Table ``review_barred`` (source, record_id, label): rejected seed pairs as cluster
    labels, so ``dedupe.resident_clusters`` never joins the record to that resident."""
    return engine.of(db).create("review_barred", f"""
        SELECT source_l AS source, record_l AS record_id, 'K:' || record_r AS label
        FROM {EFFECTIVE} WHERE kind = 'seed' AND decision = 'non_match'""")


def apply_dedupe_decisions(db, edges: str = "dedupe_edges") -> None:
    """Rejected pairs lose their edge; confirmed pairs get one (probability 1)."""
    db = engine.of(db)
    decided = f"SELECT * FROM {EFFECTIVE} WHERE kind = 'dedupe'"
    if not _any(db, decided):
        return
    # one NOT EXISTS per orientation: equality joins on both engines
    not_decided = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM ({decided}) d WHERE e.source_l = d.source_{a} "
        f"AND e.record_l = d.record_{a} AND e.source_r = d.source_{b} "
        f"AND e.record_r = d.record_{b})" for a, b in (("l", "r"), ("r", "l")))
    db.create(edges, f"""
        SELECT e.source_l, e.record_l, e.source_r, e.record_r, e.match_weight,
               e.match_probability, e.keep_probability
        FROM {edges} e WHERE {not_decided}
        UNION ALL
        SELECT source_l, record_l, source_r, record_r, CAST({CLERICAL_WEIGHT} AS DOUBLE),
               CAST(1.0 AS DOUBLE), CAST(1.0 AS DOUBLE)
        FROM ({decided}) d WHERE decision = 'match'""")


def apart_pairs(db, checked: str = "dedupe_checked",
                seeded: str = "dedupe_together_apart") -> str:
    """Table ``dedupe_apart`` (source_l, record_l, source_r, record_r): pairs that are two
    people for certain or that contradict each other: the dedupe vetoes and the
    contradicted pairs (``cannot_link``: different mothers, or different full dates not
    kept on one UID by the seeding) among scored pairs (``checked``), the vetoes among the
    records seeded to one UID, scored or not (``seeded``, ``dedupe.together_apart``), and
    the pairs a reviewer rejected; never a pair a reviewer confirmed. ``seed.resolve``
    never keeps both on one UID, ``dedupe.resident_clusters`` never puts both in one
    resident through other records. A contradicted pair is not ``vetoed``: it stays in
    the review queue (``dedupe_review_pairs_sql``)."""
    db = engine.of(db)
    vetoed = (f"SELECT source_l, record_l, source_r, record_r FROM {checked} "
              f"WHERE vetoed OR cannot_link "
              f"UNION ALL SELECT source_l, record_l, source_r, record_r FROM {seeded}")
    decided = f"SELECT * FROM {EFFECTIVE} WHERE kind = 'dedupe'"
    if not _any(db, decided):
        db.create("dedupe_apart", vetoed)
        return "dedupe_apart"
    # a pair a reviewer confirmed is one person even on one card (never apart)
    not_confirmed = " AND ".join(
        f"NOT EXISTS (SELECT 1 FROM ({decided}) d WHERE d.decision = 'match' AND "
        f"e.source_l = d.source_{a} AND e.record_l = d.record_{a} AND "
        f"e.source_r = d.source_{b} AND e.record_r = d.record_{b})"
        for a, b in (("l", "r"), ("r", "l")))
    db.create("dedupe_apart", f"""
        SELECT e.source_l, e.record_l, e.source_r, e.record_r FROM ({vetoed}) e
        WHERE {not_confirmed}
        UNION ALL
        SELECT source_l, record_l, source_r, record_r FROM ({decided}) d
        WHERE decision = 'non_match'""")
    return "dedupe_apart"


# --------------------------------------------------------------------------- calibration

def calibration(warehouse: str | Path) -> dict:
    """The last run's check of the seed thresholds against reviewer labels:
    ``{"run_date", "sources": {source: {threshold entry of matching.runs, "bands": [...]}}}``.

    Each band row holds the labelled records, the confirmed ones, the model's estimated
    precision, the measured one with its Wilson 95% interval, and the calibrated
    precision the threshold was tuned with (``seed.calibrate_bands``)."""
    import duckdb

    from matching.ids import has_table

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        db = con.execute("SELECT current_database()").fetchall()[0][0]
        if not has_table(con, "matching", "runs", catalog=db):
            return {"run_date": None, "sources": {}}
        last = con.execute("SELECT CAST(run_date AS VARCHAR), summary FROM matching.runs "
                           "ORDER BY finished_at DESC LIMIT 1").fetchall()
        if not last:
            return {"run_date": None, "sources": {}}
        run_date, summary = last[0]
        out = {s: dict(v) for s, v in (json.loads(summary).get("thresholds") or {}).items()}
        if has_table(con, "matching", "seed_calibration", catalog=db):
            df = con.execute("SELECT * EXCLUDE (run_date) FROM matching.seed_calibration "
                             "ORDER BY source, lo").df()
            for source, g in df.groupby("source"):
                rows = g.drop(columns="source").astype(object)
                out.setdefault(source, {})["bands"] = rows.where(rows.notna(), None).to_dict(
                    "records")
        return {"run_date": run_date, "sources": out}
    finally:
        con.close()


# --------------------------------------------------------------------------- import

class DecisionFileError(ValueError):
    """A reviewers' file that cannot be imported (names file, row and column)."""


def _parse_time(value: str, where: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        raise DecisionFileError(f"{where}, column decided_at: {value!r} is not an ISO "
                                "date/time (e.g. 2025-03-01T10:30)") from None


def read_decisions(path: str | Path, reviewer: str | None = None) -> list[dict]:
    """Rows of a reviewed export that carry a decision; blank decisions are skipped."""
    path = Path(path)
    rows = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in IMPORT_COLUMNS[:6] if c not in (reader.fieldnames or [])]
        if missing:
            raise DecisionFileError(f"{path}: missing column(s) {', '.join(missing)}")
        for n, raw in enumerate(reader, start=2):  # line 1 is the header
            where = f"{path}, row {n}"
            # the export guards formula-like cells with a leading ' (core.files)
            rec = {k: spreadsheet_unsafe(raw.get(k) or "").strip() for k in IMPORT_COLUMNS}
            if not rec["decision"]:
                continue
            decision = DECISIONS.get(rec["decision"].lower().replace(" ", "_"))
            if decision is None:
                raise DecisionFileError(f"{where}, column decision: {rec['decision']!r} is "
                                        "not 'match' or 'non_match'")
            if rec["kind"] not in KINDS:
                raise DecisionFileError(f"{where}, column kind: {rec['kind']!r} is not "
                                        f"one of {', '.join(KINDS)}")
            for col in ("source_l", "record_l", "source_r", "record_r"):
                if not rec[col]:
                    raise DecisionFileError(f"{where}, column {col}: empty")
            if rec["kind"] == "seed" and rec["source_r"] != KYR:
                raise DecisionFileError(f"{where}, column source_r: a seed pair's right "
                                        f"side is {KYR}, not {rec['source_r']!r}")
            who = rec["reviewer"] or reviewer or ""
            if not who:
                raise DecisionFileError(f"{where}, column reviewer: empty (fill it in or "
                                        "pass --reviewer)")
            left, right = (rec["source_l"], rec["record_l"]), (rec["source_r"], rec["record_r"])
            if rec["kind"] == "dedupe" and "|".join(right) < "|".join(left):  # as in SQL
                left, right = right, left
            rows.append({"kind": rec["kind"], "source_l": left[0], "record_l": left[1],
                         "source_r": right[0], "record_r": right[1], "decision": decision,
                         "reviewer": who, "reason": rec["reason"] or None,
                         "decided_at": _parse_time(rec["decided_at"], where),
                         "file_row": n})
    return rows


def import_decisions(warehouse: str | Path, path: str | Path, reviewer: str | None = None
                     ) -> dict[str, int]:
    """Append a reviewed file's decisions to ``matching.review_decisions``.

    Every pair must be one SRDH knows (a seeding candidate or a stored dedupe pair /
    record). Importing the same file twice adds nothing (``decision_id`` is a digest
    of the pair, decision, reviewer, time and reason)."""
    import duckdb
    import pandas as pd

    path = Path(path)
    rows = read_decisions(path, reviewer)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    for r in rows:  # the digest uses the file's own values: re-importing adds nothing
        key = "|".join(str(r[k]) for k in ("kind", "source_l", "record_l", "source_r",
                                            "record_r", "decision", "reviewer",
                                            "decided_at", "reason"))
        r["decision_id"] = hashlib.sha256(key.encode()).hexdigest()[:24]
        r["decided_at"] = r["decided_at"] or now
        r["imported_at"] = now
        r["import_file"] = path.name
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS matching")
        con.execute(DDL.format(db=con.execute("SELECT current_database()").fetchall()[0][0]))
        if not rows:
            return {"read": 0, "added": 0}
        cols = ["decision_id", "kind", "source_l", "record_l", "source_r", "record_r",
                "decision", "reviewer", "decided_at", "reason", "imported_at",
                "import_file", "file_row"]
        df = pd.DataFrame(rows)[cols]
        con.register("_dec", df)
        _check_known(con, path)
        con.execute("BEGIN")
        n = con.execute(f"""
            INSERT INTO matching.{TABLE}
            SELECT {', '.join(f'CAST({c} AS {t})' for c, t in _TYPES.items())} FROM _dec
            WHERE decision_id NOT IN (SELECT decision_id FROM matching.{TABLE})""").fetchall()[0][0]
        con.execute("COMMIT")
        return {"read": len(rows), "added": int(n)}
    finally:
        con.close()


_TYPES = {"decision_id": "VARCHAR", "kind": "VARCHAR", "source_l": "VARCHAR",
          "record_l": "VARCHAR", "source_r": "VARCHAR", "record_r": "VARCHAR",
          "decision": "VARCHAR", "reviewer": "VARCHAR", "decided_at": "TIMESTAMP",
          "reason": "VARCHAR", "imported_at": "TIMESTAMP", "import_file": "VARCHAR",
          "file_row": "INTEGER"}


def _check_known(con, path: Path) -> None:
    """Every record named must exist in ``matching.residents`` (a typo is an error)."""
    bad = con.execute(f"""
        WITH sides AS (SELECT file_row, 'source_l/record_l' AS col, source_l AS s,
                              record_l AS r FROM _dec
                       UNION ALL SELECT file_row, 'source_r/record_r', source_r, record_r
                       FROM _dec)
        SELECT file_row, col, s, r FROM sides
        WHERE NOT EXISTS (SELECT 1 FROM matching.residents m
                          WHERE m.source = sides.s AND m.record_id = sides.r)
          -- a deactivated KYR resident is no resident of its own but a seeding candidate
          AND NOT (sides.s = '{KYR}' AND EXISTS (
                   SELECT 1 FROM matching.seed_candidates c WHERE c.uid_token = sides.r))
        ORDER BY file_row LIMIT 1""").fetchall()
    if bad:
        row, col, s, r = bad[0]
        raise DecisionFileError(f"{path}, row {row}, columns {col}: record {s}/{r} is not "
                                "known to SRDH (run `srdh match` first, or fix the id)")


# --------------------------------------------------------------------------- the queue

DEDUPE_REVIEW_FLOOR = REVIEW_FLOOR  # dedupe pairs from here up go to review if not merged


def _undecided_dedupe(e: str) -> str:
    return f"""NOT EXISTS (SELECT 1 FROM {EFFECTIVE} d WHERE d.kind = 'dedupe'
              AND least({e}.source_l || '|' || {e}.record_l, {e}.source_r || '|' || {e}.record_r)
                  = d.source_l || '|' || d.record_l
              AND greatest({e}.source_l || '|' || {e}.record_l,
                           {e}.source_r || '|' || {e}.record_r)
                  = d.source_r || '|' || d.record_r)"""


def dedupe_review_pairs_sql(seeding: str = "_seeding", pairs: str = "dedupe_checked",
                            namesakes: str | None = None) -> str:
    """Dedupe pairs at or above the review floor whose records ended up in different
    residents and that no reviewer has decided (run in the workspace after clustering):
    the pairs below ``dedupe.threshold``, and those above it that were not merged - a
    pair that shares only name, age and gender (issue 17's decision), or whose record
    joined another resident. Pairs that are two people for certain (``vetoed``: same
    card, birth years apart) are left out, and so are pairs whose two records are both
    seeded (to two KYR residents, hence two UIDs): "same person" cannot be honoured
    there; a reviewer rejects a seeding instead; and pairs whose question a seeding item
    asks already (one record in review against the UID the other is seeded to: a UID
    conflict). ``pairs``: ``dedupe.check_pairs``;
    ``namesakes`` (``dedupe.namesake_pairs``): pairs blocking never scored, added when
    ``pairs`` does not hold them."""
    sql = f"""
        SELECT e.source_l, e.record_l, e.source_r, e.record_r, e.match_weight,
               e.match_probability
        FROM {pairs} e
        JOIN residents rl ON rl.source = e.source_l AND rl.record_id = e.record_l
        JOIN residents rr ON rr.source = e.source_r AND rr.record_id = e.record_r
        LEFT JOIN {seeding} sl ON sl.source = e.source_l AND sl.source_record_id = e.record_l
        LEFT JOIN {seeding} sr ON sr.source = e.source_r AND sr.source_record_id = e.record_r
        WHERE e.match_probability >= {DEDUPE_REVIEW_FLOOR}
          AND NOT e.vetoed
          AND rl.resident_id <> rr.resident_id
          AND NOT coalesce(sl.match_status = 'seeded' AND sr.match_status = 'seeded', false)
          -- one record is in review against the UID the other is seeded to: that item
          -- asks the same question
          AND NOT coalesce(sl.match_status = 'review' AND sl.candidate_uid_token = sr.uid_token
                           OR sr.match_status = 'review'
                              AND sr.candidate_uid_token = sl.uid_token, false)
          AND {_undecided_dedupe('e')}"""
    if namesakes:
        known = " AND ".join(
            f"NOT EXISTS (SELECT 1 FROM {pairs} e WHERE e.source_l = n.source_{a} "
            f"AND e.record_l = n.record_{a} AND e.source_r = n.source_{b} "
            f"AND e.record_r = n.record_{b})" for a, b in (("l", "r"), ("r", "l")))
        sql += f"""
        UNION ALL
        SELECT n.source_l, n.record_l, n.source_r, n.record_r, n.match_weight,
               n.match_probability
        FROM {namesakes} n WHERE {known} AND {_undecided_dedupe('n')}"""
    return sql


# --------------------------------------------------------------------------- field checks

FIELD_FILE = "field_verification:"  # import_file of a decision made from a field check
DEATH_FLAGS = ("deceased_active", "possibly_deceased")


def _field_pairs_sql(flags_table: str) -> str:
    """The links each new ``wrong_match`` check undoes, as decision rows.

    Only checks made on the flag's current evidence (its evidence_hash in the last build)
    and not yet turned into decisions count. A death flag: the death record is not this
    person (its seeding to the UID and its pair with the record are rejected). Any other
    flag: the record is not the person it was linked to (its seeding, else its pairs with
    the other records of its resident, are rejected)."""
    return f"""
    WITH v AS (
        SELECT f.verification_id, f.flag_id, f.verified_by, f.verified_at, f.remarks,
               g.source, g.source_record_id AS record_id, g.flag, g.resident_id
        FROM std.field_verification f
        JOIN {flags_table} g ON g.flag_id = f.flag_id
             AND g.evidence_hash = lower(f.evidence_hash)
        WHERE upper(f.outcome) = 'WRONG_MATCH'
          AND NOT EXISTS (SELECT 1 FROM matching.{TABLE} d
                          WHERE d.import_file = '{FIELD_FILE}' || f.verification_id)
        QUALIFY row_number() OVER (PARTITION BY f.verification_id
                                   ORDER BY f.batch_id DESC, f.source_row DESC) = 1
    ),
    linked AS (  -- the other records of the flagged record's resident
        SELECT v.verification_id, o.source, o.record_id
        FROM v JOIN matching.residents r ON r.source = v.source AND r.record_id = v.record_id
        JOIN matching.residents o ON o.resident_id = r.resident_id
             AND o.source <> '{KYR}' AND NOT (o.source = v.source AND o.record_id = v.record_id)
    ),
    wrong AS (  -- (verification, record whose link is wrong, the record it is wrong with)
        SELECT v.*, l.source AS w_source, l.record_id AS w_record
        FROM v JOIN linked l ON l.verification_id = v.verification_id
        WHERE (v.flag IN {DEATH_FLAGS} AND l.source = 'crs_death')
        UNION ALL
        SELECT v.*, v.source, v.record_id FROM v WHERE v.flag NOT IN {DEATH_FLAGS}
    )
    SELECT w.verification_id, 'seed' AS kind, w.w_source AS source_l, w.w_record AS record_l,
           '{KYR}' AS source_r, s.uid_token AS record_r, w.verified_by, w.verified_at,
           w.flag_id, w.remarks
    FROM wrong w JOIN matching.seeding s
         ON s.source = w.w_source AND s.source_record_id = w.w_record
    WHERE s.uid_token IS NOT NULL
    UNION ALL
    SELECT w.verification_id, 'dedupe',
           CASE WHEN w.source || '|' || w.record_id < l.source || '|' || l.record_id
                THEN w.source ELSE l.source END,
           CASE WHEN w.source || '|' || w.record_id < l.source || '|' || l.record_id
                THEN w.record_id ELSE l.record_id END,
           CASE WHEN w.source || '|' || w.record_id < l.source || '|' || l.record_id
                THEN l.source ELSE w.source END,
           CASE WHEN w.source || '|' || w.record_id < l.source || '|' || l.record_id
                THEN l.record_id ELSE w.record_id END,
           w.verified_by, w.verified_at, w.flag_id, w.remarks
    FROM wrong w JOIN linked l ON l.verification_id = w.verification_id
    WHERE (w.flag IN {DEATH_FLAGS} AND l.source = w.w_source AND l.record_id = w.w_record)
       OR (w.flag NOT IN {DEATH_FLAGS} AND NOT EXISTS (
               SELECT 1 FROM matching.seeding s WHERE s.source = w.source
               AND s.source_record_id = w.record_id AND s.uid_token IS NOT NULL))"""


def import_field_wrong_matches(warehouse: str | Path,
                               flags_table: str = "intermediate.int_enrolment_flags_verified"
                               ) -> int:
    """Turn new ``wrong_match`` field checks into ``non_match`` decisions (idempotent:
    a check is turned once; its decisions name it in ``import_file``). Returns how many
    decisions were added."""
    import duckdb

    from matching.ids import has_table

    con = duckdb.connect(str(warehouse))
    try:
        schema, table = flags_table.split(".")
        db = con.execute("SELECT current_database()").fetchall()[0][0]
        needed = [("std", "field_verification"), (schema, table), ("matching", "seeding"),
                  ("matching", "residents")]
        if not all(has_table(con, s, t, catalog=db) for s, t in needed):
            return 0
        con.execute(DDL.format(db=db))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        n = 0
        for (vid, kind, sl, rl, sr, rr, who, at, flag_id,
             remarks) in con.execute(_field_pairs_sql(flags_table)).fetchall():
            key = "|".join(map(str, (FIELD_FILE + vid, kind, sl, rl, sr, rr)))
            reason = f"field check {vid} on flag {flag_id}: wrong_match" + (
                f" ({remarks})" if remarks else "")
            con.execute(f"INSERT INTO matching.{TABLE} VALUES (?, ?, ?, ?, ?, ?, 'non_match', "
                        "?, ?, ?, ?, ?, NULL)",
                        [hashlib.sha256(key.encode()).hexdigest()[:24], kind, sl, rl, sr, rr,
                         who, at or now, reason, now, FIELD_FILE + vid])
            n += 1
        return n
    finally:
        con.close()
