"""Departmental deliveries written by `srdh run` on a generated state."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from core.paths import Home
from core.uid import is_valid_uid
from warehouse.deliver import departments

ROOT = Path(__file__).resolve().parents[1]
STEMS = ("uid_seeding", "duplicates", "flags", "inclusion_gaps")


@pytest.fixture(scope="module")
def deliveries(built_state):
    home = Home.at(built_state["home"])
    return home, built_state["run_date"], departments()


def test_every_department_source_gets_all_files_and_a_manifest(deliveries):
    home, day, config = deliveries
    for dept in config.values():
        assert dept.sources, f"{dept.name} has no sources in the registry"
        for source in dept.sources:
            folder = home.deliveries / source / day
            manifest = json.loads((folder / "manifest.json").read_text())
            assert manifest["department"] == dept.name
            assert manifest["model_version"].startswith("splink-models-")
            for stem in STEMS:
                for ext in ("csv", "parquet"):
                    f = folder / f"{stem}.{ext}"
                    entry = manifest["files"][f.name]
                    assert hashlib.sha256(f.read_bytes()).hexdigest() == entry["sha256"]
                    rows = (pd.read_csv(f, dtype=str) if ext == "csv"
                            else pd.read_parquet(f))
                    assert len(rows) == entry["rows"], f
            assert not list(folder.glob(".*tmp")), "temporary files left behind"


def test_uid_seeding_has_one_row_per_record_and_obeys_the_uid_rule(deliveries):
    home, day, config = deliveries
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        for dept in config.values():
            for source in dept.sources:
                df = pd.read_parquet(home.deliveries / source / day / "uid_seeding.parquet")
                n_std = con.execute(f"select count(*) from std.{source}").fetchone()[0]
                assert len(df) == n_std and df["source_record_id"].is_unique
                assert set(df["match_status"]) <= {"seeded", "review", "unmatched"}
                seeded = df[df["match_status"] == "seeded"]
                others = df[df["match_status"] != "seeded"]
                assert len(seeded) > 0.5 * len(df), f"{source}: too few seeded"
                assert (others["uid"].fillna("") == "").all(), "uid only on seeded rows"
                if dept.delivery.full_uid:
                    assert seeded["uid"].map(is_valid_uid).all()
                else:
                    assert seeded["uid"].str.fullmatch(r"XXXX XXXX \d{4}").all()
    finally:
        con.close()


def test_seeded_uids_are_the_true_uids(deliveries, built_state):
    """A wrong UID pays someone else's pension: check the full-UID files against truth."""
    home, day, config = deliveries
    truth = pd.read_parquet(built_state["truth"] / "records.parquet")
    for dept in config.values():
        if not dept.delivery.full_uid:
            continue
        for source in dept.sources:
            df = pd.read_parquet(home.deliveries / source / day / "uid_seeding.parquet")
            seeded = df[df["match_status"] == "seeded"].merge(
                truth[truth["source"] == source][["source_record_id", "uid"]],
                on="source_record_id", how="left", suffixes=("", "_true"))
            precision = (seeded["uid"] == seeded["uid_true"]).mean()
            assert precision >= 0.98, f"{source}: seeded precision {precision:.3f}"


def test_flags_name_dead_pensioners_still_active(deliveries, built_state):
    home, day, _ = deliveries
    flags = pd.read_csv(home.deliveries / "sw_pension" / day / "flags.csv", dtype=str)
    deceased = pd.read_parquet(built_state["truth"] / "deceased.parquet")
    truly_paid_dead = deceased["pension_still_active"].astype(bool).sum()
    found = (flags["flag"] == "deceased_active").sum()
    assert truly_paid_dead > 0 and found > 0
    assert found <= truly_paid_dead * 1.2 + 2
    # every finding says how sure it is and why; only the named flags are confirmed
    assert flags["reason"].notna().all() and flags["flag_id"].is_unique
    confirmed = {"ghost", "deceased_active", "preseeded_uid_disagrees"}
    assert ((flags["certainty"] == "confirmed") == flags["flag"].isin(confirmed)).all()


def test_inclusion_gaps_follow_the_department_rules(deliveries):
    home, day, config = deliveries
    for dept in config.values():
        for source in dept.sources:
            gaps = pd.read_csv(home.deliveries / source / day / "inclusion_gaps.csv", dtype=str)
            assert set(gaps["rule_id"]) <= set(dept.delivery.inclusion_rules)
            if "uid_masked" in gaps:
                assert gaps["uid_masked"].dropna().str.fullmatch(r"XXXX XXXX \d{4}").all()


def _readme_columns(readme: str) -> dict[str, list[str]]:
    """``{file stem: [column, ...]}`` from a delivery README's tables."""
    out: dict[str, list[str]] = {}
    stem = None
    for line in readme.splitlines():
        m = re.match(r"## (\w+)\.csv", line)
        if m:
            stem = m.group(1)
            out[stem] = []
        elif stem and line.startswith("| ") and not line.startswith("| column"):
            out[stem].append(line.split("|")[1].strip())
    return out


