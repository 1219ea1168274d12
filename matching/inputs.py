"""The one place that reads ``std.<feed>`` person records for matching.

It turns each feed's standardised table (contract in docs/CONVENTIONS.md) into a
Splink-ready table ``inp_<feed>`` in the matching workspace (an in-memory DuckDB
with the warehouse attached as ``wh``). If the ingest's columns change, adapt
``_column_sql`` here and nowhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.registry import KYR_FEED, catalogue
from matching.settings import MatchSettings

log = logging.getLogger(__name__)

KYR = KYR_FEED  # the catalogue names the feed departments are seeded against
DEACTIVATED = "kyr_deactivated"  # workspace table: KYR rows UIDAI deactivated (load_feed)
WH = "wh"  # catalog alias of the attached warehouse

# Splink input column -> (type, expression over the std table, or None = same name)
SPLINK_COLUMNS: dict[str, tuple[str, str | None]] = {
    "unique_id": ("VARCHAR", "source_record_id"),
    "name_std": ("VARCHAR", None),
    "first_name": ("VARCHAR", None),
    "last_name": ("VARCHAR", None),
    "name_key": ("VARCHAR", None),
    "first_name_key": ("VARCHAR", None),
    "last_name_key": ("VARCHAR", None),
    # name tokens in sorted order: "SAVITRI USENDI" and "USENDI SAVITRI" agree
    "name_sorted_key": ("VARCHAR", "sorted tokens of name_key"),
    # --- names with a stand-in or initials (issue 17, seedrecall2): see _name_shape_sql ---
    "name_core_key": ("VARCHAR", "name_key without stand-ins (Devi, Bai, Kumar)"),
    "name_initials": ("VARCHAR", "sorted folded initials of the tokens but stand-ins"),
    "name_abbrev_like": ("VARCHAR", "LIKE pattern of the initials, abbreviated names only"),
    "name_given_only": ("VARCHAR", "the one token a stand-in was written beside"),
    "relative_name_std": ("VARCHAR", None),
    "relative_name_key": ("VARCHAR", None),
    # --- a second relative, the mother (issue 17, edudup): a feed carries it as a std
    # extra column ``mother_name`` (ingest/sources/*.yaml ``std_extra``, e.g.
    # edu_scholarship); upper-cased, letters and single spaces, titles off. Null on every
    # other feed. Not compared by the models: read by the dedupe decision only
    # (dedupe.MOTHERS_DIFFER) ---
    "mother_name_std": ("VARCHAR", "std.mother_name, upper-cased, letters and spaces"),
    "gender": ("VARCHAR", None),
    "dob": ("DATE", None),
    "birth_year": ("INTEGER", None),
    "birth_year_min": ("INTEGER", None),
    "birth_year_max": ("INTEGER", None),
    # --- ages further off (issue 17): blocking only, see BIRTH_BANDS ---
    "birth_band": ("INTEGER", "birth_year in bands of BIRTH_BAND_YEARS"),
    "birth_band_shifted": ("INTEGER", "the same bands, shifted by half a band"),
    "district_std": ("VARCHAR", None),
    "block_std": ("VARCHAR", None),
    "village_code": ("VARCHAR", "coalesce(village_code, village_std)"),
    # the village as normalised text and its phonetic key, resolved or not: an
    # unresolved village still pairs records (blocking) and is compared
    # (comparisons.place_comparison) where a village code is missing
    "place_key": ("VARCHAR", None),
    "place_text": ("VARCHAR", None),
    "mobile": ("VARCHAR", None),
    # pre-seeded tokens are evidence only when the number passed Verhoeff
    "uid_token": ("VARCHAR", "CASE WHEN coalesce(uid_valid, false) THEN uid_token END"),
    # --- movers (issue 17): KYR's previous address, from std.uid_kyr_history ---
    # KYR: the most recent earlier village / block that differs from the current one
    # (a department may still list it); null for department records and non-movers
    "prev_village_code": ("VARCHAR", "KYR: previous village (history)"),
    "prev_block_std": ("VARCHAR", "KYR: previous block (history)"),
    # blocking only: the address a department may list for a mover - KYR's previous
    # village / block, a department record's own village / block - so one equi-join
    # pairs a department's old address with KYR's history (blocking.SEED_PREDICTION_RULES)
    "mover_village_key": ("VARCHAR", "KYR: prev_village_code; department: village_code"),
    "mover_block_key": ("VARCHAR", "KYR: prev_block_std; department: block_std"),
    # --- a name written surname first (issue 17, rdrec): blocking only, see CROSSED_NAMES ---
    "given_crossed_key": ("VARCHAR", "KYR: first_name_key; department: last_name_key"),
    "surname_crossed_key": ("VARCHAR", "KYR: last_name_key; department: first_name_key"),
    # --- the date and two more fields changed (issue 17, febrl): blocking only, see
    # TYPO_KEY ---
    "typo_key": ("VARCHAR", "first letters of the first-name, surname and place keys"),
    # --- a dropped surname with a misspelt given name (issue 17): blocking only, see
    # LONE_GIVEN ---
    "lone_given_initial": ("VARCHAR", "KYR: its given name's initial; department: that of "
                                      "a one-word name only"),
    "lone_kyr_initial": ("VARCHAR", "KYR: the initial of a one-word name only; "
                                    "department: its given name's initial"),
    # --- a village that did not resolve (issue 17): blocking only, see UNRESOLVED_BLOCK ---
    "unresolved_block_key": ("VARCHAR", "KYR: block_std; department: block_std where the "
                                        "record's village did not resolve"),
    # --- a dropped surname the household tells (issue 17): see _with_implied_surname ---
    "implied_surname_key": ("VARCHAR", "a one-word name: its relative's surname key, else "
                                       "its card-mates' (one key most of them carry)"),
    # --- card-mates who name the relative (issue 17, households): see _with_card_mates ---
    "card_mate_keys": ("VARCHAR[]", "department: the name keys of the record's card-mates; "
                                    "KYR: null"),
    # not compared: dedupe vetoes (same card = two people)
    "household_ref": ("VARCHAR", None),
    # not compared: the record's best KYR candidate once seeding has run (dedupe
    # blocks on it, see matching.dedupe.set_anchors); null when the table is loaded
    "kyr_anchor": ("VARCHAR", "set after seeding"),
}

# Columns filled in by the run itself, not read from std (always usable for blocking)
DERIVED_COLUMNS = frozenset({"kyr_anchor"})
# Columns computed over other rows of the feed (``_with_implied_surname``), not per row
ACROSS_ROWS = frozenset({"implied_surname_key", "card_mate_keys"})

INPUT_COLUMNS = tuple(SPLINK_COLUMNS)


@dataclass
class FeedTable:
    feed: str
    table: str          # physical table in the workspace
    rows: int
    usable: frozenset[str]  # columns with at least one non-null value


def open_workspace(warehouse: str | Path, settings: MatchSettings | None = None,
                   read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB for Splink's work tables, with the warehouse attached as ``wh``.

    Past ``prediction.duckdb_memory_limit`` DuckDB spills to a temp folder beside the
    warehouse (or ``prediction.duckdb_temp_directory``); insertion order is not kept
    (no result here depends on row order), which lowers peak memory of large joins.
    """
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = false")
    if settings is not None:
        pr = settings.prediction
        if pr.duckdb_threads:
            con.execute(f"SET threads = {int(pr.duckdb_threads)}")
        if pr.duckdb_memory_limit:
            con.execute(f"SET memory_limit = '{pr.duckdb_memory_limit}'")
        temp = Path(pr.duckdb_temp_directory or Path(warehouse).parent / "matching_tmp")
        con.execute(f"SET temp_directory = '{temp}'")
    mode = " (READ_ONLY)" if read_only else ""
    con.execute(f"ATTACH '{Path(warehouse)}' AS {WH}{mode}")
    return con


