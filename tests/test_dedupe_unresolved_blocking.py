"""Dedupe blocking on a list whose places resolve to no village code (issue 17, FEBRL3):
a copy with one name token misspelt and no date of birth shares only the other token
and the place as spelled, and no rule paired it (FEBRL2, development data: 44 of 209
unblocked true pairs). Where village codes exist the rule is not used.

Real Splink training and scoring on a small hand-made list."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from matching_helpers import DENSE_LAST, FIRST_F, FIRST_M, swap_typo, train_and_score_dedupe

from ingest.standardise.names import name_keys, place_key
from matching import blocking

VILLAGES = [f"{a}{b} {c}" for a in ("KHA", "TIL", "ARA", "BHA", "GOB", "KUR")
            for b in ("RORA", "DIH", "PUR", "GAON", "NAR") for c in ("PARA", "TOLA")]


def _record(rid: str, first: str, last: str, dob, village: str) -> dict:
    name = f"{first} {last}"
    full, fk, lk = name_keys([name])
    year = dob.year if dob else None
    return {"source_record_id": rid, "name_std": name, "first_name": first,
            "last_name": last, "name_key": full[0], "first_name_key": fk[0],
            "last_name_key": lk[0], "gender": "F", "dob": dob, "birth_year": year,
            "birth_year_min": year, "birth_year_max": year, "district_std": "RAIPUR",
            "block_std": "ARANG", "village_code": None, "place_text": village,
            "place_key": place_key(village), "uid_token": None, "uid_valid": False}


@pytest.mark.slow
def test_a_copy_with_one_token_misspelt_and_no_date_is_paired_by_the_other_token():
    rng = random.Random(11)
    names = rng.sample([(f, la) for f in FIRST_M + FIRST_F for la in DENSE_LAST], 300)
    rows, typo_pairs = [], []
    for i, (first, last) in enumerate(names):
        village = rng.choice(VILLAGES)
        dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
        rows.append(_record(f"P{i}-0", first, last, dob, village))
        # the copy: no date, and one token misspelt so that its phonetic key changes
        f, la = first, last
        for _ in range(10):
            f, la = (swap_typo(first, rng), last) if i % 2 else (first, swap_typo(last, rng))
            if name_keys([f"{f} {la}"])[0][0] != name_keys([f"{first} {last}"])[0][0]:
                break
        rows.append(_record(f"P{i}-1", f, la, None, village))
        typo_pairs.append(frozenset((f"P{i}-0", f"P{i}-1")))
    _, settings, scored = train_and_score_dedupe(rows)
    paired = [p for p in typo_pairs if p in scored]
    assert len(paired) >= 0.9 * len(typo_pairs), (len(paired), len(typo_pairs))
    false = [p for p, prob in scored.items()
             if prob >= settings.dedupe.threshold and p not in typo_pairs]
    assert false == []


def test_one_token_and_place_rules_only_where_no_village_code_exists():
    cols = {"first_name_key", "last_name_key", "place_key", "district_std", "dob",
            "name_sorted_key", "name_key", "gender", "birth_year_min", "birth_year"}
    without = blocking.chosen(blocking.DEDUPE_PREDICTION_RULES, cols)
    assert ("first_name_key", "place_key", "district_std") in without
    assert ("last_name_key", "place_key", "district_std") in without
    with_codes = blocking.chosen(blocking.DEDUPE_PREDICTION_RULES, cols | {"village_code"})
    assert not any(r[:2] in {("first_name_key", "place_key"), ("last_name_key", "place_key")}
                   for r in with_codes)
