"""Unresolved places keep their evidence (issue 17): a village that did not resolve to the
village master stays in std as normalised text with a phonetic key, and the seeding model
compares it where a side has no village code.

FEBRL, for one, resolves no place: before this, its records matched on name and date of
birth alone."""

from __future__ import annotations

import datetime as dt
import math
import random

import duckdb
import pandas as pd
import pytest

from ingest.standardise import _place_keys, places
from ingest.standardise.names import name_keys, place_key
from matching import blocking, inputs, predict, train
from matching.comparisons import place_comparison
from matching.settings import load_settings
from tests.test_matching_comparisons import _level_of


def test_unresolved_village_is_kept_as_text_and_key():
    """No village master (or no match in it): the delivered spelling is kept, normalised."""
    con = duckdb.connect()
    con.execute(places.NORM_MACRO)
    con.execute("CREATE TEMP TABLE _combos AS SELECT * FROM (VALUES "
                "('Raipur', NULL, 'Kohka-para (CG)'), ('Raipur', NULL, NULL)) t(d, b, v)")
    places.resolve(con, "_combos", "_places")
    _place_keys(con)
    got = dict(con.execute("SELECT v, (village_code, place_text, place_key) FROM _places "
                           "WHERE v IS NOT NULL").fetchall())
    assert got == {"Kohka-para (CG)": (None, "KOHKA PARA CG", place_key("KOHKA PARA CG"))}
    assert con.execute("SELECT place_text FROM _places WHERE v IS NULL").fetchone() == (None,)


def _place_pair(text_l, text_r, code_l=None, code_r=None):
    return {"place_text_l": text_l, "place_text_r": text_r, "place_key_l": place_key(text_l),
            "place_key_r": place_key(text_r), "village_code_l": code_l, "village_code_r": code_r}


def test_place_levels_and_no_double_count_where_both_villages_resolved():
    labels = _level_of(place_comparison(), [
        _place_pair("KELLERBERRIN", "KELLERBERRIN"),
        _place_pair("KHARORA", "KHARORAA"),               # same phonetic key
        _place_pair("KELLERBERRIN", "KELLERBERRIT"),   # one letter off, another key
        _place_pair("KELLERBERRIN", "WESTBURY"),
        _place_pair("KELLERBERRIN", "KELLERBERRIN", "V1", "V1"),  # location compares codes
        _place_pair("KELLERBERRIN", "WESTBURY", "V1", None),       # one side unresolved
        _place_pair(None, "WESTBURY"),
    ])
    null = labels[4]
    assert labels[:4] == ["same village text", "same village phonetic key",
                          "village text close (JW >= 0.88)", "All other comparisons"]
    assert null.startswith("missing on one side") and labels[6] == null
    assert labels[5] == "All other comparisons"


# ---------------------------------------------------- outcome: a trained seeding model
SYLLABLES = ["RA", "MES", "SI", "TA", "GEE", "VI", "NOD", "AN", "KA", "VIT", "MO", "HAN",
             "SU", "DEE", "PAK", "PU", "JA", "RE", "KHA", "SAN", "LA", "AM", "MEE", "NA"]
VILLAGES = ["KELLERBERRIN", "WESTBURY", "BUCASIA", "GOROKAN", "CEDUNA", "PAYNEHAM",
            "COOLAROO", "TOOWONG", "ROSEWATER", "KILSYTH", "DYSART", "ROBINA", "EMERALD",
            "MALVERN", "GALSTON", "YAGOONA", "CRONULLA", "ASCOT", "BERALA", "VERMONT"]


def _row(rid, name, dob, village):
    full, first, last = name_keys([name])
    toks = name.split(" ")
    return {"source_record_id": rid, "uid_token": rid if rid.startswith("T") else None,
            "uid_valid": rid.startswith("T"), "name_std": name, "first_name": toks[0],
            "last_name": toks[-1], "name_key": full[0], "first_name_key": first[0],
            "last_name_key": last[0], "gender": "M", "dob": dob, "birth_year": dob.year,
            "birth_year_min": dob.year, "birth_year_max": dob.year,
            "place_text": village, "place_key": place_key(village)}


def _typo(s: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(s))
    return s[:i] + s[i + 1:]


