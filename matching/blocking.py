"""Blocking rules: which record pairs are scored at all.

All rules are equality conjunctions (``block_on``), which every Splink backend
runs as hash joins. The union of the rules sets the number of pairs, and so the
run time; see matching/README.md for measured pair counts and blocking recall.
"""

from __future__ import annotations

import logging

from splink import block_on

from matching.inputs import DERIVED_COLUMNS

log = logging.getLogger(__name__)

# Seeding: a departmental record against KYR.
SEED_PREDICTION_RULES = (
    ("uid_token",),                       # pre-seeded token (valid ones only)
    # Pairs grow with the state, not its square (issue 17, 30M plan): a name key is
    # scoped to the village, or to the block with a birth year, never the whole state
    # or a whole block (districts and blocks are fixed, villages grow with the state).
    # Measured on the tuning profile (benchmarks/bench_blocking.py, BENCHMARKS.md): the
    # name + block rules grew x42 from 100k to 1M, the statewide name + birth-year
    # rules x54-85; name key + block was a subset of sorted name key + block.
    ("name_sorted_key", "village_code"),  # surname written first
    ("name_sorted_key", "block_std", "birth_year_min"),  # listed in another village
    # (first_name_key + village_code was dropped: 19% of the pairs at 100k, the only
    # rule to find 0.04-0.1% of true matches; village + birth year finds most of them)
    ("last_name_key", "village_code", "gender"),  # initials, extra middle names
    # the first name right, the surname misspelt or written otherwise, and an age 2-3 years
    # off (issue 17: ages further off; matching.inputs.BIRTH_BANDS): within the village,
    # in bands of birth years, each band key its own rule
    ("first_name_key", "village_code", "birth_band"),
    ("first_name_key", "village_code", "birth_band_shifted"),
    ("relative_name_key", "village_code"),
    # a feed without villages (scholarships: a block only) had no relative's-name rule: a
    # child listed as "R" or "C KUJJUR" with the father's name and the year of birth
    # (dev_noisy_tuning 50k, seed 7: 53 of edu_scholarship's 67 unpaired true pairs, for
    # 3.9k pairs; scoped like the name + block rules, so pairs grow with the state)
    ("relative_name_key", "block_std", "birth_year_min"),
    ("last_name_key", "relative_name_key", "village_code"),
    ("mobile",),
    # name + birth year within the block; a feed without blocks (FEBRL) keeps the
    # statewide rule. (name_key + gender + birth_year is a subset of the first)
    (("first_name_key", "last_name_key", "birth_year", "block_std"),
     ("first_name_key", "last_name_key", "birth_year")),
    # an age gives birth_year_min/max = year - age - 1 / year - age: the other edge
    (("name_key", "gender", "birth_year_min", "block_std"),
     ("name_key", "gender", "birth_year_min")),
    # moved to another district, or a place that did not resolve: the same name and
    # age with the village as spelled, or with the relative's name (both linear)
    ("name_key", "gender", "birth_year_min", "place_key"),
    ("name_key", "gender", "birth_year_min", "relative_name_key"),
    # heavily corrupted names ("G Bai"); where villages did not resolve (no codes on
    # one side), the village as spelled (FEBRL: both names changed, same suburb and dob)
    (("village_code", "birth_year"), ("place_key", "birth_year")),
    (("village_code", "birth_year_min"), ("place_key", "birth_year_min")),
    # rules that survive one wrong field (issue 17): the village as spelled, when it did
    # not resolve to the master; one name token misspelt, with the full date of birth;
    # an age off by one the other way
    # Both scoped to the district where both feeds carry districts (issue 17): unscoped,
    # a village name shared by villages of several districts, and a name + birth year
    # across the state, made 20.5M and 20.1M pairs at 1M (field profile), pairs that grow
    # with the square of the state. At 1M on the tuning profile the district keeps 97%
    # of the true pairs only these rules found, for 18M fewer pairs (the block kept 0%,
    # deaths are often registered in another block); benchmarks/bench_blocking.py.
    # A feed without districts (FEBRL: no place resolves) keeps the unscoped rule: an
    # entry may list alternatives, the first one whose columns both feeds carry is used.
    (("last_name_key", "place_key", "gender", "district_std"),
     ("last_name_key", "place_key", "gender")),
    ("first_name_key", "dob"),
    ("last_name_key", "dob"),
    # surname written first on one side and a misspelt village (a dev-set miss: "RICKETT
    # OLIVER" / "OLIVER RICKETT", Jamedtown / Jamestown); a full date is so selective that
    # this costs almost no pairs, and none where a feed carries ages only
    ("name_sorted_key", "dob"),
    (("name_key", "birth_year_max", "district_std"), ("name_key", "birth_year_max")),
    # issue 17, FEBRL-like lists (development sets FEBRL1/2-link; matching/README.md
    # "FEBRL linkage development sets"): a record without a date of birth, or with
    # another one, and the same name in the same place as spelled (surname first too),
    # where the feeds carry no village codes ("!col": only where the feeds have no value
    # in col; with codes, name + village above pairs them: on the tuning profile at 50k
    # the rule added 79k pairs and no true pair)
    (("!village_code", "name_sorted_key", "place_key", "district_std"),
     ("!village_code", "name_sorted_key", "place_key")),
    # the first name with the place as spelled, for feeds without village codes: the
    # surname misspelt ("NAOMI HANIAGN" / "NAOMI HANIGAN") and the date of birth missing
    # or another (FEBRL2-link: 7 of 15 records never paired). The dedupe rule of the same
    # name; the surname's twin above ("last_name_key", "place_key", "gender")
    (("!village_code", "first_name_key", "place_key", "district_std"),
     ("!village_code", "first_name_key", "place_key")),
    # the full date of birth with both names and the place misspelt, where no district
    # or block resolved (within the block it also paired made-up beneficiaries given a
    # neighbour's date of birth: tests/test_matching_model.py's ghosts)
    ("!district_std", "!block_std", "dob"),
    # a list with no district or block at all (no place resolved, FEBRL): first name and
    # surname alone, the suburb misspelt and no date to pair on. Both keys: a one-word
    # name ("WHITE") alone paired namesakes that its exact-name level then scored as one
    # person (FEBRL2-link)
    ("!district_std", "!block_std", "first_name_key", "last_name_key"),
    # the date of birth replaced and two of first name, surname and place misspelt past
    # their first letters (matching.inputs.TYPO_KEY: "BENJAMIN CANNEKL", Kununuodra /
    # "BENJAMIN CANNELL", Kununurra), where the feeds carry no village codes (with codes
    # it cost about 290k pairs at 100k for 2 true pairs no rule in use finds); in the
    # district where feeds carry one, as the place rules above
    (("!village_code", "typo_key", "district_std"), ("!village_code", "typo_key")),
)

