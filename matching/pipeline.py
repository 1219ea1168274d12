"""The matching run: seed every linked feed against KYR, dedupe, cluster, store.

``run_matching(home)`` is the plain function behind ``srdh match`` (and any DAG). It
writes the ``matching`` schema only; department files are ``warehouse.deliver``'s.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from core.uid import round_floats
from matching import dedupe, engine, ids, inputs, predict, review, seed, store, train
from matching.inputs import KYR, WH
from matching.settings import MatchSettings, load_settings

log = logging.getLogger(__name__)


@dataclass
class MatchResult:
    run_date: str
    sources: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    trained: list[str] = field(default_factory=list)
    # source -> {seed_threshold, expected_precision} where the threshold was chosen (auto)
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    model: str = ""  # which models the run used (Models.describe)


@dataclass
class Workspace:
    """The in-memory DuckDB with the inputs loaded (``con``: it reads and, at the end,
    writes the warehouse) and the engine the matching SQL runs on (``db``: the same
    DuckDB, or Spark with the inputs handed over through ``exchange``)."""

    con: object
    kyr: inputs.FeedTable
    linked: list[inputs.FeedTable]
    departments: list[inputs.FeedTable]
    db: engine.Engine | None = None
    exchange: Path | None = None
    # seed thresholds chosen on this run (auto): source -> threshold, expected precision
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    # reviewer labels per posterior band (seed.Band rows with their source), when any
    calibration: list[dict] = field(default_factory=list)
    # the dedupe prior of this run (log2 odds) and the size's, when it had one
    dedupe_prior: dict[str, float | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.db = self.db or engine.DuckDBEngine(self.con)

    @property
    def on_spark(self) -> bool:
        return self.db.dialect == "spark"


def open_inputs(warehouse: str | Path, settings: MatchSettings) -> Workspace:
    con = inputs.open_workspace(warehouse, settings)
    kyr = inputs.load_feed(con, KYR, kyr_deactivated=settings.kyr_include_deactivated)
    linked_names = inputs.linked_feeds(con, settings)
    dept_names = set(inputs.department_feeds(con, settings))
    linked = [inputs.load_feed(con, f) for f in linked_names]
    depts = [f for f in linked if f.feed in dept_names]
    if settings.dedupe.include_feeds == "all_linked":
        depts = list(linked)
    ws = Workspace(con, kyr, linked, depts)
    if settings.backend == "spark":
        ws.exchange = Path(settings.spark.exchange_dir or
                           Path(warehouse).parent / "matching_tmp" / "spark")
        ws.db = engine.SparkEngine(engine.spark_session(settings, ws.exchange),
                                   ws.exchange / "work")
        log.info("backend spark: handing the inputs over (%s)", ws.exchange)
        engine.to_spark(con, ws.db, [kyr.table, inputs.DEACTIVATED,
                                     *[f.table for f in linked]], ws.exchange / "in")
    return ws


def collect_results(ws: Workspace, seed_tables: list[str], settings: MatchSettings) -> None:
    """Spark -> the DuckDB workspace: the tables ``store_results``
    reads (scored pairs only down to the review floor, the 3 best KYR candidates)."""
    floor = min(review.DEDUPE_REVIEW_FLOOR, settings.dedupe.threshold)
    tables = {t: f"SELECT * FROM {t}" for t in [*seed_tables, "residents", "duplicates",
                                                 "dedupe_namesakes"]}
    tables["pred_dedupe"] = f"SELECT * FROM pred_dedupe WHERE match_probability >= {floor}"
    tables["dedupe_checked"] = (f"SELECT * FROM dedupe_checked "
                                f"WHERE match_probability >= {review.DEDUPE_REVIEW_FLOOR}")
    for f in ws.linked:
        tables[f"pred_seed_{f.feed}"] = (
            f"SELECT * FROM pred_seed_{f.feed} QUALIFY row_number() OVER "
            f"(PARTITION BY record_id ORDER BY match_weight DESC, kyr_token) <= 3")
    for t in ("_id_map_new", "_id_history_new"):
        if ws.db.exists(t):
            tables[t] = f"SELECT * FROM {t}"
    engine.to_duckdb(ws.db, ws.con, tables, ws.exchange / "out")


@dataclass
class Models:
    """The models of one run and where they came from (``store``)."""

    seed: dict[str, dict | None]
    dedupe: dict | None
    trained: dict[str, dict]        # trained on this run (name -> model)
    carried: dict[str, dict]        # taken from the home's version in use
    source: str                     # "home" | "committed"
    version: str | None = None      # the home version in use (None: not written yet)
    in_models_dir: bool = False     # the trained models were saved to settings.models_dir

    def describe(self) -> str:
        """One line for ``srdh match``: which model the run used."""
        if self.source == "committed":
            where = "committed models (matching/models)"
            if self.carried or self.trained:
                where += f" + home models/{self.version or '(new version)'}"
        else:
            where = f"home models/{self.version or '(new version)'}"
        done = ", ".join(self.trained) or "none"
        return f"model: {where}; trained on this run: {done}"


def ensure_models(ws: Workspace, settings: MatchSettings, retrain: bool = False,
                  home_models: store.HomeModels | None = None) -> Models:
    """The run's models: loaded, and trained where missing (or all with ``retrain``).

    ``settings.model`` ``home`` (the default): the home's current version
    (``matching.store``); a home without one trains every model on its first run.
    ``committed``: ``settings.models_dir`` first, then the home's version. Models trained
    on a run are not written here: ``save_models`` writes them as a new home version
    once the run has succeeded (``retrain`` with ``committed``, or no home: into
    ``settings.models_dir``, for review and commit)."""
    committed = settings.model == "committed" or home_models is None
    trained: dict[str, dict] = {}
    carried: dict[str, dict] = {}

    def get(name: str, fit) -> dict:
        if not retrain:
            if committed:
                model = train.load_model(Path(settings.models_dir) / f"{name}.json")
                if model is not None:
                    return model
            model = home_models.load(name) if home_models else None
            if model is not None:
                carried[name] = model
                return model
        log.info("training the %s model (no model in this home yet, or --retrain)", name)
        t0 = time.time()
        trained[name] = fit(save=False)
        log.info("trained the %s model in %.0fs", name, time.time() - t0)
        return trained[name]

    con = ws.db.raw  # training runs on the backend (a Spark session with backend: spark)
    memo: dict = {}  # counts on KYR alone, made once for every source's model
    # no KYR loaded yet: nothing to seed against, and nothing to train a seed model on
    seed_models = {f.feed: get(f"seed_{f.feed}", lambda save, f=f: train.train_seed_model(
        con, ws.kyr, f, settings, save=save, memo=memo)) if ws.kyr.rows else None
        for f in ws.linked}
    dedupe_model = None
    if ws.departments:
        dedupe_model = get("dedupe", lambda save: train.train_dedupe_model(
            con, ws.departments, settings, save=save))
    to_models_dir = bool(trained) and committed and (retrain or home_models is None)
    for name, model in trained.items() if to_models_dir else ():
        train.save_model(model, train.model_path(settings, name))
    version = home_models.current_id() if home_models and not trained else None
    return Models(seed_models, dedupe_model, trained, carried,
                  "committed" if settings.model == "committed" else "home", version,
                  to_models_dir)


def save_models(ws: Workspace, models: Models, home_models: store.HomeModels | None,
                made_by: str, run_date: str | None = None,
                thresholds: dict | None = None) -> str | None:
    """A new home version holding the models trained on this run and those carried
    forward (none when nothing was trained, or they went to ``models_dir``)."""
    if not models.trained or home_models is None or models.in_models_dir:
        return models.version
    # every model of the version in use is carried, also those this run did not load
    folder = home_models.current()
    keep = {p.stem: train.load_model(p) for p in sorted(folder.glob("*.json"))
            if p.name != store.MANIFEST} if folder else {}
    keep.update(models.carried)
    for name in models.trained:
        keep.pop(name, None)
    rows = {ws.kyr.feed: ws.kyr.rows, **{f.feed: f.rows for f in ws.linked}}
    models.version = home_models.write_version(models.trained, keep, made_by, run_date,
                                               rows, thresholds)
    return models.version


def match_workspace(ws: Workspace, settings: MatchSettings, seed_models: dict[str, dict],
                    dedupe_model: dict | None, timings: dict[str, float],
                    run_date: str | None = None) -> list[str]:
    """Everything up to the ``seed_<feed>``, ``residents`` and ``duplicates`` tables.

    Reviewers' decisions (``matching.review``) override the model at the marked hooks;
    with ``run_date`` resident ids come from the id registry (``matching.ids``).
    The warehouse is read here through DuckDB; everything else runs on ``ws.db``."""
    con = ws.db
    review.load_effective(ws.con)
    if ws.on_spark:  # the reviewers' decisions and the id registry, for the hooks
        ids.load_previous(ws.con)
        engine.to_spark(ws.con, ws.db, [review.EFFECTIVE, ids.PREV_MAP, ids.PREV_HISTORY],
                        ws.exchange / "state")
    prov_tables = []
    for f in ws.linked:
        log.info("seeding %s (%s of %s)", f.feed, ws.linked.index(f) + 1, len(ws.linked))
        pred_table, secs = predict.predict_seed(con, ws.kyr, f, seed_models[f.feed], settings)
        timings[f"predict_seed_{f.feed}"] = secs
        th = seed.thresholds_for(settings, f.feed, ws.kyr.rows)
        labels = None
        if th.auto and review.has_seed_labels(con, f.feed):  # the model's posteriors of
            # the reviewed pairs, before the decisions below remove or force them
            labels = review.seed_label_outcomes(
                con, f.feed, seed.provisional(con, f.feed, pred_table, f.table, th))
        review.drop_rejected_seed_pairs(con, f.feed, pred_table)  # review hook
        prov = seed.provisional(con, f.feed, pred_table, f.table, th)
        if th.auto:  # chosen from this run's posteriors (and labels), then the statuses
            ws.thresholds[f.feed], bands = seed.choose_threshold(con, prov, th, labels)
            ws.calibration += [{"source": f.feed, **asdict(b)} for b in bands]
            prov = seed.provisional(con, f.feed, pred_table, f.table, replace(
                th, seed_threshold=ws.thresholds[f.feed]["seed_threshold"]))
        review.force_confirmed_seeds(con, f.feed, prov, pred_table)  # review hook
        prov_tables.append(prov)
        log.info("seeded %s: pairs scored in %.0fs", f.feed, secs)
    dedupe.set_anchors(con, ws.linked, prov_tables, settings.dedupe.anchor_probability)
    if dedupe_model is not None and ws.departments:
        log.info("de-duplicating %s", ", ".join(f.feed for f in ws.departments))
        size = dedupe.size_prior(con, settings, ws.departments, prov_tables)
        ws.dedupe_prior = {"prior": train.dedupe_prior(dedupe_model, settings, size),
                           "size_prior": size}
        _, secs = predict.predict_dedupe(con, ws.departments, dedupe_model, settings, size)
        timings["predict_dedupe"] = secs
    else:
        con.create("pred_dedupe", "SELECT " + ", ".join(
            f"CAST(NULL AS {t}) AS {c}" for c, t in (
                ("source_l", "VARCHAR"), ("record_l", "VARCHAR"), ("source_r", "VARCHAR"),
                ("record_r", "VARCHAR"), ("match_weight", "DOUBLE"),
                ("match_probability", "DOUBLE"))) + " WHERE false")
    t0 = time.time()
    log.info("resolving UID conflicts, clusters and resident ids")
    dense = (ws.dedupe_prior.get("prior") or float("-inf")) > settings.dedupe.prior_weight
    dedupe.build_edges(con, settings, prov_tables, ws.departments,
                       dedupe.dates_replaced(seed_models, dedupe_model, dense), dense)
    review.apply_dedupe_decisions(con)  # review hook
    apart = review.apart_pairs(con)  # review hook: rejected pairs are two people
    log.info("cannot-link: %d scored pairs contradicted, %d apart pairs in all",
             con.rows("SELECT count(*) FROM dedupe_checked WHERE cannot_link")[0][0],
             con.rows(f"SELECT count(*) FROM {apart}")[0][0])
    seed_tables = [seed.resolve(con, f.feed, f"prov_{f.feed}", None, "dedupe_edges",
                                settings.dedupe.conflict_pair_threshold, apart)
                   for f in ws.linked]
    for f in ws.linked:  # review hook: a confirmed pair wins its UID conflict
        review.force_confirmed_seeds(con, f.feed, f"seed_{f.feed}", f"pred_seed_{f.feed}",
                                     final=True)
    dedupe.resident_clusters(con, settings, ws.kyr, ws.linked, seed_tables,
                             barred=review.barred_links(con),  # review hook
                             apart=apart)  # never joined through other records
    if run_date is not None:  # stable ids from the registry
        t1 = time.time()
        ids.assign(con, run_date)
        timings["stable_ids"] = time.time() - t1
    dedupe.within_source_duplicates(con)
    dedupe.namesake_pairs(con, settings, ws.departments, seed_tables)  # for review
    timings["dedupe_cluster_resolve"] = time.time() - t0
    return seed_tables


def seeding_sql(seed_tables: list[str]) -> str:
    return " UNION ALL ".join(
        f"SELECT s.*, r.resident_id FROM {t} s LEFT JOIN residents r "
        f"ON r.source = s.source AND r.record_id = s.source_record_id" for t in seed_tables
    )


def preseeded_sql(ws: Workspace) -> str:
    """Pre-seeded UIDs (department records carrying a UID) that KYR does not confirm."""
    parts = []
    for f in ws.linked:
        cols = inputs._std_columns(ws.con, f.feed, WH)
        if "uid_token" not in cols:
            continue
        valid = "coalesce(s.uid_valid, false)" if "uid_valid" in cols else "true"
        last4 = "s.uid_last4" if "uid_last4" in cols else "CAST(NULL AS VARCHAR)"
        parts.append(f"""
        SELECT '{f.feed}' AS source, s.source_record_id,
               s.uid_token AS preseeded_uid_token, {last4} AS preseeded_uid_last4,
               {valid} AS uid_valid, k.unique_id IS NOT NULL AS token_in_kyr,
               jaro_winkler_similarity(i.name_std, k.name_std) AS name_similarity,
               i.gender = k.gender AS gender_agrees,
               (i.birth_year_min <= k.birth_year_max AND k.birth_year_min <= i.birth_year_max)
                   AS birth_year_agrees,
               (i.district_std = k.district_std) AS district_agrees,
               sd.match_status, sd.uid_token AS seeded_uid_token,
               CASE WHEN NOT {valid} THEN 'invalid_checksum'
                    WHEN k.unique_id IS NULL THEN 'not_in_kyr'
                    WHEN sd.match_status = 'seeded' AND sd.uid_token <> s.uid_token
                         THEN 'seeded_to_other_resident'
                    WHEN jaro_winkler_similarity(i.name_std, k.name_std) < 0.85
                         OR NOT coalesce(i.gender = k.gender, true)
                         OR NOT coalesce(i.birth_year_min <= k.birth_year_max
                                         AND k.birth_year_min <= i.birth_year_max, true)
                         THEN 'demographics_disagree'
               END AS reason
        FROM (SELECT DISTINCT ON (source_record_id) * FROM {WH}.std.{f.feed}
              WHERE uid_token IS NOT NULL) s
        JOIN {f.table} i ON i.unique_id = s.source_record_id
        LEFT JOIN {ws.kyr.table} k ON k.unique_id = s.uid_token
        LEFT JOIN seed_{f.feed} sd ON sd.source_record_id = s.source_record_id""")
    if not parts:
        return ("SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_record_id, "
                "NULL::VARCHAR AS preseeded_uid_token, NULL::VARCHAR AS reason WHERE false")
    return ("SELECT * FROM (" + " UNION ALL ".join(parts) + ") WHERE reason IS NOT NULL")


def store_results(ws: Workspace, warehouse: str | Path, seed_tables: list[str],
                  run_date: str, settings: MatchSettings) -> None:
    """Write the ``matching`` schema into the warehouse (tokens only, never raw UIDs)."""
    con = ws.con
    con.execute(f"CREATE OR REPLACE TABLE _seeding AS {seeding_sql(seed_tables)}")
    con.execute(f"CREATE OR REPLACE TABLE _preseeded AS {preseeded_sql(ws)}")
    # the three best KYR candidates of every record, for review tools
    cand = " UNION ALL ".join(
        f"SELECT '{f.feed}' AS source, record_id AS source_record_id, kyr_token AS uid_token, "
        f"match_weight, match_probability FROM pred_seed_{f.feed} "
        f"QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY match_weight DESC, "
        f"kyr_token) <= 3"
        for f in ws.linked)
    con.execute(f"CREATE OR REPLACE TABLE _candidates AS {cand}" if cand else
                "CREATE OR REPLACE TABLE _candidates AS SELECT 1 AS x WHERE false")
    con.execute(f"CREATE OR REPLACE TABLE _review_pairs AS "
                f"{review.dedupe_review_pairs_sql(namesakes='dedupe_namesakes')}")
    _calibration_table(con, ws.calibration)
    stable = ids.has_table(con, "main", "_id_map_new", catalog="memory")
    con.execute(f"DETACH {WH}")
    con.execute(f"ATTACH '{Path(warehouse)}' AS {WH}")
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {WH}.matching")
    con.execute(review.DDL.format(db=WH))  # reviewers' decisions: created once, never replaced
    tables = {
        "seeding": "SELECT *, CAST(? AS DATE) AS run_date FROM _seeding",
        "seed_candidates": "SELECT * FROM _candidates",
        "dedupe_pairs": f"SELECT * FROM pred_dedupe WHERE match_probability >= "
                        f"{settings.dedupe.threshold}",
        "dedupe_review_pairs": "SELECT * FROM _review_pairs",
        "residents": "SELECT * FROM residents",
        "duplicates": "SELECT * FROM duplicates",
        "preseeded_disagreements": "SELECT * FROM _preseeded",
        # reviewer labels against the model's posterior, per band (srdh review calibration)
        "seed_calibration": "SELECT *, CAST(? AS DATE) AS run_date FROM _calibration",
    }
    # one transaction: a crash leaves the previous run's tables (and id registry) intact
    con.execute("BEGIN")
    try:
        for name, sql in tables.items():
            params = [run_date] if "?" in sql else []
            con.execute(f"CREATE OR REPLACE TABLE {WH}.matching.{name} AS {sql}", params)
        if stable:
            ids.store(con, run_date)
        con.execute(f"""CREATE TABLE IF NOT EXISTS {WH}.matching.runs (
            run_date DATE, finished_at TIMESTAMP, summary JSON)""")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _calibration_table(con, rows: list[dict]) -> None:
    """Workspace table ``_calibration`` (one row per source and posterior band)."""
    import pandas as pd

    cols = ["source", *(f.name for f in fields(seed.Band))]
    df = pd.DataFrame(rows, columns=cols).astype(
        {"labels": "int64", "matches": "int64", **{c: "float64" for c in cols[1:]
                                                   if c not in ("labels", "matches")}})
    con.register("_calibration_df", df)
    con.execute("CREATE OR REPLACE TABLE _calibration AS SELECT * FROM _calibration_df")
    con.unregister("_calibration_df")


def _counts(con, seed_tables: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for t in seed_tables:
        rows = con.execute(f"SELECT match_status, count(*) FROM {t} GROUP BY 1").fetchall()
        out[t.removeprefix("seed_")] = {k: int(v) for k, v in rows}
    return out


def run_matching(home: str | Path | None = None, settings: MatchSettings | None = None,
                 retrain: bool = False, run_date: str | None = None) -> MatchResult:
    """Seed, dedupe and store ``matching.*`` for one SRDH home."""
    from core.paths import Home

    h = Home.at(home)
    settings = settings or load_settings()
    run_date = run_date or dt.date.today().isoformat()
    timings: dict[str, float] = {}
    t_all = time.time()
    t0 = time.time()
    field = review.import_field_wrong_matches(h.warehouse)  # before the decisions are read
    if field:
        log.info("field verification: %d wrong_match link(s) rejected", field)
    ws = open_inputs(h.warehouse, settings)
    timings["load_inputs"] = time.time() - t0
    log.info("inputs: %s", ", ".join(f"{f.feed} {f.rows:,}" for f in [ws.kyr, *ws.linked]))
    t0 = time.time()
    home_models = store.HomeModels.of(h.root)
    models = ensure_models(ws, settings, retrain, home_models)
    timings["training"] = time.time() - t0
    seed_tables = match_workspace(ws, settings, models.seed, models.dedupe, timings,
                                  run_date=run_date)
    if ws.on_spark:
        t0 = time.time()
        collect_results(ws, seed_tables, settings)
        timings["spark_collect"] = time.time() - t0
    t0 = time.time()
    log.info("storing matching.* in the warehouse")
    store_results(ws, h.warehouse, seed_tables, run_date, settings)
    timings["store"] = time.time() - t0
    # models trained on this run become a home version once its results are stored
    save_models(ws, models, home_models, "srdh match", run_date, ws.thresholds)
    result = MatchResult(run_date=run_date, sources=[f.feed for f in ws.linked],
                         counts=_counts(ws.con, seed_tables), trained=list(models.trained),
                         thresholds=ws.thresholds, model=models.describe())
    result.duplicates = {k: int(v) for k, v in ws.con.execute(
        "SELECT source, count(*) FROM duplicates GROUP BY 1").fetchall()}
    timings["total"] = time.time() - t_all
    result.timings = timings
    ws.con.execute(f"INSERT INTO {WH}.matching.runs VALUES (CAST(? AS DATE), now(), ?)",
                   [run_date, json.dumps({"counts": result.counts,
                                          # seconds, probabilities and bits rounded: a
                                          # float of exactly 12 digits reads as a UID
                                          "timings": round_floats(timings),
                                          "trained": list(models.trained),
                                          "model": {"source": models.source,
                                                    "home_version": models.version},
                                          "thresholds": round_floats(ws.thresholds, 9),
                                          "dedupe_prior": round_floats(ws.dedupe_prior, 6),
                                          "backend": settings.backend})])
    ws.con.close()
    if ws.exchange is not None:  # the hand-over files (not Spark's checkpoints)
        for part in ("in", "state", "work", "out"):
            shutil.rmtree(ws.exchange / part, ignore_errors=True)
    return result


def train_models(home: str | Path | None = None, settings: MatchSettings | None = None,
                 committed: bool = False) -> tuple[list[str], str]:
    """Retrain every model from the home's warehouse: a new version of the home's models
    (``current`` moves to it), or with ``committed`` the files in ``settings.models_dir``
    (``matching/models``, for review and commit). Returns (models, where they went)."""
    from core.paths import Home

    settings = settings or load_settings()
    settings = replace(settings, model="committed" if committed else "home")
    root = Home.at(home).root
    home_models = None if committed else store.HomeModels.of(root)
    ws = open_inputs(Home.at(home).warehouse, settings)
    try:
        models = ensure_models(ws, settings, retrain=True, home_models=home_models)
        save_models(ws, models, home_models, "srdh train")
    finally:
        ws.con.close()
    where = (str(settings.models_dir) if committed
             else str(home_models.root / (models.version or "")))
    return list(models.trained), where