@pytest.fixture(scope="module")
def small_state(tmp_path_factory):
    """1,500 KYR residents, half of them in a department list (some with a typo or
    another village), no village master: a model trained the way a fresh home does."""
    rng = random.Random(7)
    kyr, dept = [], []
    for i in range(1500):
        name = " ".join("".join(rng.choice(SYLLABLES) for _ in range(2)) for _ in range(2))
        dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
        village = rng.choice(VILLAGES)
        kyr.append(_row(f"T{i:05d}", name, dob, village))
        if i % 2 == 0 and rng.random() < 0.05:  # 5% of the list is not in KYR (the
            # share matching's lambda expects: settings.training.expected_match_rate)
            dept.append(_row(f"P{i:05d}", "ZU" + name, dob.replace(year=1939), village))
        elif i % 2 == 0:
            d_name = _typo(name, rng) if rng.random() < 0.15 else name
            d_vill = (rng.choice(VILLAGES) if rng.random() < 0.05
                      else _typo(village, rng) if rng.random() < 0.1 else village)
            dept.append(_row(f"P{i:05d}", d_name, dob, d_vill))
    con = duckdb.connect()
    k = inputs.load_frame(con, inputs.KYR, pd.DataFrame(kyr))
    s = inputs.load_frame(con, "sw_pension", pd.DataFrame(dept))
    settings = load_settings(models_dir=tmp_path_factory.mktemp("models"))
    model = train.train_seed_model(con, k, s, settings, save=False)
    return {"con": con, "kyr": k, "src": s, "model": model, "settings": settings}


def test_the_trained_model_keeps_every_level_above_disagreement(small_state):
    """``train._bound_by_disagreement`` on the real training: in every comparison of the
    saved model the last level (nothing agrees) is at most 0 bits (gender, in this list of
    one gender, had +13.3), and every level of the name at least that."""
    assert any(lv.get("m_probability") for c in small_state["model"]["comparisons"]
               for lv in c["comparison_levels"][-1:])
    for comp in small_state["model"]["comparisons"]:
        levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
        if levels[-1].get("label_for_charts") != train.ELSE_LABEL:
            continue
        # a level saved without m keeps Splink's default, which the bound read too
        bits = [math.log2(lv["m_probability"] / lv["u_probability"]) for lv in levels
                if "m_probability" in lv]
        assert bits[-1] <= 1e-9, (comp["output_column_name"], bits)
        if comp["output_column_name"] == "name":  # learned levels, disagreement observed
            assert min(bits) >= bits[-1] - 1e-9, (comp["output_column_name"], bits)


def test_same_unresolved_village_text_matches_better_than_another_village(small_state):
    """With no village codes anywhere, the village as spelled is compared and is a
    blocking key: a department record's namesake in KYR with the same date of birth
    scores clearly higher in the record's own village than in another one."""
    k, s, model = small_state["kyr"], small_state["src"], small_state["model"]
    assert "village_code" not in k.usable and {"place_text", "place_key"} <= k.usable
    assert "place" in model["srdh"]["comparisons"]
    assert ("place_key", "birth_year") in blocking.chosen(
        blocking.SEED_PREDICTION_RULES, set(k.usable) & set(s.usable))

    dob = dt.date(1961, 3, 9)
    con = duckdb.connect()
    k2 = inputs.load_frame(con, inputs.KYR, pd.DataFrame([
        _row("TSAME", "RAMES SAHU", dob, "KELLERBERRIN"),
        _row("TOTHER", "RAMES SAHU", dob, "WESTBURY")]))
    s2 = inputs.load_frame(con, "sw_pension", pd.DataFrame([
        _row("P1", "RAMES SAHU", dob, "KELLERBERRIN")]))
    table, _ = predict.predict_seed(con, k2, s2, model, small_state["settings"])
    w = dict(con.execute(f"SELECT kyr_token, match_weight FROM {table}").fetchall())
    assert w["TSAME"] - w["TOTHER"] > 8, w


def _u(model: dict, comparison: str, label: str) -> float:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == comparison)
    return next(lvl["u_probability"] for lvl in comp["comparison_levels"]
                if lvl["label_for_charts"] == label)


def test_u_leaves_out_the_matches_among_random_pairs(small_state):
    """In a small list 1 pair in 1,500 is a match, and random sampling counted them in u:
    an exact name looked 300 times commoner among non-matches than it is (5.4e-4 against
    1.8e-6), costing the exact name 8 bits. The trained u keeps less than a tenth of that
    excess, and is not pushed below the rate over the true non-matching pairs."""
    con, model = small_state["con"], small_state["model"]
    true_u, sampled = con.execute(f"""
        SELECT avg(CASE WHEN substr(k.unique_id, 2) <> substr(d.unique_id, 2)
                        THEN (k.name_std = d.name_std)::INT END),
               avg((k.name_std = d.name_std)::INT)
        FROM {small_state['kyr'].table} k, {small_state['src'].table} d""").fetchone()
    u = _u(model, "name", "Exact match on name_std")
    assert sampled > 100 * true_u  # what random sampling sees: mostly the matches
    assert true_u / 3 <= u < true_u + (sampled - true_u) / 10, (u, true_u, sampled)