# --- movers (issue 17) ---
# KYR's delta moved the resident; the department still lists the old village. The mover
# keys (matching.inputs) are KYR's previous village / block against the department's
# listed one, so these mirror the village and block rules above on the old address. A KYR
# row has them only when its history holds another address, so they add few pairs
# (benchmarks/bench_blocking.py; matching/README.md "Movers").
MOVER_SEED_RULES = (
    ("last_name_key", "mover_village_key", "gender"),
    ("mover_village_key", "birth_year_min"),
    # within the old block only with a birth year, as the block rules above (pairs grow
    # with the state, not its square)
    ("name_key", "mover_block_key", "birth_year_min"),
)
SEED_PREDICTION_RULES = SEED_PREDICTION_RULES + MOVER_SEED_RULES
# --- end movers ---

# --- a name written surname first, one token misspelt (issue 17, rdrec) ---
# The crossed keys (matching.inputs.CROSSED_NAMES) hold KYR's given name / surname key and
# the department's last / first token's: "DEWAGAN SOMAROO" meets "SOMARU DEWANGAN" on
# SOMARU within the village and a birth band, as the first-name rules above do for a name
# in KYR's order. Seeding only (a department against KYR): two department records are
# written in one order or the other alike, and dedupe keeps the sorted name key.
def _in_village_by_birth_band(*keys: str, village: str = "village_code"
                              ) -> tuple[tuple[str, ...], ...]:
    """Each key within the village (``village``: a mover's old one, below) and a birth
    band, either way of the band's edge."""
    return tuple((k, village, band) for k in keys
                 for band in ("birth_band", "birth_band_shifted"))