def std_feeds(con: duckdb.DuckDBPyConnection, catalog: str = WH) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = ? AND table_schema = 'std'",
        [catalog],
    ).fetchall()
    return {r[0] for r in rows}


def department_feeds(con: duckdb.DuckDBPyConnection, settings: MatchSettings,
                     catalog: str = WH) -> list[str]:
    """Departmental person feeds that have a ``std`` table: ``settings.departments`` when
    set, else the feed catalogue's (built-in feeds plus ``$SRDH_SOURCES``). A broken feed
    YAML stops here with its one-line error, as it stopped the ingest."""
    available = std_feeds(con, catalog)
    names = (list(settings.departments) if settings.departments is not None
             else catalogue().department_feeds())
    extra = set(settings.extra_linked_feeds) | {KYR}
    return [n for n in dict.fromkeys(names) if n in available and n not in extra
            and _is_person_table(con, n, catalog)]


def linked_feeds(con: duckdb.DuckDBPyConnection, settings: MatchSettings,
                 catalog: str = WH) -> list[str]:
    """Every feed seeded against KYR: departments plus e.g. ``crs_death``."""
    available = std_feeds(con, catalog)
    feeds = department_feeds(con, settings, catalog)
    feeds += [f for f in settings.extra_linked_feeds if f in available and f not in feeds]
    return feeds


