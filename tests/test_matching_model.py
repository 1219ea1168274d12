"""Trained models: JSON round-trip, missing values are no evidence, toy accuracy."""

from __future__ import annotations

import json
import logging

import pandas as pd

from matching import train
from matching.inputs import load_feed


def _linker(con, model, lam=1e-3):
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    sdfs = [db_api.register("inp_uid_kyr", table_name="uid_kyr"),
            db_api.register("inp_dept_a", table_name="dept_a")]
    return Linker(sdfs, train.splink_settings(model, lam), log_level=logging.WARNING)


def _workspace(toy):
    from matching.inputs import open_workspace

    con = open_workspace(toy["home"].warehouse)
    return con, load_feed(con, "uid_kyr"), load_feed(con, "dept_a")


def test_model_json_round_trip(matching_toy):
    # trained on first sight during the run: kept in the home, not the committed folder
    from matching.store import HomeModels

    path = HomeModels.of(matching_toy["home"].root).current() / "seed_dept_a.json"
    assert not (matching_toy["settings"].models_dir / "seed_dept_a.json").exists()
    model = json.loads(path.read_text())
    assert model["srdh"]["kind"] == "seed"
    assert {c["output_column_name"] for c in model["comparisons"]} >= {"name", "birth", "gender"}
    # the exact-match level of every comparison carries trained m and u probabilities
    for comp in model["comparisons"]:
        top = [lvl for lvl in comp["comparison_levels"] if not lvl.get("is_null_level")][0]
        assert "m_probability" in top and "u_probability" in top, comp["output_column_name"]
    con, _, _ = _workspace(matching_toy)
    a = _linker(con, model).inference.predict(threshold_match_probability=0.5,
                                              warning_mode="never").as_pandas_dataframe()
    # save what Splink loaded, load it again: identical predictions
    again = _linker(con, model).misc.save_model_to_json(None)
    again["srdh"] = model["srdh"]
    b = _linker(con, again).inference.predict(threshold_match_probability=0.5,
                                              warning_mode="never").as_pandas_dataframe()
    key = ["unique_id_l", "unique_id_r"]
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    assert len(a) > 0
    pd.testing.assert_series_equal(a["match_weight"], b["match_weight"])
    train.save_model(again, path.parent / "copy.json")
    assert train.load_model(path.parent / "copy.json")["srdh"] == model["srdh"]


def test_missing_values_are_not_penalised(matching_toy):
    """A null mobile / relative / dob scores exactly like no information: the pair's
    weight with the value missing lies between the weights for agree and disagree,
    and equals the weight without that comparison's contribution."""
    from matching.inputs import BIRTH_BANDS, CROSSED_NAMES, LONE_GIVEN, NAME_SHAPE_COLUMNS
    from matching.store import HomeModels

    model = HomeModels.of(matching_toy["home"].root).load("seed_dept_a")
    con, kyr_feed, _ = _workspace(matching_toy)
    linker = _linker(con, model)
    # a KYR row as the workspace builds it (the name-shape columns are derived there)
    kyr = con.execute(f"SELECT * FROM {kyr_feed.table} WHERE dob IS NOT NULL "
                      "AND relative_name_key IS NOT NULL ORDER BY unique_id LIMIT 1"
                      ).df().iloc[0].to_dict()
    base = {k: kyr.get(k) for k in ("name_std", "first_name", "last_name", "name_key",
                                    "first_name_key", "last_name_key", "relative_name_std",
                                    "relative_name_key", "gender", "dob", "birth_year",
                                    "birth_year_min", "birth_year_max", "district_std",
                                    "block_std", "mobile", "uid_token", "name_sorted_key",
                                    "implied_surname_key",
                                    "village_code", *NAME_SHAPE_COLUMNS,
                                    # blocking-only columns: Splink keeps what rules use
                                    *BIRTH_BANDS, *CROSSED_NAMES, *LONE_GIVEN)}
    left = dict(base, unique_id="k1")
    right = dict(base, unique_id="d1", uid_token=None)

    def weight(**changes):
        df = linker.inference.score_pair(left, dict(right, **changes)).as_pandas_dataframe()
        return float(df["match_weight"].iloc[0])

    w_agree = weight()
    w_missing = weight(relative_name_std=None, relative_name_key=None)
    w_disagree = weight(relative_name_std="ZZZ QQQ", relative_name_key="ZQ")
    assert w_disagree < w_missing < w_agree
    w_missing_dob = weight(dob=None, birth_year=None, birth_year_min=None, birth_year_max=None)
    w_wrong_dob = weight(birth_year=1900, birth_year_min=1900, birth_year_max=1900,
                         dob=pd.Timestamp("1900-01-01").date())
    assert w_wrong_dob < w_missing_dob < w_agree


def test_toy_accuracy(matching_toy):
    import duckdb

    con = duckdb.connect(str(matching_toy["home"].warehouse), read_only=True)
    df = con.execute("SELECT * FROM matching.seeding").df()
    df["truth"] = df["source_record_id"].map(matching_toy["truth"])
    seeded = df[df.match_status == "seeded"]
    precision = (seeded.uid_token == seeded.truth).mean()
    matchable = df[df.truth.notna()]
    ok = (matchable.match_status == "seeded") & (matchable.uid_token == matchable.truth)
    recall = ok.mean()
    assert precision >= 0.99, precision
    assert recall >= 0.90, recall
    assert set(df.match_status) <= {"seeded", "review", "unmatched"}
    # tokens only in the warehouse: no 12-digit number anywhere in matching.seeding
    assert not df.astype(str).apply(lambda c: c.str.fullmatch(r"\d{12}")).any().any()


def test_a_kyr_without_its_optional_columns_still_seeds(tmp_path):
    """Issue 17, item 6: KYR sent without care-of and phone. The home's model is trained
    without the comparisons that need them (no evidence either way), and the toy state
    still seeds precisely, on name, birth, gender and place."""
    from dataclasses import replace

    import duckdb
    from matching_helpers import make_state, write_warehouse

    from core.paths import Home
    from matching.api import run_matching
    from matching.settings import load_settings
    from matching.store import HomeModels

    kyr, dept, truth = make_state(1500, 1000, seed=13)
    for col in ("relative_name_std", "relative_name_key", "mobile"):
        kyr[col] = None
    home = Home.at(tmp_path / "home")
    write_warehouse(home.warehouse, {"uid_kyr": kyr, "dept_a": dept})
    settings = load_settings(departments=("dept_a",), models_dir=tmp_path / "models",
                             extra_linked_feeds=(), model="home")
    settings = replace(settings, training=replace(settings.training, u_max_pairs=3e5,
                                                  em_max_pairs=2e5))
    run_matching(home, run_date="2025-03-01", settings=settings)
    model = HomeModels.of(home.root).load("seed_dept_a")
    used = {c["output_column_name"] for c in model["comparisons"]}
    assert "relative_name" not in used and "mobile" not in used, used
    assert {"name", "birth", "gender"} <= used
    con = duckdb.connect(str(home.warehouse), read_only=True)
    df = con.execute("SELECT * FROM matching.seeding").df()
    con.close()
    df["truth"] = df["source_record_id"].map(truth)
    seeded = df[df.match_status == "seeded"]
    assert (seeded.uid_token == seeded.truth).mean() >= 0.99
    matchable = df[df.truth.notna()]
    recall = ((matchable.match_status == "seeded")
              & (matchable.uid_token == matchable.truth)).mean()
    assert recall >= 0.85, recall