CROSSED_NAME_SEED_RULES = _in_village_by_birth_band("given_crossed_key", "surname_crossed_key")
SEED_PREDICTION_RULES = SEED_PREDICTION_RULES + CROSSED_NAME_SEED_RULES
# --- end crossed names ---

# --- a dropped surname with a misspelt given name (issue 17) ---
# "RAHLU" / "RAHUL YADAV" with an age a year or two off shares no name key and no birth
# year with its KYR row. The lone-name keys (matching.inputs.LONE_GIVEN) are the folded
# initial of a one-word name on one side and of the given name on the other, within the
# village and a birth band, as the first-name rules above: only one-word names carry the
# key on their side, so the rules add few pairs (matching/README.md). Seeding only.
LONE_GIVEN_SEED_RULES = _in_village_by_birth_band("lone_given_initial", "lone_kyr_initial")
SEED_PREDICTION_RULES = SEED_PREDICTION_RULES + LONE_GIVEN_SEED_RULES
# --- end lone names ---

# --- a village that did not resolve (issue 17) ---
# The department's village spelled past what resolution accepts: the full name key within
# the block and a birth band, both edges (matching.inputs.UNRESOLVED_BLOCK: only records
# whose village did not resolve carry the key on the department's side). Seeding only.
# Then what the village rules above ask for one name token (the first name, the surname)
# or the relative's name, with the block for the village and a birth band for the year:
# a village lost *and* a name token misspelt ("CHANDRIKA NISHHAD", "SEHA PATEL") or a
# stand-in in it ("LEELA BAI YADAV" / "LILA YADAV") met no rule (bench_phenomena, tuning
# 50k seed 7: 27 of the village-two-edits group's 54 misses never paired). The token
# comes with the name's initials (``name_initials``: sorted, folded, no stand-ins; a typo
# past the first letter keeps them), which halve its pairs (the 553 records of that state
# whose village did not resolve: 2,137 pairs, 4,782 with the token alone). Still
# unpaired: a first letter changed ("PHULMATI" / "FULMATI": P is no F among initials),
# another word that is no stand-in ("RAJESH RAM SHARA" / "RAJESH SHARMA"), a name written
# surname first ("SAHU SUMITRA"). Only records whose village did not resolve carry the
# key, but a block's population grows with the state (blocks are fixed): pairs per such
# record about 4 at 50k, some 80 at 1M and 2,000 at 30M by that slope, so the rules'
# pairs grow with the square of the state while the share of unresolved villages holds
# (1% of 30M records: about 10^9 pairs). Resolving more villages is the lever there;
# a list whose villages mostly do not resolve meets the per-rule pair budget.
UNRESOLVED_SEED_RULES = tuple(
    (*keys, "unresolved_block_key", band)
    for keys in (("name_key",), ("first_name_key", "name_initials"),
                 ("last_name_key", "name_initials"), ("relative_name_key",))
    for band in ("birth_band", "birth_band_shifted"))
SEED_PREDICTION_RULES = SEED_PREDICTION_RULES + UNRESOLVED_SEED_RULES
# --- end unresolved villages ---

