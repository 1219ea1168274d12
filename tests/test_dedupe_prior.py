"""The dedupe prior is estimated on the home's own data (issue 17, FEBRL3).

A list where most people have copies (FEBRL-like) gets a higher prior and u corrected
for the duplicates among random pairs, so its obvious duplicates join; a state-like
list with a few copies keeps the fixed, conservative prior and random sampling's u.
Real Splink training and scoring on small hand-made lists."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from matching_helpers import DENSE_FIRST, DENSE_LAST, swap_typo, train_and_score_dedupe

from ingest.standardise.names import name_keys, place_key
from matching import train
from matching.settings import load_settings

VILLAGES = ["KHARORA", "ARANG", "TILDA", "ABHANPUR", "MANDIR HASAUD", "BHANSOJ", "GOBRA",
            "NAWAPARA", "KURUD", "MAGARLOD", "BELAR", "CHARAMA"]


def _record(rid: str, first: str, last: str, dob: dt.date, village: str, gender: str):
    name = f"{first} {last}"
    full, fk, lk = name_keys([name])
    return {"source_record_id": rid, "name_std": name, "first_name": first,
            "last_name": last, "name_key": full[0], "first_name_key": fk[0],
            "last_name_key": lk[0], "gender": gender, "dob": dob, "birth_year": dob.year,
            "birth_year_min": dob.year, "birth_year_max": dob.year,
            "district_std": "RAIPUR", "block_std": "ARANG", "village_code": village,
            "place_key": place_key(village), "uid_token": None, "uid_valid": False}


def _people(n: int, rng: random.Random) -> list[tuple]:
    out = []
    for _ in range(n):
        out.append((rng.choice(DENSE_FIRST), rng.choice(DENSE_LAST),
                    dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365)),
                    rng.choice(VILLAGES), rng.choice("MF")))
    return out


def _list(n_people: int, copies, seed: int) -> tuple[list[dict], set[frozenset]]:
    """Records of ``n_people``: person i listed ``copies(i)`` times (copy 1+ may carry a
    typo in its first name); returns (records, the true duplicate pairs)."""
    rng = random.Random(seed)
    rows, truth = [], set()
    for i, (first, last, dob, village, gender) in enumerate(_people(n_people, rng)):
        ids = []
        for c in range(copies(i)):
            f = swap_typo(first, rng) if c and rng.random() < 0.3 else first
            ids.append(f"P{i}-{c}")
            rows.append(_record(ids[-1], f, last, dob, village, gender))
        truth |= {frozenset((a, b)) for a in ids for b in ids if a < b}
    return rows, truth



@pytest.mark.slow
def test_dense_duplicates_raise_the_prior_and_their_obvious_copies_join():
    # 400 people, each listed 2-4 times: 1,331 true pairs among 720,000
    rows, truth = _list(400, lambda i: 2 + i % 3, seed=7)
    model, settings, scored = train_and_score_dedupe(rows)
    meta = model["srdh"]
    assert meta["u_corrected"] is True
    assert meta["prior_weight_estimated"] > settings.dedupe.prior_weight + 2
    prior = train.dedupe_prior(model, settings)
    assert settings.dedupe.prior_weight < prior <= settings.dedupe.max_prior_weight
    # copies with the same name, date of birth and village are obvious: all join
    by_id = {r["source_record_id"]: r for r in rows}
    same = [p for p in truth
            if len({(by_id[x]["name_std"], by_id[x]["dob"]) for x in p}) == 1]
    assert len(same) > 500
    joined = sum(scored.get(p, 0.0) >= settings.dedupe.threshold for p in same)
    assert joined == len(same)
    # and nothing joins two different people
    false_joins = [p for p, prob in scored.items()
                   if prob >= settings.dedupe.threshold and p not in truth]
    assert len(false_joins) <= 0.02 * len(same)


@pytest.mark.slow
def test_sparse_duplicates_keep_the_conservative_prior():
    # a state-like list: 1,500 people, 1 in 50 listed twice
    rows, truth = _list(1500, lambda i: 2 if i % 50 == 0 else 1, seed=11)
    model, settings, _ = train_and_score_dedupe(rows)
    meta = model["srdh"]
    assert meta["prior_weight_estimated"] <= settings.dedupe.prior_weight
    assert meta["u_corrected"] is False
    assert train.dedupe_prior(model, settings) == settings.dedupe.prior_weight


def test_prior_bounds_and_models_without_an_estimate():
    s = load_settings()
    assert train.dedupe_prior(None, s) == s.dedupe.prior_weight  # committed models
    assert train.dedupe_prior({"srdh": {}}, s) == s.dedupe.prior_weight
    assert train.dedupe_prior({"srdh": {"prior_weight_estimated": -30.0}}, s) == -14.0
    assert train.dedupe_prior({"srdh": {"prior_weight_estimated": -9.5}}, s) == -9.5
    assert train.dedupe_prior({"srdh": {"prior_weight_estimated": 3.0}}, s) == \
        s.dedupe.max_prior_weight
