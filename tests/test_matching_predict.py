"""One-pass scoring (matching.predict._score_sql) gives exactly Splink's predict():
the same pairs (each once, same left/right orientation, same match_key) and the
same match weights, for seeding (link_only) and dedupe (link_and_dedupe, dedupe_only),
on a generated + ingested state with the committed models."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from core.paths import Home
from matching import dedupe, pipeline, predict, seed, train
from matching.settings import load_settings


@pytest.fixture(scope="module")
def scored_ws(generated_small_state):
    settings = load_settings()
    ws = pipeline.open_inputs(Home.at(generated_small_state["home"]).warehouse, settings)
    models = pipeline.ensure_models(ws, settings)
    assert not models.trained  # the committed models cover every generated feed
    seed_models, dedupe_model = models.seed, models.dedupe
    prov = []
    for f in ws.linked:  # kyr_anchor (a dedupe blocking column) as in a run
        table, _ = predict.predict_seed(ws.con, ws.kyr, f, seed_models[f.feed], settings)
        th = seed.thresholds_for(settings, f.feed, ws.kyr.rows)
        prov.append(seed.provisional(ws.con, f.feed, table, f.table, th))
    dedupe.set_anchors(ws.con, ws.linked, prov, settings.dedupe.anchor_probability)
    yield ws, settings, seed_models, dedupe_model
    ws.con.close()


def _linker(ws, feeds, model_settings):
    from splink import Linker

    db_api = train.make_db_api(ws.con, load_settings())
    sdfs = [db_api.register(f.table, table_name=f.feed) for f in feeds]
    return Linker(sdfs, model_settings, log_level=logging.WARNING)


def _assert_same_as_splink(ws, settings, feeds, model_settings):
    con = ws.con
    linker = _linker(ws, feeds, model_settings)
    ref = predict._predict(linker, settings)
    ours = predict._score(linker, feeds, model_settings, settings)
    assert ours.one_pass  # the one-pass path ran, not predict()
    con.execute(f"CREATE OR REPLACE TABLE _ours AS SELECT * FROM {ours.relation}")
    cols = {c.lower() for c in con.execute(f"SELECT * FROM {ref.physical_name} LIMIT 0")
            .df().columns}
    key = ", ".join(c for c in ("source_dataset_l", "unique_id_l", "source_dataset_r",
                                "unique_id_r", "match_key") if c in cols)
    # weights equal up to float summation order
    q = f"SELECT {key}, round(match_weight, 9) AS w FROM "
    n = con.execute(f"SELECT count(*) FROM {ref.physical_name}").fetchall()[0][0]
    assert n > 100
    only_ref = con.execute(f"SELECT count(*) FROM ({q}{ref.physical_name} EXCEPT ALL "
                           f"{q}_ours)").fetchall()[0][0]
    only_ours = con.execute(f"SELECT count(*) FROM ({q}_ours EXCEPT ALL "
                            f"{q}{ref.physical_name})").fetchall()[0][0]
    ref.drop_table_from_database_and_remove_from_cache()
    assert (only_ref, only_ours) == (0, 0)
    return n


def test_seeding_pairs_and_weights_equal_splink(scored_ws):
    ws, settings, seed_models, _ = scored_ws
    for f in ws.linked:
        model = train.splink_settings(seed_models[f.feed], predict.NEUTRAL_LAMBDA)
        _assert_same_as_splink(ws, settings, [ws.kyr, f], model)


def test_dedupe_pairs_and_weights_equal_splink(scored_ws):
    ws, settings, _, dedupe_model = scored_ws
    assert len(ws.departments) > 1
    model = train.splink_settings(dedupe_model, predict.NEUTRAL_LAMBDA)
    model["link_type"] = "link_and_dedupe"
    n = _assert_same_as_splink(ws, settings, ws.departments, model)
    # kyr_anchor pairs are among them (the anchors were set from the seeding)
    assert n > 0
    biggest = max(ws.departments, key=lambda f: f.rows)
    model["link_type"] = "dedupe_only"
    _assert_same_as_splink(ws, settings, [biggest], model)


def test_chunked_setting_falls_back_to_splink_with_same_result(scored_ws):
    ws, settings, seed_models, _ = scored_ws
    f = max(ws.linked, key=lambda t: t.rows)
    one, _ = predict.predict_seed(ws.con, ws.kyr, f, seed_models[f.feed], settings)
    ws.con.execute(f"CREATE OR REPLACE TABLE _one AS SELECT * FROM {one}")
    chunked = replace(settings, prediction=replace(settings.prediction, chunks=2))
    two, _ = predict.predict_seed(ws.con, ws.kyr, f, seed_models[f.feed], chunked)
    q = "SELECT record_id, kyr_token, round(match_weight, 9) FROM "
    assert ws.con.execute(f"SELECT count(*) FROM ({q}_one EXCEPT ALL {q}{two})").fetchall() \
        == [(0,)]
    assert ws.con.execute(f"SELECT count(*) FROM ({q}{two} EXCEPT ALL {q}_one)").fetchall() \
        == [(0,)]


def test_jaro_winkler_levels_get_their_threshold_as_cutoff(scored_ws):
    """The one-pass SQL passes each JW level's threshold (a hair below it) as DuckDB's
    score cutoff (the equality tests above show the levels are unchanged by it)."""
    ws, settings, seed_models, _ = scored_ws
    f = max(ws.linked, key=lambda t: t.rows)
    model = train.splink_settings(seed_models[f.feed], predict.NEUTRAL_LAMBDA)
    sql = predict._score_sql(_linker(ws, [ws.kyr, f], model), [ws.kyr, f], model, 0.0)
    assert "jaro_winkler_similarity(first_name_l, first_name_r, 0.879999999) >= 0.88" in sql
    assert ('jaro_winkler_similarity("name_std_l", "name_std_r", 0.849999999) >= 0.85' in sql)
    # a similarity of exactly the threshold still passes (DuckDB's cutoff alone drops it)
    cut = predict.jw_with_cutoff("jaro_winkler_similarity('ANIL', 'ANJALI') >= 0.80")
    assert ws.con.execute(f"SELECT {cut}").fetchall() == [(True,)]
    assert predict.jw_with_cutoff("jaro_winkler_similarity(a, b)") == \
        "jaro_winkler_similarity(a, b)"  # no threshold: left alone