# --- a mover whose name or age is written otherwise too (issue 17) ---
# The mover rules above ask the old village for an exact surname, or an exact birth year,
# or the old block for the whole name key and the year: a mover listed surname first
# ("DESHMUKH CHANDRIKA"), or with a misspelt token, or with an age a few years off met
# none of them. So the old village gets what the village rules give the current one: the
# sorted name key, the relative's name, and the first name within a birth band. Only KYR
# rows whose history holds another address carry ``mover_village_key`` on KYR's side, so
# the pairs are the movers' (linear in the state). The crossed keys were left out here
# (surname first and a token misspelt stays unpaired on the old village). Measured in
# matching/README.md, "Movers". Seeding only, as the mover rules above.
MOVER_MORE_SEED_RULES = (
    ("name_sorted_key", "mover_village_key"),
    ("relative_name_key", "mover_village_key"),
    *_in_village_by_birth_band("first_name_key", village="mover_village_key"),
)
SEED_PREDICTION_RULES = SEED_PREDICTION_RULES + MOVER_MORE_SEED_RULES
# --- end movers written otherwise ---

# Dedupe: records of departmental sources among themselves.
DEDUPE_PREDICTION_RULES = (
    ("uid_token",),
    # scoped as the seeding rules are: a copy listed in another block or district is
    # found by kyr_anchor (below), the relative's name, mobile or date of birth
    ("name_sorted_key", "village_code"),
    ("name_sorted_key", "block_std", "birth_year_min"),  # feeds without villages
    ("relative_name_key", "village_code"),
    # (first_name_key + village_code was dropped: 68% of the dedupe pairs at 100k, the
    # only rule to find 2 of 1,460 true within-source duplicate pairs)
    ("last_name_key", "relative_name_key", "village_code"),
    ("mobile",),
    (("first_name_key", "last_name_key", "birth_year", "block_std"),
     ("first_name_key", "last_name_key", "birth_year")),
    (("name_key", "gender", "birth_year_min", "block_std"),
     ("name_key", "gender", "birth_year_min")),
    ("name_key", "gender", "birth_year_min", "relative_name_key"),
    # the village as spelled (unresolved places keep their evidence); the sorted name
    # key also pairs a name written surname first ("SNELL SOPHIE" / "SOPHIE SNELL": 14 of
    # FEBRL2's 235 unblocked true pairs, development data). A superset of name_key +
    # place_key, the rule it replaces; scoped like it, by the village name.
    ("name_sorted_key", "place_key"),
    ("first_name_key", "dob"),
    ("last_name_key", "dob"),
    # surname written first, with the full date of birth (the seeding rule of the same
    # name; FEBRL2: 32 of the 235 unblocked true pairs). A full date is so selective that
    # this costs almost no pairs, and none where a feed carries ages only
    ("name_sorted_key", "dob"),
    # both name tokens misspelt or swapped: the same date of birth in the same place as
    # spelled (FEBRL1/2, development data: 274 of 553 true pairs no other rule found; a
    # village's records born on one day are few), in the district where feeds carry one
    (("dob", "place_key", "district_std"), ("dob", "place_key")),
    # a list with no village codes at all (no place resolved: FEBRL, a list from outside
    # the LGD master): one name token and the place as spelled, for a copy with the other
    # token misspelt and no date or another one (FEBRL2, development data: 44 of 209
    # unblocked true pairs). Where codes exist ("!village_code") the village rules above
    # pair them, and surname + village code would grow with the square of a village
    (("!village_code", "first_name_key", "place_key", "district_std"),
     ("!village_code", "first_name_key", "place_key")),
    (("!village_code", "last_name_key", "place_key", "district_std"),
     ("!village_code", "last_name_key", "place_key")),
    # same best KYR candidate: a duplicate listed in another village/district, whose
    # copy the seeding placed on the same resident (inputs.DERIVED_COLUMNS)
    ("kyr_anchor",),
)

