"""The Spark backend (local Spark, Splink's Jaro-Winkler jar).

* Splink's part: the committed models, blocking rules and comparisons give the same
  pairs and match weights on ``SparkAPI`` as on DuckDB; a model trained on Spark
  scores on DuckDB.
* The whole run: ``run_matching`` with ``backend: spark`` (inputs handed over as
  Parquet, Splink, then the workspace SQL translated by sqlglot: seeding posterior,
  review hooks, dedupe vetoes, clusters, stable ids) gives the DuckDB run's results.
"""

from __future__ import annotations

import csv
import logging
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from core.paths import Home
from matching import dialect, engine, pipeline, predict, replaced_dob, review, train
from matching.inputs import FeedTable
from matching.settings import load_settings

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
    models = pipeline.ensure_models(ws, settings)
    assert not models.trained
    seed_models, dedupe_model = models.seed, models.dedupe
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
# comparisons with a Jaro-Winkler cut-off; the household condition on mobile and
# pre-seeded UID compares first names by Jaro-Winkler too
JW_COMPARISONS = {"gamma_name", "gamma_relative_name", "gamma_mobile", "gamma_uid_token"}


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
        sqls = [lvl["sql_condition"] for c in sp["comparisons"] for lvl in c["comparison_levels"]]
        sqls += [r["blocking_rule"] if isinstance(r, dict) else r
                 for r in sp["blocking_rules_to_generate_predictions"]]
        text = " ".join(sqls)
        assert sp["sql_dialect"] == "spark"
        assert '"' not in text  # no DuckDB-quoted identifiers left
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
    # the replaced-date count runs its own SQL on the backend: the same on DuckDB
    est = replaced_dob.estimate(engine.of(ws.con).rows, ws.kyr.table, f.table,
                                set(ws.kyr.usable) & set(f.usable))
    assert est is not None and est["with_cell"] > 100
    on_spark = {k: v for k, v in model["srdh"]["replaced_dob"].items()
                if k != "replaced_share"}
    assert on_spark == est
    levels = [lvl for c in model["comparisons"] for lvl in c["comparison_levels"]
              if not lvl.get("is_null_level")]
    assert sum(1 for lvl in levels if lvl.get("m_probability") is not None) > 10
    name = next(c for c in model["comparisons"] if c["output_column_name"] == "name")
    exact = name["comparison_levels"][1]
    assert exact["m_probability"] > 0.3 and exact["u_probability"] < 0.01  # trained, sane
    duck, _ = _linkers(ws, spark, [ws.kyr, f], model)
    pairs = _pairs(duck)
    assert len(pairs) > 100 and pairs["match_weight"].max() > 20


