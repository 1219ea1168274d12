"""A dense list's copies are not evidence that a name is common (issue 17, FEBRL3).

The dedupe model adjusts its exact-name levels by the name's frequency among the records
scored (Splink's term frequencies): in a state's list two "GEETA SAHU" records are weak
evidence. In a list where most people are listed two or three times, a rare name's
frequency is its own copies: a name carried by one person listed three times in 900
records read as common as a 1-in-300 name, and an exact rare name lost about 7 bits.
Where the dedupe prior estimate finds the list dense (u corrected for its copies), the
model keeps no term-frequency adjustment; a sparse list keeps it.

Real Splink training and scoring on small hand-made lists."""

from __future__ import annotations

import random

import pytest
from matching_helpers import DENSE_LAST, FIRST_F, FIRST_M, train_and_score_dedupe

from ingest.standardise.names import name_keys, place_key

VILLAGES = [f"{a}{b} {c}" for a in ("KHA", "TIL", "ARA", "BHA", "GOB", "KUR")
            for b in ("RORA", "DIH", "PUR", "GAON", "NAR") for c in ("PARA", "TOLA")]


def _record(rid: str, first: str, last: str, village: str) -> dict:
    name = f"{first} {last}"
    full, fk, lk = name_keys([name])
    return {"source_record_id": rid, "name_std": name, "first_name": first,
            "last_name": last, "name_key": full[0], "first_name_key": fk[0],
            "last_name_key": lk[0], "gender": "M", "dob": None, "birth_year": None,
            "birth_year_min": None, "birth_year_max": None, "district_std": "RAIPUR",
            "block_std": "ARANG", "village_code": None, "place_text": village,
            "place_key": place_key(village), "uid_token": None, "uid_valid": False}


def _list(n_people: int, copies, seed: int):
    """Person i (a name no one else has) listed ``copies(i)`` times, name and village
    exact, no date of birth: the name and the village are all the evidence."""
    rng = random.Random(seed)
    names = rng.sample([(f, la) for f in FIRST_M + FIRST_F for la in DENSE_LAST], n_people)
    rows, truth = [], set()
    for i, (first, last) in enumerate(names):
        village = rng.choice(VILLAGES)
        ids = [f"P{i}-{c}" for c in range(copies(i))]
        rows += [_record(r, first, last, village) for r in ids]
        truth |= {frozenset((a, b)) for a in ids for b in ids if a < b}
    return rows, truth


def _tf_levels(model: dict) -> list[str]:
    return [lvl["label_for_charts"] for c in model["comparisons"]
            for lvl in c["comparison_levels"] if lvl.get("tf_adjustment_column")]


@pytest.mark.slow
def test_dense_list_rare_names_are_not_made_common_by_their_copies():
    rows, truth = _list(300, lambda i: 2 + i % 2, seed=3)
    model, settings, scored = train_and_score_dedupe(rows)
    assert model["srdh"]["u_corrected"]  # found dense
    assert _tf_levels(model) == []
    # same rare name, same village, no date: one person (with the copies' frequency as
    # the name's, most of these pairs stayed below the join threshold)
    joined = [p for p in truth if scored.get(p, 0.0) >= settings.dedupe.threshold]
    assert len(joined) >= 0.95 * len(truth), (len(joined), len(truth))
    false_joins = [p for p, prob in scored.items()
                   if prob >= settings.dedupe.threshold and p not in truth]
    assert false_joins == []


@pytest.mark.slow
def test_sparse_list_keeps_name_frequencies():
    rows, _ = _list(1500, lambda i: 2 if i % 50 == 0 else 1, seed=13)
    model, _, _ = train_and_score_dedupe(rows)
    assert model["srdh"]["u_corrected"] is False
    assert "Exact match on name_std" in _tf_levels(model)
