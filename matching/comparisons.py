"""Splink comparisons for SRDH person records.

Every level is built from Splink's comparison-level library (rendered per SQL
dialect by Splink) or is a plain ANSI expression marked ``base_dialect_str="duckdb"``
so Splink/sqlglot can translate it for the Spark backend. No DuckDB-only
functions appear here. Missing values always fall in a null level: no evidence,
not a mismatch. Jaro-Winkler is used for fuzzy strings (Damerau-Levenshtein costs
~30x more per comparison).
"""

from __future__ import annotations

import splink.comparison_level_library as cll
import splink.comparison_library as cl

from ingest.standardise.names import stand_ins_sql

BASE = "duckdb"  # dialect the custom expressions below are written in


def _custom(sql: str, label: str) -> cll.CustomLevel:
    return cll.CustomLevel(sql, label_for_charts=label, base_dialect_str=BASE)


# Fixed m for two name levels. EM over village + birth year learned, for MGNREGA (no
# mobile, father's name on most records), that "surname only" is a match level
# (m 0.30: siblings and cousins of one village share surname and father's name) and
# that a complete name mismatch is impossible (weight -23). Measured on generated
# states: ~1.5% of true pairs keep only the surname, ~1% share no name token.
NAME_SURNAME_ONLY_M = 0.015
NAME_ELSE_M = 0.01

# The same letters spaced differently ("RAMKUMAR SAHU" / "RAM KUMAR SAHU", "LAXMIBAI" /
# "LAXMI BAI", FEBRL's "RILEY HO" / "RILEY H O"): a joined or split token made every key
# differ, and the pair fell in "surname only" (a sibling's level) or "first name only".
# Fixed m: a generated state without such spellings would teach EM that the level never
# holds for a true pair (a penalty). 1-2% of FEBRL1/2's copies (development data).
NAME_SPACED = "replace(name_std_l, ' ', '') = replace(name_std_r, ' ', '')"
NAME_SPACED_M = 0.01
NAME_SPACED_LABEL = "the same letters, spaced differently"  # bounded: train._bound_names


# A dropped surname ("RAMESH" / "RAMESH SAHU", "RAMESH KUMAR" / "RAMESH KUMAR SAHU"): the
# shorter name's phonetic key is the longer one's first tokens. Keys are letters and
# digits only, so LIKE sees no wildcard in them.
SURNAME_DROPPED = ("(name_key_l LIKE (name_key_r || ' %') OR "
                   "name_key_r LIKE (name_key_l || ' %'))")


# A dropped surname with a misspelt given name ("RAHLU" / "RAHUL YADAV", "SANTOH" / "SANTOSH
# PATEL", "KNAHAIYA" / "KANHAIYA KASHYAP"; issue 17: a dropped surname and a one-letter
# typo, two of a list's phenomena on one record): where the typo changes the one-word
# name's key, it is not the other's first key, so "one name is the other without its
# surname" missed it and the pair fell to "else" (-6.6 bits, as if the names disagreed).
# On dev_noisy_tuning 100k seed 7, 64 missed records were such a name (rd_mgnrega 29,
# food_pds 24; 14 of them never paired, 31 unmatched or in review with the true UID best).
# The one word must be close to the other's first name as spelled (JW >= 0.88) and a
# one-letter slip long (lengths at most 1 apart: RAM / RAMESH, MOHAN / MOHANLAL are other
# names; on the short phonetic keys one contained in another scored 0.88, GOVIND / VINOD,
# so keys are not compared: independent review), not its surname (that is
# ``SURNAME_ALONE``), not a stand-in alone ("DEVI": its core key is empty), and the other
# is no given name beside a stand-in ("SUNITA DEVI", "RAHUL KUMAR": the stand-in levels).
# Seeding models only; m by EM, u by sampling, its Bayes factor at most the dropped
# surname's (``train._bound_names``: a typo never makes the name stronger).
SURNAME_DROPPED_CLOSE = " OR ".join(
    f"(last_name_key_{a} IS NULL AND last_name_key_{b} IS NOT NULL "
    f"AND length(first_name_{a}) > 1 AND coalesce(name_core_key_{a}, '') <> '' "
    f"AND first_name_key_{a} <> last_name_key_{b} AND name_given_only_{b} IS NULL "
    f"AND abs(length(first_name_{a}) - length(first_name_{b})) <= 1 "
    f"AND jaro_winkler_similarity(first_name_{a}, first_name_{b}) >= 0.88)"
    for a, b in (("l", "r"), ("r", "l")))
SURNAME_DROPPED_LABEL = "one name is the other without its surname"
SURNAME_DROPPED_CLOSE_LABEL = ("the given name close (JW >= 0.88), the surname left out "
                               "on one side")