def _std_columns(con: duckdb.DuckDBPyConnection, feed: str, catalog: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = 'std' AND table_name = ?",
        [catalog, feed],
    ).fetchall()
    return {r[0].lower() for r in rows}


def _is_person_table(con: duckdb.DuckDBPyConnection, feed: str, catalog: str) -> bool:
    cols = _std_columns(con, feed, catalog)
    return {"source_record_id", "name_std"} <= cols


# ------------------------------------------------ ages further off (issue 17)
# A department's age is heaped, off by a year or two, and its birthday unknown: on the
# dev_noisy_tuning profile (50k, seed 7) 28-31% of the true pairs no rule paired (rd_mgnrega,
# food_pds, sw_pension) were in the true village with the first name right, the surname
# misspelt or written otherwise, and KYR's birth year 2-3 years from the department's; every
# rule with a name key and the village asked for an exact birth year (or none: first name +
# village alone was dropped for its pairs). Two band keys of BIRTH_BAND_YEARS years, the
# second shifted by half a band: two years at most half a band apart share a band in at
# least one of them, so a rule on each (blocking.SEED_PREDICTION_RULES) pairs ages off by up
# to 3 years for about a sixth of the pairs of the rule without a year.
BIRTH_BAND_YEARS = 6
BIRTH_BANDS = {
    "birth_band": f"floor(birth_year / {BIRTH_BAND_YEARS})",
    "birth_band_shifted": f"floor((birth_year + {BIRTH_BAND_YEARS // 2}) / {BIRTH_BAND_YEARS})",
}


# ------------------------------------ a name written surname first (issue 17, rdrec)
# Registers, job cards and ration cards are often written surname first ("DEWANGAN
# SOMARU", "YADAV PRASAD VIVEK") while KYR writes the given name first. The sorted name key
# pairs such a name only when every token's key agrees; with one token misspelt
# ("DEWAGAN SOMAROO" / "SOMARU DEWANGAN") or a middle name or stand-in on one side only
# ("GUPTA BAYI ANJALI" / "ANJALI BAI GUPTA"), no village rule paired it (the first-name
# rules compare the department's *first* token, here its surname). Each crossed key is
# one token position on KYR's side and the other on the department's, so one equi-join
# compares a department's last token with KYR's given name (and its first token with
# KYR's surname); blocking only, with the village and a birth band (blocking.py), as the
# first-name rules are: a given name and a surname rarely share a key, so they add few
# pairs. column -> (KYR side, department side)
CROSSED_NAMES = {
    "given_crossed_key": ("first_name_key", "last_name_key"),
    "surname_crossed_key": ("last_name_key", "first_name_key"),
}


# ------------------------------- the date and two more fields changed (issue 17, febrl)
# A record whose date of birth was replaced and whose surname and village are both
# misspelt ("BENJAMIN CANNEKL", Kununuodra, 1965 / "BENJAMIN CANNELL", Kununurra, 1985)
# meets its KYR row on no key: every rule with a name key asks for the date, the whole
# surname key or the whole place key. A typo rarely touches the first letters of a
# phonetic key (a consonant skeleton: CANNEKL / CANNELL -> KNKL / KNL, Kyabfam / Kyabram
# -> KYBFM / KYBRM), so the first TYPO_KEY_CHARS of the first-name, surname and place
# keys together still agree with the date and any two of those three misspelt past their
# first letters. Blocking only, for feeds whose places did not resolve to village codes
# (blocking.SEED_PREDICTION_RULES scopes it by district where feeds carry one); null
# when a record lacks a surname or a place (a one-word name is paired by other rules; an
# empty key counts as none, so no partial key pairs every record sharing one prefix).
TYPO_KEY_CHARS = 2
TYPO_KEY = " || ' ' || ".join(f"substr(nullif(trim({c}), ''), 1, {TYPO_KEY_CHARS})"
                               for c in ("first_name_key", "last_name_key", "place_key"))


