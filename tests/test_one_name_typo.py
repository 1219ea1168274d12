"""A one-letter typo in a short name token (issue 17: typos of one letter).

"HAWI YADAV" for KYR's "HARI YADAV": Jaro-Winkler marks a slip in a short token hard
(0.87), under the "close" cut, so the pair fell to "surname only" (a sibling's level). The
seeding models have levels for one token the same and the other one edit apart (4 letters
or more), and for the other's phonetic key one edit apart (a typo on a folded spelling,
"AHOOL" / "RAHUL"), one per agreeing token. Other names one edit apart (SITA / GITA) are
priced by the home's own m and u, between two bounds: at most the "close" level's Bayes
factor, at least that of the level the pair fell in before. A stand-in (DEVI) is no
agreeing surname."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from matching_helpers import name_linker
from test_name_stand_ins import _levels as seed_levels
from test_name_stand_ins import _std

from matching.comparisons import (
    CLOSE_LABEL,
    FIRST_ONLY_LABEL,
    ONE_TYPO_GIVEN_KEY_LABEL,
    ONE_TYPO_GIVEN_LABEL,
    ONE_TYPO_LEVELS,
    ONE_TYPO_SURNAME_KEY_LABEL,
    ONE_TYPO_SURNAME_LABEL,
    SURNAME_ONLY_LABEL,
    build_comparisons,
    name_comparison,
)

PAIRS = [  # (department's name, KYR's name, level expected in the seeding model)
    ("HAWI YADAV", "HARI YADAV", ONE_TYPO_GIVEN_LABEL),       # a letter replaced
    ("AYOTI YADAV", "JYOTI YADAV", ONE_TYPO_GIVEN_LABEL),     # ... the first one
    ("RICU SAHU", "RITU SAHU", ONE_TYPO_GIVEN_LABEL),
    ("KAVITA WURRE", "KAVITA KURRE", ONE_TYPO_SURNAME_LABEL),  # the surname misspelt
    ("GHANSHYAM OORI", "GHANSHYAM SORI", ONE_TYPO_SURNAME_LABEL),
    # a typo on a folded spelling: the keys one edit apart (AHL / RHL, EBNKN / TBNKN)
    ("AHOOL LAHRE", "RAHUL LAHRE", ONE_TYPO_GIVEN_KEY_LABEL),
    ("DINESH EVANGAN", "DINESH DEWANGAN", ONE_TYPO_SURNAME_KEY_LABEL),
    ("CHANRDIKA BANJARE", "CHANDRIKA BANJARE", CLOSE_LABEL),  # a long token: close
    ("RAM YADAV", "RAJ YADAV", SURNAME_ONLY_LABEL),            # three letters: another name
    ("SITA SAHU", "GEETA SAHU", SURNAME_ONLY_LABEL),           # two edits
    ("SITA DEVI", "GITA DEVI", SURNAME_ONLY_LABEL),  # a stand-in: not a typo level
    ("MEENA BAI", "HEENA BAI", SURNAME_ONLY_LABEL),
    ("HARI YADAV", "HAWI SAHU", "All other comparisons"),      # a typo and another surname
]


def test_a_one_letter_typo_in_a_short_token_has_its_own_level():
    got = seed_levels(build_comparisons(["name"], kind="seed")[0], PAIRS)
    for (dept, kyr, want), level in zip(PAIRS, got, strict=True):
        assert level.startswith(want), (dept, kyr, level)


def test_the_dedupe_model_keeps_its_name_levels():
    got = seed_levels(name_comparison(term_frequencies=True, reordered_tokens=True), PAIRS)
    assert not set(got) & {label for _sql, label in ONE_TYPO_LEVELS}


@pytest.mark.parametrize("m, want_bits", [
    (1e-9, "floor"),     # EM met almost none: never worse than the level it replaced
    (0.5, "ceiling"),    # u at its floor: never stronger than "close"
])
def test_splink_keeps_a_typo_between_the_level_it_replaced_and_close(m, want_bits):
    """Real Splink: ``train._bound_names`` moves a typo level's m to its floor (the Bayes
    factor of "surname only" for a given-name typo, of "first name only" for a surname
    typo) or its ceiling ("close"), and HAWI / HARI YADAV scores accordingly."""
    from matching import train

    rows = [PAIRS[0], PAIRS[3]]  # a given-name typo, a surname typo
    linker, levels = name_linker(
        pd.DataFrame([_std(f"D{i}", d) for i, (d, _k, _l) in enumerate(rows)]),
        pd.DataFrame([_std(f"D{i}", k) for i, (_d, k, _l) in enumerate(rows)]),
        rule="l.unique_id = r.unique_id")
    for label, (lm, lu) in {CLOSE_LABEL: (0.06, 3e-4), SURNAME_ONLY_LABEL: (0.015, 0.025),
                            FIRST_ONLY_LABEL: (0.001, 0.035)}.items():
        levels[label].m_probability, levels[label].u_probability = lm, lu
    for _sql, label in ONE_TYPO_LEVELS:
        levels[label].m_probability, levels[label].u_probability = m, 1e-6
    train._bound_names(linker, seeding=True)
    bf = {lb: levels[lb].m_probability / levels[lb].u_probability
          for lb in (ONE_TYPO_GIVEN_LABEL, ONE_TYPO_SURNAME_LABEL)}
    if want_bits == "floor":
        assert bf[ONE_TYPO_GIVEN_LABEL] == pytest.approx(0.015 / 0.025)
        assert bf[ONE_TYPO_SURNAME_LABEL] == pytest.approx(0.001 / 0.035)
    else:
        assert bf[ONE_TYPO_GIVEN_LABEL] == pytest.approx(0.06 / 3e-4)
        assert bf[ONE_TYPO_SURNAME_LABEL] == pytest.approx(0.06 / 3e-4)
    scored = linker.inference.predict().as_pandas_dataframe()
    w = {r.unique_id_l: r.match_weight for r in scored.itertuples()}
    assert w["D0"] == pytest.approx(math.log2(bf[ONE_TYPO_GIVEN_LABEL]), abs=0.01)
