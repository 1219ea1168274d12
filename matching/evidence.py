"""Splink's waterfall evidence for given record pairs, and the review queue export.

``score_pairs`` re-scores chosen pairs with the saved model: each pair becomes one
left and one right row sharing a ``unique_id`` (the pair number), and Splink predicts
``link_only`` with the blocking rule ``l.unique_id = r.unique_id`` and
``retain_intermediate_calculation_columns``: per comparison the gamma level and the
partial match weight (Splink 5: ``mw_<name>``; Bayes factor = 2^weight). The weights add up
to ``match_weight`` (the model is scored with lambda 0.5, so the prior weight is 0).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path

import pandas as pd

from matching import train
from matching.inputs import DEACTIVATED, INPUT_COLUMNS, KYR, WH
from matching.predict import NEUTRAL_LAMBDA
from matching.seed import CHECK_SAMPLE

log = logging.getLogger(__name__)

# shown side by side (suffix _l / _r); UID as last 4 digits only
SHOWN = ("name_std", "relative_name_std", "gender", "dob", "birth_year", "district_std",
         "block_std", "village_code", "mobile", "household_ref", "uid_last4")


def level_labels(model: dict) -> dict[str, dict[int, str]]:
    """comparison -> gamma value -> level label (Splink numbers non-null levels n-1..0)."""
    out = {}
    for comp in model["comparisons"]:
        levels = comp["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        # a custom null level says what it covers (e.g. a household's shared mobile)
        null = next((lv for lv in levels if lv.get("is_null_level")), {})
        label = null.get("label_for_charts") or ""
        labels = {-1: label if label and not label.endswith(" is NULL")
                  else "missing on one side (no evidence)"}
        for i, lv in enumerate(non_null):
            labels[len(non_null) - 1 - i] = lv.get("label_for_charts") or f"level {i}"
        out[comp["output_column_name"]] = labels
    return out


def score_pairs(con, model: dict, left_sql: str, right_sql: str, settings) -> pd.DataFrame:
    """``left_sql`` / ``right_sql`` select input columns plus ``pair_no`` (one row per pair
    and side). Returns pair_no, match_weight and per comparison ``<c>_level``,
    ``<c>_bf``, ``<c>_weight``."""
    from splink import Linker

    cols = ", ".join(c for c in INPUT_COLUMNS if c != "unique_id")
    con.execute(f"CREATE OR REPLACE TABLE _ev_l AS SELECT CAST(pair_no AS VARCHAR) AS "
                f"unique_id, {cols} FROM ({left_sql})")
    con.execute(f"CREATE OR REPLACE TABLE _ev_r AS SELECT CAST(pair_no AS VARCHAR) AS "
                f"unique_id, {cols} FROM ({right_sql})")
    names = [c["output_column_name"] for c in model["comparisons"]]
    empty = pd.DataFrame(columns=["pair_no", "match_weight"]
                         + [f"{n}_{k}" for n in names for k in ("level", "bf", "weight")])
    if not con.execute("SELECT count(*) FROM _ev_l").fetchall()[0][0]:
        return empty
    ms = train.splink_settings(model, NEUTRAL_LAMBDA)
    ms.update(link_type="link_only", retain_intermediate_calculation_columns=True,
              retain_matching_columns=True,
              blocking_rules_to_generate_predictions=[
                  {"blocking_rule": "l.unique_id = r.unique_id", "sql_dialect": "duckdb"}])
    # the review tools read the warehouse through DuckDB, whatever the matching backend
    db_api = train.make_db_api(con, dataclasses.replace(settings, backend="duckdb"))
    sdfs = [db_api.register("_ev_l", table_name="left_side"),
            db_api.register("_ev_r", table_name="right_side")]
    linker = Linker(sdfs, ms, log_level=logging.WARNING)
    pred = linker.inference.predict(warning_mode="never")
    df = con.execute(f"SELECT * FROM {pred.physical_name} "
                     f"WHERE source_dataset_l <> source_dataset_r").df()
    pred.drop_table_from_database_and_remove_from_cache()
    labels = level_labels(model)
    out = pd.DataFrame({"pair_no": df["unique_id_l"].astype(int),
                        "match_weight": df["match_weight"].astype(float)})
    gp = model.get("comparison_vector_value_column_prefix", "gamma_")
    mp = model.get("match_weight_column_prefix", "mw_")
    for n in names:
        gamma = df[f"{gp}{n}"].astype(int)
        # Splink 5 retains partial match weights (mw_<c>); older versions Bayes factors
        if f"{mp}{n}" in df:
            w = df[f"{mp}{n}"].astype(float)
        else:
            w = df[f"bf_{n}"].astype(float).map(lambda b: math.log2(b) if b > 0 else None)
        out[f"{n}_level"] = [labels[n].get(g, str(g)) for g in gamma]
        out[f"{n}_weight"] = w.round(3)
        out[f"{n}_bf"] = [round(2.0 ** x, 4) if x is not None and not pd.isna(x) else None
                          for x in w]
    return out


def evidence_text(row: pd.Series, names: list[str]) -> str:
    """"name: Exact match on name_key (+6.9); birth: ..." - the waterfall in one cell."""
    parts = []
    for n in names:
        w = row.get(f"{n}_weight")
        if w is None or pd.isna(w):
            continue
        parts.append(f"{n}: {row[f'{n}_level']} ({w:+.1f})")
    return "; ".join(parts)


def side_sql(source: str, id_col: str, pairs: str, side: str) -> str:
    """Input rows of ``source`` for the ``side`` of each pair in ``pairs``."""
    return (f"SELECT p.pair_no, i.* FROM {pairs} p JOIN inp_{source} i "
            f"ON i.unique_id = p.{id_col} WHERE p.source_{side} = '{source}'")


def shown_sql(source: str, kyr_history: bool = False) -> str:
    """The side-by-side columns of one source (uid_last4 from the std table; for KYR
    with ``kyr_history`` from its history, which also holds the deactivated UIDs)."""
    cols = ", ".join(f"i.{c}" for c in SHOWN if c != "uid_last4")
    table = "uid_kyr_history" if source == KYR and kyr_history else source  # every version
    return (f"SELECT '{source}' AS source, i.unique_id AS record_id, {cols}, u.uid_last4 "
            f"FROM inp_{source} i LEFT JOIN (SELECT {_id(source)} AS rid, max(uid_last4) "
            f"AS uid_last4 FROM {WH}.std.{table} GROUP BY 1) u ON u.rid = i.unique_id")


def _id(source: str) -> str:
    return "uid_token" if source == KYR else "source_record_id"


def pair_evidence(con, pairs: str, settings, models: dict[str, dict]) -> pd.DataFrame:
    """``pairs`` (pair_no, kind, source_l, record_l, source_r, record_r) -> evidence
    per pair, scored with the seed model of the source (seed pairs) or the dedupe model."""
    frames = []
    groups = con.execute(f"SELECT DISTINCT kind, source_l, source_r FROM {pairs} "
                         "ORDER BY ALL").fetchall()
    for kind, sl, sr in groups:
        model = models.get(f"seed_{sl}" if kind == "seed" else "dedupe")
        if model is None:
            continue
        sub = f"(SELECT * FROM {pairs} WHERE kind = '{kind}' AND source_l = '{sl}' " \
              f"AND source_r = '{sr}')"
        frames.append(score_pairs(con, model, side_sql(sl, "record_l", sub, "l"),
                                  side_sql(sr, "record_r", sub, "r"), settings))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["pair_no"])


def load_models(settings, home_root) -> dict[str, dict]:
    """The models ``srdh match`` uses in this home (``matching.store.models_in_use``)."""
    from matching.store import models_in_use

    return models_in_use(settings, home_root)


# --------------------------------------------------------------------------- workspace

def _workspace(home, settings, feeds: list[str] = ()):
    """Read-only workspace (warehouse attached as ``wh``) with ``inp_<feed>`` for ``feeds``."""
    from matching import inputs

    con = inputs.open_workspace(home.warehouse, settings, read_only=True)
    _load(con, feeds, settings.kyr_include_deactivated)
    return con


def _load(con, feeds, kyr_deactivated: bool = True) -> None:
    from matching import inputs

    have = inputs.std_feeds(con)
    for f in dict.fromkeys(feeds):
        if f in have:
            inputs.load_feed(con, f, kyr_deactivated=kyr_deactivated)


def _side_by_side(con, pairs: str, feeds: list[str]) -> str:
    from matching.ids import has_table

    history = has_table(con, "std", "uid_kyr_history")
    union = " UNION ALL ".join(shown_sql(f, history) for f in dict.fromkeys(feeds))
    con.execute(f"CREATE OR REPLACE TABLE _shown AS {union}")
    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in SHOWN)
    return (f"SELECT q.*, {cols} FROM {pairs} q "
            f"LEFT JOIN _shown l ON l.source = q.source_l AND l.record_id = q.record_l "
            f"LEFT JOIN _shown r ON r.source = q.source_r AND r.record_id = q.record_r")


def _with_evidence(con, pairs: str, settings, feeds: list[str], home_root) -> pd.DataFrame:
    models = load_models(settings, home_root)
    ev = pair_evidence(con, pairs, settings, models)
    df = con.execute(_side_by_side(con, pairs, feeds)).df()
    names = list(dict.fromkeys(c["output_column_name"] for m in models.values()
                               for c in m["comparisons"]))
    ev = ev.rename(columns={"match_weight": "evidence_match_weight"})
    df = df.merge(ev, on="pair_no", how="left")
    df["evidence"] = df.apply(lambda r: evidence_text(r, names), axis=1) if len(df) else ""
    return df


# --------------------------------------------------------------------------- review export

DECISION_COLUMNS = ("decision", "reviewer", "reason", "decided_at")


def _undecided(q: str) -> str:
    from matching import review

    return (f"NOT EXISTS (SELECT 1 FROM {review.EFFECTIVE} d WHERE d.kind = {q}.kind "
            f"AND d.source_l = {q}.source_l AND d.record_l = {q}.record_l "
            f"AND d.source_r = {q}.source_r AND d.record_r = {q}.record_r)")


def check_sample_sql(per_band: int = CHECK_SAMPLE) -> str:
    """A check sample of *seeded* records: ``per_band`` undecided records per source and
    posterior band (``seed.CALIBRATION_BANDS``), chosen by a digest of the record id (the
    same in every home; the next export takes the next ones). Without it reviewers only
    see records below the threshold, and the bands the seeds are in get no labels to
    check the model's estimate there (``srdh review calibration``)."""
    from matching.seed import CALIBRATION_BANDS

    band = " ".join(f"WHEN match_probability >= {lo} THEN {lo}"
                    for lo in reversed(CALIBRATION_BANDS))
    return f"""
        SELECT * FROM (
            SELECT 'seed' AS kind, source AS source_l, source_record_id AS record_l,
                   '{KYR}' AS source_r, uid_token AS record_r, 'check' AS queue,
                   match_status AS model_status, reason AS model_reason, match_probability,
                   match_weight, runner_up_weight, CASE {band} END AS band
            FROM {WH}.matching.seeding s
            WHERE match_status = 'seeded' AND reason = 'best_link'
              AND uid_token IS NOT NULL) c
        WHERE band IS NOT NULL AND {_undecided('c')}
        QUALIFY row_number() OVER (PARTITION BY source_l, band
                                   ORDER BY md5(source_l || '|' || record_l)) <= {per_band}"""