# ----------------------- a dropped surname with a misspelt given name (issue 17)
# "RAHLU" / "RAHUL YADAV", "SANTOH" / "SANTOSH PATEL": one side left the surname out and
# the given name carries a typo that changes its key, so no name key is shared; with an age
# a year or two off, no village + birth year rule paired it either (dev_noisy_tuning 100k,
# seed 7: 14 such records never paired, 8 of them rd_mgnrega's). The one word's folded
# initial (as ``name_initials`` folds one: V and W -> B, Y -> J) with the village and a
# birth band (blocking.LONE_GIVEN_SEED_RULES) pairs it; only a one-word name carries the
# key on its side, so the rules cost a few pairs per such record and none for the others.
# Both ways: a department's one-word name against KYR's given names, and KYR's one-word
# name (a KYR that dropped the surname) against the department's. A lone stand-in
# ("DEVI") or initial carries none. column -> (KYR side, department side)
LONE_GIVEN = {
    "lone_given_initial": ("given", "lone"),
    "lone_kyr_initial": ("lone", "given"),
}


# ---------------------------------- a dropped surname the household tells (issue 17)
# "RAMESH" on a ration card whose other members are SAHUs, or "RAMESH" son of "SHYAM
# SAHU": the surname a name without one leaves out is usually its card-mates' (one card is
# one household) or its relative's (a son's and an unmarried daughter's are the father's, a
# wife's the husband's). ``implied_surname_key`` is, for a one-word name (more than one
# letter, not a stand-in alone) or a given name beside a stand-in ("SUNITA DEVI", "RAMESH
# KUMAR": ``name_given_only``), the surname key that more of its card-mates carry than
# any other (a tie tells nothing; a stand-in, an initial or a word beside a stand-in,
# "BAI MANJU", is no surname); else the last key of its relative's name where that has
# two words or more and ends in a word that is no stand-in and no initial. The card
# first: a relative written surname first ("SAHU SHYAM") or without a surname ("MOHAN
# LAL") ends in a given name (independent review).
# Null where the household tells the record's own word ("SAHU" on a SAHUs' card: that
# is the name comparison's "a one-word name, the surname of the other") and for every
# other record; on KYR's side its care-of line plays the relative. Compared by the seeding
# models (comparisons.household_surname_comparison); the household gives no name it does
# not carry.
def _with_implied_surname(select_sql: str) -> str:
    """``select_sql`` (one row per record, ``implied_surname_key`` null) with the column
    filled in from the record's card-mates and relative."""
    from ingest.standardise.names import stand_ins_sql

    stand = stand_ins_sql()  # spelled: DUBEY's key is DEVI's, BHOI's is BAI's
    rel_keys = "string_split(b.relative_name_key, ' ')"
    rel_words = "string_split(b.relative_name_std, ' ')"
    relative = (f"CASE WHEN len({rel_keys}) >= 2 AND length({rel_words}[-1]) > 1 "
                f"AND {rel_words}[-1] NOT IN ({stand}) THEN {rel_keys}[-1] END")
    told = ("(b.last_name_key IS NULL AND length(b.first_name) > 1 "
            "AND coalesce(b.name_core_key, '') <> '') OR b.name_given_only IS NOT NULL")
    implied = f"coalesce(card.k, {relative})"
    return (
        f"WITH b AS ({select_sql}), "
        f"mates AS (SELECT household_ref, last_name_key AS k, count(*) AS n FROM b "
        f"WHERE household_ref IS NOT NULL AND last_name_key IS NOT NULL "
        f"AND length(last_name) > 1 AND last_name NOT IN ({stand}) "
        f"AND b.name_given_only IS NULL GROUP BY household_ref, last_name_key), "
        f"card AS (SELECT household_ref, CASE WHEN count(*) FILTER (WHERE n = top) = 1 "
        f"THEN max(k) FILTER (WHERE n = top) END AS k FROM (SELECT *, max(n) OVER "
        f"(PARTITION BY household_ref) AS top FROM mates) GROUP BY household_ref) "
        f"SELECT b.* REPLACE (CAST(CASE WHEN ({told}) AND {implied} "
        f"IS DISTINCT FROM b.name_core_key THEN {implied} END "
        f"AS VARCHAR) AS implied_surname_key) "
        f"FROM b LEFT JOIN card ON card.household_ref = b.household_ref")


# ------------------------------------------ card-mates who name the relative (issue 17)
# A ration card or job card lists one household. A department record with no relative's
# name ("SANTOSH SAHU", no father written) often shares its card with that relative ("HARI
# SAHU", his father; "RAMESH SAHU", her husband), while KYR's care-of line names the
# relative of each of its candidates. ``card_mate_keys`` holds the name keys of the
# record's card-mates (the other records of its feed with the same ``household_ref``);
# comparisons.card_mate_relative_comparison asks whether one of them is a candidate's
# care-of. KYR's side stays null (CIDR's KYR carries no household link). A card of more
# than ``CARD_MATES_MAX`` records is no household (a placeholder number shared by a
# block's records): its records get no card-mates, and the self-join stays linear.
CARD_MATES_MAX = 20