def _tables(home: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        q = {
            "seeding": "SELECT source, source_record_id, match_status, reason, uid_token, "
                       "candidate_uid_token FROM matching.seeding",
            "residents": "SELECT source, record_id, resident_id FROM matching.residents",
            "duplicates": "SELECT source, source_record_id, resident_id FROM matching.duplicates",
            "id_map": "SELECT source, record_id, resident_id FROM matching.resident_id_map",
            "history": "SELECT old_id, new_id, reason, records FROM matching.id_history",
            "runs": "SELECT summary::VARCHAR AS s FROM matching.runs ORDER BY finished_at",
        }
        return {k: con.execute(v).df() for k, v in q.items()}
    finally:
        con.close()


def _decide(home: Path, path: Path) -> dict:
    """A reviewer's file from a first run: confirm a record in review, reject a seeding,
    reject one surviving dedupe pair."""
    import duckdb

    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    one = lambda sql: con.execute(sql).fetchall()[0]  # noqa: E731
    confirm = one("SELECT source, source_record_id, candidate_uid_token FROM matching.seeding "
                  "WHERE match_status = 'review' AND candidate_uid_token IS NOT NULL "
                  "ORDER BY ALL LIMIT 1")
    reject = one("SELECT source, source_record_id, uid_token FROM matching.seeding "
                 "WHERE reason = 'best_link' ORDER BY ALL LIMIT 1")
    pair = one("SELECT source_l, record_l, source_r, record_r FROM matching.dedupe_pairs "
               "ORDER BY ALL LIMIT 1")
    con.close()
    rows = [("seed", confirm[0], confirm[1], "uid_kyr", confirm[2], "match"),
            ("seed", reject[0], reject[1], "uid_kyr", reject[2], "non_match"),
            ("dedupe", *pair, "non_match")]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(review.IMPORT_COLUMNS)
        w.writerows([(*r, "desk.1", "test", "2026-11-28T10:00") for r in rows])
    return {"confirm": confirm, "reject": reject, "pair": pair}


def _two_sources(**overrides):
    """The settings of a run on food_pds (mobile, card, pre-seeded UIDs) and rd_mgnrega
    (relative's name, ages) alone."""
    return load_settings(departments=("food_pds", "rd_mgnrega"), extra_linked_feeds=(),
                         **overrides)


@pytest.fixture(scope="module")
def matched_on_both(generated_small_state, spark, tmp_path_factory):
    """A first DuckDB run, reviewers' decisions, then the second run of that home on
    DuckDB and, from a copy, on Spark (the registry and the decisions handed over).

    Two sources, not five: local Spark spends its time on the overhead of each of the
    workspace's hundreds of statements per source, not on 3,000 residents, and the path
    compared (seeding posterior, hooks, dedupe, clusters, ids) is the same for each."""

    root = tmp_path_factory.mktemp("spark_match")
    duck, spk = root / "duckdb", root / "spark"
    shutil.copytree(generated_small_state["home"], duck)
    pipeline.run_matching(duck, _two_sources(), run_date="2026-11-27")
    decided = _decide(duck, root / "decided.csv")
    review.import_decisions(Home.at(duck).warehouse, root / "decided.csv")
    shutil.copytree(duck, spk)
    results = {}
    for home, backend in ((duck, "duckdb"), (spk, "spark")):
        results[backend] = pipeline.run_matching(
            home, _two_sources(backend=backend), run_date="2026-11-28")
    return {"homes": {"duckdb": duck, "spark": spk}, "results": results,
            "tables": {"duckdb": _tables(duck), "spark": _tables(spk)}, "decided": decided}


def _agree(a, b, key: list[str], cols: list[str]) -> float:
    m = a.merge(b, on=key, how="outer", suffixes=("_a", "_b"), indicator=True)
    same = m["_merge"] == "both"
    for c in cols:
        same &= (m[f"{c}_a"] == m[f"{c}_b"]) | (m[f"{c}_a"].isna() & m[f"{c}_b"].isna())
    return float(same.mean())


def test_srdh_match_on_spark_gives_the_duckdb_results(matched_on_both):
    """Everything but Jaro-Winkler boundary cases (see ``_assert_same``) is the same."""
    t, r = matched_on_both["tables"], matched_on_both["results"]
    assert set(r["spark"].counts) == set(r["duckdb"].counts) == {"food_pds", "rd_mgnrega"}
    seeding_key = ["source", "source_record_id"]
    assert len(t["spark"]["seeding"]) == len(t["duckdb"]["seeding"]) > 3000
    assert _agree(t["duckdb"]["seeding"], t["spark"]["seeding"], seeding_key,
                  ["match_status", "uid_token"]) > 0.995
    assert _agree(t["duckdb"]["residents"], t["spark"]["residents"],
                  ["source", "record_id"], ["resident_id"]) > 0.995
    assert _agree(t["duckdb"]["id_map"], t["spark"]["id_map"],
                  ["source", "record_id"], ["resident_id"]) > 0.995
    dup_d, dup_s = t["duckdb"]["duplicates"], t["spark"]["duplicates"]
    assert len(dup_d) > 20
    assert _agree(dup_d, dup_s, seeding_key, ["resident_id"]) > 0.95
    assert '"backend": "spark"' in t["spark"]["runs"]["s"].iloc[-1]
    # matching writes matching.* only: department files are warehouse.deliver's
    assert not list((matched_on_both["homes"]["spark"] / "deliveries").rglob("*.parquet"))


def test_review_decisions_apply_on_spark(matched_on_both):
    """The hooks (rebuilt tables instead of UPDATE/DELETE) do what they do on DuckDB."""
    d = matched_on_both["decided"]
    for backend in ("duckdb", "spark"):
        s = matched_on_both["tables"][backend]["seeding"].set_index(
            ["source", "source_record_id"])
        confirmed = s.loc[(d["confirm"][0], d["confirm"][1])]
        assert (confirmed["match_status"], confirmed["reason"], confirmed["uid_token"]) == (
            "seeded", "clerical_match", d["confirm"][2]), backend
        assert s.loc[(d["reject"][0], d["reject"][1]), "uid_token"] != d["reject"][2]


def test_stable_ids_carry_over_on_spark(matched_on_both):
    """The second run reads the first run's registry on Spark: ids the decisions did not
    touch are kept, and the history says what moved, as on DuckDB."""
    t = matched_on_both["tables"]
    h_d, h_s = t["duckdb"]["history"], t["spark"]["history"]
    assert len(h_s) == len(h_d) > 0  # the decisions moved some records
    assert _agree(h_d, h_s, ["old_id", "new_id"], ["reason", "records"]) > 0.9


def test_engine_hands_over_empty_and_underscored_tables(spark, tmp_path):
    """A first run's empty registry reaches Spark with its columns (Spark cannot read the
    schema of a Parquet file without rows), names starting with _ survive (Spark skips
    such files), a table rebuilt from itself works (Spark's checkpoint failed on it), and
    an empty result comes back to DuckDB."""
    import duckdb

    from matching import engine

    con = duckdb.connect()
    con.execute("CREATE TABLE _prev_map (source VARCHAR, first_seen DATE, n INTEGER)")
    con.execute("CREATE TABLE _taken AS SELECT 'a' AS label")
    db = engine.SparkEngine(spark, tmp_path / "work")
    engine.to_spark(con, db, ["_prev_map", "_taken"], tmp_path / "in")
    assert db.columns("_prev_map") == ["source", "first_seen", "n"]
    assert db.rows("SELECT count(*) FROM _prev_map") == [(0,)]
    db.create("t", "SELECT label FROM _taken WHERE false")
    for _ in range(2):
        db.create("t", "SELECT * FROM t UNION ALL SELECT label FROM _taken")
    assert db.rows("SELECT count(*) FROM t") == [(2,)]
    engine.to_duckdb(db, con, {"back": "SELECT * FROM _prev_map"}, tmp_path / "out")
    assert con.execute("SELECT count(*) FROM back").fetchall() == [(0,)]
    assert [d[0] for d in con.execute("SELECT * FROM back").description] == [
        "source", "first_seen", "n"]


def test_review_export_reads_through_duckdb_with_backend_spark(matched_on_both, tmp_path):
    """With `backend: spark` configured, the review queue (Splink's waterfall over the
    queued pairs) is still scored in DuckDB over the warehouse."""
    from matching.evidence import export_review

    home = matched_on_both["homes"]["spark"]
    out = export_review(home, tmp_path / "queue.csv", load_settings(backend="spark"))
    assert out["pairs"] > 0
    assert "name_weight" in (tmp_path / "queue.csv").read_text().splitlines()[0]