def review_queue_sql(con, check_sample: int = CHECK_SAMPLE, settings=None,
                     backlog: bool = False) -> str:
    """Pairs waiting for a reviewer: seeding records in ``review`` with their best KYR
    candidate (``queue = 'review'``), a check sample of seeded records per posterior band
    (``queue = 'check'``, ``check_sample_sql``; 0 = none), and dedupe pairs in the review
    band; minus pairs already decided.

    The review items are a budget, not a backlog (issue 17's decision: the queue stays
    within ``review_queue_share`` of each source's records, default 2%, at least one
    item: a reviewer of a small list still gets one). They are taken
    most likely true first (``match_probability``; a namesake no rule scored last), a
    pair across two sources counting half to each; an item is left out when it would
    take either of its sources past its budget, and only an item taken uses a budget
    (``_within_budget``). What is left out waits as the backlog
    (``backlog=True`` selects it instead): the records keep their status (``review``
    seeds are not seeded, backlog pairs are not merged), and as reviewers decide items the
    next export takes the next most likely ones."""
    from matching.ids import has_table
    from matching.settings import load_settings

    settings = settings or load_settings()
    cols = ("kind, source_l, record_l, source_r, record_r, queue, model_status, "
            "model_reason, match_probability, match_weight, runner_up_weight")
    parts = [f"""
        SELECT 'seed' AS kind, source AS source_l, source_record_id AS record_l,
               '{KYR}' AS source_r, candidate_uid_token AS record_r, 'review' AS queue,
               match_status AS model_status, reason AS model_reason, match_probability,
               match_weight, runner_up_weight
        FROM {WH}.matching.seeding
        WHERE match_status = 'review' AND candidate_uid_token IS NOT NULL"""]
    if has_table(con, "matching", "dedupe_review_pairs"):
        parts.append(f"""
        SELECT 'dedupe', CASE WHEN a < b THEN source_l ELSE source_r END,
               CASE WHEN a < b THEN record_l ELSE record_r END,
               CASE WHEN a < b THEN source_r ELSE source_l END,
               CASE WHEN a < b THEN record_r ELSE record_l END,
               'review', 'review',
               -- a namesake no blocking rule scored (dedupe.namesake_pairs): no weight
               CASE WHEN match_probability IS NULL THEN 'dedupe_namesake'
                    ELSE 'dedupe_review_band' END, match_probability, match_weight, NULL
        FROM (SELECT *, source_l || '|' || record_l AS a, source_r || '|' || record_r AS b
              FROM {WH}.matching.dedupe_review_pairs)""")
    review_items = " UNION ALL ".join(parts)
    shares = {s: settings.thresholds(s).review_queue_share for s in settings.sources}
    default = settings.defaults.review_queue_share
    budget_share = " ".join(f"WHEN '{s}' THEN {float(v) if v is not None else 'NULL'}"
                            for s, v in sorted(shares.items()))
    budget_share = (f"CASE source {budget_share} ELSE {_sql_share(default)} END"
                    if budget_share else _sql_share(default))
    # priority: most likely true first; ties by the records' ids (content, the same in
    # every home), never by a token
    ranked = f"""
        SELECT *, row_number() OVER (ORDER BY match_probability DESC NULLS LAST, kind,
                                     source_l, record_l, source_r, record_r) AS _prio
        FROM ({review_items}) r WHERE {_undecided('r')}"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _queue_items AS {ranked}")
    budgets = {s: (None if n is None else float(n)) for s, n in con.execute(f"""
        -- greatest() skips a NULL: no budget must stay NULL
        SELECT source, CASE WHEN ({budget_share}) IS NOT NULL
                       THEN greatest(floor(count(*) * ({budget_share})), 1) END
        FROM {WH}.matching.seeding GROUP BY source""").fetchall()}
    items = con.execute("SELECT _prio, kind, source_l, source_r FROM _queue_items "
                        "ORDER BY _prio").fetchall()
    admitted = pd.DataFrame({"_prio": pd.Series(_within_budget(items, budgets),
                                                dtype="int64")})
    con.register("_queue_admitted_df", admitted)
    con.execute("CREATE OR REPLACE TEMP TABLE _queue_admitted AS "
                "SELECT _prio FROM _queue_admitted_df")
    con.unregister("_queue_admitted_df")
    budgeted = (f"SELECT {cols}, _prio FROM _queue_items WHERE _prio "
                f"{'NOT IN' if backlog else 'IN'} (SELECT _prio FROM _queue_admitted)")
    body = f"SELECT {cols}, _prio FROM ({budgeted})"
    if check_sample > 0 and not backlog:
        body += f" UNION ALL SELECT {cols}, NULL FROM ({check_sample_sql(check_sample)})"
    # the review queue first, most likely true first; then the check sample
    return (f"SELECT CAST(row_number() OVER (ORDER BY queue DESC, _prio, kind DESC, "
            f"source_l, record_l, source_r, record_r) AS INTEGER) AS pair_no, "
            f"{cols} FROM ({body}) q")


def _within_budget(items: list[tuple], budgets: dict) -> list[int]:
    """The items (``_prio``, kind, source_l, source_r), in ``_prio`` order, that fit their
    sources' budgets (items; None = no budget): an item is taken when every source it
    names has room for its share (a pair across two sources half of each, anything else
    one of its source's), and only a taken item uses a budget."""
    used: dict[str, float] = {}
    out = []
    for prio, kind, left, right in items:
        shares = ({left: 1.0} if kind == "seed" or left == right
                  else {left: 0.5, right: 0.5})
        if all(budgets.get(s) is None or used.get(s, 0.0) + v <= budgets[s]
               for s, v in shares.items()):
            out.append(prio)
            for s, v in shares.items():
                used[s] = used.get(s, 0.0) + v
    return out


def _sql_share(v: float | None) -> str:
    return "NULL" if v is None else repr(float(v))


def export_review(home=None, out: str | Path | None = None, settings=None,
                  check_sample: int = CHECK_SAMPLE) -> dict:
    """Write the review queue (CSV, or Parquet when ``out`` ends in .parquet), with
    ``check_sample`` seeded records per source and posterior band (``review_queue_sql``).

    Each row is one pair side by side with the model's weight, probability and the
    waterfall; reviewers fill in ``decision`` (match / non_match), ``reviewer``,
    ``reason`` and optionally ``decided_at``, then ``srdh review import`` the file."""
    from core.files import spreadsheet_safe_frame, write_text_atomic
    from core.paths import Home
    from matching import review
    from matching.settings import load_settings

    h = home if isinstance(home, Home) else Home.at(home)
    settings = settings or load_settings()
    out = Path(out) if out else Path(h.root) / "review" / "review_queue.csv"
    con = _workspace(h, settings)
    try:
        review.load_effective(con)
        con.execute(f"CREATE OR REPLACE TABLE _queue AS "
                    f"{review_queue_sql(con, check_sample, settings)}")
        backlog = con.execute(f"SELECT count(*) FROM ("
                              f"{review_queue_sql(con, 0, settings, backlog=True)})"
                              ).fetchall()[0][0]
        feeds = [r[0] for r in con.execute(
            "SELECT DISTINCT source_l FROM _queue UNION SELECT DISTINCT source_r FROM _queue"
        ).fetchall()]
        _load(con, feeds, settings.kyr_include_deactivated)
        df = _with_evidence(con, "_queue", settings, feeds, h.root)
    finally:
        con.close()
    for c in DECISION_COLUMNS:
        df[c] = ""
    df = df.sort_values("pair_no")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        tmp = out.with_name(out.name + ".tmp")
        df.to_parquet(tmp, index=False)
        tmp.replace(out)
    else:
        write_text_atomic(out, spreadsheet_safe_frame(df).to_csv(index=False))
    return {"path": str(out), "pairs": int(len(df)),
            "seed": int((df["kind"] == "seed").sum()) if len(df) else 0,
            "dedupe": int((df["kind"] == "dedupe").sum()) if len(df) else 0,
            "check": int((df["queue"] == "check").sum()) if len(df) else 0,
            "backlog": int(backlog)}


# --------------------------------------------------------------------------- one resident

def resident_view(home=None, resident_id: str = "", settings=None) -> dict:
    """A resident with every linked record, its seeding outcome and the waterfall of the
    record against the resident's KYR record (or its best candidate). An old id is
    resolved through ``matching.id_history`` first."""
    import duckdb

    from core.paths import Home
    from matching import ids
    from matching.settings import load_settings

    h = home if isinstance(home, Home) else Home.at(home)
    settings = settings or load_settings()
    wh = duckdb.connect(str(h.warehouse), read_only=True)
    try:
        current, hops = ids.resolve(wh, resident_id)
        feeds = [r[0] for r in wh.execute(
            "SELECT DISTINCT source FROM matching.residents WHERE resident_id = ?",
            [current]).fetchall()]
    finally:
        wh.close()
    view = {"asked": resident_id, "resident_id": current, "resolved_via": hops,
            "found": bool(feeds), "records": []}
    if not feeds:
        return view
    con = _workspace(h, settings, [KYR, *feeds])
    try:
        con.execute(f"""
            CREATE OR REPLACE TABLE _res AS
            WITH kyr AS (SELECT record_id FROM {WH}.matching.residents
                         WHERE resident_id = ? AND source = '{KYR}'),
            linked AS (SELECT r.source, r.record_id, 'active' AS kyr_status
                       FROM {WH}.matching.residents r WHERE r.resident_id = ?),
            -- records seeded to a UID that UIDAI deactivated (a death): the register has
            -- no KYR row for them, so show the deactivated KYR record itself
            dead AS (SELECT DISTINCT '{KYR}' AS source, s.uid_token AS record_id,
                            'deactivated' AS kyr_status
                     FROM linked l JOIN {WH}.matching.seeding s
                       ON s.source = l.source AND s.source_record_id = l.record_id
                     WHERE s.match_status = 'seeded' AND NOT EXISTS (SELECT 1 FROM kyr)
                       AND s.uid_token IN (SELECT unique_id FROM {DEACTIVATED})),
            members AS (SELECT * FROM linked UNION ALL SELECT * FROM dead)
            SELECT CAST(row_number() OVER (ORDER BY r.source = '{KYR}' DESC, r.source,
                                           r.record_id) AS INTEGER) AS pair_no,
                   'seed' AS kind, r.source AS source_l, r.record_id AS record_l,
                   '{KYR}' AS source_r,
                   coalesce((SELECT min(record_id) FROM kyr), (SELECT min(record_id) FROM dead),
                            s.candidate_uid_token) AS record_r,
                   s.match_status, s.reason, s.match_probability, s.match_weight,
                   CAST(s.run_date AS VARCHAR) AS run_date,
                   CASE WHEN r.source = '{KYR}' THEN r.kyr_status END AS kyr_status
            FROM members r
            LEFT JOIN {WH}.matching.seeding s
                   ON s.source = r.source AND s.source_record_id = r.record_id""",
                    [current, current])
        df = _with_evidence(con, f"(SELECT * FROM _res WHERE source_l <> '{KYR}' OR "
                                 f"record_l = record_r)", settings, [KYR, *feeds], h.root)
    finally:
        con.close()
    view["records"] = df.sort_values("pair_no").to_dict(orient="records")
    return view
