"""A dropped surname with a misspelt given name (issue 17: a dropped surname and a
one-letter typo on one record).

A department writes "RAHLU" or "SANTOH" for KYR's "RAHUL YADAV" / "SANTOSH PATEL": the
one-word name's key is not the other's first key, so the "one name is the other without
its surname" level missed it and the pair fell to "else" (-6.6 bits, as if the names
disagreed). The seeding models' name comparison has a level for it; its Bayes factor is at
most the dropped surname's, and a one-word surname, a lone stand-in or another given name
do not fall in it."""

from __future__ import annotations

import pandas as pd
import pytest
from matching_helpers import name_linker
from test_name_stand_ins import _levels as stand_in_levels
from test_name_stand_ins import _std

from matching.comparisons import (
    NAME_KEY_LABEL,
    SURNAME_DROPPED_CLOSE_LABEL,
    SURNAME_DROPPED_LABEL,
    build_comparisons,
    name_comparison,
)

PAIRS = [  # (department's name, KYR's name, level expected in the seeding model)
    ("RAHLU", "RAHUL YADAV", SURNAME_DROPPED_CLOSE_LABEL),        # letters transposed
    ("SANTOH", "SANTOSH PATEL", SURNAME_DROPPED_CLOSE_LABEL),       # a letter left out
    ("KNAHAIYA", "KANHAIYA KASHYAP", SURNAME_DROPPED_CLOSE_LABEL),
    ("DEENDRA", "DEVENDRA SAHU", SURNAME_DROPPED_CLOSE_LABEL),     # a letter left out
    ("RAHUL YADAV", "RAHLU", SURNAME_DROPPED_CLOSE_LABEL),        # either side
    ("RAHUL", "RAHUL YADAV", SURNAME_DROPPED_LABEL),              # no typo: the exact level
    ("SAHU", "SAHIL SAHU", "a one-word name, the surname of the other"),
    ("RAM", "RAMESH YADAV", "All other comparisons"),             # another, longer name
    ("VINOD", "GOVIND SAHU", "All other comparisons"),            # keys alike, names not
    ("GEETA", "SUNITA SAHU", "All other comparisons"),            # another given name
]


def _pair_frames():
    dept = pd.DataFrame([_std(f"D{i}", d) for i, (d, _k, _lv) in enumerate(PAIRS)])
    kyr = pd.DataFrame([_std(f"D{i}", k) for i, (_d, k, _lv) in enumerate(PAIRS)])
    return dept, kyr


def _levels(comparison) -> list[str]:
    """Each PAIRS row's level (the first whose SQL holds, as Splink picks it)."""
    return stand_in_levels(comparison, PAIRS)


def test_a_dropped_surname_with_a_misspelt_given_name_has_its_own_level():
    got = _levels(build_comparisons(["name"], kind="seed")[0])
    for (dept, kyr, want), level in zip(PAIRS, got, strict=True):
        assert level.startswith(want), (dept, kyr, level)


def test_the_dedupe_model_keeps_its_name_levels():
    got = _levels(name_comparison(term_frequencies=True, reordered_tokens=True))
    assert SURNAME_DROPPED_CLOSE_LABEL not in got


def test_splink_scores_it_above_disagreement_and_at_most_the_dropped_surname():
    """Real Splink: with trained-looking m / u, "RAHLU" / "RAHUL YADAV" is evidence for
    the pair (not the "else" level's penalty), and ``train._bound_names`` keeps a level
    EM made too strong (u at its floor) at the exact dropped surname's Bayes factor."""
    from matching import train

    dept, kyr = _pair_frames()
    linker, levels = name_linker(dept.iloc[[0, 6, 9]], kyr.iloc[[0, 6, 9]])
    dropped, close = levels[SURNAME_DROPPED_LABEL], levels[SURNAME_DROPPED_CLOSE_LABEL]
    exact = levels[NAME_KEY_LABEL]                     # the dropped's own ceiling
    exact.m_probability, exact.u_probability = 0.15, 1.5e-4       # 1,000
    dropped.m_probability, dropped.u_probability = 0.02, 1e-4     # 200
    close.m_probability, close.u_probability = 0.01, 1e-7         # 100,000: too strong
    train._bound_names(linker, seeding=True)
    assert close.m_probability / close.u_probability == pytest.approx(200)
    scored = linker.inference.predict().as_pandas_dataframe()
    w = {(r.unique_id_l, r.unique_id_r): r.match_weight for r in scored.itertuples()}
    assert w[("D0", "D0")] > 5                       # RAHLU / RAHUL YADAV: for the pair
    assert w[("D9", "D9")] < 0                       # GEETA / SUNITA SAHU: against
    assert w[("D0", "D0")] <= 7.65                   # the bound: log2(200) = 7.64 bits
