"""Seed thresholds checked and tuned by reviewer labels (issue 17): hand-made posteriors.

The state below: 1,000 records at p = 0.9995, 200 at 0.985, 200 at 0.96 and 200 at 0.85.
Without labels the seeded set {p >= 0.985} expects (999.5 + 197) / 1200 = 99.71% and
adding the 0.96 records would fall to 99.18% < 99.5%, so the label-free threshold is
0.985."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from matching import review, seed
from matching.settings import SourceThresholds

TH = SourceThresholds(review_threshold=0.2, target_precision=0.995,
                      calibration_min_labels=50, calibration_prior_labels=20.0)
LAYOUT = [(0.9995, 1000), (0.985, 200), (0.96, 200), (0.85, 200)]


def _prov(layout=LAYOUT, ambiguous: int = 0):
    con = duckdb.connect()
    rows = []
    for p, n in layout:
        for i in range(n):
            rid = f"{p}-{i}"
            reason = "ambiguous" if i < ambiguous else "best_link"
            rows.append((rid, f"K{rid}", p, reason))
    df = pd.DataFrame(rows, columns=["source_record_id", "candidate_uid_token",
                                     "match_probability", "reason"])
    con.register("_p", df)
    con.execute("CREATE TABLE prov_src AS SELECT * FROM _p")
    return con


def _labels(p: float, n: int, confirmed: int) -> list[tuple[float, bool]]:
    return [(p, i < confirmed) for i in range(n)]


def test_no_labels_leaves_the_label_free_threshold():
    con = _prov()
    t0, est0 = seed.choose_seed_threshold(con, "prov_src", TH)
    assert t0 == pytest.approx(0.985) and est0 == pytest.approx((999.5 + 197) / 1200)
    info, bands = seed.choose_threshold(con, "prov_src", TH, None)
    assert bands == [] and info["method"] == "posteriors"
    assert info["seed_threshold"] == pytest.approx(t0)
    assert info["expected_precision"] == pytest.approx(est0, abs=1e-6)
    assert seed.choose_threshold(con, "prov_src", TH, [])[0] == info


def test_labels_showing_an_over_confident_band_raise_the_threshold():
    con = _prov()
    # reviewers checked 100 seeds of the 0.985 band: 10 were the wrong person (90%)
    labels = _labels(0.985, 100, 90) + _labels(0.9995, 40, 40)
    info, bands = seed.choose_threshold(con, "prov_src", TH, labels)
    assert info["method"] == "labels" and info["labels"] == 140
    assert info["label_free_threshold"] == pytest.approx(0.985)
    assert info["seed_threshold"] > 0.985  # the 0.985 band is no longer seeded
    assert info["seed_threshold"] == pytest.approx(0.9995)
    assert info["expected_precision"] >= TH.target_precision
    # the check: at the label-free threshold the labels put precision under the target
    assert info["label_checked_precision"] < TH.target_precision < info["label_free_precision"]
    band = next(b for b in bands if b.lo == 0.98)
    assert (band.labels, band.matches, band.measured) == (100, 90, 0.9)
    assert band.estimated == pytest.approx(0.985)
    assert band.wilson_low < 0.9 < band.wilson_high < 0.985
    # Beta posterior with the model's estimate worth 20 labels, pooled (isotonic) with the
    # unlabelled 0.95 band below it, whose prior 0.96 is higher
    assert band.calibrated == pytest.approx((90 + 20 * 0.985 + 20 * 0.96) / 140, abs=1e-9)
    cal = [b.calibrated for b in bands]
    assert cal == sorted(cal)  # isotonic: a higher posterior never calibrates lower


def test_labels_that_agree_with_the_model_keep_the_threshold():
    con = _prov()
    labels = _labels(0.985, 100, 99) + _labels(0.96, 60, 58)
    info, _ = seed.choose_threshold(con, "prov_src", TH, labels)
    assert info["method"] == "labels"
    assert info["seed_threshold"] == pytest.approx(0.985)
    assert info["expected_precision"] >= TH.target_precision


def test_too_few_labels_fall_back_and_say_so():
    con = _prov()
    info, bands = seed.choose_threshold(con, "prov_src", TH, _labels(0.985, 30, 20))
    assert info["method"] == "posteriors" and info["labels"] == 30
    assert info["seed_threshold"] == pytest.approx(0.985)
    assert "calibration_min_labels" in info["note"]
    assert bands and info["label_checked_precision"] < info["label_free_precision"]


def test_unreachable_target_keeps_the_label_free_choice():
    con = _prov()
    # even the most confident band is wrong one time in ten: no threshold reaches 99.5%
    info, _ = seed.choose_threshold(con, "prov_src", TH, _labels(0.9995, 200, 180))
    assert info["method"] == "posteriors" and "no threshold" in info["note"]
    assert info["seed_threshold"] == pytest.approx(0.985)


def test_label_outcomes_from_decisions():
    con = _prov([(0.97, 6)], ambiguous=1)
    decisions = pd.DataFrame([
        # record, token decided, decision
        ("0.97-1", "K0.97-1", "match"),       # confirmed best candidate
        ("0.97-2", "K0.97-2", "non_match"),   # rejected best candidate
        ("0.97-3", "Kother", "match"),        # another resident confirmed: best is wrong
        ("0.97-4", "Kother", "non_match"),    # says nothing about the best candidate
        ("0.97-0", "K0.97-0", "match"),       # ambiguous: never seeded, left out
    ], columns=["record_l", "record_r", "decision"])
    decisions["kind"], decisions["source_l"] = "seed", "src"
    con.register("_d", decisions)
    con.execute(f"CREATE TABLE {review.EFFECTIVE} AS SELECT * FROM _d")
    assert review.has_seed_labels(con, "src") and not review.has_seed_labels(con, "other")
    got = review.seed_label_outcomes(con, "src", "prov_src")
    assert got == [(0.97, True), (0.97, False), (0.97, False)]


def test_settings_refuse_nonsense_calibration():
    with pytest.raises(ValueError, match="calibration_min_labels"):
        SourceThresholds(calibration_min_labels=0)