def test_a_delivery_reads_back_as_its_readme_describes(deliveries):
    home, day, config = deliveries
    for dept in config.values():
        for source in dept.sources:
            folder = home.deliveries / source / day
            readme = (folder / "README.md").read_text()
            manifest = json.loads((folder / "manifest.json").read_text())
            assert f"Schema version {manifest['schema_version']}" in readme
            documented = _readme_columns(readme)
            assert set(documented) == set(STEMS)
            for stem in STEMS:
                csv = pd.read_csv(folder / f"{stem}.csv", dtype=str, keep_default_na=False)
                assert list(csv.columns) == documented[stem], (source, stem)
                assert list(pd.read_parquet(folder / f"{stem}.parquet").columns) == documented[stem]
            seeding = pd.read_csv(folder / "uid_seeding.csv", dtype=str, keep_default_na=False)
            # a clerk reads the row without a join: the department's own name, and for
            # review / unmatched rows the reason in words; probabilities are rounded
            assert (seeding["name"] != "").mean() > 0.99
            open_rows = seeding[seeding["match_status"] != "seeded"]
            assert len(open_rows) > 0 and (open_rows["reason"].str.len() > 20).all()
            assert (seeding.loc[seeding["match_status"] == "seeded", "reason"] == "").all()
            decimals = seeding["match_probability"].str.partition(".")[2].str.len()
            assert decimals.max() <= 4


def test_extra_sources_add_a_department_with_safe_defaults_and_keep_the_builtin_ones(
        tmp_path, monkeypatch, caplog):
    """`$SRDH_SOURCES` is read with the built-in feeds, never instead of them."""
    import logging

    from ingest.registry import DeliverySettings

    extra = tmp_path / "sources"
    extra.mkdir()
    food = yaml.safe_load((ROOT / "ingest" / "sources" / "food_pds.yaml").read_text())
    food.update(feed="lab_bocw", department="LABOUR", title="Labour - BOCW")
    (extra / "lab_bocw.yml").write_text(yaml.safe_dump(food))
    monkeypatch.setenv("SRDH_SOURCES", str(extra))
    with caplog.at_level(logging.WARNING, logger="ingest.registry"):
        config = departments()
    assert config["FOOD"].sources == ("food_pds",) and config["FOOD"].delivery.full_uid
    assert config["SOCIAL_WELFARE"].sources == ("sw_pension",)
    assert config["SCHOOL_EDUCATION"].sources == ("edu_scholarship",)
    labour = config["LABOUR"]
    assert (labour.sources, labour.configured) == (("lab_bocw",), False)
    # the documented defaults: weekly (Mondays 06:00 IST), masked UIDs, no inclusion rules
    assert labour.delivery == DeliverySettings()
    assert (labour.delivery.schedule, labour.delivery.full_uid,
            labour.delivery.inclusion_rules) == ("30 0 * * 1", False, ())
    (warning,) = [r.getMessage() for r in caplog.records if "LABOUR" in r.getMessage()]
    assert "deliveries.yaml" in warning and "masked" in warning
    # the folder given explicitly (`srdh deliver --sources`) is the same route
    monkeypatch.delenv("SRDH_SOURCES")
    assert departments(sources_dir=extra) == config
    assert "LABOUR" not in departments()
    # ... and so is the built-in folder (ingest/sources/, here a copy with the YAML added)
    import shutil

    from ingest import registry

    builtin = tmp_path / "builtin"
    shutil.copytree(registry.DEFAULT_SOURCES_DIR, builtin)
    shutil.copy(extra / "lab_bocw.yml", builtin)
    monkeypatch.setattr(registry, "DEFAULT_SOURCES_DIR", builtin)
    assert departments() == config


def test_an_unmatched_record_a_holder_resembles_is_not_told_none_does():
    """Below the review threshold (0.5) a record is unmatched; from 0.2 its best candidate
    is 16-48% the person: the department reads that a holder resembles it, not that none
    does, and verifies before acting. Far below, the old words stand; seeded: no words."""
    from warehouse.deliver import REASON_WORDS, reason_words

    resembles = reason_words("below_review", "unmatched", 0.35)
    assert resembles.startswith("an Aadhaar holder resembles this record but is more likely "
                                "someone else; verify before acting")
    assert reason_words("below_review", "unmatched", 0.2) == resembles
    assert reason_words("below_review", "unmatched", 0.05) == REASON_WORDS["below_review"]
    assert reason_words("below_review", "unmatched", None) == REASON_WORDS["below_review"]
    assert "no Aadhaar holder" in reason_words("no_candidate", "unmatched", None)
    assert reason_words("below_seed", "review", 0.8) == REASON_WORDS["below_seed"]
    assert reason_words("best_link", "seeded", 0.999) == ""


def test_the_resembling_floor_is_one_number_across_layers():
    """0.2, the seeding review floor before issue 17's queue rules: the delivery's words
    (warehouse.deliver), the ghost flag (dbt var) and the dedupe anchors (matching
    settings) must say the same thing about one record; the layers cannot import each
    other, so this test holds them together."""
    from pathlib import Path

    import yaml

    from matching.settings import DedupeSettings
    from warehouse import deliver

    root = Path(__file__).resolve().parents[1]
    dbt_vars = yaml.safe_load((root / "dbt_project" / "dbt_project.yml").read_text())["vars"]
    assert dbt_vars["srdh_ghost_candidate_min_probability"] == deliver.RESEMBLES_FROM
    assert DedupeSettings().anchor_probability == deliver.RESEMBLES_FROM
