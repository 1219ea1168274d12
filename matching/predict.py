"""Scoring record pairs with a trained model.

Outputs plain workspace tables (not Splink's internal names):

* ``pred_seed_<source>``: ``record_id, kyr_token, match_weight, match_probability``
* ``pred_dedupe``: ``source_l, record_l, source_r, record_r, match_weight, match_probability``

On DuckDB (one chunk) the pairs are scored in **one pass** (``_score_sql``): each
blocking rule's join selects the compared columns of both records directly, and
Splink's own comparison and match-weight SQL (generated from the model) is applied on
top. Splink's ``predict()`` instead materialises the blocked id pairs and joins every
pair back to both records on a concatenated ``source_dataset || '-__-' || unique_id``
key: those two joins and the id table were about a third of the prediction time. The
pairs (Splink's rules, in order, each excluding the pairs of the rules before it; the
same left/right orientation) and the scores are Splink's - ``tests/test_matching_predict.py``
checks them against ``predict()``. Other backends, or ``prediction.chunks`` > 1, use
``predict()``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time

from matching import blocking, engine, train
from matching.inputs import INPUT_COLUMNS, KYR
from matching.settings import MatchSettings

log = logging.getLogger(__name__)


# Models are scored with lambda = 0.5 (prior weight 0): Splink's match_weight is then
# the pure log2 Bayes factor of the pair, independent of the state size. Priors are
# applied afterwards (seed.provisional per record; train.dedupe_prior for pairs).
NEUTRAL_LAMBDA = 0.5

_FEED_NAME = re.compile(r"^[a-z0-9_]+$")


def _sigmoid_sql(weight_sql: str, prior_weight: float) -> str:
    return f"1.0 / (1.0 + power(2.0, -({weight_sql} + ({prior_weight}))))"


def model_columns(model: dict) -> list[str]:
    """Input columns a model reads, in its comparisons (``name_std_l``, ...) or its
    blocking rules (``l."name_key"``); ``unique_id`` excluded."""
    text = json.dumps([model.get("comparisons"),
                       model.get("blocking_rules_to_generate_predictions")])
    return [c for c in INPUT_COLUMNS
            if c != "unique_id" and re.search(rf"\b{c}(_l|_r)?\b", text)]


def _one_pass(settings: MatchSettings, feeds: list) -> bool:
    return (settings.backend == "duckdb" and max(1, int(settings.prediction.chunks)) == 1
            and all(_FEED_NAME.match(f.feed) for f in feeds))


def _score_sql(linker, feeds: list, model: dict, min_keep_weight: float) -> str:
    """One SELECT giving Splink's ``predict()`` output columns (match_weight,
    match_probability, source_dataset_l/r, unique_id_l/r, match_key) for ``feeds``.

    Splink's semantics, rebuilt around its own SQL generators:
    * two feeds, ``link_only``: left = the feed whose name sorts first (Splink: the
      smaller table name), each rule joins left to right, no id condition;
    * ``link_and_dedupe`` / ``dedupe_only``: every record against every other once,
      left = the smaller ``source_dataset || '-__-' || unique_id``. With feed names
      of ``[a-z0-9_]`` (all above '-') that is the smaller (source_dataset, unique_id).
    """
    from splink.internals.comparison_vector_values import compute_comparison_vector_values_sql
    from splink.internals.predict import predict_from_comparison_vectors_sqls_using_settings
    from splink.internals.term_frequencies import term_frequencies_for_single_column_sql

    st = linker._settings_obj
    cols = ", ".join(f'"{c}"' for c in ["unique_id", *model_columns(model)])
    link_type = st._link_type
    # term-frequency adjusted levels read tf_<col>: Splink's own frequency SQL over all
    # the model's input records (its __splink__df_concat), joined onto each record
    tf_cols = sorted(st._term_frequency_columns, key=lambda c: c.name)
    tf_ctes = [(f"__pin_tf_{i}", term_frequencies_for_single_column_sql(c, "__pin_all"))
               for i, c in enumerate(tf_cols)]

    def with_tf(select: str) -> str:
        if not tf_cols:
            return select
        picks = ", ".join(f"t{i}.{c.tf_name}" for i, c in enumerate(tf_cols))
        joins = " ".join(f"LEFT JOIN __pin_tf_{i} t{i} ON t{i}.{c.name} = x.{c.name}"
                         for i, c in enumerate(tf_cols))
        return f"SELECT x.*, {picks} FROM ({select}) x {joins}"

    selects = {f.feed: f"SELECT '{f.feed}' AS source_dataset, {cols} FROM {f.table}"
               for f in feeds}
    union = " UNION ALL ".join(selects.values())
    if link_type == "link_only":
        if len(feeds) != 2:
            raise ValueError("one-pass scoring links exactly two feeds")
        left, right = sorted(selects)
        inputs = {"l": with_tf(selects[left]), "r": with_tf(selects[right])}
        where = "1=1"
    else:
        inputs = {"l": with_tf(union), "r": "__pin_l"}
        where = ("(l.source_dataset < r.source_dataset OR (l.source_dataset = r.source_dataset"
                 " AND l.unique_id < r.unique_id))")
    select_cols = ",\n".join(st._columns_to_select_for_blocking)
    rules = []
    for br in st._blocking_rules_to_generate_predictions:
        excl = br.exclude_pairs_generated_by_all_preceding_rules_sql(None, None)
        rules.append(f"""
            SELECT {select_cols}, '{br.match_key}' AS match_key
            FROM __pin_l AS l INNER JOIN {"__pin_r" if link_type == "link_only" else "__pin_l"} AS r
            ON ({br.blocking_rule_sql})
            WHERE {where} {excl}""")
    ctes = []
    if tf_cols:
        ctes += [("__pin_all", union), *tf_ctes]
    ctes.append(("__pin_l", inputs["l"]))
    if link_type == "link_only":
        ctes.append(("__pin_r", inputs["r"]))
    ctes.append(("__splink__df_blocked", " UNION ALL ".join(rules)))
    ctes.append(("__splink__df_comparison_vectors", jw_with_cutoff(
        compute_comparison_vector_values_sql(
            st._columns_to_select_for_comparison_vector_values))))
    steps = predict_from_comparison_vectors_sqls_using_settings(
        st, threshold_match_weight=min_keep_weight)
    ctes += [(s["output_table_name"], s["sql"]) for s in steps[:-1]]
    with_sql = ",\n".join(f"{name} AS ({sql})" for name, sql in ctes)
    return f"WITH {with_sql}\n{steps[-1]['sql']}"


# ``jaro_winkler_similarity(a, b) >= t``: DuckDB's third argument (score_cutoff) lets
# it stop early on pairs that cannot reach t (they return 0); a pair at or above t gets
# the same similarity, so every comparison level is unchanged. Names take most pairs
# through all their fuzzy levels: about a quarter less CPU for those calls.
_JW_GE = re.compile(r"jaro_winkler_similarity\(([^(),]+),\s*([^(),]+)\)\s*>=\s*([0-9]*\.?[0-9]+)")


def jw_with_cutoff(sql: str) -> str:
    """DuckDB only: pass each Jaro-Winkler level's threshold as the score cutoff, a hair
    below it: at the cutoff itself DuckDB returns 0 for a similarity of exactly t
    (ANIL / ANJALI, 0.8, failed ``>= 0.80`` with cutoff 0.80)."""
    return _JW_GE.sub(lambda m: f"jaro_winkler_similarity({m[1]}, {m[2]}, "
                                f"{float(m[3]) - 1e-9!r}) >= {m[3]}", sql)


class _Scored:
    """The scored pairs, ``FROM``-able as ``relation``: the one-pass query itself (read
    once, by the statement that builds ``pred_*``: no intermediate table) or the table
    Splink's ``predict()`` wrote."""

    def __init__(self, relation: str, splink_df=None):
        self.relation, self._sdf = relation, splink_df
        self.one_pass = splink_df is None

    def drop(self) -> None:
        if self._sdf is not None:
            self._sdf.drop_table_from_database_and_remove_from_cache()