# One name token the same, the other one typo apart ("HAWI YADAV" / "HARI YADAV", "AYOTI" /
# "JYOTI", "KAVITA WURRE" / "KAVITA KURRE"; issue 17: typos of one letter). Jaro-Winkler
# marks a slip in a short token hard (HAWI / HARI 0.87, RICU / RITU, PIVEK / VIVEK), under
# the "close" cut, and the pair fell to "surname only" (a sibling's level) or "first name
# only". One edit (Levenshtein, the same in DuckDB and Spark) in a token of 4 letters or
# more, the other token's key the same; then the same with the typo on a folded spelling
# ("AHOOL" / "RAHUL", "EVANGAN" / "DEWANGAN": two edits as spelled, the phonetic keys one
# apart, keys of 3 letters or more). Other names are one edit apart too (SITA / GITA): m
# by EM and u by sampling price that on the home's own names, between two bounds
# (``train._bound_names``): at most the "close" level's Bayes factor, at least that of the
# level the pair fell in before ("surname only" where the surname agrees, "first name
# only" where the given name does), so EM meeting few such pairs cannot make a typo worse
# evidence than another name. One level per agreeing token, for the two floors. A
# stand-in (Devi, Bai, Kumar: ``name_stand_ins.csv``, by key) is no agreeing surname:
# "SITA DEVI" / "GITA DEVI" share only a word that is no surname (independent review).
# Seeding models only.
def _stand_in_keys() -> str:
    from ingest.standardise.names import phonetic_key, stand_ins

    keys = sorted({phonetic_key(w) or w for w in stand_ins()})
    return ", ".join("'" + k.replace("'", "''") + "'" for k in keys)


def _one_typo(agree: str, typo: str, on_keys: bool) -> str:
    """``agree``'s key the same on both sides (and no stand-in), ``typo`` one edit apart
    as spelled (4+ letters) or, ``on_keys``, by phonetic key (keys of 3+ letters)."""
    col, least = (f"{typo}_key", 3) if on_keys else (typo, 4)
    return (f"{agree}_key_l = {agree}_key_r AND {agree}_key_l NOT IN ({_stand_in_keys()}) "
            f"AND {typo}_key_l NOT IN ({_stand_in_keys()}) "
            f"AND {typo}_key_r NOT IN ({_stand_in_keys()}) "
            f"AND least(length({col}_l), length({col}_r)) >= {least} "
            f"AND levenshtein({col}_l, {col}_r) = 1")


ONE_TYPO_GIVEN = _one_typo("last_name", "first_name", on_keys=False)
ONE_TYPO_SURNAME = _one_typo("first_name", "last_name", on_keys=False)
ONE_TYPO_GIVEN_KEY = _one_typo("last_name", "first_name", on_keys=True)
ONE_TYPO_SURNAME_KEY = _one_typo("first_name", "last_name", on_keys=True)
ONE_TYPO_GIVEN_LABEL = "same surname, the given name one typo apart"
ONE_TYPO_SURNAME_LABEL = "same given name, the surname one typo apart"
ONE_TYPO_GIVEN_KEY_LABEL = "same surname, the phonetic key of the given name one edit apart"
ONE_TYPO_SURNAME_KEY_LABEL = "same given name, the phonetic key of the surname one edit apart"
ONE_TYPO_LEVELS = ((ONE_TYPO_GIVEN, ONE_TYPO_GIVEN_LABEL),
                   (ONE_TYPO_SURNAME, ONE_TYPO_SURNAME_LABEL),
                   (ONE_TYPO_GIVEN_KEY, ONE_TYPO_GIVEN_KEY_LABEL),
                   (ONE_TYPO_SURNAME_KEY, ONE_TYPO_SURNAME_KEY_LABEL))
CLOSE_LABEL = "first and last names close (JW >= 0.88)"


# A one-word name that is the other's surname ("LESLIE" / "STIRLING LESLIE", "SAHU" /
# "RAMESH SAHU": the given name left out): it fell in "else" (-6.6 bits), as if the names
# disagreed, while a one-word given name ("ALICIA" / "ALICIA REID") had its own level. It
# says what "surname only" says, so it has that level's fixed m and at most its Bayes
# factor (``train._bound_names``: one-word names are rare, so its sampled u is small).
# A one-word stand-in ("DEVI" / "SITA DEVI", "KUMAR" / "RAJ KUMAR") is no surname: it
# says only what the gender says, so it stays in "else" (its core key is empty).
SURNAME_ALONE = " OR ".join(
    f"(last_name_key_{a} IS NULL AND first_name_key_{a} = last_name_key_{b} "
    f"AND coalesce(name_core_key_{a}, '') <> '')" for a, b in (("l", "r"), ("r", "l")))
SURNAME_ALONE_LABEL = "a one-word name, the surname of the other"
SURNAME_ONLY_LABEL = "Exact match on last_name_key"  # Splink's label of "surname only"
FIRST_ONLY_LABEL = "Exact match on first_name_key"  # ... and of "first name only"
NAME_KEY_LABEL = "Exact match on name_key"  # ... and of the whole name key the same


# The same name tokens in another order ("SNELL SOPHIE" / "SOPHIE SNELL"), both ways.
# Splink's ColumnsReversedLevel without ``symmetrical`` checks one direction only
# (first_name_key_l = last_name_key_r): one shared token, whichever record Splink puts on
# the left. In a de-duplication (dedupe_only: left and right are arbitrary) that level
# scored "SOPHIE SNELL" / "SNELL SOPHIE" no higher than any pair sharing one token
# (FEBRL1/2 development data: u 1e-3, 6 bits). The seeding models have their own swap
# levels (``swapped_both_ways``: both tokens crossed, or one crossed and the other close).
# The one-direction level also caught, by the same chance, a swap with one token
# misspelt ("MCCARRHY TIMOTHY" / "TIMOTHY MCCARTHY"): the dedupe model keeps that as a
# level of its own, in either direction (m and u learnt, as before).
SAME_TOKENS_REORDERED = "name_sorted_key_l = name_sorted_key_r"
TOKEN_SWAPPED = ("first_name_key_l = last_name_key_r OR "
                 "last_name_key_l = first_name_key_r")


