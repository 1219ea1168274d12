"""A department's ages, as a state writes them (issue 17, dev_noisy_tuning misses).

A ration card or a job card gives an age, not a date: the department's birth year is a
range, and how often a true pair falls in "same birth year", "ranges overlap", "within
2" or "within 5" depends on how that department writes ages. The fixed priors said 0.30 /
0.28 / 0.08 / 0.035; on a noisy state's job cards the true pairs were 9% / 76% / 10% / 5%,
so a namesake two years off scored almost as well as the true row with an overlapping
range. The seeding models now learn those four levels by EM from the state's own data;
the far levels (within 10, more) stay fixed, so a same-named father and son are never
learned to be one person. Real Splink training on a small hand-made state."""

from __future__ import annotations

import random

import duckdb
import pandas as pd
from matching_helpers import make_state

from matching import comparisons, inputs, train
from matching.settings import load_settings


def _birth_m(model: dict) -> dict[str, float]:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    return {lv["label_for_charts"]: lv["m_probability"] for lv in comp["comparison_levels"]
            if not lv.get("is_null_level")}


def _birth_bf(model: dict) -> dict[str, float]:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    return {lv["label_for_charts"]: lv["m_probability"] / lv["u_probability"]
            for lv in comp["comparison_levels"] if not lv.get("is_null_level")}


def test_a_seeding_model_learns_how_its_department_writes_ages(tmp_path):
    kyr, dept, truth = make_state(n_residents=1500, n_dept=900, seed=11)
    years = dict(zip(kyr["source_record_id"], kyr["birth_year"], strict=True))
    rng = random.Random(3)
    rows = []
    for r in dept.to_dict("records"):
        true_year = years.get(truth.get(r["source_record_id"]))
        if true_year is None:  # a ghost: its own made-up year
            true_year = r["birth_year"]
        # mostly an age off by one year (the range still holds the true one), one in ten
        # the true year, one in seven two or three years off, as heaped ages are
        x = rng.random()
        off = 0 if x < 0.1 else rng.choice([-1, 1]) if x < 0.85 else rng.choice([-3, -2, 2, 3])
        y = int(true_year) + off
        rows.append({**r, "dob": None, "dob_precision": "age", "birth_year": y,
                     "birth_year_min": y - 1, "birth_year_max": y + 1})
    con = duckdb.connect()
    k = inputs.load_frame(con, inputs.KYR, kyr)
    s = inputs.load_frame(con, "food_pds", pd.DataFrame(rows))
    model = train.train_seed_model(con, k, s, load_settings(models_dir=tmp_path), save=False)
    m = _birth_m(model)
    prior = dict(zip(m, comparisons.BIRTH_M, strict=True))
    # learned: ranges overlap is where this department's true pairs are
    assert m["birth-year ranges overlap"] > 0.6 > prior["birth-year ranges overlap"]
    assert m["same birth year"] < 0.2 < prior["same birth year"]
    # and the levels stay in order of closeness (train._bound_birth)
    bf = _birth_bf(model)
    assert max(bf["same birth year"], bf["birth-year ranges overlap"]) >= \
        bf["birth years within 2"] >= bf["birth years within 5"] * (1 - 1e-9)
    # so an overlapping range now says more than a namesake two years off
    w = {lv: m[lv] for lv in ("birth-year ranges overlap", "birth years within 2")}
    assert w["birth-year ranges overlap"] / w["birth years within 2"] > 4
    # the far levels keep their fixed priors (father and son are not one person)
    for lv in ("birth years within 10", "All other comparisons"):
        assert m[lv] == prior[lv]