def _with_card_mates(select_sql: str) -> str:
    """``select_sql`` (one row per record, ``card_mate_keys`` null) with the column filled
    in from the record's card-mates."""
    return (
        f"WITH b AS ({select_sql}), "
        f"sized AS (SELECT unique_id, household_ref, name_key, count(*) OVER "
        f"(PARTITION BY household_ref) AS card_size FROM b WHERE household_ref IS NOT NULL), "
        f"cm AS (SELECT a.unique_id, list(DISTINCT c.name_key ORDER BY c.name_key) AS k "
        f"FROM sized a JOIN sized c ON c.household_ref = a.household_ref "
        f"AND c.unique_id <> a.unique_id AND c.name_key IS NOT NULL "
        f"WHERE a.card_size <= {CARD_MATES_MAX} GROUP BY a.unique_id) "
        f"SELECT b.* REPLACE (CAST(cm.k AS VARCHAR[]) AS card_mate_keys) "
        f"FROM b LEFT JOIN cm ON cm.unique_id = b.unique_id")


# ------------------------------------------ a village that did not resolve (issue 17)
# A department's village spelled past what resolution accepts ("Yonrakhoq" for
# Aonrakhol) leaves the record without a village code, so every village rule is lost and
# what is left needs an exact birth year in the block, which an age a year or two off does
# not give (bench_phenomena, tuning 50k seeds 7 and 11: a village two edits off cost 1.8 /
# 2.4 points of recall, 45 of seed 7's 66 misses never paired). The block still holds: the
# department side carries its block only where its village did not resolve, KYR always,
# so the name + birth band rules within the block (blocking.UNRESOLVED_SEED_RULES) pair
# such records and cost nothing for the others. (KYR's villages all resolve: they are
# the master's own spellings.)
UNRESOLVED_BLOCK = ("CASE WHEN village_code IS NULL AND village_std IS NULL "
                    "AND place_text IS NOT NULL THEN block_std END")


def _unresolved_block_expr(present: set[str], kyr: bool) -> str:
    if kyr:
        return "block_std" if "block_std" in present else ""
    if not {"block_std", "village_code", "village_std", "place_text"} <= present:
        return ""
    return UNRESOLVED_BLOCK


def _folded_initial_sql(expr: str) -> str:
    """SQL: the first letter of ``expr`` folded as ``names.initial_fold`` folds one (V and
    W -> B, Y -> J), so two spellings of one name share it."""
    from ingest.standardise import names

    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    folded = "".join(names.initial_fold(c) for c in letters)
    return f"translate(left({expr}, 1), '{letters}', '{folded}')"


def _lone_given_expr(which: str, present: set[str]) -> str:
    """The folded initial of ``first_name`` (``given``), or of a one-word name only
    (``lone``: no surname key, more than one letter, not a stand-in alone)."""
    from ingest.standardise import names

    if not {"first_name", "last_name_key"} <= present:
        return ""
    initial = _folded_initial_sql("first_name")
    if which == "given":
        return initial
    return (f"CASE WHEN last_name_key IS NULL AND length(first_name) > 1 AND first_name "
            f"NOT IN ({names.stand_ins_sql()}) THEN {initial} END")


def mother_name_sql() -> str:
    """std.mother_name as a feed delivers it ("Smt. Chandrika Kunjam"), read as every name
    is (``ingest.standardise.names``): the letters, upper-cased, single-spaced, leading
    titles and "late" prefixes off (``reference/honorifics.csv``), a title alone is no
    name. A name in another script keeps no letter here and is null (no evidence)."""
    from ingest.standardise.names import clean_name_sql, strip_honorific_sql

    return strip_honorific_sql(clean_name_sql("CAST(mother_name AS VARCHAR)"), alone=True)