def _reversed_levels(any_order: bool) -> list:
    if any_order:
        return [_custom(SAME_TOKENS_REORDERED, "same name tokens in another order"),
                _custom(TOKEN_SWAPPED, "a first name is the other's surname (either way)")]
    return [cll.ColumnsReversedLevel("first_name_key", "last_name_key")]


# Typos are judged on the phonetic keys too: a fold (SAHOO / SAHU, VEENOD / VINOD) plus a
# typo left the spelled tokens under the cut while their keys stay close.
def _tokens_close(a: str, b: str) -> str:
    return (f"(jaro_winkler_similarity({a}_l, {b}_r) >= 0.88 OR "
            f"jaro_winkler_similarity({a}_key_l, {b}_key_r) >= 0.88)")


# Stand-ins and initials (issue 17, seedrecall2; the seeding models). A department writes
# "SAROJINI DEVI", "BAI L", "TIRKEY K" or just "K" for KYR's "SAROJINI KUMETI", "LEELA
# DEWANGAN", "KAMLA TIRKEY", "KISHORE NISHAD": every level above saw another name, and
# the "else" level's fixed m (-6.6 bits) sent such records to review or left them
# unmatched, as if the name disagreed. What the name still says, strongest first (columns:
# matching.inputs, NAME_SHAPE_COLUMNS; m and u learnt by EM and random sampling):
# the name without its stand-ins, or that without the surname; the one given name written
# beside a stand-in, close to the other's first name; an abbreviated name's initials, the
# same; its initials among the other's. Another first name with a stand-in ("SUNITA DEVI"
# / "GEETA SAHU") or other initials still falls to "else".
STAND_IN_CORE = ("(name_core_key_l = name_core_key_r OR "
                 "name_core_key_l LIKE (name_core_key_r || ' %') OR "
                 "name_core_key_r LIKE (name_core_key_l || ' %'))")
_GIVEN_CLOSE = " OR ".join(
    f"(name_given_only_{a} IS NOT NULL AND ("
    f"jaro_winkler_similarity(name_given_only_{a}, first_name_{b}) >= 0.88 OR "
    f"jaro_winkler_similarity(name_core_key_{a}, first_name_key_{b}) >= 0.88 OR "
    f"jaro_winkler_similarity(name_given_only_{a}, name_given_only_{b}) >= 0.88))"
    for a, b in (("l", "r"), ("r", "l")))
SAME_INITIALS = ("name_initials_l = name_initials_r AND "
                 "(name_abbrev_like_l IS NOT NULL OR name_abbrev_like_r IS NOT NULL)")
INITIALS_WITHIN = ("name_initials_r LIKE name_abbrev_like_l OR "
                   "name_initials_l LIKE name_abbrev_like_r")


STAND_IN_LABELS = (
    "same name once Devi / Bai / Kumar are left out (or that without its surname)",
    "a given name beside Devi / Bai / Kumar, close to the first name on the other side "
    "(JW >= 0.88)",
    "abbreviated name, the same initials",
    "abbreviated name, its initials among those of the other")


def _stand_in_levels() -> list:
    """Their weight is at most the exact name key's (``train._bound_names``)."""
    return [_custom(sql, label) for sql, label in zip(
        (STAND_IN_CORE, _GIVEN_CLOSE, SAME_INITIALS, INITIALS_WITHIN), STAND_IN_LABELS,
        strict=True)]


