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
the same name key, the same place (village code where both sides have one, else the
place as spelled) and no gender disagreement, both sides dated. Of the N department
records with a cell, in A every row of the cell is "else". Part of A is namesakes: a
record whose own KYR row is not in its cell (the person is not in KYR, or keyed
otherwise: a son not in KYR, named after his father who is) meets only namesakes there.
KYR measures how exposed a record is to that, since it lists each person once: qe = the
share of KYR rows (dated, with a place) whose cell holds other rows, all of them "else",
taken at its one-sided 95% upper bound (Wilson) so that a small KYR cannot give qe = 0
by chance. The namesakes' part of A is taken as C = Ns qe, where Ns counts *every*
department record that could have a cell (a name key, a birth year and a place), not
only those that have one: the records not in KYR drive A, and they are often the ones
without a cell. m = (A - C) / N, shrunk towards the prior by ``PRIOR_RECORDS``
pseudo-records and never below it. Where the department's pre-seeded UIDs (Verhoeff
valid) meet KYR rows, the "else" share among those pairs, at its 95% upper bound, caps m
(a wrongly copied UID only raises that share: the cap stays on the safe side).

The guarantee: m stays at the prior unless A exceeds what namesakes explain if every
datable record - in KYR or not - were as exposed to namesakes as a KYR row is. The
assumption left: a department record not in KYR is not *more* exposed than a KYR row
(a department listing sons of KYR fathers at a higher rate than KYR holds father-son
namesakes of one village would still raise m; the UID cap bounds that where UIDs exist).
Where namesakes are dense (a 50k tuning state: qe 0.14) the prior stays; where they
are absent (FEBRL's lists: qe 0, bounded at about 3 / KYR rows) the share of replaced
dates is what is left.
"""

from __future__ import annotations

import logging
import math

from matching.comparisons import BIRTH_M

log = logging.getLogger(__name__)

#: the fixed prior's weight, in records: a list of a hundred dated pairs moves it halfway
PRIOR_RECORDS = 100
#: one-sided 95% normal quantile for the upper bounds (namesake exposure, UID cap)
Z_UPPER = 1.645
#: the "else" level's condition: birth years more than ten apart, ranges not overlapping
_ELSE = ("(abs(l.birth_year - r.birth_year) > 10 AND NOT ("
         "l.birth_year_min <= r.birth_year_max AND r.birth_year_min <= l.birth_year_max))")
_NEEDED = frozenset({"name_key", "birth_year", "birth_year_min", "birth_year_max"})
_DATED = "name_key IS NOT NULL AND birth_year IS NOT NULL"


def _wilson(k: float, n: float, z: float) -> tuple[float, float]:
    """(centre, half width) of the Wilson score interval, both over 1 + z^2 / n."""
    p = k / n
    centre = p + z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre / (1 + z * z / n), half / (1 + z * z / n)


def wilson_upper(k: float, n: float, z: float = Z_UPPER) -> float:
    """Upper bound of the Wilson score interval for k successes in n (1.0 for n = 0)."""
    if n <= 0:
        return 1.0
    centre, half = _wilson(k, n, z)
    return min(1.0, centre + half)


def wilson_lower(k: float, n: float, z: float = Z_UPPER) -> float:
    """Lower bound of the Wilson score interval for k successes in n (0.0 for n = 0)."""
    if n <= 0:
        return 0.0
    centre, half = _wilson(k, n, z)
    return max(0.0, centre - half)


def replaced_for_certain(est: dict | None) -> bool:
    """The list's dates are replaced beyond noise: the share of records whose cell holds
    only another date, at its one-sided 95% lower bound, less the namesakes' part (at its
    upper bound), is above the prior, and the estimate ``m`` is too (a UID cap can bring
    it down). ``dedupe.dates_replaced`` lifts the birth-gap veto only then: an estimate
    a few records above the prior (m = max(prior, ...) flips at about 30 records in 100k)
    is no evidence that a gap is a replaced date and not a father and his son."""
    if not est or est.get("m", 0.0) <= BIRTH_M[-1]:
        return False
    n = est.get("with_cell", 0)
    lower = wilson_lower(est.get("all_else", 0), n) - est.get("namesakes_all_else", 0.0) / n \
        if n else 0.0
    return lower > BIRTH_M[-1]


def _places(cols: frozenset[str]) -> list[str]:
    return [c for c in ("village_code", "place_key") if c in cols]


def _dated(table: str, cols: frozenset[str]) -> str:
    """Rows that could have a cell: a name key, a birth year and a place."""
    place = " OR ".join(f"{c} IS NOT NULL" for c in _places(cols))
    return f"SELECT count(*) FROM {table} WHERE {_DATED} AND ({place})"


def _pairs_sql(left: str, right: str, cols: frozenset[str], self_join: bool) -> str:
    """Every (left id, "else" flag) of a cell, as equality joins on the name key AND the
    place (a hash join on the name key alone grew with the square of a common name's
    statewide count): same village code, UNION ALL same spelled place where either side
    has no code. Gender disagreement and the own row (``self_join``) are filtered after."""
    keep = ["unique_id", "name_key", "birth_year", "birth_year_min", "birth_year_max",
            *_places(cols), *(["gender"] if "gender" in cols else [])]
    sel = ", ".join(keep)
    post = []
    if "gender" in cols:
        post.append("coalesce(l.gender = r.gender, true)")
    if self_join:
        post.append("l.unique_id <> r.unique_id")
    branches = []
    for place in _places(cols):
        on = f"l.name_key = r.name_key AND l.{place} = r.{place}"
        where = list(post)
        if place == "place_key" and "village_code" in cols:
            where.insert(0, "(l.village_code IS NULL OR r.village_code IS NULL)")
        branches.append(
            f"SELECT l.unique_id AS id, CASE WHEN {_ELSE} THEN 1 ELSE 0 END AS e "
            f"FROM (SELECT {sel} FROM {left} WHERE {_DATED}) l "
            f"JOIN (SELECT {sel} FROM {right} WHERE {_DATED}) r ON {on}"
            + (f" WHERE {' AND '.join(where)}" if where else ""))
    return " UNION ALL ".join(branches)


def _cells(left: str, right: str, cols: frozenset[str], self_join: bool) -> str:
    """(records with a cell, of which every row is 'else')"""
    return f"""
        SELECT count(*), coalesce(sum(all_else), 0) FROM (
            SELECT id, min(e) AS all_else FROM ({_pairs_sql(left, right, cols, self_join)}) p
            GROUP BY id) c"""


def _uid_pairs(kyr_table: str, src_table: str) -> str:
    """(department records whose valid UID names a dated KYR row, of which 'else')"""
    return f"""
        SELECT count(*), coalesce(sum(CASE WHEN {_ELSE} THEN 1 ELSE 0 END), 0)
        FROM {src_table} l JOIN {kyr_table} r ON l.uid_token = r.uid_token
        WHERE l.birth_year IS NOT NULL AND r.birth_year IS NOT NULL"""


def kyr_namesakes(rows, kyr_table: str, columns, memo: dict | None = None) -> tuple:
    """(KYR rows that could have a cell, of which a cell of others all 'else'), counted
    once per training run (``memo``: keyed by the KYR table and the cell's columns)."""
    cols = frozenset(columns)
    key = (kyr_table, tuple(_places(cols)), "gender" in cols)
    if memo is not None and key in memo:
        return memo[key]
    nk = rows(_dated(kyr_table, cols))[0][0]
    _, nqe = rows(_cells(kyr_table, kyr_table, cols, True))[0]
    out = (int(nk), int(nqe))
    if memo is not None:
        memo[key] = out
    return out


def estimate(rows, kyr_table: str, src_table: str, columns,
             memo: dict | None = None) -> dict | None:
    """``rows(sql) -> list[tuple]`` (``engine.of(con).rows``); ``columns``: the input
    columns both tables carry; ``memo``: a dict shared by one training run's sources (the
    KYR self-join is counted once). Returns the counts and ``m`` (None: nothing to
    count)."""
    cols = frozenset(columns)
    if not _places(cols) or not _NEEDED <= cols:
        return None
    nk, nqe = kyr_namesakes(rows, kyr_table, cols, memo)
    ns = rows(_dated(src_table, cols))[0][0]
    n, a = rows(_cells(src_table, kyr_table, cols, False))[0]
    if not nk or not n:
        return None
    qe = wilson_upper(nqe, nk)
    c = ns * qe
    prior = BIRTH_M[-1]
    m = max(prior, (a - c + prior * PRIOR_RECORDS) / (n + PRIOR_RECORDS))
    out = {"with_cell": int(n), "all_else": int(a), "datable": int(ns),
           "kyr_datable": int(nk), "kyr_namesake_else_share": round(nqe / nk, 5),
           "kyr_namesake_else_upper": round(qe, 5), "namesakes_all_else": round(c, 1)}
    if "uid_token" in cols:
        nu, eu = rows(_uid_pairs(kyr_table, src_table))[0]
        if nu:
            cap = wilson_upper(eu, nu)
            out.update(uid_pairs=int(nu), uid_pairs_else=int(eu), uid_cap=round(cap, 5))
            m = max(prior, min(m, cap))
    out["m"] = m
    log.info("replaced dates of birth: %d of %d records with a name-and-place cell have "
             "only another date there (%.1f expected from namesakes over %d datable "
             "records): m(else) %.4g", a, n, c, ns, m)
    return out


def spread(linker, m_else: float) -> float | None:
    """A replaced date is another date at random: it falls in each birth level as often
    as a random pair's does (that level's u), not only in "else". With r the share of
    replaced dates (``m_else`` = (1 - r) prior + r u_else), every level with a fixed m
    gets m = (1 - r) prior + r u (in place, after training; the levels EM learned, such
    as the exact date's and the seeding models' middle levels, already counted them).
    Without it a date 8 years off (-4.3 bits on FEBRL2-link) cost as much as one 40
    years off. Returns r (None: nothing to spread)."""
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
        if not level._fix_m_probability:  # learned by EM on this data: replaced dates
            continue  # are already in what it counted there
        level.m_probability = (1 - r) * m0 + r * level.u_probability
    return r
