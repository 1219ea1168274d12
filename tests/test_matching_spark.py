"""The Spark backend: the committed models, blocking rules and comparisons run on
Splink's ``SparkAPI`` (local Spark, Splink's Jaro-Winkler jar) and give the same pairs
and match weights as on DuckDB; a model trained on Spark scores on DuckDB.

Only Splink's part runs on Spark here (training and ``predict``); the workspace SQL
around it is DuckDB's (matching/README.md, "Backends")."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from matching import dialect, pipeline, predict, train
from matching.inputs import FeedTable
from matching.settings import load_settings
from srdh.paths import Home

pytest.importorskip("pyspark", reason="pyspark is in the dev group: `uv sync`")


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    tmp = tmp_path_factory.mktemp("spark")
    session = (SparkSession.builder.master("local[2]").appName("srdh-test")
               .config("spark.jars", similarity_jar_location())
               .config("spark.driver.memory", "2g")
               .config("spark.sql.shuffle.partitions", "4")
               .config("spark.ui.enabled", "false")
               .config("spark.local.dir", str(tmp / "local"))
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp / "checkpoints"))
    yield session
    session.stop()


@pytest.fixture(scope="module")
def both(generated_small_state, spark, tmp_path_factory):
    """The DuckDB workspace of a generated state, and the same input tables in Spark."""
    settings = load_settings()
    ws = pipeline.open_inputs(Home.at(generated_small_state["home"]).warehouse, settings)
    seed_models, dedupe_model, trained = pipeline.ensure_models(ws, settings)
    assert not trained
    out = tmp_path_factory.mktemp("spark_inputs")
    for f in [ws.kyr, *ws.linked]:
        path = Path(out) / f"{f.table}.parquet"
        ws.con.execute(f"COPY {f.table} TO '{path}' (FORMAT parquet)")
        spark.read.parquet(str(path)).createOrReplaceTempView(f.table)
    yield ws, settings, seed_models, dedupe_model
    ws.con.close()


def _pairs(linker):
    """Scored pairs with their comparison levels (gamma_*), keyed by the pair."""
    df = linker.inference.predict(warning_mode="never")  # every blocked pair
    pdf = df.as_pandas_dataframe()
    key = [c for c in ("source_dataset_l", "unique_id_l", "source_dataset_r", "unique_id_r")
           if c in pdf.columns]
    gammas = sorted(c for c in pdf.columns if c.startswith("gamma_"))
    return pdf[key + gammas + ["match_weight"]].set_index(key).sort_index()


def _linkers(ws, spark, feeds: list[FeedTable], model: dict, link_type: str | None = None):
    from splink import DuckDBAPI, Linker, SparkAPI

    out = []
    for backend in ("duckdb", "spark"):
        ms = train.splink_settings(model, predict.NEUTRAL_LAMBDA, backend)
        if link_type:
            ms["link_type"] = link_type
        ms["retain_intermediate_calculation_columns"] = True  # gamma_* (the levels)
        ms["retain_matching_columns"] = True
        api = DuckDBAPI(connection=ws.con) if backend == "duckdb" else SparkAPI(
            spark_session=spark)
        # the workspace tables on DuckDB, the same tables as Spark views (``both``)
        sdfs = [api.register(f.table, table_name=f.feed) for f in feeds]
        out.append(Linker(sdfs, ms, log_level=logging.WARNING))
    return out


# comparisons with a Jaro-Winkler level: on Spark that is the UDF in Splink's jar, which
# differs from DuckDB's function at the margin (a pair just above 0.85 on one engine can
# be just below it on the other)
JW_COMPARISONS = {"gamma_name", "gamma_relative_name"}


def _assert_same(duck, spk) -> None:
    """Same pairs; the same level on every comparison but for rare Jaro-Winkler boundary
    cases; the same weight wherever the levels agree."""
    assert len(duck) > 100
    assert duck.index.equals(spk.index)
    gammas = [c for c in duck.columns if c.startswith("gamma_")]
    assert len(gammas) >= 5
    differs = duck[gammas].ne(spk[gammas])
    assert not differs[[c for c in gammas if c not in JW_COMPARISONS]].any().any()
    jw_cases = differs.any(axis=1)
    assert jw_cases.mean() < 0.01, differs.sum().to_dict()
    same = ~jw_cases
    gap = (duck.loc[same, "match_weight"] - spk.loc[same, "match_weight"]).abs().max()
    assert gap < 1e-6, gap


def test_model_sql_is_translated_for_spark(both):
    _, _, seed_models, dedupe_model = both
    for model in (seed_models["food_pds"], dedupe_model):
        sp = train.splink_settings(model, 0.5, "spark")
        text = str(sp["comparisons"]) + str(sp["blocking_rules_to_generate_predictions"])
        assert sp["sql_dialect"] == "spark"
        assert '"' not in text.replace('\\"', "")  # no DuckDB-quoted identifiers left
        assert "jaro_winkler(" in text and "jaro_winkler_similarity" not in text
    back = dialect.for_dialect(train.splink_settings(seed_models["food_pds"], 0.5, "spark"),
                               "duckdb")
    assert "jaro_winkler_similarity(" in str(back["comparisons"])


def test_seeding_scores_equal_on_spark_and_duckdb(both, spark):
    ws, _, seed_models, _ = both
    for feed in ("food_pds", "rd_mgnrega"):
        f = next(t for t in ws.linked if t.feed == feed)
        duck, spk = _linkers(ws, spark, [ws.kyr, f], seed_models[feed])
        _assert_same(_pairs(duck), _pairs(spk))


def test_dedupe_scores_equal_on_spark_and_duckdb(both, spark):
    """Term-frequency adjusted levels included (Splink computes the frequencies)."""
    ws, _, _, dedupe_model = both
    feeds = [f for f in ws.departments if f.feed in ("food_pds", "sw_pension")]
    duck, spk = _linkers(ws, spark, feeds, dedupe_model, "link_and_dedupe")
    _assert_same(_pairs(duck), _pairs(spk))


def test_a_model_trained_on_spark_scores_on_duckdb(both, spark, tmp_path):
    ws, settings, _, _ = both
    sp_settings = replace(load_settings(models_dir=str(tmp_path)), backend="spark",
                          training=replace(settings.training, u_max_pairs=2e5,
                                           em_max_pairs=5e4, em_max_iterations=4))
    f = next(t for t in ws.linked if t.feed == "sw_pension")
    model = train.train_seed_model(spark, ws.kyr, f, sp_settings, save=False)
    assert model["sql_dialect"] == "spark"
    levels = [lvl for c in model["comparisons"] for lvl in c["comparison_levels"]
              if not lvl.get("is_null_level")]
    assert sum(1 for lvl in levels if lvl.get("m_probability") is not None) > 10
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    exact = name["comparison_levels"][1]
    assert exact["m_probability"] > 0.3 and exact["u_probability"] < 0.01  # trained, sane
    duck, _ = _linkers(ws, spark, [ws.kyr, f], model)
    pairs = _pairs(duck)
    assert len(pairs) > 100 and pairs["match_weight"].max() > 20
