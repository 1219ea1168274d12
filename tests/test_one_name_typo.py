"""A one-letter typo in a short name token (issue 17: typos of one letter).

"HAWI YADAV" for KYR's "HARI YADAV": Jaro-Winkler marks a slip in a short token hard
(0.87), under the "close" cut, so the pair fell to "surname only" (a sibling's level). The
seeding models have a level for one token the same and the other one edit apart (4 letters
or more), and one for the other's phonetic key one edit apart (a typo on a folded spelling,
"AHOOL" / "RAHUL"); other names one edit apart (SITA / GITA) are priced by
the home's own m and u, and the Bayes factors are at most the "close" level's."""

from __future__ import annotations

from test_name_stand_ins import _levels as seed_levels

from matching.comparisons import (
    CLOSE_LABEL,
    ONE_TYPO_KEY_LABEL,
    ONE_TYPO_LABEL,
    build_comparisons,
    name_comparison,
)

SURNAME_ONLY = "Exact match on last_name_key"
PAIRS = [  # (department's name, KYR's name, level expected in the seeding model)
    ("HAWI YADAV", "HARI YADAV", ONE_TYPO_LABEL),       # a letter replaced
    ("AYOTI YADAV", "JYOTI YADAV", ONE_TYPO_LABEL),     # ... the first one
    ("RICU SAHU", "RITU SAHU", ONE_TYPO_LABEL),
    ("KAVITA WURRE", "KAVITA KURRE", ONE_TYPO_LABEL),   # the surname misspelt
    ("GHANSHYAM OORI", "GHANSHYAM SORI", ONE_TYPO_LABEL),
    ("CHANRDIKA BANJARE", "CHANDRIKA BANJARE", CLOSE_LABEL),  # a long token: close
    # a typo on a folded spelling: the keys one edit apart (AHL / RHL, EBNKN / TBNKN)
    ("AHOOL LAHRE", "RAHUL LAHRE", ONE_TYPO_KEY_LABEL),
    ("DEENESH EVANGAN", "DINESH DEWANGAN", ONE_TYPO_KEY_LABEL),
    ("RAM YADAV", "RAJ YADAV", SURNAME_ONLY),            # three letters: another name
    ("SITA SAHU", "GEETA SAHU", SURNAME_ONLY),           # two edits
    ("HARI YADAV", "HAWI SAHU", "All other comparisons"),  # a typo and another surname
]


def test_a_one_letter_typo_in_a_short_token_has_its_own_level():
    got = seed_levels(build_comparisons(["name"], kind="seed")[0], PAIRS)
    for (dept, kyr, want), level in zip(PAIRS, got, strict=True):
        assert level.startswith(want), (dept, kyr, level)


def test_the_dedupe_model_keeps_its_name_levels():
    dedupe = name_comparison(term_frequencies=True, reordered_tokens=True)
    got = seed_levels(dedupe, PAIRS)
    assert ONE_TYPO_LABEL not in got and ONE_TYPO_KEY_LABEL not in got
