"""How often a true department -> KYR pair carries a replaced village or first name,
counted on the home's own data (issue 17, session 15: ``replaced_dob``'s count, for the
seeding models' other fixed "another value" levels).

Two levels of the seeding models have a fixed m taken from generated states:
the place comparison's "else" (``comparisons.PLACE_ELSE_M``, 0.012: the village as
spelled names another place, -6.4 bits) and the name comparison's "surname only"
(``comparisons.NAME_SURNAME_ONLY_M``, 0.015: the first name is another one). Fixed,
because EM over blocked pairs learns either way what the state's relatives say (no true
pair ever names another village; a sibling of one village is a match). A list whose
clerks wrote another place (where the person was registered, or a neighbouring
village) or another given name (a call name, a name taken at marriage) more often than
the generator does loses every such person to that penalty: FEBRL1/2-link's
(development data) records with the same surname and full date of birth, the given name
and the suburb replaced, scored 10.4 bits and stayed unmatched.

The count, without labels, as in ``replaced_dob`` (its docstring gives the reasoning).
A department record's *cell* is its KYR rows that agree on the fields that make a
person almost certain, with no gender disagreement, where the level can speak:

* place: the same name key and the same full date of birth; both places spelled and at
  least one side without a village code (where both have one, the location comparison
  judges the village, and the place comparison says nothing). "else": the places are
  not the same text, phonetic key or close (JW >= ``comparisons.PLACE_JW``).
* first name: the same surname key, the same full date of birth and the same place
  (village code, else the place as spelled where a side has none). "else": the first
  names are not an initial, not the same key and not close (text or key, JW >= 0.88).

Of the N records with a cell, in A every row is "else". Namesakes explain part of A: KYR
measures how exposed a record is to them (qe: the share of KYR rows whose cell among the
*other* KYR rows is all "else": same-named people born on one day, twins, a state's
heaped dates such as 01-01), taken at its one-sided 95% upper bound; C = Ns qe with Ns
every department record that could have a cell. m = (A - C) / N, shrunk towards the
prior by ``replaced_dob.PRIOR_RECORDS`` pseudo-records, never below the prior; capped by
the "else" share among pairs a valid pre-seeded UID makes (95% upper bound). A state
whose namesakes, twins or heaped dates explain A keeps the prior.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from matching.comparisons import NAME_SURNAME_ONLY_M, PLACE_ELSE_M, PLACE_JW, SURNAME_ONLY_LABEL
from matching.replaced_dob import PRIOR_RECORDS, wilson_upper

log = logging.getLogger(__name__)

_JW_NAME = 0.88


@dataclass(frozen=True)
class Field:
    name: str            # key in the model's srdh.replaced_fields
    comparison: str      # Splink output column of the comparison
    label: str           # the level's label_for_charts (startswith)
    prior: float         # its fixed m
    keys: tuple[str, ...]  # equality columns of the cell (beside the place, if any)
    by_place: bool       # the cell also needs the same place
    needed: frozenset[str]
    speaks: str          # SQL over l. / r.: the level's comparison has evidence
    other: str           # SQL over l. / r.: the pair falls in the level


PLACE = Field(
    "place", "place", "All other comparisons", PLACE_ELSE_M, ("name_key", "dob"), False,
    frozenset({"name_key", "dob", "place_text", "place_key"}),
    "l.place_text IS NOT NULL AND r.place_text IS NOT NULL",
    f"NOT (l.place_text = r.place_text OR l.place_key = r.place_key OR "
    f"coalesce(jaro_winkler_similarity(l.place_text, r.place_text) >= {PLACE_JW}, false))")

FIRST_NAME = Field(
    "first_name", "name", SURNAME_ONLY_LABEL, NAME_SURNAME_ONLY_M, ("last_name_key", "dob"),
    True, frozenset({"last_name_key", "first_name", "first_name_key", "dob"}),
    "l.first_name IS NOT NULL AND r.first_name IS NOT NULL "
    "AND length(l.first_name) > 1 AND length(r.first_name) > 1",
    f"l.first_name_key <> r.first_name_key "
    f"AND jaro_winkler_similarity(l.first_name, r.first_name) < {_JW_NAME} "
    f"AND jaro_winkler_similarity(l.first_name_key, r.first_name_key) < {_JW_NAME}")

FIELDS = (PLACE, FIRST_NAME)


def _places(cols: frozenset[str]) -> list[str]:
    return [c for c in ("village_code", "place_key") if c in cols]


def _speaks(f: Field, cols: frozenset[str]) -> str:
    """The comparison has evidence: place also needs a side without a village code."""
    if f is PLACE and "village_code" in cols:
        return f"{f.speaks} AND (l.village_code IS NULL OR r.village_code IS NULL)"
    return f.speaks


def _keep(f: Field, cols: frozenset[str]) -> list[str]:
    want = {"unique_id", *f.needed, *f.keys, "place_text", "place_key", "village_code",
            "gender"}
    return sorted(c for c in want if c in cols or c == "unique_id")


def _joins(f: Field, cols: frozenset[str]) -> list[tuple[str, str]]:
    """(ON, extra filter) per equality-join branch of the cell."""
    base = " AND ".join(f"l.{k} = r.{k}" for k in f.keys)
    if not f.by_place:
        return [(base, "")]
    out = []
    for place in _places(cols):
        extra = ("(l.village_code IS NULL OR r.village_code IS NULL)"
                 if place == "place_key" and "village_code" in cols else "")
        out.append((f"{base} AND l.{place} = r.{place}", extra))
    return out


def _pairs_sql(f: Field, left: str, right: str, cols: frozenset[str], self_join: bool) -> str:
    sel = ", ".join(_keep(f, cols))
    has = " AND ".join(f"{k} IS NOT NULL" for k in f.keys)
    branches = []
    for on, extra in _joins(f, cols):
        where = [_speaks(f, cols), *([extra] if extra else [])]
        if "gender" in cols:
            where.append("coalesce(l.gender = r.gender, true)")
        if self_join:
            where.append("l.unique_id <> r.unique_id")
        branches.append(
            f"SELECT l.unique_id AS id, CASE WHEN {f.other} THEN 1 ELSE 0 END AS e "
            f"FROM (SELECT {sel} FROM {left} WHERE {has}) l "
            f"JOIN (SELECT {sel} FROM {right} WHERE {has}) r ON {on} "
            f"WHERE {' AND '.join(where)}")
    return " UNION ALL ".join(branches)


def _cells(f: Field, left: str, right: str, cols: frozenset[str], self_join: bool) -> str:
    return f"""
        SELECT count(*), coalesce(sum(all_else), 0) FROM (
            SELECT id, min(e) AS all_else FROM ({_pairs_sql(f, left, right, cols, self_join)}) p
            GROUP BY id) c"""


def _could(f: Field, table: str, cols: frozenset[str]) -> str:
    """Rows that could have a cell: the cell's keys, a place where one is needed."""
    conds = [f"{k} IS NOT NULL" for k in f.keys]
    if f is PLACE:
        conds.append("place_text IS NOT NULL")
    elif f.by_place:
        conds.append("(" + " OR ".join(f"{c} IS NOT NULL" for c in _places(cols)) + ")")
    return f"SELECT count(*) FROM {table} WHERE {' AND '.join(conds)}"


