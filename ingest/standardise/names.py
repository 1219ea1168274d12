"""Names: cleaning, honorifics, relation prefixes and a transliteration-aware phonetic key.

No maintained PyPI library gives phonetic keys for Indian names written in Latin letters
(the candidates are Bengali/Hindi-script tools or unmaintained soundex ports), so the key
is a small Indic-aware normaliser followed by jellyfish's metaphone. The variants are data,
in ``ingest/reference/`` (one row per variant, with an example), not code:

1. upper-case letters only (a Devanagari name is romanised first: :mod:`scripts`);
2. ``honorifics.csv``: leading titles and the prefixes meaning "late" before a dead
   relative's name (Shri, Smt, Ku, Late, Lt., Swa., Swargiya, ...) are taken off;
3. ``name_folds.csv``: transliteration variants folded, in order (KSH/X/KS -> CH, so
   LAXMAN and LACHHMAN agree, SH -> S, W -> V -> B, a dropped or added H after a
   consonant, EE -> I, OO -> U, a leading Y -> J, doubled letters -> single, ...);
4. metaphone of the folded token (vowels after the first dropped, consonant classes
   merged);
5. ``name_fillers.csv``: a middle 'Kumar' / 'Kumari' is left out of the full-name key
   (RAM KUMAR SAHU and RAM SAHU get one key; the cleaned name keeps it);
6. ``relation_words.csv``: a care-of or relative's name that starts with a written-out
   relation (SON OF, PUTRA, PATNI, पुत्र, ...) is read as its S/O, W/O, D/O or C/O prefix.

So LAKSHMI/LAXMI/LACHHMI, VERMA/VARMA, SHYAM/SYAM, DEVI/DEVEE, VINOD/BINOD get the same key.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

import jellyfish

REFERENCE = Path(__file__).resolve().parent.parent / "reference"


def _table(name: str) -> list[dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@lru_cache(maxsize=1)
def _folds() -> list[tuple[re.Pattern, str]]:
    return [(re.compile(r["pattern"]), r["replacement"]) for r in _table("name_folds.csv")]


@lru_cache(maxsize=1)
def fillers() -> frozenset[str]:
    """Middle tokens left out of the full-name key (``name_fillers.csv``)."""
    return frozenset(r["token"].strip().upper() for r in _table("name_fillers.csv"))


@lru_cache(maxsize=1)
def stand_ins() -> frozenset[str]:
    """Words written where a surname goes, or beside an initial (``name_stand_ins.csv``:
    SAROJINI DEVI, BAI L, JITENDRA KUMAR). Matching compares a name without them
    (``matching.inputs``: ``name_core_key``, ``name_initials``); the keys keep them."""
    return frozenset(r["token"].strip().upper() for r in _table("name_stand_ins.csv"))


def stand_ins_sql() -> str:
    """``stand_ins()`` as spelled, an SQL list (matching's inputs, comparisons and u
    counts test a word against it: DUBEY's phonetic key is DEVI's, so not by key)."""
    return ", ".join("'" + w.replace("'", "''") + "'" for w in sorted(stand_ins()))


def initial_fold(letter: str) -> str:
    """The letter an initial stands for once folded (``name_folds.csv``): V and W -> B,
    Y and Z -> J, Q -> K; so "B" is the initial of VINOD as of BINOD."""
    folded = indic_fold(letter)
    return folded[:1] or letter


def indic_fold(token: str) -> str:
    """Fold Latin spelling variants of Indic sounds (step 3 above)."""
    t = re.sub(r"[^A-Z]", "", token.upper())
    for pat, rep in _folds():
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
    """Phonetic key of a place name (normalised, upper case, single-spaced): the key of its
    alphabetic tokens written together, so "Bhilai 3" and "Bhilai-3 (CG)" agree on "BL",
    and a name written as one word or two ("Navagaon" / "Nava Gaon", "Badebacheli" /
    "Bade Bacheli"; FEBRL's "northryde" / "north ryde") has one key. Kept for every place,
    resolved or not, so an unresolved village is still evidence."""
    if not text:
        return None
    toks = [t for t in text.split(" ") if t.isalpha() and len(t) > 1 and t not in _PLACE_TAGS]
    joined = "".join(toks)
    return (phonetic_key(joined) or joined) if joined else None


def place_words() -> frozenset[str]:
    """Tokens that tell nothing about which place (``reference/place_words.csv``): state
    tags, ward and village words."""
    return frozenset(r["word"].strip().upper() for r in _table("place_words.csv"))


_PLACE_TAGS = place_words()


def name_keys(names: list[str]) -> tuple[list[str], list[str], list[str | None]]:
    """(name key, first-token key, last-token key or None for one token) of cleaned names
    (single-spaced tokens); a token without a key keeps its spelling. The full key leaves
    out middle fillers ('Kumar'), so a name with or without one agrees."""
    full, first, last = [], [], []
    skip = fillers()
    for n in names:
        toks = n.split(" ")
        ks = [phonetic_key(t) or t for t in toks]
        mid = [k for i, (t, k) in enumerate(zip(toks, ks, strict=True))
               if i in (0, len(toks) - 1) or t not in skip]
        full.append(" ".join(mid))
        first.append(ks[0])
        last.append(ks[-1] if len(ks) > 1 else None)
    return full, first, last


def honorifics() -> dict[str, str]:
    return {r["alias"].strip().upper(): r["canonical"].strip().upper()
            for r in _table("honorifics.csv")}


def clean_name_sql(expr: str) -> str:
    """SQL: upper-case Latin letters, apostrophes dropped, anything else a space, single
    spaces; NULL when nothing is left (the macro ``srdh_clean_name``)."""
    return (f"nullif(trim(regexp_replace(regexp_replace(regexp_replace(upper({expr}), "
            f"'[''`’]', '', 'g'), '[^A-Z]+', ' ', 'g'), '\\s+', ' ', 'g')), '')")


def strip_honorific_sql(expr: str, alone: bool = False) -> str:
    """SQL: a cleaned name without its leading titles (``honorifics.csv``; the macro
    ``srdh_strip_honorific``). ``alone``: a title with nothing after it goes too (NULL)."""
    alt = "|".join(sorted(honorifics(), key=len, reverse=True))
    end = "( |$)" if alone else " "
    return f"nullif(trim(regexp_replace({expr}, '^(({alt}){end})+', '')), '')"


def macros() -> list[str]:
    """SQL macros: srdh_clean_name, srdh_honorific, srdh_strip_honorific."""
    hon = honorifics()
    alt = "|".join(sorted(hon, key=len, reverse=True))
    case = " ".join(f"WHEN '{a}' THEN '{c}'" for a, c in hon.items())
    return [
        f"CREATE OR REPLACE TEMP MACRO srdh_clean_name(s) AS {clean_name_sql('s')}",
        f"CREATE OR REPLACE TEMP MACRO srdh_honorific(s) AS "
        f"CASE regexp_extract(s, '^({alt}) ', 1) {case} ELSE NULL END",
        f"CREATE OR REPLACE TEMP MACRO srdh_strip_honorific(s) AS {strip_honorific_sql('s')}",
    ]


@lru_cache(maxsize=1)
def relation_words() -> dict[str, str]:
    """Written-out relation words at the start of a care-of or relative's name (English,
    romanised Hindi, Devanagari) -> the S/W/D/C of an ``X/O`` prefix (``relation_words.csv``)."""
    return {r["word"].strip().upper(): r["relation"].strip() for r in _table("relation_words.csv")}


def relation_prefix_sql(expr: str) -> str:
    """SQL rewriting a leading relation word in upper-cased ``expr`` to its ``X/O`` form,
    so PUTRA RAMESH, SON OF RAMESH and पुत्र रमेश parse as S/O RAMESH. The word must stand
    alone (a space, ':', '.', '-' or the end after it): PATIRAM stays a name."""
    out = expr
    for rel in sorted(set(relation_words().values())):
        alt = "|".join(re.escape(w).replace("'", "''").replace(r"\ ", r"\s+")
                       for w, r in sorted(relation_words().items()) if r == rel)
        out = (f"regexp_replace({out}, '^\\s*({alt})(\\s*[:.\\-]\\s*|\\s+|$)', "
               f"'{rel}/O ')")
    return out


# A relation prefix inside a name or care-of line: S/O, W/O, D/O, C/O (also S/O:, s/o, S.O.)
RELATION_IN_NAME = r"^(.*?)\s+([SWDC])\s*[/.]\s*O\b[.:\-]?\s*(.*)$"
RELATION_AT_START = r"^\s*([SWDC])\s*[/.]?\s*O\b[.:\-]?\s*(.*)$"
