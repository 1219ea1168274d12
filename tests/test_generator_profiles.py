"""Noise profiles: `tuning` is the generator SRDH was tuned on, unchanged byte for byte;
`field` (never tuned on, issue 17) passes the contract and differs in the intended ways."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from generator import generate, profiles
from generator.contract import check_landing, check_truth, read_feed_csv
from generator.noise import LATE_PREFIXES

# Digests of `generate(2000, 7, photos=25)` (the `generated_state` fixture) made by the
# generator before profiles existed (commit 9ee5ca6). Landing: sha256 over every file's
# path and bytes, per feed. Truth: sha256 of the frames' dtypes and row hashes (independent
# of the Parquet writer's metadata, which changes with pyarrow's version).
TUNING_2000_SEED_7 = {
    "landing/crs_death": "a0de3a93aa0ea0ced840d1550759a0a72b7f681d8a09bc97d93d008078835770",
    "landing/edu_scholarship": "ac061ff9dd260b66c0f2d2de2c955554e7203de7929adc848bec0ba3f30f73af",
    "landing/facilities": "2893a9ef49b94c9c6a839a8c719712d6f1f85c69e298bf4e76a3264d4b9204e0",
    "landing/food_pds": "b4b9acc25a6adf4a905d8274bdcae1d7024effb883760659702d6b76a6452641",
    "landing/jansamvad_calls": "19c6d051adebf524d7a37a95d6106b3a0bde297925078303cef9ab2d616b2fcc",
    "landing/lgd_villages": "ebf3b22aae04ecb71dc848e6cc6787157cf1aa1f8328e26ebaf5fe38eb2381bb",
    "landing/pm_survey": "9796e10d9b114afae413dc3b5d348914b1caf4e63b1ad266d2358da6c456f538",
    "landing/pm_tasks": "c09532bee3dccac91d0b7e9b6b732aa8104329756ed5efa4cae990838bba5892",
    "landing/rd_mgnrega": "0553bac29fea3755b1cbeb97de92481bfbfd361d01693a11b0644a537f46e518",
    "landing/sw_pension": "26903b1ba39dbfba49b7286437392baa3999a0419f431f05b2735aa8de134f9c",
    "landing/uid_kyr": "8d5f8c2516480e8db1320e4d3e9707e06dcbe62007d2da6135c7be2eff6a0d3c",
    "truth/deceased": "aba054f8f66da4bbc6518c40e7ca8178279bfac8ed61a3a9fcadbc74090ae4ba",
    "truth/district_splits": "1fe70bba2af7f181688f5f8e3deeea16c9cd2a75e2e07249f94fcf09d101744a",
    "truth/duplicate_groups": "b9dcf6c56f96004b086a1e02f778e913910b74746859916b63e149e7b9433a48",
    "truth/records": "d5f7d1043f3ef3856acb1aee1673fd312acacf236f4724b3796f75bde1612172",
    "truth/residents": "95c73d6a43b04fd76e6cc9943cb6eb2712ae32a6c0fc04af6cefb013436970ed",
}


def _digests(landing: Path, truth: Path) -> dict[str, str]:
    out = {}
    for feed in sorted(p.name for p in landing.iterdir()):
        h = hashlib.sha256()
        for p in sorted((landing / feed).rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(landing)).encode() + b"\0" + p.read_bytes())
        out[f"landing/{feed}"] = h.hexdigest()
    for p in sorted(truth.glob("*.parquet")):
        df = pd.read_parquet(p)
        h = hashlib.sha256(",".join(f"{c}:{t}" for c, t in df.dtypes.astype(str).items())
                           .encode())
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
        out[f"truth/{p.stem}"] = h.hexdigest()
    return out


@pytest.fixture(scope="module")
def field_state(tmp_path_factory):
    root = tmp_path_factory.mktemp("field_state")
    manifest = generate(2000, 7, root / "landing", photos=0, verbose=False, profile="field")
    return {"landing": root / "landing", "truth": root / "landing-truth", "manifest": manifest}


def _feed(landing: Path, feed: str) -> pd.DataFrame:
    return pd.concat([read_feed_csv(p) for p in sorted((landing / feed).glob("*/*.csv"))],
                     ignore_index=True)


def _stats(state: dict) -> dict[str, float]:
    """What the field profile must change, measured on a state's landing and truth."""
    landing, truth = state["landing"], state["truth"]
    res = pd.read_parquet(truth / "residents.parquet").set_index("resident_key")
    rec = pd.read_parquet(truth / "records.parquet")
    late = tuple(p.upper() + " " for p in LATE_PREFIXES)
    rel = pd.concat([_feed(landing, f)["father_husband_name"]
                     for f in ("sw_pension", "rd_mgnrega", "crs_death")]).dropna()
    pds = _feed(landing, "food_pds").set_index("member_id")
    r = rec[(rec["source"] == "food_pds") & ~rec["is_ghost"]].set_index("source_record_id")
    dob = pd.to_datetime(res.loc[r["resident_key"].to_numpy(), "dob"].to_numpy())
    on = pd.Timestamp("2025-01-10")
    true_age = on.year - dob.year - ((dob.month > on.month) | ((dob.month == on.month) &
                                                               (dob.day > on.day)))
    off = np.abs(pds.loc[r.index, "age"].astype(int).to_numpy() - np.asarray(true_age))
    districts = pd.concat([_feed(landing, f)["district"]
                           for f in ("sw_pension", "rd_mgnrega", "crs_death")])
    villages = pds["village_ward"].str.upper()
    kyr = _feed(landing, "uid_kyr")
    return {
        "late_relative": rel.str.upper().str.startswith(late).mean(),
        "age_off_2": (off >= 2).mean(),
        "moved_households": res.loc[res["moved_from_village_code"].fillna(0) > 0,
                                    "household_key"].nunique(),
        "district_tagged": districts.str.contains(r"\(|, Chhattisgarh", regex=True).mean(),
        "village_ward": villages.str.contains(r"WARD|W\.NO|\s-\s\d", regex=True).mean(),
        "first_names_per_district": res.groupby(["district_name", "gender"])["first_name"]
        .nunique().mean(),
        "kyr_year_only": kyr["dob"].str.fullmatch(r"\d{4}").mean(),
    }