# Expectation maximisation: each rule leaves the comparisons it blocks on
# untrained in that session, so together they train every comparison. An entry may
# list alternatives: the first one whose columns the feeds carry is used.
EM_TRAINING_RULES = (
    (("name_key", "birth_year"),),                        # trains location, relative, ...
    # trains name; a feed without villages (edu_scholarship) blocks on its block
    # (a feed whose places did not resolve to the master: its village as spelled)
    (("village_code", "birth_year"), ("block_std", "birth_year"), ("place_key", "birth_year")),
    (("first_name_key", "last_name_key", "district_std"),  # trains birth
     ("first_name_key", "last_name_key", "place_key")),
)


def _usable(rule: tuple[str, ...], columns: set[str]) -> bool:
    """Every column of the rule has values ("!col": col has none, a guard that is not
    blocked on)."""
    return all((c[1:] not in columns) if c.startswith("!")
               else (c in columns or c in DERIVED_COLUMNS) for c in rule)


def _columns(rule: tuple[str, ...]) -> tuple[str, ...]:
    """The columns blocked on (guards dropped)."""
    return tuple(c for c in rule if not c.startswith("!"))


def _alternatives(entry: tuple) -> tuple[tuple[str, ...], ...]:
    """An entry is one rule (column names) or alternatives (a tuple of rules)."""
    return entry if entry and isinstance(entry[0], tuple) else (entry,)


def chosen(spec: tuple, columns: set[str]) -> list[tuple[str, ...]]:
    """The column tuples in use: per entry, its first alternative whose columns are all
    usable (entries with none are left out)."""
    picked = (next((r for r in _alternatives(e) if _usable(r, columns)), None) for e in spec)
    return [_columns(r) for r in picked if r]


def rules(spec: tuple, columns: set[str]) -> list:
    """``block_on`` creators for the rules in use (``chosen``)."""
    return [block_on(*r) for r in chosen(spec, columns)]


def training_rules(columns: set[str], spec=EM_TRAINING_RULES) -> list:
    """``block_on`` creators for the EM sessions: per entry, its first usable rule."""
    return [block_on(*r) for r in chosen(spec, columns)]


# --- a pair budget per rule (issue 17: cost that grows with the state, not its square) ---
#: Tables past this many rows are first counted on a sample (a GROUP BY per rule over a
#: 1M-row KYR costs about a second on 2 cores; every rule x every feed would add minutes):
#: about one row in SAMPLE_EVERY of each side (a pair survives with 1 / SAMPLE_EVERY^2)
EXACT_UP_TO_ROWS = 200_000
SAMPLE_EVERY = 20


def rule_pairs(db, tables: list[str], cols: tuple[str, ...], link_only: bool,
               scale: float = 1.0) -> int:
    """The pairs one equi-join rule makes (before Splink drops repeats across rules).

    ``link_only``: the two tables against each other (seeding: a department against KYR);
    else every record against every other of all the tables together (dedupe). Counted
    from key counts, so it costs a GROUP BY per table, never the join itself (Splink's
    ``count_comparisons_from_blocking_rules`` makes the pairs, the very cost guarded
    against). ``scale`` multiplies the count (a sample's pairs to the whole table's)."""
    tables = [t for t in tables if set(cols) <= set(db.columns(t))]  # kyr_anchor: once set
    if link_only and len(tables) < 2 or not tables:
        return 0
    keys = ", ".join(cols)
    not_null = " AND ".join(f"{c} IS NOT NULL" for c in cols)

    def counts(t: str) -> str:
        return f"SELECT {keys}, count(*) AS n FROM {t} WHERE {not_null} GROUP BY {keys}"

    if link_only:
        left, right = tables
        sql = (f"SELECT sum(CAST(l.n AS DOUBLE) * r.n) FROM ({counts(left)}) AS l "
               f"JOIN ({counts(right)}) AS r USING ({keys})")
    else:
        union = " UNION ALL ".join(f"SELECT {keys} FROM {t}" for t in tables)
        sql = f"SELECT sum(CAST(n AS DOUBLE) * (n - 1) / 2) FROM ({counts(f'({union})')}) AS k"
    return int((db.rows(sql)[0][0] or 0) * scale)


