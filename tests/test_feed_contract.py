"""Every file of a generated state follows FEEDS.md and docs/feeds.md; faults are caught."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from generator.contract import SPEC, check_file, check_landing, check_truth, read_feed_csv

REPO = Path(__file__).resolve().parents[1]
CONTRACTS = [REPO.parent / "shared" / "contracts" / "FEEDS.md", REPO / "docs" / "feeds.md"]


def _contract_tables(path: Path) -> dict[str, dict[str, bool]]:
    """feed -> {column: required} parsed from the Markdown tables of a contract page."""
    feeds: dict[str, dict[str, bool]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):  # a feed's own heading names it; any other ends it
            m = re.match(r"^#{2,3} .*?`([a-z_]+)`", line)
            current = m.group(1) if m else None
            continue
        if current and line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0] == "column" or len(cells) < 2:
                continue
            req = cells[1]
            for name in (n.strip() for n in cells[0].split(",")):
                optional_here = re.search(rf"\b{name}\s+no\b", req)
                feeds.setdefault(current, {})[name] = req.startswith("yes") and not optional_here
    return feeds


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda p: p.name)
def test_spec_matches_the_contract_pages(contract):
    if not contract.is_file():
        pytest.skip(f"{contract} not present")
    tables = _contract_tables(contract)
    assert tables, "no feed tables parsed"
    for feed, cols in tables.items():
        assert feed in SPEC, feed
        spec = SPEC[feed]["columns"]
        assert set(cols) == set(spec), (feed, set(cols) ^ set(spec))
        for c, required in cols.items():
            assert spec[c]["required"] == required, (feed, c)


def test_generated_state_passes_the_contract(generated_state):
    assert check_landing(generated_state["landing"]) == []


def test_truth_is_beside_landing_and_resolves(generated_state):
    assert check_truth(generated_state["landing"], generated_state["truth"]) == []


def test_truth_inside_landing_is_reported(generated_state, tmp_path):
    inside = generated_state["landing"] / "truth"
    problems = check_truth(generated_state["landing"], inside)
    assert any("inside the landing" in p for p in problems)


def _one(landing: Path, feed: str) -> Path:
    return sorted((landing / feed).glob("*/*.csv"))[0]


@pytest.mark.parametrize("feed,column,value,needle", [
    ("uid_kyr", "uid", "234567890123", "'uid' fail"),          # bad Verhoeff digit
    ("uid_kyr", "uid", "123456789012", "'uid' fail"),          # first digit 1
    ("uid_kyr", "dob", "1985-03-02", "'dob' fail"),
    ("uid_kyr", "pc", "49201", "'pc' fail"),
    ("uid_kyr", "phone", "98765", "'phone' fail"),
    ("uid_kyr", "gender", "X", "'gender' fail"),
    ("food_pds", "card_type", "BPL", "'card_type' fail"),
    ("food_pds", "age", "abc", "'age' fail"),
    ("sw_pension", "sanction_date", "2020-01-31", "'sanction_date' fail"),
    ("sw_pension", "monthly_amount_inr", "500.5", "'monthly_amount_inr' fail"),
    ("edu_scholarship", "class", "13", "'class' fail"),
    ("edu_scholarship", "udise_code", "2201010101", "'udise_code' fail"),
    ("rd_mgnrega", "gender", "M", "'gender' fail"),
    ("crs_death", "date_of_death", "31-12-2023", "'date_of_death' fail"),
    ("lgd_villages", "latitude", "28.6", "'latitude' fail"),
    ("pm_tasks", "allocated_at", "2024-10-01 09:00", "'allocated_at' fail"),
    ("jansamvad_calls", "satisfaction", "6", "'satisfaction' fail"),
])
def test_faults_are_caught(generated_state, tmp_path, feed, column, value, needle):
    src = _one(generated_state["landing"], feed)
    df = read_feed_csv(src)
    df.loc[0, column] = value
    dst = tmp_path / feed / src.parent.name / src.name
    dst.parent.mkdir(parents=True)
    df.to_csv(dst, index=False)
    problems = check_file(feed, dst)
    assert any(needle in p for p in problems), problems


def test_missing_required_column_and_unknown_column(generated_state, tmp_path):
    src = _one(generated_state["landing"], "food_pds")
    df = read_feed_csv(src).drop(columns=["member_name"])
    df["favourite_colour"] = "blue"
    dst = tmp_path / "food_pds" / "2025-01-10" / "x.csv"
    dst.parent.mkdir(parents=True)
    df.to_csv(dst, index=False)
    problems = check_file("food_pds", dst)
    assert any("required column 'member_name' missing" in p for p in problems)
    assert any("favourite_colour" in p for p in problems)


def test_optional_column_may_be_absent_and_headers_are_loose(generated_state, tmp_path):
    src = _one(generated_state["landing"], "food_pds")
    df = read_feed_csv(src).drop(columns=["fps_code", "aadhaar_no"])
    df.columns = [f"  {c.upper()} " for c in df.columns]
    dst = tmp_path / "food_pds" / "2025-01-10" / "x.csv"
    dst.parent.mkdir(parents=True)
    df.to_csv(dst, index=False)
    assert check_file("food_pds", dst) == []


def test_cross_file_rules(generated_state, tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(generated_state["landing"], landing)
    tasks = _one(landing, "pm_tasks")
    df = read_feed_csv(tasks)
    done = df.index[df["status"] == "COMPLETED"][0]
    df.loc[done, "approved_at"] = ""
    df.to_csv(tasks, index=False)
    calls = _one(landing, "jansamvad_calls")
    c = read_feed_csv(calls)
    c.loc[0, "source_record_id"] = "NO-SUCH-ID"
    c.to_csv(calls, index=False)
    (landing / "uid_kyr" / "2025-01-06" / "photos" / sorted(
        (landing / "uid_kyr" / "2025-01-06" / "photos").iterdir())[0].name).unlink()
    problems = check_landing(landing)
    assert any("approved_at missing" in p for p in problems), problems
    assert any("reference no beneficiary" in p for p in problems), problems
    assert any("photo files missing" in p for p in problems), problems


def test_every_feed_folder_and_date_layout(generated_state):
    landing = generated_state["landing"]
    generated = sorted(f for f in SPEC if not SPEC[f].get("optional_feed"))
    for feed in generated:
        files = list((landing / feed).glob("*/*.csv"))
        assert files, feed
        for f in files:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f.parent.name)
    kyr_dates = sorted(p.name for p in (landing / "uid_kyr").iterdir())
    assert len(kyr_dates) == 2
    delta = read_feed_csv(next((landing / "uid_kyr" / kyr_dates[1]).glob("*.csv")))
    assert set(delta["action"]) == {"A", "U", "D"}
    pd.testing.assert_index_equal(pd.Index(generated), pd.Index(sorted(
        p.name for p in landing.iterdir())))