def test_tuning_profile_is_the_generator_we_tuned_on(generated_state):
    """Byte for byte what the generator wrote before profiles existed (same seed, size)."""
    assert _digests(generated_state["landing"], generated_state["truth"]) == TUNING_2000_SEED_7
    manifest = json.loads((generated_state["truth"] / "manifest.json").read_text())
    assert manifest["profile"] == "tuning" == profiles.DEFAULT


def test_field_profile_follows_the_contract_and_differs_in_kind(field_state, generated_state):
    assert check_landing(field_state["landing"]) == []
    assert check_truth(field_state["landing"], field_state["truth"]) == []
    manifest = json.loads((field_state["truth"] / "manifest.json").read_text())
    assert manifest["profile"] == "field" == field_state["manifest"]["profile"]
    tuning, field = _stats(generated_state), _stats(field_state)
    # kinds of noise the tuning profile never injects
    assert tuning["late_relative"] == 0 and field["late_relative"] > 0.05, field
    assert tuning["district_tagged"] == 0 and field["district_tagged"] > 0.01, field
    assert tuning["village_ward"] == 0 and field["village_ward"] > 0.06, field
    # more of what it does inject
    assert field["age_off_2"] > 1.5 * tuning["age_off_2"], (tuning, field)
    assert field["moved_households"] > 2 * tuning["moved_households"], (tuning, field)
    assert field["first_names_per_district"] < 0.8 * tuning["first_names_per_district"]
    assert field["kyr_year_only"] > 1.3 * tuning["kyr_year_only"], (tuning, field)


def test_profile_names_one_place_and_unknown_refused(tmp_path):
    assert set(profiles.PROFILES) == {"tuning", "field", "dev_noisy_tuning"}
    assert profiles.FIELD.field != profiles.FieldNoise() == profiles.TUNING.field
    with pytest.raises(ValueError, match="unknown noise profile 'fieldd'.*tuning, field"):
        generate(200, 1, tmp_path / "x", verbose=False, profile="fieldd")


def test_dev_noisy_profile_is_tuning_made_noisier_and_says_dev_only():
    """Issue 18's dev condition: linkage that misses more, derived from tuning alone."""
    dev, tuning = profiles.DEV_NOISY_TUNING, profiles.TUNING
    assert dev.description.startswith("DEV ONLY") and profiles.DEFAULT == "tuning"
    assert dev.field == tuning.field  # none of the field profile's kinds of noise
    for src, n in tuning.names.items():
        assert dev.names[src].typo > 2 * n.typo or n.typo == 0, src
    assert dev.moved_households > 2 * tuning.moved_households