def name_comparison(term_frequencies: bool = False, reordered_tokens: bool = False,
                    swapped_both_ways: bool = False,
                    stand_ins: bool = False) -> cl.CustomComparison:
    """Full name. A shared surname with a different first name (siblings, cousins:
    Zipf surnames cluster in a village) is its own level with a fixed low m, instead
    of falling in a fuzzy full-name level with a positive weight.

    ``term_frequencies`` (the dedupe model): the two exact levels are adjusted by the
    name's frequency, so two "GEETA SAHU" records (0.5% of all records) are weak
    evidence and two "TAMESHWARI BHAGAT" records strong. Without it, namesakes of one
    village and a duplicate enrolled elsewhere scored alike.

    ``reordered_tokens`` (the dedupe model): the reversed-name level is "the same tokens
    in another order" (``SAME_TOKENS_REORDERED``), not one direction of a swap.
    ``swapped_both_ways`` (the seeding models): a swap needs both tokens crossed, and
    closeness is judged on the phonetic keys too. ``stand_ins`` (the seeding models): the
    levels for Devi / Bai / Kumar in the surname's place and abbreviated names
    (``_stand_in_levels``), after the initial's and before "surname only"."""
    if swapped_both_ways:  # the seeding models (issue 17, seedrecall)
        first_close = (f"{_tokens_close('first_name', 'first_name')} AND "
                       f"{_tokens_close('last_name', 'last_name')}")
        # a name written surname first on one side: both tokens, crossed. Splink's
        # ColumnsReversedLevel compares one direction only by default (first_l = last_r):
        # any pair where one's first name is the other's surname (RAJ / SUNIL RAJ) fell in
        # it, so a true swap was worth 4-5 bits instead of an exact name's 10
        swapped = [cll.ColumnsReversedLevel("first_name_key", "last_name_key",
                                            symmetrical=True),
                   # one crossed token the same, the other close: close on both let
                   # CHANDRA SAROJINI / SAROJ CHANDRAKAR through (JW favours prefixes)
                   _custom(f"(first_name_key_l = last_name_key_r AND "
                           f"{_tokens_close('last_name', 'first_name')}) OR "
                           f"(last_name_key_l = first_name_key_r AND "
                           f"{_tokens_close('first_name', 'last_name')})",
                           "first and last names swapped, one of them close (JW >= 0.88)")]
    else:
        first_close = ("jaro_winkler_similarity(first_name_l, first_name_r) >= 0.88 AND "
                       "jaro_winkler_similarity(last_name_l, last_name_r) >= 0.88")
        swapped = _reversed_levels(reordered_tokens)
    initial = ("(length(first_name_l) = 1 OR length(first_name_r) = 1) AND "
               "substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1) AND "
               + (_tokens_close("last_name", "last_name") if swapped_both_ways else
                  "jaro_winkler_similarity(last_name_l, last_name_r) >= 0.88"))
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="full name: exact, phonetic, token-wise, surname dropped, "
                               "initial, surname-only",
        comparison_levels=[
            cll.NullLevel("name_std"),
            cll.ExactMatchLevel("name_std", term_frequency_adjustments=term_frequencies),
            cll.ExactMatchLevel("name_key", term_frequency_adjustments=term_frequencies),
            _custom(NAME_SPACED, NAME_SPACED_LABEL).configure(
                m_probability=NAME_SPACED_M, fix_m_probability=True),
            cll.And(cll.ExactMatchLevel("first_name_key"), cll.ExactMatchLevel("last_name_key")),
            _custom(SURNAME_DROPPED, SURNAME_DROPPED_LABEL),
            _custom(first_close, CLOSE_LABEL),
            *([_custom(SURNAME_DROPPED_CLOSE, SURNAME_DROPPED_CLOSE_LABEL)]
              if stand_ins else []),  # reads name_core_key (the stand-in columns)
            *([_custom(sql, label) for sql, label in ONE_TYPO_LEVELS]
              if swapped_both_ways else []),
            *swapped,
            _custom(initial, "first-name initial, same surname"),
            *(_stand_in_levels() if stand_ins else []),
            # surname only: usually a relative
            cll.ExactMatchLevel("last_name_key").configure(
                m_probability=NAME_SURNAME_ONLY_M, fix_m_probability=True),
            *([_custom(SURNAME_ALONE, SURNAME_ALONE_LABEL).configure(
                m_probability=NAME_SURNAME_ONLY_M, fix_m_probability=True)]
              if stand_ins else []),  # it reads the stand-in columns (name_core_key)
            cll.ExactMatchLevel("first_name_key"),  # first name only (surname changed)
            cll.JaroWinklerLevel("name_std", 0.85),
            cll.ElseLevel().configure(m_probability=NAME_ELSE_M, fix_m_probability=True),
        ],
    )


# A father written by his initial ("K NISHAD" / "KANHAIYA NISHAD"): one key is an initial
# and a space, the other starts with that letter, and both end in the same surname key.
# Keys are letters, digits and single spaces, so LIKE sees no wildcard in them.
_INITIAL_SAME_SURNAME = " OR ".join(
    f"(length({a}) > 2 AND substr({a}, 2, 1) = ' ' AND substr({a}, 1, 1) = substr({b}, 1, 1)"
    f" AND {b} LIKE ('%' || substr({a}, 2)))"
    for a, b in (("relative_name_key_l", "relative_name_key_r"),
                 ("relative_name_key_r", "relative_name_key_l")))


def relative_name_comparison(term_frequencies: bool = False,
                             initials: bool = False) -> cl.CustomComparison:
    """``term_frequencies`` (the dedupe model): "VINOD SAHU" as a father's name is worth
    far less than a rare one. ``initials`` (the seeding models): a level for a relative
    written by an initial with the same surname (in the JW levels it was worth nothing:
    "K NISHAD" / "KANHAIYA NISHAD" is JW 0.8)."""
    extra = ([_custom(_INITIAL_SAME_SURNAME, "relative by initial, same surname")]
             if initials else [])
    return cl.CustomComparison(
        output_column_name="relative_name",
        comparison_description="father/husband name vs KYR care-of",
        comparison_levels=[
            cll.NullLevel("relative_name_std"),
            cll.ExactMatchLevel("relative_name_key",
                                term_frequency_adjustments=term_frequencies),
            *extra,
            cll.JaroWinklerLevel("relative_name_std", 0.92),
            cll.JaroWinklerLevel("relative_name_std", 0.80),
            cll.ElseLevel(),
        ],
    )