def _sampled(db, t: str, salt: int) -> str:
    """About one row in ``SAMPLE_EVERY`` of ``t``, chosen by a hash of the row's content
    (salted per table, so the two sides of a pair are drawn independently): rows, not
    keys, so a rule whose pairs sit in a few heavy keys (one date of birth across a
    list) is still seen; and by content, never by row order or the home's tokens, so
    every home draws the same sample from the same inputs."""
    have = set(db.columns(t))
    content = [c for c in _SAMPLE_CONTENT if c in have] or ["unique_id"]
    key = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '')" for c in content)
    return f"(SELECT * FROM {t} WHERE hash({key}, {salt}) % {SAMPLE_EVERY} = 0)"


#: what a row is drawn by: its content, never the home's tokens (KYR's unique_id)
_SAMPLE_CONTENT = ("name_std", "relative_name_std", "dob", "birth_year_min", "gender",
                   "village_code", "place_key", "mobile")


def within_budget(db, spec: tuple, columns: set[str], tables: list[str], link_only: bool,
                  records: int, max_pairs_per_record: float | None,
                  what: str) -> tuple[tuple[str, ...], ...]:
    """The rules of ``spec`` in use (``chosen``), less any whose pairs pass
    ``max_pairs_per_record`` x ``records`` (the department side: the records to match).

    A rule past the budget pairs each record with hundreds of others: a key shared by a
    whole state (a date of birth across a list with no district, a surname across a
    block). Splink would score every such pair, and the run would grow with the square of
    the state. The rule is left out with a warning that names it; the other rules still
    pair the records it would have, and the fix is another key beside it (matching/
    README.md, "Blocking"). If every rule is past the budget the cheapest stays, with a
    warning (none would make Splink score every pair). On tables past
    ``EXACT_UP_TO_ROWS`` each rule is first estimated on about one row in
    ``SAMPLE_EVERY`` of each table (``_sampled``: the same in every home); a rule
    estimated at most half the budget
    is kept on that estimate, any other is counted exactly, and the exact count decides
    whether it is left out. ``None`` keeps every rule."""
    picked = tuple(chosen(spec, columns))
    if not max_pairs_per_record or records <= 0:
        return picked
    budget = max_pairs_per_record * records
    rows = sum(db.rows(f"SELECT count(*) FROM {t}")[0][0] for t in tables)
    sample = getattr(db, "dialect", "") == "duckdb" and rows > EXACT_UP_TO_ROWS
    kept, over = [], []
    for cols in picked:
        have = [t for t in tables if set(cols) <= set(db.columns(t))]
        if sample and rule_pairs(db, [_sampled(db, t, i) for i, t in enumerate(have)], cols,
                                 link_only, SAMPLE_EVERY ** 2) <= budget / 2:
            kept.append(cols)  # far under the budget: no exact count needed
            continue
        n = rule_pairs(db, tables, cols, link_only)
        (kept if n <= budget else over).append((n, cols) if n > budget else cols)
    for n, cols in over:
        log.warning(
            "%s: blocking rule %s left out: it makes %s pairs, %.0f per record, past "
            "the budget of %s per record (prediction.max_pairs_per_record); add a key "
            "beside it (matching/README.md, 'Blocking')", what, " + ".join(cols),
            f"{n:,}", n / records, f"{max_pairs_per_record:g}")
    if not kept and over:
        # no rule at all would make Splink score every pair (its "1=1"): the cheapest
        # one stays, past the budget, and the operator is told
        n, cols = min(over)
        log.warning("%s: every blocking rule is past the budget; %s is kept (%s pairs), "
                    "the fewest", what, " + ".join(cols), f"{n:,}")
        kept = [cols]
    return tuple(kept)
