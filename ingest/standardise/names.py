"""Names: cleaning, honorifics, relation prefixes and a transliteration-aware phonetic key.

No maintained PyPI library gives phonetic keys for Indian names written in Latin letters
(the candidates are Bengali/Hindi-script tools or unmaintained soundex ports), and adding
a dependency is a lead decision; so the key is a small documented Indic-aware normaliser
followed by jellyfish's metaphone:

1. upper-case letters only;
2. transliteration variants folded: KSH/X -> KS, AA -> A, EE/II -> I, OO/UU -> U,
   W -> V, PH -> F, SH/SSH -> S, aspirates BH/DH/GH/JH/KH/TH/CHH -> B/D/G/J/K/T/CH,
   Q -> K, Z -> J, a trailing Y -> I, Y after a consonant at the start (SYAM) -> dropped
   after S, doubled letters -> single;
3. metaphone of the result (vowels after the first dropped, consonant classes merged).

So LAKSHMI/LAXMI, VERMA/VARMA, SHYAM/SYAM, DEVI/DEVEE get the same key.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import jellyfish

REFERENCE = Path(__file__).resolve().parent.parent / "reference"

_FOLDS = [
    (re.compile(r"KSH|X"), "KS"),
    (re.compile(r"CHH"), "CH"),
    (re.compile(r"SHY"), "SY"),
    (re.compile(r"SH"), "S"),
    (re.compile(r"PH"), "F"),
    (re.compile(r"([BDGJKT])H"), r"\1"),
    (re.compile(r"W"), "V"),
    (re.compile(r"Q"), "K"),
    (re.compile(r"Z"), "J"),
    (re.compile(r"EE|II|IE"), "I"),
    (re.compile(r"OO|UU"), "U"),
    (re.compile(r"AA"), "A"),
    (re.compile(r"Y$"), "I"),
    (re.compile(r"(.)\1+"), r"\1"),
]


def indic_fold(token: str) -> str:
    """Fold Latin spelling variants of Indic sounds (step 2 above)."""
    t = re.sub(r"[^A-Z]", "", token.upper())
    for pat, rep in _FOLDS:
        t = pat.sub(rep, t)
    return t


@lru_cache(maxsize=200_000)
def phonetic_key(token: str) -> str | None:
    """Transliteration-aware phonetic key of one name token."""
    folded = indic_fold(token)
    if not folded:
        return None
    key = jellyfish.metaphone(folded).upper()
    # metaphone drops a leading vowel's successors; keep the first letter for very short keys
    return key or folded


def phonetic_keys(tokens: list[str]) -> list[str | None]:
    return [phonetic_key(t) for t in tokens]


def place_key(text: str | None) -> str | None:
    """Phonetic key of a place name (normalised, upper case, single-spaced): the keys of its
    alphabetic tokens, so "Bhilai 3" and "Bhilai-3 (CG)" agree on "BL". Kept for
    every place, resolved or not, so an unresolved village is still evidence."""
    if not text:
        return None
    toks = [t for t in text.split(" ") if t.isalpha() and len(t) > 1 and t not in _PLACE_TAGS]
    keys = [phonetic_key(t) or t for t in toks]
    return " ".join(keys) or None


# tokens that tell nothing about which place: state tags, ward / village words
_PLACE_TAGS = frozenset({"CG", "CHHATTISGARH", "WARD", "NO", "GRAM", "VILLAGE", "VILL",
                         "GP", "PANCHAYAT"})


def name_keys(names: list[str]) -> tuple[list[str], list[str], list[str | None]]:
    """(name key, first-token key, last-token key or None for one token) of cleaned names
    (single-spaced tokens); a token without a key keeps its spelling."""
    full, first, last = [], [], []
    for n in names:
        ks = [phonetic_key(t) or t for t in n.split(" ")]
        full.append(" ".join(ks))
        first.append(ks[0])
        last.append(ks[-1] if len(ks) > 1 else None)
    return full, first, last


def honorifics() -> dict[str, str]:
    with open(REFERENCE / "honorifics.csv", encoding="utf-8") as fh:
        return {r["alias"].strip().upper(): r["canonical"].strip().upper()
                for r in csv.DictReader(fh)}


def macros() -> list[str]:
    """SQL macros: srdh_clean_name, srdh_honorific, srdh_strip_honorific."""
    hon = honorifics()
    alt = "|".join(sorted(hon, key=len, reverse=True))
    case = " ".join(f"WHEN '{a}' THEN '{c}'" for a, c in hon.items())
    return [
        # upper-case Latin letters, apostrophes dropped, anything else a space, single spaces
        "CREATE OR REPLACE TEMP MACRO srdh_clean_name(s) AS nullif(trim(regexp_replace("
        "regexp_replace(regexp_replace(upper(s), '[''`’]', '', 'g'), '[^A-Z]+', ' ', 'g'),"
        " '\\s+', ' ', 'g')), '')",
        f"CREATE OR REPLACE TEMP MACRO srdh_honorific(s) AS "
        f"CASE regexp_extract(s, '^({alt}) ', 1) {case} ELSE NULL END",
        f"CREATE OR REPLACE TEMP MACRO srdh_strip_honorific(s) AS "
        f"nullif(regexp_replace(s, '^(({alt}) )+', ''), '')",
    ]


# A relation prefix inside a name or care-of line: S/O, W/O, D/O, C/O (also S/O:, s/o, S.O.)
RELATION_IN_NAME = r"^(.*?)\s+([SWDC])\s*[/.]\s*O\b[.:\-]?\s*(.*)$"
RELATION_AT_START = r"^\s*([SWDC])\s*[/.]?\s*O\b[.:\-]?\s*(.*)$"