# Prior m-probabilities for the birth levels (the far ones fixed during EM). Unsupervised EM
# otherwise learns that same-named relatives in one household (father and son
# "RAHUL THAKUR", sharing village and the household's mobile) are "matches" with
# very different birth years. Measured on generated states: a departmental age is
# off by more than five years for well under 1% of true matches, by more than ten
# for almost none (a granddaughter named after her grandmother is not her).
# The first, exact date of birth, is only EM's starting value: how often a true pair
# shares the full date depends on how many of a state's records carry one (KYR and a
# pension list with dates: most; a ration card with ages: none), and relatives do not
# share it, so EM learns it from the state's own data (fixed at 0.3 it understated an
# exact date by 1.5-2 bits where both sides carry dates, as FEBRL's do).
# The second level, day and month swapped (12-03-1970 / 03-12-1970: DD/MM read as MM/DD
# by a clerk or a spreadsheet), was "same birth year" before, worth 4-5 bits where the
# date is nearly as telling as an exact one. Its m is a fixed prior (no more than the
# share of hand-written dates a clerk mis-keys): EM on a state whose feeds never swap
# would learn m near 0, a penalty for the state that does.
# The middle levels (same birth year, ranges overlap, within 2, within 5) are learned by
# EM in the seeding models too (issue 17, session 13): how a department writes ages
# (heaped, off by one or two) is the state's, not the generator's. Fixed, they said
# 0.30 / 0.28 / 0.08 / 0.035 where a noisy state's job cards had 9% / 76% / 10% / 5% of
# their true pairs, so a same-village namesake two years off scored almost as well as the
# true row (dev_noisy_tuning 100k seed 7: rd_mgnrega recall 97.2 -> 97.9%, food_pds 98.3
# -> 98.9%, precision >= 99.5%). "Within 10" stays fixed and "else" is counted
# (replaced_dob): they are what keeps EM from calling a same-named father and son one
# person.
BIRTH_M = (0.30, 0.01, 0.30, 0.28, 0.08, 0.035, 0.0047, 0.0003)
BIRTH_M_LEARNED = (True, False, True, True, True, True, False, False)
DAY_MONTH_SWAPPED_LABEL = "day and month swapped"  # its u is modelled: train._swapped_dob_u
#: the share of dates whose day could be read as a month (day <= 12): a random pair's
#: dates are swapped-equal about this share as often as they are equal
DAY_IS_A_MONTH = 12 / 30.44
DAY_MONTH_SWAPPED = " AND ".join(
    f"extract({a} FROM CAST(dob_l AS DATE)) = extract({b} FROM CAST(dob_r AS DATE))"
    for a, b in (("year", "year"), ("month", "day"), ("day", "month")))


def birth_comparison(learn_birth_m: bool = False,
                     else_m: float | None = None) -> cl.CustomComparison:
    """Date of birth against a year estimate with an uncertainty range.
    ``learn_birth_m`` (the seeding models): EM learns the exact date's m and the middle
    levels' (``BIRTH_M_LEARNED``); otherwise every level keeps its fixed prior.
    ``else_m`` (the seeding models): the "else" level's m as counted on the home's data
    (``matching.replaced_dob``), fixed during EM; None keeps the prior."""
    levels = [
        cll.ExactMatchLevel("dob"),
        _custom(DAY_MONTH_SWAPPED, DAY_MONTH_SWAPPED_LABEL),
        _custom("birth_year_l = birth_year_r", "same birth year"),
        _custom(
            "birth_year_min_l <= birth_year_max_r AND birth_year_min_r <= birth_year_max_l",
            "birth-year ranges overlap",
        ),
        _custom("abs(birth_year_l - birth_year_r) <= 2", "birth years within 2"),
        _custom("abs(birth_year_l - birth_year_r) <= 5", "birth years within 5"),
        _custom("abs(birth_year_l - birth_year_r) <= 10", "birth years within 10"),
        cll.ElseLevel(),
    ]
    ms = (*BIRTH_M[:-1], BIRTH_M[-1] if else_m is None else else_m)
    levels = [lvl.configure(m_probability=m, fix_m_probability=not (learned and learn_birth_m))
              for lvl, m, learned in zip(levels, ms, BIRTH_M_LEARNED, strict=True)]
    return cl.CustomComparison(
        output_column_name="birth",
        comparison_description="dob / birth year with uncertainty (birth_year_min/max)",
        comparison_levels=[cll.NullLevel("birth_year"), *levels],
    )


# Fixed m for gender: EM drove m(disagree) to 0 (weight -100), so one mis-keyed
# gender vetoed a true match outright.
GENDER_M = (0.99, 0.01)


def gender_comparison() -> cl.CustomComparison:
    levels = [lvl.configure(m_probability=m, fix_m_probability=True)
              for lvl, m in zip((cll.ExactMatchLevel("gender"), cll.ElseLevel()), GENDER_M,
                                strict=True)]
    return cl.CustomComparison(
        output_column_name="gender",
        comparison_levels=[cll.NullLevel("gender"), *levels],
    )


# Prior m-probabilities for location in the *seeding* models (fixed during EM).
# Measured on generated states: ~98.5% of true department->KYR pairs share the
# village (block when a feed has no village), ~0.4% the block, ~0.3% the district
# only, ~0.6% nothing (moves, typos). EM alone learned m(village) = 0.09 for MGNREGA
# (it fitted same-village relatives), which cost most of that source's recall.
LOCATION_M = (0.975, 0.008, 0.005, 0.012)


def location_comparison(fixed_m: bool = False, has_village: bool = True,
                        previous_address: bool = False) -> cl.CustomComparison:
    """``previous_address`` (seeding, when KYR carries history): a level for a department
    record listing KYR's previous address, just below the current-address level."""
    null_sql = " AND ".join(
        f"({c}_l IS NULL OR {c}_r IS NULL)" for c in ("district_std", "block_std", "village_code")
    )
    top = (cll.ExactMatchLevel("village_code") if has_village
           else cll.ExactMatchLevel("block_std"))
    rest = [cll.ExactMatchLevel("block_std")] if has_village else []
    levels = [top, *rest, cll.ExactMatchLevel("district_std"), cll.ElseLevel()]
    if fixed_m:
        m = LOCATION_M if has_village else (LOCATION_M[0] + LOCATION_M[1], *LOCATION_M[2:])
        levels = [lvl.configure(m_probability=p, fix_m_probability=True)
                  for lvl, p in zip(levels, m, strict=True)]
    if previous_address:
        levels.insert(1, previous_address_level(has_village))
    return cl.CustomComparison(
        output_column_name="location",
        comparison_description="village (LGD code) / block / district",
        comparison_levels=[
            _custom(null_sql, "no location on one side").configure(is_null_level=True),
            *levels,
        ],
    )


