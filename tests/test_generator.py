"""The synthetic state generator: determinism, truth, and the noise it promises."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.uid import is_valid_uid
from generator import FEEDS, default_truth_dir, generate
from generator.contract import read_feed_csv
from generator.places import DISTRICT_NAMES, DISTRICT_SPLITS, DISTRICTS, LAT_RANGE, LON_RANGE


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _feed(landing: Path, feed: str) -> pd.DataFrame:
    return pd.concat([read_feed_csv(p) for p in sorted((landing / feed).glob("*/*.csv"))],
                     ignore_index=True)


@pytest.fixture(scope="module")
def truth(generated_state):
    t = generated_state["truth"]
    return {n: pd.read_parquet(t / f"{n}.parquet")
            for n in ("residents", "records", "duplicate_groups", "deceased")}


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a = generate(600, 3, tmp_path / "a", photos=3, verbose=False)
    b = generate(600, 3, tmp_path / "b", photos=3, verbose=False)
    c = generate(600, 4, tmp_path / "c", photos=3, verbose=False)
    assert _digest(Path(a["landing"])) == _digest(Path(b["landing"]))
    for name in ("residents", "records", "deceased"):
        pd.testing.assert_frame_equal(pd.read_parquet(Path(a["truth"]) / f"{name}.parquet"),
                                      pd.read_parquet(Path(b["truth"]) / f"{name}.parquet"))
    assert _digest(Path(a["landing"])) != _digest(Path(c["landing"]))


def test_truth_defaults_beside_landing_and_never_inside(tmp_path):
    assert default_truth_dir(tmp_path / "landing") == (tmp_path / "landing-truth").resolve()
    with pytest.raises(ValueError, match="must not be inside"):
        generate(200, 1, tmp_path / "landing", truth=tmp_path / "landing" / "truth",
                 verbose=False)


def test_every_feed_written(generated_state):
    landing = generated_state["landing"]
    assert sorted(p.name for p in landing.iterdir()) == sorted(FEEDS)
    assert not any(p.suffix == ".parquet" for p in landing.rglob("*"))


def test_residents_truth(truth, generated_state):
    res = truth["residents"]
    assert len(res) == 2000
    uids = res["uid"].dropna()
    assert uids.is_unique and all(is_valid_uid(u) for u in uids)
    assert (~res["in_kyr"]).mean() < 0.06 and (~res["in_kyr"]).any()
    assert set(res["district_name"]) <= set(DISTRICT_NAMES)
    ages = (pd.Timestamp("2025-01-06") - pd.to_datetime(res["dob"])).dt.days / 365.25
    assert (ages < 15).mean() > 0.15 and (ages >= 60).mean() > 0.07
    assert res.groupby("household_key").size().mean() > 3
    # common surnames are shared by many
    assert res["last_name"].value_counts().iloc[0] > 40
    dead = res[res["is_deceased"]]
    assert len(dead) == len(truth["deceased"]) and dead["date_of_death"].notna().all()


def test_records_truth(truth, generated_state):
    rec = truth["records"]
    assert set(rec["source"]) == {"food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship",
                                  "crs_death"}
    assert rec["is_ghost"].any() and rec["is_duplicate"].any()
    assert rec.loc[rec["is_ghost"], "resident_key"].isna().all()
    assert set(rec["preseeded_uid_status"]) == {"none", "correct", "wrong", "invalid"}
    seeded = rec[rec["source"] == "food_pds"]
    pds = _feed(generated_state["landing"], "food_pds").set_index("member_id")
    s = seeded.set_index("source_record_id")
    ok = s[s["preseeded_uid_status"] == "correct"]
    assert (pds.loc[ok.index, "aadhaar_no"] == ok["uid"]).all()
    bad = s[s["preseeded_uid_status"] == "invalid"]
    assert not any(is_valid_uid(u) for u in pds.loc[bad.index, "aadhaar_no"])
    wrong = s[s["preseeded_uid_status"] == "wrong"]
    assert all(is_valid_uid(u) for u in pds.loc[wrong.index, "aadhaar_no"])
    assert (pds.loc[wrong.index, "aadhaar_no"] != wrong["uid"]).all()
    # duplicate groups: same person twice within one source
    g = truth["duplicate_groups"]
    assert (g["n_records"] >= 2).all()
    assert rec["duplicate_group"].notna().sum() == g["n_records"].sum()
    # the same person in several departments is normal
    real = rec[~rec["is_ghost"]]
    assert (real.groupby("resident_key")["source"].nunique() >= 2).any()


def test_noise_rates_are_realistic(truth, generated_state):
    rec, res = truth["records"], truth["residents"].set_index("resident_key")
    pds = _feed(generated_state["landing"], "food_pds").set_index("member_id")
    r = rec[(rec["source"] == "food_pds") & ~rec["is_ghost"]].set_index("source_record_id")
    names = pds.loc[r.index, "member_name"].str.strip().str.upper()
    canon = res.loc[r["resident_key"].to_numpy(), "full_name"].str.upper().to_numpy()
    differs = (names.to_numpy() != canon).mean()
    assert 0.08 < differs < 0.45, differs
    assert rec["is_ghost"].mean() < 0.04


def test_old_district_names_and_spellings_in_departments(truth, generated_state):
    children = {c for c, _, _ in DISTRICT_SPLITS}
    parents = {p for _, p, _ in DISTRICT_SPLITS}
    pen = _feed(generated_state["landing"], "sw_pension")
    names = set(pen["district"])
    assert names & parents
    aliases = {a for d in DISTRICTS for a in d[7]}
    assert names & aliases or set(_feed(generated_state["landing"], "rd_mgnrega")["district"]) \
        & aliases
    assert children  # split history is shipped as data
    splits = pd.read_parquet(generated_state["truth"] / "district_splits.parquet")
    assert len(splits) == len(DISTRICT_SPLITS)


def test_kyr_shapes(generated_state):
    landing = generated_state["landing"]
    kyr = _feed(landing, "uid_kyr")
    assert kyr["uid"].str.contains(" ").any()
    assert kyr["dob"].str.fullmatch(r"\d{4}").any()
    assert kyr["name_local"].str.contains(r"[\u0900-\u097F]").any()
    assert kyr["co"].str.startswith("W/O").any()
    photos = list((landing / "uid_kyr").glob("*/photos/*.jpg"))
    assert len(photos) == 25
    assert all(p.read_bytes()[:2] == b"\xff\xd8" and p.read_bytes()[-2:] == b"\xff\xd9"
               for p in photos)


def test_dead_pensioners_still_active(truth, generated_state):
    d = truth["deceased"]
    assert d["pension_still_active"].any()
    crs = _feed(generated_state["landing"], "crs_death")
    assert (pd.to_datetime(crs["date_of_death"]) < pd.Timestamp("2025-01-12")).all()
    assert d["crs_registration_no"].notna().mean() > 0.7


def test_places_inside_the_state(generated_state):
    lgd = _feed(generated_state["landing"], "lgd_villages")
    lat, lon = lgd["latitude"].astype(float), lgd["longitude"].astype(float)
    assert lat.between(*LAT_RANGE).all() and lon.between(*LON_RANGE).all()
    assert set(lgd["district_name"]) == set(DISTRICT_NAMES)
    assert len(DISTRICT_NAMES) == 33


def test_scholarship_and_pension_values(generated_state):
    edu = _feed(generated_state["landing"], "edu_scholarship")
    fac = _feed(generated_state["landing"], "facilities")
    assert set(edu["udise_code"]) <= set(fac["udise_code"])
    pen = _feed(generated_state["landing"], "sw_pension")
    amt = pen.loc[pen["scheme_code"] == "IGNOAPS", "monthly_amount_inr"].astype(int)
    assert amt.between(500, 1000).all()


def test_pm_survey_linked_to_tasks(generated_state):
    t = _feed(generated_state["landing"], "pm_tasks").set_index("task_id")
    s = _feed(generated_state["landing"], "pm_survey")
    assert (t.loc[s["task_id"], "survey_id"].to_numpy() == s["survey_id"].to_numpy()).all()
    assert np.isin(t.loc[s["task_id"], "status"],
                   ["PENDING_APPROVAL", "COMPLETED", "REJECTED"]).all()


def test_cli_generate(tmp_path):
    from typer.testing import CliRunner

    from srdh.cli import app

    runner = CliRunner()
    help_text = runner.invoke(app, ["generate", "--help"]).output
    for opt in ("--residents", "--seed", "--out", "--truth", "--photos", "--profile"):
        assert opt in help_text
    bad = runner.invoke(app, ["generate", "-n", "200", "--out", str(tmp_path / "bad"),
                              "--profile", "nope", "--quiet"])
    assert bad.exit_code == 2 and "unknown noise profile 'nope'" in bad.output
    r = runner.invoke(app, ["generate", "--residents", "300", "--seed", "5", "--out",
                            str(tmp_path / "land"), "--photos", "2", "--quiet",
                            "--profile", "field"])
    assert r.exit_code == 0, r.output
    assert '"profile": "field"' in r.output
    assert (tmp_path / "land-truth" / "records.parquet").is_file()
    assert len(list((tmp_path / "land" / "uid_kyr").glob("*/photos/*.jpg"))) == 2
