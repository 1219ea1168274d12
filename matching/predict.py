"""Scoring record pairs with a trained model.

Outputs plain workspace tables (not Splink's internal names):

* ``pred_seed_<source>``: ``record_id, kyr_token, match_weight, match_probability``
* ``pred_dedupe``: ``source_l, record_l, source_r, record_r, match_weight, match_probability``
"""

from __future__ import annotations

import logging
import math
import time

from matching import train
from matching.inputs import KYR
from matching.settings import MatchSettings

log = logging.getLogger(__name__)


# Models are scored with lambda = 0.5 (prior weight 0): Splink's match_weight is then
# the pure log2 Bayes factor of the pair, independent of the state size. Priors are
# applied afterwards (seed.provisional per record; dedupe.prior_weight for pairs).
NEUTRAL_LAMBDA = 0.5


def _sigmoid_sql(weight_sql: str, prior_weight: float) -> str:
    return f"1.0 / (1.0 + power(2.0, -({weight_sql} + ({prior_weight}))))"


def _predict(linker, settings: MatchSettings):
    n = max(1, int(settings.prediction.chunks))
    kw = {"num_chunks_left": n, "num_chunks_right": n} if n > 1 else {}
    return linker.inference.predict(
        threshold_match_weight=settings.prediction.min_keep_weight,
        warning_mode="never", **kw,
    )


def predict_seed(con, kyr, src, model: dict, settings: MatchSettings) -> tuple[str, float]:
    """Score ``src`` records against KYR; returns (table name, seconds)."""
    from splink import Linker

    db_api = train.make_db_api(con, settings)
    sdfs = [db_api.register(kyr.table, table_name=kyr.feed),
            db_api.register(src.table, table_name=src.feed)]
    linker = Linker(sdfs, train.splink_settings(model, NEUTRAL_LAMBDA),
                    log_level=logging.WARNING)
    lam = train.seed_lambda(kyr.rows, settings)
    prior_w = math.log2(lam / (1 - lam))
    t0 = time.time()
    pred = _predict(linker, settings)
    table = f"pred_seed_{src.feed}"
    con.execute(f"""
        CREATE OR REPLACE TABLE {table} AS
        SELECT CASE WHEN source_dataset_l = '{KYR}' THEN unique_id_r ELSE unique_id_l END
                   AS record_id,
               CASE WHEN source_dataset_l = '{KYR}' THEN unique_id_l ELSE unique_id_r END
                   AS kyr_token,
               match_weight,
               {_sigmoid_sql("match_weight", prior_w)} AS match_probability
        FROM {pred.physical_name}
        WHERE source_dataset_l <> source_dataset_r
    """)
    pred.drop_table_from_database_and_remove_from_cache()
    secs = time.time() - t0
    log.info("seed %s: scored in %.1fs", src.feed, secs)
    return table, secs


def predict_dedupe(con, feeds: list, model: dict, settings: MatchSettings) -> tuple[str, float]:
    from splink import Linker

    db_api = train.make_db_api(con, settings)
    sdfs = [db_api.register(f.table, table_name=f.feed) for f in feeds]
    model_settings = train.splink_settings(model, NEUTRAL_LAMBDA)
    model_settings["link_type"] = train.dedupe_link_type(len(feeds))
    linker = Linker(sdfs, model_settings, log_level=logging.WARNING)
    t0 = time.time()
    pred = _predict(linker, settings)
    cols = {c.lower() for c in con.execute(
        f"SELECT * FROM {pred.physical_name} LIMIT 0").df().columns}
    sl = "source_dataset_l" if "source_dataset_l" in cols else f"'{feeds[0].feed}'"
    sr = "source_dataset_r" if "source_dataset_r" in cols else f"'{feeds[0].feed}'"
    con.execute(f"""
        CREATE OR REPLACE TABLE pred_dedupe AS
        SELECT {sl} AS source_l, unique_id_l AS record_l,
               {sr} AS source_r, unique_id_r AS record_r,
               match_weight,
               {_sigmoid_sql("match_weight", settings.dedupe.prior_weight)} AS match_probability
        FROM {pred.physical_name}
    """)
    pred.drop_table_from_database_and_remove_from_cache()
    return "pred_dedupe", time.time() - t0