def _column_sql(col: str, typ: str, present: set[str], kyr: bool = False) -> str:
    """SQL for one Splink input column; NULL when the std table lacks its source.
    ``kyr``: the KYR side (its mover keys are its previous address)."""
    if col in BIRTH_BANDS:
        expr = BIRTH_BANDS[col] if "birth_year" in present else ""
    elif col in MOVER_COLUMNS:
        expr = _mover_expr(col, present, kyr)
    elif col in CROSSED_NAMES:
        expr = CROSSED_NAMES[col][0 if kyr else 1]
        expr = expr if expr in present else ""
    elif col in LONE_GIVEN:
        expr = _lone_given_expr(LONE_GIVEN[col][0 if kyr else 1], present)
    elif col == "unresolved_block_key":
        expr = _unresolved_block_expr(present, kyr)
    elif col in NAME_SHAPE_COLUMNS:
        expr = (_name_shape_sql(col) if {"name_std", "name_key"} <= present else "")
    elif col == "typo_key":
        expr = (TYPO_KEY if {"first_name_key", "last_name_key", "place_key"} <= present
                else "")
    elif col == "name_sorted_key":
        expr = ("array_to_string(list_sort(string_split(name_key, ' ')), ' ')"
                if "name_key" in present else "")
    elif col in DERIVED_COLUMNS or col in ACROSS_ROWS:
        expr = ""
    elif col == "mother_name_std":
        expr = mother_name_sql() if "mother_name" in present else ""
    elif col == "village_code":
        parts = [c for c in ("village_code", "village_std") if c in present]
        expr = f"coalesce({', '.join(parts)})" if parts else ""
    elif col == "uid_token":
        if "uid_token" not in present:
            expr = ""
        elif "uid_valid" in present:
            expr = "CASE WHEN coalesce(uid_valid, false) THEN uid_token END"
        else:
            expr = "uid_token"
    else:
        expr = col if col in present else ""
    if not expr:
        return f"CAST(NULL AS {typ}) AS {col}"
    cast_expr = f"CAST({expr} AS {typ})"
    if typ == "VARCHAR":
        cast_expr = f"nullif(trim({cast_expr}), '')"
    return f"{cast_expr} AS {col}"


# ------------------------------------------------- stand-ins and initials (issue 17)
# A department writes "SAROJINI DEVI" or "BAI L" or "TIRKEY K" for KYR's "SAROJINI KUMETI",
# "LEELA DEWANGAN", "KAMLA TIRKEY": Devi, Bai, Kumar stand where the surname goes, or a
# name is cut to its initials. Every name level then saw another name (weight -6.6), and
# such records went to review or stayed unmatched (dev_noisy_tuning 50k, seed 11: 210 of
# rd_mgnrega's 264 low-weight reviews, 129 of food_pds' 143 unmatched with the true UID
# best). These columns let the seeding model's name comparison
# (comparisons.name_comparison, ``stand_ins``) compare what such a name still says.
NAME_SHAPE_COLUMNS = ("name_core_key", "name_initials", "name_abbrev_like", "name_given_only")


def _sql_list(words) -> str:
    return ", ".join("'" + w.replace("'", "''") + "'" for w in sorted(words))


def _name_shape_sql(col: str) -> str:
    """DuckDB expression over ``name_std`` / ``name_key`` for one NAME_SHAPE_COLUMNS column.

    Stand-ins come from ``ingest/reference/name_stand_ins.csv``; an initial is folded as
    its name's first letter is (``name_folds.csv``: V -> B, Y -> J, ...). ``name_key``
    leaves out a middle filler ('Kumar', ingest), so its tokens align with the spelled
    ones once those are left out too (ingest.standardise.names.name_keys)."""
    from ingest.standardise import names

    toks = "string_split(name_std, ' ')"
    stand = names.stand_ins_sql()
    core = f"list_filter({toks}, lambda t: t NOT IN ({stand}))"
    if col == "name_given_only":  # "SAROJINI DEVI", "BAI MNAJU": one given name, no surname
        return (f"CASE WHEN len({core}) = 1 AND len({toks}) > 1 "
                f"AND length({core}[1]) > 1 THEN {core}[1] END")
    if col == "name_core_key":
        keys = "string_split(name_key, ' ')"
        aligned = (f"list_filter({toks}, lambda t, i: i = 1 OR i = len({toks}) "
                   f"OR t NOT IN ({_sql_list(names.fillers())}))")
        return (f"CASE WHEN len({aligned}) = len({keys}) THEN array_to_string("
                f"list_filter({keys}, lambda k, i: {aligned}[i] NOT IN ({stand})), ' ') END")
    initials = f"list_sort(list_transform({core}, lambda t: {_folded_initial_sql('t')}))"
    if col == "name_initials":
        return f"array_to_string({initials}, '')"
    # abbreviated: a token is one letter. Sorted initials, so "within the other's
    # initials" is one LIKE: 'KNT' LIKE '%K%T%'
    return (f"CASE WHEN len(list_filter({core}, lambda t: length(t) = 1)) > 0 "
            f"THEN '%' || array_to_string({initials}, '%') || '%' END")


