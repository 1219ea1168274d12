"""The same landing gives the same model and the same decisions in any home (issue 17).

Two fresh homes differ only in their vault key, so in the tokens of KYR's residents (the
KYR unique id) and of every pre-seeded UID. Real Splink training (no labels) in both,
on a small std-shaped state (tests/matching_helpers.py)."""

from __future__ import annotations

from dataclasses import replace

import duckdb
import pytest

from core.paths import Home
from matching.api import run_matching
from matching.settings import load_settings
from matching.store import HomeModels


def _retoken(kyr, dept, token_of):
    """The same state as another home's key would token it."""
    kyr = kyr.assign(source_record_id=kyr["source_record_id"].map(token_of),
                     uid_token=kyr["uid_token"].map(token_of))
    dept = dept.assign(uid_token=dept["uid_token"].map(token_of, na_action="ignore"))
    return kyr, dept


@pytest.fixture(scope="module")
def two_homes(tmp_path_factory):
    from matching_helpers import make_state, token, write_warehouse

    root = tmp_path_factory.mktemp("determinism")
    kyr, dept, _ = make_state(800, 500, seed=5)
    to_b = {t: token("home-b" + t) for t in kyr["uid_token"]}
    out = {}
    for name, (k, d) in {"a": (kyr, dept), "b": _retoken(kyr, dept, to_b.get)}.items():
        home = Home.at(root / name)
        write_warehouse(home.warehouse, {"uid_kyr": k, "dept_a": d})
        settings = load_settings(departments=("dept_a",), extra_linked_feeds=(),
                                 models_dir=root / "no_committed_models", model="home")
        # a sample well below all pairs (400,000): what is drawn decides u
        settings = replace(settings, training=replace(settings.training, u_max_pairs=1e5))
        result = run_matching(home, run_date="2025-03-01", settings=settings)
        assert sorted(result.trained) == ["dedupe", "seed_dept_a"]
        out[name] = {"home": home, "result": result}
    out["from_b"] = {b: a for a, b in to_b.items()}
    return out


def _probabilities(model: dict) -> dict[tuple[str, str], tuple[float, float]]:
    return {(c["output_column_name"], lv.get("label_for_charts", str(i))):
            (lv.get("m_probability"), lv.get("u_probability"))
            for c in model["comparisons"]
            for i, lv in enumerate(c["comparison_levels"]) if not lv.get("is_null_level")}


@pytest.mark.parametrize("name", ["seed_dept_a", "dedupe"])
def test_two_homes_train_the_same_m_and_u(two_homes, name):
    a, b = (_probabilities(HomeModels.of(two_homes[h]["home"].root).load(name))
            for h in ("a", "b"))
    assert a.keys() == b.keys()
    for level, (m, u) in a.items():
        assert b[level][0] == pytest.approx(m, rel=1e-6, abs=1e-12), level
        assert b[level][1] == pytest.approx(u, rel=1e-6, abs=1e-12), level


def _seeding(home: Home, token_to_a) -> list[tuple]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute("SELECT source_record_id, match_status, uid_token, "
                           "round(match_probability, 6) FROM matching.seeding "
                           "ORDER BY source_record_id").fetchall()
    finally:
        con.close()
    return [(r, status, token_to_a(t) if t else None, p) for r, status, t, p in rows]


def test_two_homes_choose_the_same_threshold_and_seed_the_same_uids(two_homes):
    a, b = two_homes["a"], two_homes["b"]
    assert a["result"].thresholds.keys() == b["result"].thresholds.keys() == {"dept_a"}
    for source, chosen in a["result"].thresholds.items():
        assert b["result"].thresholds[source] == pytest.approx(chosen)
    seeded_a = _seeding(a["home"], lambda t: t)
    seeded_b = _seeding(b["home"], two_homes["from_b"].get)
    assert len(seeded_a) == 500 + sum(r[0].endswith("D") for r in seeded_a)
    assert sum(r[1] == "seeded" for r in seeded_a) > 300  # the check has teeth
    assert seeded_a == seeded_b