# Unresolved places keep their evidence (issue 17). A village that did not resolve to the
# master has no LGD code, so the location comparison cannot see it (FEBRL: no place
# resolves, and location had no evidence at all). This comparison reads the village as
# normalised text and its phonetic key (std.place_text / place_key, the master's name on
# a side that resolved) and speaks only where at least one side has no village code:
# where both have one, location already compares them, and counting the village twice
# would double its weight. m and u are learned by EM, except "else": as for the name and
# location, EM learns that no true pair ever names another village (weight -10 on a
# development set) while ~1% do (moves, a field left blank and refilled), the same
# prior as location's last level.
PLACE_JW = 0.88
PLACE_ELSE_M = LOCATION_M[-1]


def place_comparison() -> cl.CustomComparison:
    null_sql = ("place_text_l IS NULL OR place_text_r IS NULL OR "
                "(village_code_l IS NOT NULL AND village_code_r IS NOT NULL)")
    return cl.CustomComparison(
        output_column_name="place",
        comparison_description="village as spelled (where a side has no village code): "
                               "same text, same phonetic key, close spelling",
        comparison_levels=[
            _custom(null_sql, "missing on one side, or both villages resolved (location "
                              "compares them): no evidence").configure(is_null_level=True),
            _custom("place_text_l = place_text_r", "same village text"),
            _custom("place_key_l = place_key_r", "same village phonetic key"),
            _custom(f"jaro_winkler_similarity(place_text_l, place_text_r) >= {PLACE_JW}",
                    f"village text close (JW >= {PLACE_JW})"),
            cll.ElseLevel().configure(m_probability=PLACE_ELSE_M, fix_m_probability=True),
        ],
    )


# --- movers (issue 17) ---
# KYR's delta moves a resident to a new village while the department still lists the
# old one (matching.inputs: prev_village_code / prev_block_std, from KYR's history; null
# on department records, so the OR below reads whichever side is KYR). The level sits
# just below "same village" (same block for a feed without villages) and above "same
# block": a mover's old village is usually in the same block, where a namesake still
# living there would otherwise win on "same village". Its m is *learnt* by EM, like the
# unfixed levels (not one of LOCATION_M's fixed priors), and u by random sampling.
PREVIOUS_ADDRESS_LABEL = "agrees with KYR's previous address (moved since)"


def previous_address_level(has_village: bool = True) -> cll.CustomLevel:
    col, prev = (("village_code", "prev_village_code") if has_village
                 else ("block_std", "prev_block_std"))
    return _custom(f"({col}_l = {prev}_r OR {prev}_l = {col}_r)", PREVIOUS_ADDRESS_LABEL)


def carries_previous_address(columns, has_village: bool = True) -> bool:
    """KYR carries some previous address for the department's kind of place: the
    blocking key (KYR: previous, department: listed) has values on both sides."""
    return (columns is not None
            and ("mover_village_key" if has_village else "mover_block_key") in columns)
# --- end movers ---


# Household-aware evidence. A ration card's mobile is shared by its members, and a
# department often copies one member's UID onto another's record: most wrong seeds went
# to a relative in the same household. A shared mobile or UID is evidence about the
# person only when the names agree - a first name close to the other side's first name
# (JW >= 0.80, or an initial) or, for a name written surname first, to its last name,
# or the same phonetic tokens in any order - and the birth-year ranges are at most 10
# years apart (or unknown), and the genders do not disagree. A shared surname alone does
# not count (father and son), nor a wife written by her initials on her husband's card
# ("P D YADAV" F / "PRAKASH YADAV" M: the initial agrees, the card's mobile is shared;
# dev_noisy_tuning 100k seed 7: 16 of food_pds' missed records had a best candidate of the
# other gender that the shared mobile carried, 3 seeded to it).
# Otherwise the value says "same household", which the name and age comparisons
# already weigh, so it falls in the null level: no evidence either way (it cannot
# outweigh them). Measured on a tuning state (30k, seed 7, food_pds): the condition
# holds for 99.9% of right pre-seeded UIDs and about 1% of wrong ones.
# Only columns that no EM training rule blocks on (first_name and name_sorted_key, not
# first_name_key; birth_year_min/max, not birth_year): Splink leaves a comparison out
# of every EM session whose blocking rule uses one of its columns, and mobile and UID
# then never got an m (EM on name alone then learned "first name only" as a match).
_FIRST_NAMES_AGREE = " OR ".join(
    [f"jaro_winkler_similarity({a}, {b}) >= 0.80" for a, b in (
        ("first_name_l", "first_name_r"), ("first_name_l", "last_name_r"),
        ("last_name_l", "first_name_r"))]
    + ["((length(first_name_l) = 1 OR length(first_name_r) = 1) "
       "AND substr(first_name_l, 1, 1) = substr(first_name_r, 1, 1))",
       "name_sorted_key_l = name_sorted_key_r"])
