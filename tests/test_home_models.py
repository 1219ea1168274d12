"""A home's own matching models: trained on its first run, versioned, reused after.

Real Splink (EM, no labels) on a small std-shaped state (tests/matching_helpers.py)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import duckdb
import pytest

from core.paths import Home
from matching.api import run_matching, train_models
from matching.settings import MODEL_ENV, load_settings
from matching.store import HomeModels


@pytest.fixture(scope="module")
def fresh_home(tmp_path_factory):
    from matching_helpers import make_state, write_warehouse

    root = tmp_path_factory.mktemp("home_models")
    home = Home.at(root / "home")
    kyr, dept, _ = make_state(800, 500, seed=5)
    write_warehouse(home.warehouse, {"uid_kyr": kyr, "dept_a": dept})
    settings = load_settings(departments=("dept_a",), extra_linked_feeds=(),
                             models_dir=root / "no_committed_models", model="home")
    settings = replace(settings, training=replace(settings.training, u_max_pairs=2e5))
    first = run_matching(home, run_date="2025-03-01", settings=settings)
    return {"home": home, "settings": settings, "first": first,
            "rows": {"uid_kyr": len(kyr), "dept_a": len(dept)}}


def _run_summaries(home: Home) -> list[dict]:
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rows = con.execute("SELECT summary FROM matching.runs ORDER BY finished_at").fetchall()
    finally:
        con.close()
    return [json.loads(r[0]) for r in rows]


def test_first_run_trains_and_writes_a_versioned_model(fresh_home):
    first, home = fresh_home["first"], fresh_home["home"]
    assert sorted(first.trained) == ["dedupe", "seed_dept_a"]
    store = HomeModels.of(home.root)
    version = store.current_id()
    assert version and version.startswith("2025-03-01_")
    folder = store.current()
    assert {p.name for p in folder.iterdir()} == {"manifest.json", "seed_dept_a.json",
                                                   "dedupe.json"}
    manifest = store.manifest()
    assert manifest["run_id"] == version and manifest["made_by"] == "srdh match"
    assert manifest["run_date"] == "2025-03-01" and manifest["previous"] is None
    assert manifest["splink_version"].startswith("5.")
    assert manifest["data_rows"] == fresh_home["rows"]
    assert all(m["trained_here"] for m in manifest["models"].values())
    # the thresholds chosen (without labels) on the run that trained the model
    assert manifest["thresholds"]["dept_a"]["seed_threshold"] >= 0.5
    assert f"home models/{version}" in first.model
    # nothing written into the committed folder
    assert not fresh_home["settings"].models_dir.exists()
    summary = _run_summaries(home)[-1]
    assert summary["model"] == {"source": "home", "home_version": version}
    # step times rounded: a float of exactly 12 digits reads as a UID to the gate
    assert all(round(t, 3) == t for t in summary["timings"].values()), summary["timings"]


def test_second_run_reuses_the_home_model(fresh_home):
    home, settings = fresh_home["home"], fresh_home["settings"]
    store = HomeModels.of(home.root)
    before = store.current_id()
    second = run_matching(home, run_date="2025-03-02", settings=settings)
    assert second.trained == []
    assert store.current_id() == before and store.versions() == [before]
    assert second.model == f"model: home models/{before}; trained on this run: none"
    assert second.counts == fresh_home["first"].counts  # same model, same decisions
    assert _run_summaries(home)[-1]["model"]["home_version"] == before


def test_train_writes_a_new_version_and_moves_current(fresh_home):
    home, settings = fresh_home["home"], fresh_home["settings"]
    store = HomeModels.of(home.root)
    before = store.current_id()
    trained, where = train_models(home, settings)
    assert sorted(trained) == ["dedupe", "seed_dept_a"]
    after = store.current_id()
    assert after != before and where.endswith(after)
    assert store.versions() == sorted([before, after])
    assert store.manifest()["previous"] == before
    assert store.manifest()["made_by"] == "srdh train"
    # the old version is kept whole: putting its id back in `current` restores it
    assert (store.root / before / "seed_dept_a.json").is_file()


def test_committed_setting_uses_the_committed_folder(fresh_home, tmp_path, monkeypatch):
    """model: committed (the demo's choice, also from $SRDH_MATCHING_MODEL) reads
    models_dir and trains nothing when it holds every model."""
    import shutil

    home, settings = fresh_home["home"], fresh_home["settings"]
    store = HomeModels.of(home.root)
    committed = tmp_path / "committed"
    shutil.copytree(store.current(), committed)
    (committed / "manifest.json").unlink()
    monkeypatch.setenv(MODEL_ENV, "committed")
    assert load_settings().model == "committed"
    before = store.versions()
    res = run_matching(home, run_date="2025-03-03",
                       settings=replace(settings, model="committed", models_dir=committed))
    assert res.trained == [] and store.versions() == before
    assert res.model.startswith("model: committed models")


def test_a_run_reports_progress_per_source(fresh_home, caplog):
    """`srdh match` shows these lines on stderr (srdh.commands.show_progress)."""
    import logging

    with caplog.at_level(logging.INFO, logger="matching.pipeline"):
        run_matching(fresh_home["home"], run_date="2025-03-03", settings=fresh_home["settings"])
    said = [r.getMessage() for r in caplog.records if r.name == "matching.pipeline"]
    # rows per feed as loaded (make_state adds duplicate records to the 500 people)
    assert re.fullmatch(r"inputs: uid_kyr 800, dept_a \d{3}", said[0]), said[0]
    for line in ("seeding dept_a (1 of 1)", "de-duplicating dept_a",
                 "storing matching.* in the warehouse"):
        assert line in said, (line, said)
    assert any(s.startswith("seeded dept_a: pairs scored in ") for s in said)


def test_splink_training_notices_become_one_progress_line(fresh_home, caplog):
    """Splink's notices about SRDH's chosen max_pairs, an empty EM probe and each level it
    could not train never reach stderr; levels left untrained are said once per model."""
    import logging

    from matching.splink_notes import TrainingNotes

    seen: list[str] = []
    catch = logging.Handler()
    catch.emit = lambda record: seen.append(record.getMessage())  # type: ignore[method-assign]
    splink = logging.getLogger("splink")
    splink.addHandler(catch)
    settings = replace(fresh_home["settings"], training=replace(
        fresh_home["settings"].training, u_max_pairs=1e6))  # Splink's default: it would warn
    try:
        with caplog.at_level(logging.INFO, logger="matching.pipeline"):
            train_models(fresh_home["home"], settings)
    finally:
        splink.removeHandler(catch)
    assert not [m for m in seen if "max_pairs" in m or "not observed in dataset" in m], seen
    said = [r.getMessage() for r in caplog.records if r.name == "matching.pipeline"]
    assert all("WARNING" not in s for s in said)
    notes = TrainingNotes()
    for msg in ("WARNING:\nLevel Exact match on x on comparison name not observed in dataset, "
                "unable to train m value", "WARNING:\nLevel y on comparison dob not observed in "
                "dataset, unable to train u value", "something else"):
        kept = notes.filter(logging.makeLogRecord({"msg": msg}))
        assert kept == (msg == "something else")
    assert notes.summary() == ("1 comparison level(s) met no training pair and keep Splink's "
                               "default m: name (1)")