def _score(linker, feeds: list, model: dict, settings: MatchSettings) -> _Scored:
    if _one_pass(settings, feeds):
        sql = _score_sql(linker, feeds, model, settings.prediction.min_keep_weight)
        return _Scored(f"({sql})")
    return _splink_scored(linker, settings)


def _splink_scored(linker, settings: MatchSettings) -> _Scored:
    sdf = _predict(linker, settings)
    return _Scored(sdf.physical_name, sdf)


def _predict(linker, settings: MatchSettings):
    n = max(1, int(settings.prediction.chunks))
    kw = {"num_chunks_left": n, "num_chunks_right": n} if n > 1 else {}
    return linker.inference.predict(
        threshold_match_weight=settings.prediction.min_keep_weight,
        warning_mode="never", **kw,
    )


def seed_rules(db, kyr, src, settings: MatchSettings) -> tuple[tuple[str, ...], ...]:
    """The seeding rules ``src`` is scored with: those the two feeds' columns allow, less
    any past the pair budget (``blocking.within_budget``). ``evaluate`` reads the same."""
    return blocking.within_budget(engine.of(db), blocking.SEED_PREDICTION_RULES,
                                  set(kyr.usable) & set(src.usable), [kyr.table, src.table],
                                  True, src.rows, settings.prediction.max_pairs_per_record,
                                  f"seeding {src.feed}")


