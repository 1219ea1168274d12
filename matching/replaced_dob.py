"""How often a true department -> KYR pair carries a wholly different date of birth,
estimated on the home's own data (issue 17: learn from the state's own data).

The seeding models' birth level "else" (birth years more than ten apart) has a fixed
m, ``comparisons.BIRTH_M[-1]`` (0.0003, about -11.4 bits): on generated states a
department's age is almost never that far off for the same person, and a record that
names a grandparent's namesake must stay apart from them. A list whose clerks replaced
some dates outright (FEBRL's linkage sets: 4% of copies, development data) loses every
such person to that penalty. EM cannot learn this m: over blocked pairs it counts
same-named relatives of one village as matches (m 0.18-0.20 on a 50k tuning state).

The estimate, by counting and without labels. A record's *cell* is its KYR rows with
the same name key, the same place (village code, else the place as spelled) and no
gender disagreement, both sides dated. Of the N department records with a cell, in A
every row of the cell is "else". Part of A is namesakes: a record whose own KYR row is
not in its cell (the person is not in KYR, or keyed otherwise: a son not in KYR, named
after his father who is) meets only namesakes there. KYR measures how often that
happens, since it lists each person once: qe = the share of KYR rows whose cell holds
other rows, all of them "else". The namesakes' part of A is taken as C = N qe (as if
every record were as exposed as a KYR row is to its own namesakes: on the safe side, the
records with their own row in the cell need that row "else" too), and
m = (A - C) / N, shrunk towards the prior by ``PRIOR_RECORDS`` pseudo-records and never
below it. Where namesakes are dense (a 50k tuning state: qe 0.14, C ten times A) the
prior stays; where they are absent (FEBRL's lists: qe 0) the share of replaced dates is
what is left.
"""

from __future__ import annotations

import logging

from matching.comparisons import BIRTH_M

log = logging.getLogger(__name__)

#: the fixed prior's weight, in records: a list of a hundred dated pairs moves it halfway
PRIOR_RECORDS = 100
#: the "else" level's condition: birth years more than ten apart, ranges not overlapping
_ELSE = ("(abs(l.birth_year - r.birth_year) > 10 AND NOT ("
         "l.birth_year_min <= r.birth_year_max AND r.birth_year_min <= l.birth_year_max))")
_NEEDED = frozenset({"name_key", "birth_year", "birth_year_min", "birth_year_max"})


def _cell_sql(columns: frozenset[str] | set[str]) -> str | None:
    """Join condition of one cell (``l`` / ``r``); None when the feeds carry no place."""
    if "village_code" in columns and "place_key" in columns:
        place = ("CASE WHEN l.village_code IS NOT NULL AND r.village_code IS NOT NULL "
                 "THEN l.village_code = r.village_code ELSE l.place_key = r.place_key END")
    elif "village_code" in columns:
        place = "l.village_code = r.village_code"
    elif "place_key" in columns:
        place = "l.place_key = r.place_key"
    else:
        return None
    gender = " AND coalesce(l.gender = r.gender, true)" if "gender" in columns else ""
    return (f"l.name_key = r.name_key AND {place}{gender} "
            "AND l.birth_year IS NOT NULL AND r.birth_year IS NOT NULL")


def _dated(table: str) -> str:
    return f"SELECT count(*) FROM {table} WHERE name_key IS NOT NULL AND birth_year IS NOT NULL"


def _cells(left: str, right: str, cell: str, self_join: bool) -> str:
    """(records with a cell, of which every row is 'else')"""
    other = " AND l.unique_id <> r.unique_id" if self_join else ""
    return f"""
        SELECT count(*), coalesce(sum(all_else), 0) FROM (
            SELECT l.unique_id, min(CASE WHEN {_ELSE} THEN 1 ELSE 0 END) AS all_else
            FROM {left} l JOIN {right} r ON {cell}{other}
            GROUP BY l.unique_id) c"""


def estimate(rows, kyr_table: str, src_table: str, columns) -> dict | None:
    """``rows(sql) -> list[tuple]`` (``engine.of(con).rows``); ``columns``: the input
    columns both tables carry. Returns the counts and ``m`` (None: nothing to count)."""
    cols = frozenset(columns)
    cell = _cell_sql(cols)
    if cell is None or not _NEEDED <= cols:
        return None
    nk = rows(_dated(kyr_table))[0][0]
    n, a = rows(_cells(src_table, kyr_table, cell, False))[0]
    nq, nqe = rows(_cells(kyr_table, kyr_table, cell, True))[0]
    if not nk or not n:
        return None
    qe = nqe / nk
    c = n * qe
    prior = BIRTH_M[-1]
    m = max(prior, (a - c + prior * PRIOR_RECORDS) / (n + PRIOR_RECORDS))
    out = {"m": m, "with_cell": int(n), "all_else": int(a),
           "kyr_namesake_share": round(nq / nk, 5), "kyr_namesake_else_share": round(qe, 5),
           "namesakes_all_else": round(c, 1)}
    log.info("replaced dates of birth: %d of %d records with a name-and-place cell have "
             "only another date there (%.1f expected from namesakes): m(else) %.4g", a, n,
             c, m)
    return out


def spread(linker, m_else: float) -> float | None:
    """A replaced date is another date at random: it falls in each birth level as often
    as a random pair's does (that level's u), not only in "else". With r the share of
    replaced dates (``m_else`` = (1 - r) prior + r u_else), every level but the exact
    date gets m = (1 - r) prior + r u (in place, after training; EM learns the exact
    date's m). Without it a date 8 years off (-4.3 bits on FEBRL2-link) cost as much as
    one 40 years off. Returns r (None: nothing to spread)."""
    prior = BIRTH_M[-1]
    if m_else <= prior:
        return None
    comp = next((c for c in linker._settings_obj.comparisons
                 if c.output_column_name == "birth"), None)
    if comp is None:
        return None
    levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
    u_else = levels[-1].u_probability
    if len(levels) != len(BIRTH_M) or not u_else or u_else <= prior:
        return None
    r = min(1.0, (m_else - prior) / (u_else - prior))
    for level, m0 in zip(levels[1:], BIRTH_M[1:], strict=True):
        level.m_probability = (1 - r) * m0 + r * level.u_probability
    return r