# ----------------------------------------------------------------- movers (issue 17)
# KYR's delta moves a resident to a new village while a department still lists the old
# one. The KYR side carries the resident's previous village / block from
# std.uid_kyr_history; a department record's mover keys are its own village / block.
MOVER_COLUMNS = frozenset({"prev_village_code", "prev_block_std",
                           "mover_village_key", "mover_block_key"})
_HISTORY_ORDER = ("valid_from", "batch_date", "batch_id", "source_row")  # ingest's order


def _mover_expr(col: str, present: set[str], kyr: bool) -> str:
    """Expression for a mover column ('' = NULL). ``present`` includes prev_village_code /
    prev_block_std when the KYR source was joined with ``previous_address_sql``."""
    village = "coalesce(" + ", ".join(
        c for c in ("village_code", "village_std") if c in present) + ")"
    own = {"prev_village_code": "", "prev_block_std": "",
           "mover_village_key": village if village != "coalesce()" else "",
           "mover_block_key": "block_std" if "block_std" in present else ""}
    if not kyr:
        return own[col]
    prev = {"mover_village_key": "prev_village_code",
            "mover_block_key": "prev_block_std"}.get(col, col)
    return prev if prev in present else ""


def previous_address_sql(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    """Per KYR ``uid_token``: ``prev_village_code`` / ``prev_block_std``, the most recent
    earlier version's village (LGD code, else the village as spelled) / block that differs
    from the current version's; None without a usable history. Versions are ordered as
    ingest orders them (last_updated, batch date, batch, row: all from the landing), and
    a tie left is broken by the value itself, so any home picks the same address."""
    hist = _std_columns(con, "uid_kyr_history", catalog)
    if not {"uid_token", "is_current", "block_std"} <= hist or not (
            {"village_code", "village_std"} & hist):
        return None
    village = "coalesce(" + ", ".join(
        c for c in ("village_code", "village_std") if c in hist) + ")"
    order = ", ".join(f"h.{c} DESC NULLS LAST" for c in _HISTORY_ORDER if c in hist)

    def latest_other(col: str, name: str) -> str:
        return (f"SELECT uid_token, {name} FROM (SELECT h.uid_token, h.x AS {name}, "
                f"row_number() OVER (PARTITION BY h.uid_token ORDER BY "
                f"{order + ', ' if order else ''}h.x DESC) AS rn "
                f"FROM h JOIN c USING (uid_token) WHERE NOT h.is_current AND h.x IS NOT NULL "
                f"AND h.x IS DISTINCT FROM c.{col}) WHERE rn = 1")

    cols = ", ".join(c for c in _HISTORY_ORDER if c in hist)
    return (
        f"WITH hv AS (SELECT uid_token, is_current, {village} AS v, block_std AS b"
        f"{', ' + cols if cols else ''} FROM {catalog}.std.uid_kyr_history "
        f"WHERE uid_token IS NOT NULL), "
        f"c AS (SELECT uid_token, min(v) AS v, min(b) AS b FROM hv "
        f"WHERE is_current GROUP BY uid_token), "
        f"pv AS (WITH h AS (SELECT *, v AS x FROM hv) {latest_other('v', 'prev_village_code')}), "
        f"pb AS (WITH h AS (SELECT *, b AS x FROM hv) {latest_other('b', 'prev_block_std')}) "
        f"SELECT c.uid_token, pv.prev_village_code, pb.prev_block_std FROM c "
        f"LEFT JOIN pv USING (uid_token) LEFT JOIN pb USING (uid_token) "
        f"WHERE pv.prev_village_code IS NOT NULL OR pb.prev_block_std IS NOT NULL")


def _with_previous_address(con: duckdb.DuckDBPyConnection, source: str, catalog: str,
                           present: set[str]) -> str:
    """``source`` (a KYR relation) with its residents' previous address joined; adds the
    two columns to ``present`` when the history allows."""
    prev = previous_address_sql(con, catalog)
    if prev is None or "uid_token" not in present:
        return source
    present.update({"prev_village_code", "prev_block_std"})
    return (f"(SELECT s.*, p.prev_village_code, p.prev_block_std FROM {source} s "
            f"LEFT JOIN ({prev}) p ON p.uid_token = s.uid_token)")
# ------------------------------------------------------------- end of movers block


def _deactivated_sql(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    """The latest version of each UID that UIDAI deactivated (e.g. after a death) and
    that is not in ``std.uid_kyr``, from ``std.uid_kyr_history``; None without it."""
    hist = _std_columns(con, "uid_kyr_history", catalog)
    if not {"is_current", "active", "uid_token"} <= hist:
        return None
    return (f"SELECT * FROM {catalog}.std.uid_kyr_history h "
            f"WHERE h.is_current AND NOT h.active AND NOT EXISTS ("
            f"SELECT 1 FROM {catalog}.std.{KYR} k WHERE k.uid_token = h.uid_token)")


def _kyr_with_deactivated_sql(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    """Current KYR residents plus the deactivated ones; None without the history."""
    deactivated = _deactivated_sql(con, catalog)
    if deactivated is None:
        return None
    shared = ", ".join(sorted(_std_columns(con, KYR, catalog)
                              & _std_columns(con, "uid_kyr_history", catalog)))
    return (f"(SELECT {shared} FROM {catalog}.std.{KYR} UNION ALL "
            f"SELECT {shared} FROM ({deactivated}) d)")


def feed_select_sql(con: duckdb.DuckDBPyConnection, feed: str, catalog: str = WH,
                    kyr_deactivated: bool = False) -> str:
    """``kyr_deactivated`` (KYR only): include the deactivated residents."""
    present = _std_columns(con, feed, catalog)
    if not present and feed == KYR:
        # a landing may hold any subset of feeds: with no KYR yet nothing is seeded, but
        # the department lists are still de-duplicated
        log.warning("no std.%s in the warehouse: seeding skipped, de-duplication only", KYR)
        cols = ", ".join(f"CAST(NULL AS {typ}) AS {col}"
                         for col, (typ, _expr) in SPLINK_COLUMNS.items())
        return f"SELECT {cols} WHERE false"
    if not present:
        raise ValueError(f"no table std.{feed} in the warehouse")
    source = f"{catalog}.std.{feed}"
    if feed == KYR and kyr_deactivated:
        source = _kyr_with_deactivated_sql(con, catalog) or source
    if feed == KYR:
        source = _with_previous_address(con, source, catalog, present)
    if feed == KYR and "source_record_id" not in present:
        id_expr = "uid_token"
    else:
        id_expr = "source_record_id"
    cols = []
    for col, (typ, _expr) in SPLINK_COLUMNS.items():
        if col == "unique_id":
            cols.append(f"CAST({id_expr} AS VARCHAR) AS unique_id")
        else:
            cols.append(_column_sql(col, typ, present, kyr=feed == KYR))
    order = [c for c in ("batch_id", "source_row") if c in present]
    order_sql = ", ".join(f"{c} DESC" for c in order) or "1"
    select = _with_implied_surname(
        f"SELECT {', '.join(cols)} FROM ("
        f"  SELECT *, row_number() OVER (PARTITION BY {id_expr} ORDER BY {order_sql}) AS _rn"
        f"  FROM {source}) WHERE _rn = 1 AND {id_expr} IS NOT NULL"
    )
    return select if feed == KYR else _with_card_mates(select)


def load_feed(con: duckdb.DuckDBPyConnection, feed: str, catalog: str = WH,
              kyr_deactivated: bool = False) -> FeedTable:
    """Materialise ``inp_<feed>`` (one row per source record) in the workspace."""
    table = f"inp_{feed}"
    sql = feed_select_sql(con, feed, catalog, kyr_deactivated)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS {sql}")
    if feed == KYR:  # which KYR rows are deactivated (linked to, but no resident of their own)
        deactivated = _deactivated_sql(con, catalog) if kyr_deactivated else None
        con.execute(f"CREATE OR REPLACE TABLE {DEACTIVATED} AS " + (
            f"SELECT DISTINCT uid_token AS unique_id FROM ({deactivated}) d"
            if deactivated else "SELECT NULL::VARCHAR AS unique_id WHERE false"))
    rows = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    counts = con.execute(
        "SELECT " + ", ".join(f"count({c})" for c in INPUT_COLUMNS) + f" FROM {table}"
    ).fetchall()[0]
    usable = frozenset(c for c, n in zip(INPUT_COLUMNS, counts, strict=True) if n > 0)
    return FeedTable(feed, table, int(rows), usable)


def load_frame(con: duckdb.DuckDBPyConnection, feed: str, df) -> FeedTable:
    """Same as ``load_feed`` for an in-memory std-shaped DataFrame (tests, benchmarks)."""
    con.register("_tmp_std", df)
    con.execute("CREATE SCHEMA IF NOT EXISTS std")
    con.execute(f"CREATE OR REPLACE TABLE std.{feed} AS SELECT * FROM _tmp_std")
    con.unregister("_tmp_std")
    catalog = con.execute("SELECT current_database()").fetchall()[0][0]
    return load_feed(con, feed, catalog)