SAME_PERSON_PLAUSIBLE = (
    f"coalesce({_FIRST_NAMES_AGREE}, false) "
    "AND NOT coalesce(birth_year_min_l - birth_year_max_r > 10 "
    "OR birth_year_min_r - birth_year_max_l > 10, false) "
    "AND NOT coalesce(gender_l <> gender_r, false)")


def _household_aware(col: str, what: str) -> cl.CustomComparison:
    null_sql = (f"{col}_l IS NULL OR {col}_r IS NULL OR "
                f"({col}_l = {col}_r AND NOT ({SAME_PERSON_PLAUSIBLE}))")
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=f"{what}; shared by records of different people "
                               "(names or ages disagree) = no evidence",
        comparison_levels=[
            _custom(null_sql, f"missing on one side, or the same {what} on records whose "
                              "names or ages disagree (a household's): no evidence"
                    ).configure(is_null_level=True),
            _custom(f"{col}_l = {col}_r", f"same {what}, names and ages agree"),
            cll.ElseLevel(),
        ],
    )


def mobile_comparison() -> cl.CustomComparison:
    return _household_aware("mobile", "mobile")


def uid_token_comparison() -> cl.CustomComparison:
    """Pre-seeded UID token: evidence to verify, never trusted. Only valid tokens
    (uid_valid) reach this column; see ``matching.inputs``."""
    return _household_aware("uid_token", "pre-seeded UID")


# A dropped surname the household tells (issue 17: "a dropped surname"; "Households").
# "RAMESH" on a ration card of SAHUs, or "RAMESH" son of "SHYAM SAHU": the name
# comparison's "one name is the other without its surname" scores every RAMESH of the
# village alike, so a one-word name among same-aged namesakes went to review or to the
# wrong one (bench_phenomena, tuning 50k seed 7: a dropped surname cost food_pds 3.5
# points of recall, 10 with the age off too; most misses two namesakes of the village
# and year at one weight). The surname such a name leaves out is usually its
# relative's (a son's and an unmarried daughter's are the father's, a wife's the
# husband's) or its card-mates' (``inputs._with_implied_surname``). This comparison says
# whether the other side's surname is it: the same key, or more than one edit off; one
# edit off (a typo on either side) and every record without it (a name with its own
# surname, a household silent) fall in the null level. A comparison of its own, not
# name levels: split off "one name is the other without its surname", they left that
# level too few true pairs for EM, which made it -6.6 bits for the lone names a household
# does not tell (tuning 100k seed 7). Agreement without the given name is a relative's
# ("SURESH SAHU" for "RAMESH" of the SAHUs' card): the name comparison's "else" and
# this level together come near "surname only", as a spelled-out surname gives. Seeding
# models only. Both levels have a *fixed* m (``HOUSEHOLD_SURNAME_ELSE_M`` and the rest),
# u counted on the state (``train.household_surname_u``): on generated states every
# card-mate carries the family's surname, so EM made another surname a veto (-15 to -33
# bits on a tuning state), and on a state where EM had already written lone names off
# (food_pds, tuning 100k seed 7: "one name is the other without its surname" at -6.6
# bits) it wrote the agreeing level off too. A
# state's cards list a married daughter under her husband's surname, a son-in-law, a
# surname written as a caste or clan name: 5% of true pairs is a prior, not a
# measurement (no label says it on the generator), about -4.3 bits for another surname
# (what "first name only", a surname changed, costs) and +3 to +8 for the same (u: the
# told surnames' share of the other side's; the committed models), so the household's
# word separates two namesakes of one village by some 8-12 bits and vetoes nobody.
# The other side's surname: spelled, a stand-in ("SUNITA DEVI", "RAMESH KUMAR") is none
# (independent review: KYR's "SUNITA DEVI" had counted as another surname).
_IMPLIED = "coalesce(implied_surname_key_l, implied_surname_key_r)"


def _other(col: str) -> str:
    return f"CASE WHEN implied_surname_key_l IS NOT NULL THEN {col}_r ELSE {col}_l END"


# no evidence: nothing told; both sides told ("BAI MANJU" and "RAMESH": neither's last
# word is a surname to test); the other's surname missing, a stand-in, or one edit off
HOUSEHOLD_SURNAME_NULL = (
    f"{_IMPLIED} IS NULL OR (implied_surname_key_l IS NOT NULL AND "
    f"implied_surname_key_r IS NOT NULL) OR {_other('last_name_key')} IS NULL OR "
    f"coalesce({_other('last_name')} IN ({stand_ins_sql()}), false) OR "
    f"levenshtein({_IMPLIED}, {_other('last_name_key')}) = 1")
HOUSEHOLD_SURNAME_AGREES_LABEL = "the other's surname is the one the household tells"
HOUSEHOLD_SURNAME_ELSE_M = 0.05


def household_surname_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="household_surname",
        comparison_description="a one-word name's surname as its relative or card tells "
                               "it, against the other side's surname",
        comparison_levels=[
            _custom(HOUSEHOLD_SURNAME_NULL, "no surname told, or one edit off: no evidence"
                    ).configure(is_null_level=True),
            _custom(f"{_IMPLIED} = {_other('last_name_key')}", HOUSEHOLD_SURNAME_AGREES_LABEL
                    ).configure(m_probability=1 - HOUSEHOLD_SURNAME_ELSE_M,
                                fix_m_probability=True),
            cll.ElseLevel().configure(m_probability=HOUSEHOLD_SURNAME_ELSE_M,
                                      fix_m_probability=True),
        ],
    )