def _uid_pairs(f: Field, kyr_table: str, src_table: str, cols: frozenset[str]) -> str:
    return f"""
        SELECT count(*), coalesce(sum(CASE WHEN {f.other} THEN 1 ELSE 0 END), 0)
        FROM {src_table} l JOIN {kyr_table} r ON l.uid_token = r.uid_token
        WHERE {_speaks(f, cols)}"""


def estimate_one(f: Field, rows, kyr_table: str, src_table: str, columns,
                 memo: dict | None = None) -> dict | None:
    """The counts and ``m`` of one level (None: nothing to count). ``rows(sql)``."""
    cols = frozenset(columns)
    if not f.needed <= cols or (f.by_place and not _places(cols)):
        return None
    key = ("replaced_fields", f.name, kyr_table, tuple(sorted(cols & {
        "village_code", "place_key", "gender"})))
    if memo is not None and key in memo:
        nk, nqe = memo[key]
    else:
        nk = rows(_could(f, kyr_table, cols))[0][0]
        nqe = rows(_cells(f, kyr_table, kyr_table, cols, True))[0][1]
        if memo is not None:
            memo[key] = (nk, nqe)
    ns = rows(_could(f, src_table, cols))[0][0]
    n, a = rows(_cells(f, src_table, kyr_table, cols, False))[0]
    if not nk or not n:
        return None
    qe = wilson_upper(nqe, nk)
    c = ns * qe
    m = max(f.prior, (a - c + f.prior * PRIOR_RECORDS) / (n + PRIOR_RECORDS))
    out = {"with_cell": int(n), "all_else": int(a), "could": int(ns), "kyr_could": int(nk),
           "kyr_namesake_else_share": round(nqe / nk, 5),
           "kyr_namesake_else_upper": round(qe, 5), "namesakes_all_else": round(c, 1)}
    if "uid_token" in cols:
        nu, eu = rows(_uid_pairs(f, kyr_table, src_table, cols))[0]
        if nu:
            cap = wilson_upper(eu, nu)
            out.update(uid_pairs=int(nu), uid_pairs_else=int(eu), uid_cap=round(cap, 5))
            m = max(f.prior, min(m, cap))
    out["m"] = m
    log.info("replaced %s: %d of %d records with a cell have only another value there "
             "(%.1f expected from namesakes over %d records): m %.4g", f.name, a, n, c, ns, m)
    return out


def estimate(rows, kyr_table: str, src_table: str, columns, comparisons,
             memo: dict | None = None) -> dict:
    """``{field name: counts and m}`` for the levels whose comparison the model has."""
    out = {}
    for f in FIELDS:
        if f.comparison in comparisons:
            est = estimate_one(f, rows, kyr_table, src_table, columns, memo)
            if est is not None:
                out[f.name] = est
    return out


def apply(linker, estimates: dict) -> None:
    """Set each counted level's fixed m in the linker's settings (before training: EM
    keeps a fixed m and weighs its pairs with it). Only m above the prior is set."""
    for f in FIELDS:
        est = estimates.get(f.name)
        if not est or est["m"] <= f.prior:
            continue
        comp = next((c for c in linker._settings_obj.comparisons
                     if c.output_column_name == f.comparison), None)
        if comp is None:
            continue
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level
                  and lvl.label_for_charts.startswith(f.label)]
        if len(levels) != 1 or not levels[0]._fix_m_probability:
            continue
        levels[0].m_probability = est["m"]