def predict_seed(db, kyr, src, model: dict, settings: MatchSettings) -> tuple[str, float]:
    """Score ``src`` records against KYR; returns (table name, seconds).

    With no KYR loaded yet (``model`` None) the table is empty: nothing can be seeded."""
    from splink import Linker

    db = engine.of(db)
    table = f"pred_seed_{src.feed}"
    if model is None or kyr.rows == 0:
        db.create(table, "SELECT CAST(NULL AS VARCHAR) AS record_id, CAST(NULL AS VARCHAR) "
                         "AS kyr_token, CAST(NULL AS DOUBLE) AS match_weight, "
                         "CAST(NULL AS DOUBLE) AS match_probability WHERE false")
        return table, 0.0
    model = train.with_prediction_rules(model, seed_rules(db, kyr, src, settings),
                                        set(kyr.usable) & set(src.usable))
    db_api = train.make_db_api(db.raw, settings)
    sdfs = [db_api.register(kyr.table, table_name=kyr.feed),
            db_api.register(src.table, table_name=src.feed)]
    linker = Linker(sdfs, train.splink_settings(model, NEUTRAL_LAMBDA, settings.backend),
                    log_level=logging.WARNING)
    lam = train.seed_lambda(kyr.rows, settings)
    prior_w = math.log2(lam / (1 - lam))
    t0 = time.time()
    pred = _score(linker, [kyr, src], model, settings)
    db.create(table, f"""
        SELECT CASE WHEN source_dataset_l = '{KYR}' THEN unique_id_r ELSE unique_id_l END
                   AS record_id,
               CASE WHEN source_dataset_l = '{KYR}' THEN unique_id_l ELSE unique_id_r END
                   AS kyr_token,
               match_weight,
               {_sigmoid_sql("match_weight", prior_w)} AS match_probability
        FROM {pred.relation} AS p
        WHERE source_dataset_l <> source_dataset_r
    """)
    pred.drop()
    secs = time.time() - t0
    log.info("seed %s: scored in %.1fs", src.feed, secs)
    return table, secs


def predict_dedupe(db, feeds: list, model: dict, settings: MatchSettings,
                   size_prior: float | None = None) -> tuple[str, float]:
    """Table ``pred_dedupe``: scored pairs, ``match_probability`` with
    ``train.dedupe_prior`` (``size_prior``: ``dedupe.size_prior``'s, for a sparse list)."""
    from splink import Linker

    db = engine.of(db)
    columns = set().union(*(f.usable for f in feeds))
    spec = blocking.within_budget(db, blocking.DEDUPE_PREDICTION_RULES, columns,
                                  [f.table for f in feeds], False, sum(f.rows for f in feeds),
                                  settings.prediction.max_pairs_per_record, "de-duplication")
    model = train.with_prediction_rules(model, spec, columns)
    db_api = train.make_db_api(db.raw, settings)
    sdfs = [db_api.register(f.table, table_name=f.feed) for f in feeds]
    model_settings = train.splink_settings(model, NEUTRAL_LAMBDA, settings.backend)
    model_settings["link_type"] = train.dedupe_link_type(len(feeds))
    linker = Linker(sdfs, model_settings, log_level=logging.WARNING)
    t0 = time.time()
    prior = train.dedupe_prior(model, settings, size_prior)
    log.info("dedupe prior: %.2f bits (fixed %.1f, from the size %s)", prior,
             settings.dedupe.prior_weight,
             "none" if size_prior is None else f"{size_prior:.2f}")
    pred = _score(linker, feeds, model_settings, settings)
    one_feed = model_settings["link_type"] == "dedupe_only"  # no source_dataset columns
    sl = f"'{feeds[0].feed}'" if one_feed else "source_dataset_l"
    sr = f"'{feeds[0].feed}'" if one_feed else "source_dataset_r"
    db.create("pred_dedupe", f"""
        SELECT {sl} AS source_l, unique_id_l AS record_l,
               {sr} AS source_r, unique_id_r AS record_r,
               match_weight,
               {_sigmoid_sql("match_weight", prior)} AS match_probability
        FROM {pred.relation} AS p
    """)
    pred.drop()
    return "pred_dedupe", time.time() - t0