# Card-mates who name the relative (issue 17, households; matching.inputs._with_card_mates).
# A department record without a relative's name, whose card lists the man KYR's care-of
# line names for a candidate ("SANTOSH SAHU" on a job card with "HARI SAHU"; KYR: "SANTOSH
# SAHU", care-of "HARI SAHU") is more likely that candidate than a namesake of the village
# whose care-of is someone else. It speaks only where the relative comparison is silent on
# the department's side (no relative written: the relative itself is the stronger
# evidence, counted once), KYR names a relative and the surnames agree: a card-mate named
# in a care-of line mostly carries the family's surname, so over random pairs, or over a
# village, it would count again what the surname and the village already said (dev_noisy
# 100k seed 7: a card-mate is the care-of of 0.5-0.9% of a village's KYR rows, of 10-20% of
# those with the record's surname). Hence u is counted among pairs of one village and one
# surname (``train.card_mate_relative_u``, true pairs included: an upper bound, so the
# agreeing level is never overstated); m is learnt by EM, and the agreeing level is never
# evidence against a pair nor the other one evidence for it (``train._bound_card_mates``).
def _card_mate_speaks(a: str, b: str) -> str:
    return (f"card_mate_keys_{a} IS NOT NULL AND relative_name_std_{a} IS NULL "
            f"AND relative_name_key_{b} IS NOT NULL AND last_name_key_{a} = last_name_key_{b}")


CARD_MATE_SPEAKS = " OR ".join(f"({_card_mate_speaks(a, b)})"
                               for a, b in (("l", "r"), ("r", "l")))
CARD_MATE_AGREES = " OR ".join(
    f"({_card_mate_speaks(a, b)} AND list_contains(card_mate_keys_{a}, relative_name_key_{b}))"
    for a, b in (("l", "r"), ("r", "l")))
CARD_MATE_AGREES_LABEL = "a card-mate is the other side's relative (care-of)"
#: EM's starting m of the agreeing level (measured on dev_noisy 100k seed 7: 0.34 of true
#: job-card pairs, 0.53 of ration-card pairs where it speaks); EM learns the state's own
CARD_MATE_AGREES_M = 0.4


def card_mate_relative_comparison() -> cl.CustomComparison:
    return cl.CustomComparison(
        output_column_name="card_mate_relative",
        comparison_description="a card-mate of a record without a relative's name, "
                               "against the other side's care-of (same surname)",
        comparison_levels=[
            _custom(f"NOT coalesce({CARD_MATE_SPEAKS}, false)",
                    "a relative written, no card-mates, no care-of or other surnames: "
                    "no evidence").configure(is_null_level=True),
            _custom(CARD_MATE_AGREES, CARD_MATE_AGREES_LABEL).configure(
                m_probability=CARD_MATE_AGREES_M),
            cll.ElseLevel().configure(m_probability=1 - CARD_MATE_AGREES_M),
        ],
    )


# Comparison name -> (builder, input columns it needs on both sides)
COMPARISONS = {
    "name": (name_comparison, ("name_std",)),
    "relative_name": (relative_name_comparison, ("relative_name_std",)),
    "birth": (birth_comparison, ("birth_year",)),
    "gender": (gender_comparison, ("gender",)),
    "location": (location_comparison, ("district_std",)),
    "place": (place_comparison, ("place_text",)),
    "mobile": (mobile_comparison, ("mobile",)),
    "uid_token": (uid_token_comparison, ("uid_token",)),
    "household_surname": (household_surname_comparison, ("last_name_key",)),
    "card_mate_relative": (card_mate_relative_comparison, ("last_name_key",)),
}
# ... and columns it needs on one side at least (the household's surname: a department's
# one-word names carry it; KYR's rarely, whose names have surnames)
ONE_SIDE_COLUMNS = {"household_surname": ("implied_surname_key",)}
# ... and columns it needs on one side, with others on another side (a department's card-
# mates against KYR's care-of line)
CROSS_SIDE_COLUMNS = {"card_mate_relative": (("card_mate_keys",), ("relative_name_key",))}


def build_comparisons(names: list[str], kind: str = "dedupe",
                      columns: set[str] | frozenset[str] | None = None,
                      birth_else_m: float | None = None) -> list[cl.CustomComparison]:
    """``kind="seed"`` fixes the location priors (department record vs KYR) and learns
    the exact date of birth's m;
    ``kind="dedupe"`` adjusts exact names and relatives' names by their frequency;
    ``columns`` = input columns usable on both sides (village or not);
    ``birth_else_m``: the seeding birth "else" level's m (``matching.replaced_dob``)."""
    out = []
    for n in names:
        if n == "location":
            has_village = columns is None or "village_code" in columns
            out.append(location_comparison(
                fixed_m=kind == "seed", has_village=has_village,
                previous_address=kind == "seed" and carries_previous_address(
                    columns, has_village)))
        elif n == "name":
            out.append(name_comparison(term_frequencies=kind == "dedupe",
                                       reordered_tokens=kind == "dedupe",
                                       swapped_both_ways=kind == "seed",
                                       stand_ins=kind == "seed"))
        elif n == "relative_name":
            out.append(relative_name_comparison(term_frequencies=kind == "dedupe",
                                                initials=kind == "seed"))
        elif n == "birth":
            out.append(birth_comparison(learn_birth_m=kind == "seed",
                                        else_m=birth_else_m if kind == "seed" else None))
        else:
            out.append(COMPARISONS[n][0]())
    return out
