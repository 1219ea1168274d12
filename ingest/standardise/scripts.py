"""Names written in Devanagari, romanised so they standardise to the keys of their Latin form.

KYR carries ``name_local`` in Devanagari and a department may send its list in Hindi:
'रामेश्वर साहू' must meet 'Rameshwar Sahu'. The letters are transliterated by
``indic-transliteration`` (OPTITRANS, the ASCII scheme closest to how Hindi names are
spelled in Latin letters), after Hindi schwa deletion (below), and the scheme's few
marks are turned into everyday spellings by ``reference/devanagari_roman.csv``
(anusvara -> n / m, vocalic r -> ri, nukta letters, ...). The result then goes through
the same cleaning, honorifics, folds and phonetic keys as any Latin name.

Schwa deletion: Devanagari writes no mark for the inherent 'a' after a consonant, but
Hindi drops it at the end of a word (राम is Ram, not Rama) and between a vowel-consonant
and a consonant-vowel (कमला is Kamla). The rule, right to left: a word-final inherent
'a' after a single consonant goes; a medial one goes in the context V C _ C V.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache

from indic_transliteration import sanscript

from ingest.standardise.names import REFERENCE

DEVANAGARI_RE = "[\u0900-\u097F]"  # SQL and Python: a value holding Devanagari letters

_VIRAMA = "\u094D"
_NUKTA = "\u093C"


def _is_consonant(ch: str) -> bool:
    o = ord(ch)
    return 0x0915 <= o <= 0x0939 or 0x0958 <= o <= 0x095F or 0x0978 <= o <= 0x097F


def _is_matra(ch: str) -> bool:
    o = ord(ch)
    return 0x093A <= o <= 0x094C and o not in (0x093C, 0x093D) or o in (0x094E, 0x094F,
                                                                          0x0962, 0x0963)


def _is_vowel(ch: str) -> bool:
    o = ord(ch)
    return 0x0904 <= o <= 0x0914 or o in (0x0960, 0x0961) or 0x0972 <= o <= 0x0977


def _phonemes(word: str) -> list[tuple[str, int]]:
    """(kind, index) per sound: 'C' consonant, 'V' written vowel, 'a' inherent vowel (index =
    where a virama would go to silence it), 'N' a coda mark (anusvara, visarga)."""
    out: list[tuple[str, int]] = []
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if _is_consonant(ch):
            j = i + 1
            if j < n and word[j] == _NUKTA:
                j += 1
            out.append(("C", i))
            if j < n and word[j] == _VIRAMA:
                j += 1
            elif not (j < n and _is_matra(word[j])):
                out.append(("a", j))
            i = j
        elif _is_matra(ch) or _is_vowel(ch):
            out.append(("V", i))
            i += 1
        elif ch in "\u0901\u0902\u0903":
            out.append(("N", i))
            i += 1
        else:
            i += 1
    return out


def delete_schwas(word: str) -> str:
    """The word with a virama after each consonant whose inherent 'a' Hindi does not say."""
    ph = _phonemes(word)
    kinds = [k for k, _ in ph]
    dead: set[int] = set()

    def vowel(j: int) -> bool:
        return 0 <= j < len(kinds) and kinds[j] in ("V", "a") and j not in dead

    last = len(kinds) - 1
    # final: after one consonant that follows a vowel (a final cluster keeps it: इन्द्र)
    if (last >= 3 and kinds[last] == "a" and kinds[last - 1] == "C"
            and (vowel(last - 2) or kinds[last - 2] == "N")):  # also गोविंद: Govind
        dead.add(last)
    for j in range(last - 1, 1, -1):
        if (kinds[j] == "a" and kinds[j - 1] == "C" and vowel(j - 2)
                and j + 2 <= last and kinds[j + 1] == "C" and vowel(j + 2)):
            dead.add(j)
    cut = sorted((ph[j][1] for j in dead), reverse=True)
    for pos in cut:
        word = word[:pos] + _VIRAMA + word[pos:]
    return word


@lru_cache(maxsize=1)
def _fixups() -> list[tuple[re.Pattern, str]]:
    with open(REFERENCE / "devanagari_roman.csv", encoding="utf-8") as fh:
        return [(re.compile(r["pattern"]), r["replacement"]) for r in csv.DictReader(fh)]


@lru_cache(maxsize=100_000)
def romanise(text: str) -> str:
    """Latin spelling of a Devanagari name ('रामेश्वर साहू' -> 'rAmeshvar sAhU'); other
    characters are kept as they are."""
    return " ".join(_romanise_word(w) if re.search(DEVANAGARI_RE, w) else w
                    for w in text.split())


def _romanise_word(word: str) -> str:
    out = sanscript.transliterate(delete_schwas(word), sanscript.DEVANAGARI,
                                  sanscript.OPTITRANS)
    for pat, rep in _fixups():
        out = pat.sub(rep, out)
    return out
