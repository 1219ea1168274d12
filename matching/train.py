"""Unsupervised training of the SRDH Splink models, and their JSON files.

Two kinds of model, saved under ``matching/models/`` (committed):

* ``seed_<source>.json`` - a department (or ``crs_death``) against KYR, link_only;
* ``dedupe.json`` - departmental records among themselves, link_and_dedupe.

Training: u by random sampling, then expectation maximisation over several
blocking rules (no labels). ``probability_two_random_records_match`` is set from
the table sizes at prediction time, so one model serves states of any size.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

from matching import blocking, content_key, engine, replaced_dob
from matching.comparisons import (
    COMPARISONS,
    CROSS_SIDE_COLUMNS,
    ONE_SIDE_COLUMNS,
    build_comparisons,
)
from matching.dialect import for_dialect
from matching.settings import MatchSettings
from matching.splink_notes import enter_training_notes

log = logging.getLogger(__name__)

SEED_COMPARISONS = ("name", "relative_name", "birth", "gender", "location", "place", "mobile",
                    "uid_token", "household_surname", "card_mate_relative")
DEDUPE_COMPARISONS = ("name", "relative_name", "birth", "gender", "location", "place", "mobile",
                      "uid_token")


def make_db_api(con, settings: MatchSettings):
    """A fresh Splink database API over the workspace connection.

    One per Linker: Splink caches intermediate tables per API object.
    ``backend: spark`` expects a SparkSession in ``con`` (see README).
    """
    if settings.backend == "spark":
        from splink import SparkAPI

        return SparkAPI(spark_session=con)
    from splink import DuckDBAPI

    return DuckDBAPI(connection=con)


def model_path(settings: MatchSettings, name: str) -> Path:
    return Path(settings.models_dir) / f"{name}.json"


def usable_comparisons(wanted: tuple[str, ...], *usable_sets: frozenset[str]) -> list[str]:
    """Comparisons whose columns have values on every side (else EM cannot train them),
    their ``ONE_SIDE_COLUMNS`` on one side at least and their ``CROSS_SIDE_COLUMNS`` on
    two sides, one each."""
    out = []
    for name in wanted:
        cols = COMPARISONS[name][1]
        one_side = ONE_SIDE_COLUMNS.get(name, ())
        cross = CROSS_SIDE_COLUMNS.get(name)
        if all(all(c in u for c in cols) for u in usable_sets) and (
                not one_side or any(all(c in u for c in one_side) for u in usable_sets)) and (
                cross is None or any(
                    all(c in a for c in cross[0]) and all(c in b for c in cross[1])
                    for i, a in enumerate(usable_sets) for j, b in enumerate(usable_sets)
                    if i != j)):
            out.append(name)
    return out


def settings_creator(comparisons: list[str], link_type: str, prediction_rules: list,
                     probability_two_random_records_match: float, kind: str = "dedupe",
                     columns: set[str] | None = None, max_iterations: int = 25,
                     birth_else_m: float | None = None):
    from splink import SettingsCreator

    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=build_comparisons(comparisons, kind, columns, birth_else_m),
        blocking_rules_to_generate_predictions=prediction_rules,
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=max_iterations,
    )


def seed_lambda(n_kyr: int, settings: MatchSettings) -> float:
    return min(0.5, settings.training.expected_match_rate / max(n_kyr, 1))


def dedupe_lambda(n_records: int, settings: MatchSettings) -> float:
    # same-person pairs ~ duplicates within sources + the same resident across
    # departments (each resident appears in ~1.5 departmental lists on average)
    pairs = n_records * (settings.training.expected_duplicate_rate + 0.5)
    return min(0.5, pairs / max(n_records * (n_records - 1) / 2, 1))


@contextlib.contextmanager
def _clamped_em():
    """Work around Splink 5.0.0 raising when EM drives an m/u value to exactly 0
    (``_validate_m_u_probability``): clamp the maximisation step's values to Splink's
    own floor (1e-300) instead of aborting the session."""
    from splink.internals import expectation_maximisation as em
    from splink.internals.comparison_level import M_U_CLAMP_MIN

    original = em.populate_m_u_from_lookup

    def clamped(fixed, level, output_column_name, lookup):
        for rec in lookup.get(output_column_name, {}).values():
            for k in ("m_probability", "u_probability"):
                v = rec.get(k)
                if isinstance(v, (int, float)) and v < M_U_CLAMP_MIN:
                    rec[k] = M_U_CLAMP_MIN
        return original(fixed, level, output_column_name, lookup)

    em.populate_m_u_from_lookup = clamped
    try:
        yield
    finally:
        em.populate_m_u_from_lookup = original


def _rule_sql(rule) -> str:
    try:
        return rule.get_blocking_rule("duckdb").blocking_rule_sql
    except Exception:
        return str(rule)


def _train(linker, settings: MatchSettings, em_rules: list, finish=None,
           seeding: bool = False, counted_u=None) -> dict[str, Any]:
    """``counted_u``: a step that replaces sampled u values with counted ones, before EM
    (EM's m depend on them)."""
    t0 = time.time()
    notes = enter_training_notes()
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.training.u_max_pairs, seed=settings.random_seed
    )
    _unobserved_u(linker, settings.training.u_max_pairs)
    if counted_u is not None:
        counted_u(linker)
    for rule in em_rules:
        snapshot = copy.deepcopy(linker._settings_obj)
        try:
            with _clamped_em():
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, max_pairs=settings.training.em_max_pairs,
                    estimate_without_term_frequencies=True,
                )
        except Exception as exc:  # e.g. an m value underflowing on sparse data
            # a failed session can leave the model half-updated: put it back as it was
            linker._settings_obj = snapshot
            log.warning("EM session on %s skipped: %s", _rule_sql(rule), exc)
    if finish is not None:  # a last step on the trained model (dedupe: the prior)
        finish(linker)
    _bound_previous_address(linker)  # after finish: it reads the corrected u
    _bound_card_mates(linker)
    _bound_names(linker, seeding=seeding)
    _swapped_dob_u(linker)
    _bound_birth(linker)  # after _swapped_dob_u and spread (finish): reads the final u / m
    _bound_by_disagreement(linker)  # last: every level's final m and u
    if notes.summary():  # a progress line (srdh match shows matching.pipeline's INFO)
        logging.getLogger("matching.pipeline").info("%s", notes.summary())
    log.info("trained in %.1fs", time.time() - t0)
    return linker.misc.save_model_to_json(None)


def u_without_matches(linker, match_share: float, sampled_pairs: float) -> None:
    """u estimated by random sampling counts the true matches among the sampled pairs:
    u_sampled = (1 - s) u + s m, with s the share of pairs that match (about 1 / the
    KYR's size for seeding). In a state of a million it is noise; in a list of 500 or
    5,000 (a small district, FEBRL) it inflates u of the levels matches fall in (exact
    name, exact date of birth, same village) by up to 10x and costs each 1-3 bits. Solved
    for u with m from EM; a level left with nothing gets the least u the sample can show
    (1 / the pairs sampled)."""
    for comp in linker._settings_obj.comparisons:
        for level in comp.comparison_levels:
            if level.is_null_level or level._u_probability is None \
                    or level._m_probability is None:
                continue
            u = (level.u_probability - match_share * level.m_probability) / (1 - match_share)
            level.u_probability = max(u, 1.0 / sampled_pairs)


def household_surname_u(linker, rows, kyr_table: str, src_table: str) -> float:
    """u of ``comparisons.household_surname_comparison``, counted, not sampled: the share
    of all (one-word name with a told surname, record with a surname) pairs, either way
    round, whose surname keys are the same. One-word names are rare (0.3% of a tuning
    state's job cards): a random sample of a million pairs met none of them on three
    sources, u fell to its floor and the same surname came out at +19.9 bits, as strong
    as a full date of birth; and EM, run on that u, took every pair with a told surname
    for a match (independent review: so it is counted before EM). The pairs are those the
    comparison speaks on: a told surname against a surname that is no stand-in, on a
    record not told one itself, one edit apart left out. Returns u of the agreeing level
    (the other level gets the rest)."""
    from ingest.standardise.names import stand_ins_sql
    from matching.comparisons import HOUSEHOLD_SURNAME_AGREES_LABEL

    words = stand_ins_sql()

    def direction(told: str, other: str) -> tuple[int, int]:
        """(pairs the comparison speaks on, those that agree): a told surname against
        every surname of the other side, one edit apart left out (no evidence)."""
        t = (f"SELECT implied_surname_key AS k, count(*) AS n FROM {told} "
             f"WHERE implied_surname_key IS NOT NULL GROUP BY implied_surname_key")
        o = (f"SELECT last_name_key AS k, count(*) AS n FROM {other} "
             f"WHERE last_name_key IS NOT NULL AND implied_surname_key IS NULL "
             f"AND coalesce(last_name NOT IN ({words}), true) GROUP BY last_name_key")
        n_told, n_other, hits, near = rows(
            f"SELECT (SELECT coalesce(sum(n), 0) FROM ({t}) t), "
            f"(SELECT coalesce(sum(n), 0) FROM ({o}) o), "
            f"(SELECT coalesce(sum(t.n * o.n), 0) FROM ({t}) t JOIN ({o}) o ON t.k = o.k), "
            f"(SELECT coalesce(sum(t.n * o.n), 0) FROM ({t}) t JOIN ({o}) o "
            f"ON levenshtein(t.k, o.k) = 1)")[0]
        return int(n_told) * int(n_other) - int(near), int(hits)

    pairs, hits = map(sum, zip(direction(src_table, kyr_table),
                               direction(kyr_table, src_table), strict=True))
    u = counted_share(hits, pairs)
    _set_counted_u(linker, "household_surname", HOUSEHOLD_SURNAME_AGREES_LABEL, u)
    log.info("household surname: %d of %d pairs share the surname told: u %.4g",
             hits, pairs, u)
    return u


def card_mate_relative_u(linker, rows, kyr_table: str, src_table: str) -> float:
    """u of ``comparisons.card_mate_relative_comparison``'s agreeing level, counted among
    the pairs of one village and one surname where it speaks: a department record with
    card-mates and no relative's name against every KYR row of its village with its surname
    and a care-of line. True pairs are among them (one per record at most), so the count is
    an upper bound of u: the level is never stronger than the state shows. Without village
    codes on both sides, among the pairs of one block; with no such pair, 0.5
    (``counted_share``). Returns u of the agreeing level (the other level gets the rest)."""
    from matching.comparisons import CARD_MATE_AGREES_LABEL

    place = ("village_code" if all(_has_values(rows, t, "village_code")
                                   for t in (src_table, kyr_table)) else "block_std")
    pairs, hits = rows(
        f"SELECT count(*), count(*) FILTER (WHERE list_contains(d.card_mate_keys, "
        f"k.relative_name_key)) FROM "
        f"(SELECT {place} AS p, last_name_key, card_mate_keys FROM {src_table} "
        f"WHERE card_mate_keys IS NOT NULL AND relative_name_std IS NULL "
        f"AND last_name_key IS NOT NULL AND {place} IS NOT NULL) d JOIN "
        f"(SELECT {place} AS p, last_name_key, relative_name_key FROM {kyr_table} "
        f"WHERE relative_name_key IS NOT NULL AND last_name_key IS NOT NULL "
        f"AND {place} IS NOT NULL) k ON k.p = d.p AND k.last_name_key = d.last_name_key")[0]
    u = counted_share(int(hits), int(pairs))
    _set_counted_u(linker, "card_mate_relative", CARD_MATE_AGREES_LABEL, u)
    log.info("card-mates: %d of %d pairs of one %s and surname name the care-of: u %.4g",
             hits, pairs, place, u)
    return u


def counted_share(hits: int, pairs: int) -> float:
    """A counted u: ``hits`` of ``pairs``, kept inside (0, 1) so that neither level gets
    u = 0 (Splink refuses it): at least one hit, and at most all but one of the pairs
    (no pair at all: 0.5, evidence neither way until EM's m says otherwise)."""
    if pairs <= 0:
        return 0.5
    return min(max(hits, 1) / pairs, 1 - 1 / max(pairs, 2))


def _has_values(rows, table: str, column: str) -> bool:
    return bool(rows(f"SELECT count({column}) > 0 FROM {table}")[0][0])


def _set_counted_u(linker, comparison: str, agrees_label: str, u: float) -> None:
    """The counted u of a two-level comparison: ``u`` for the agreeing level, the rest for
    the other, recorded as the levels' trained value (Splink puts back the median of a
    level's recorded u values after every EM session: the count is the record)."""
    for comp in linker._settings_obj.comparisons:
        if comp.output_column_name != comparison:
            continue
        for level in comp.comparison_levels:
            if level.is_null_level:
                continue
            value = u if level.label_for_charts == agrees_label else 1 - u
            level.u_probability = value
            level._trained_u_probabilities = [
                {"probability": value, "description": "counted", "m_or_u": "u"}]


def _bound_card_mates(linker) -> None:
    """A card-mate named in the care-of line is never evidence against a pair, nor one
    not named evidence for it: where EM learnt otherwise (few such pairs), m = u."""
    from matching.comparisons import CARD_MATE_AGREES_LABEL

    for comp in linker._settings_obj.comparisons:
        if comp.output_column_name != "card_mate_relative":
            continue
        for level in comp.comparison_levels:
            if level.is_null_level or level.m_probability is None or not level.u_probability:
                continue
            agrees = level.label_for_charts == CARD_MATE_AGREES_LABEL
            if (level.m_probability < level.u_probability) if agrees else (
                    level.m_probability > level.u_probability):
                level.m_probability = level.u_probability


def _bound_previous_address(linker) -> None:
    """Movers (issue 17): EM learns the "agrees with KYR's previous address" level like
    the others; its Bayes factor is then kept between 1 and the current-address level's
    (the level above it). A department listing the village a resident left is never
    evidence *against* the pair (when EM saw no mover its m collapses to Splink's floor
    and would veto every mover met later: m = u instead), nor stronger than listing
    where the resident lives now (with few movers in KYR, u is tiny and the learnt factor
    came out 0.2-1 bit above "same village": a namesake still living in the old village
    and the mover are then told apart by their other evidence)."""
    from matching.comparisons import PREVIOUS_ADDRESS_LABEL

    for comp in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
        for i, level in enumerate(levels):
            if level.label_for_charts != PREVIOUS_ADDRESS_LABEL or i == 0:
                continue
            m, u = level._m_probability, level._u_probability
            cur = levels[i - 1]
            if u is None:
                continue
            bound = u
            if cur._m_probability and cur._u_probability:
                bound = u * max(1.0, cur._m_probability / cur._u_probability)
            new = min(max(m if m is not None else u, u), bound)
            if new != m:
                log.info("%s: previous-address m %s -> %s (Bayes factor kept between 1 and "
                         "the current address's)", comp.output_column_name, m, new)
                level.m_probability = new


def _bound_names(linker, *, seeding: bool) -> None:
    """Stand-ins and initials (issue 17): a name written with Devi / Bai / Kumar for its
    surname, or cut to initials, and the same letters spaced differently (RAM KUMAR /
    RAMKUMAR), are never stronger evidence than the same name's key (their Bayes factor
    is kept at most the exact name key level's). These levels are rare among random
    pairs: u falls to its floor (``_unobserved_u``), and where EM meets none of them m
    is Splink's default (hence the public ``m_probability``, defaults included): "SAROJINI
    DEVI" / "SAROJINI KUMETI" came out at +14 bits for crs_death (dev_noisy_tuning 50k)
    and a spaced name at +13.3, above an exact namesake's +10 to +11. A one-word name that
    is the other's surname is kept at most "surname only"'s (it says no more). One
    token a typo from the other's (``comparisons.ONE_TYPO_LEVELS``) is kept at most
    "close"'s (a typo is a kind of closeness) and at least that of the level the pair
    fell in without the typo level ("surname only" where the surname agrees, "first name
    only" where the given name does): EM that met few such pairs made a typo -6.6 bits on
    food_pds, worse than another given name (independent review). "One name is the other
    without its surname" says less than the whole name (at most the exact name key's
    Bayes factor: one-word names are rare, its sampled u small, and the committed food_pds
    model had it at +13.8 bits against the exact key's +10.1), and it is never evidence
    against the pair in the seeding models
    (``seeding``; Bayes factor at least 1): the given name agrees and nothing disagrees,
    yet EM on one state's ration cards (food_pds, tuning 100k seed 7) made it -6.6 bits,
    as if the names disagreed."""
    from matching.comparisons import (
        CLOSE_LABEL,
        FIRST_ONLY_LABEL,
        NAME_KEY_LABEL,
        NAME_SPACED_LABEL,
        ONE_TYPO_GIVEN_KEY_LABEL,
        ONE_TYPO_GIVEN_LABEL,
        ONE_TYPO_SURNAME_KEY_LABEL,
        ONE_TYPO_SURNAME_LABEL,
        STAND_IN_LABELS,
        SURNAME_ALONE_LABEL,
        SURNAME_DROPPED_CLOSE_LABEL,
        SURNAME_DROPPED_LABEL,
        SURNAME_ONLY_LABEL,
    )

    # level label -> the label of the level whose Bayes factor bounds it
    bounded = {**dict.fromkeys((*STAND_IN_LABELS, NAME_SPACED_LABEL),
                               NAME_KEY_LABEL),
               SURNAME_ALONE_LABEL: SURNAME_ONLY_LABEL,
               SURNAME_DROPPED_LABEL: NAME_KEY_LABEL,
               SURNAME_DROPPED_CLOSE_LABEL: SURNAME_DROPPED_LABEL,
               **dict.fromkeys((ONE_TYPO_GIVEN_LABEL, ONE_TYPO_SURNAME_LABEL,
                                ONE_TYPO_GIVEN_KEY_LABEL, ONE_TYPO_SURNAME_KEY_LABEL),
                               CLOSE_LABEL)}
    # level label -> the label of the level whose Bayes factor is its floor: a typo in one
    # token is never worse evidence than the level the pair fell in without it
    floored = {**dict.fromkeys((ONE_TYPO_GIVEN_LABEL, ONE_TYPO_GIVEN_KEY_LABEL),
                               SURNAME_ONLY_LABEL),
               **dict.fromkeys((ONE_TYPO_SURNAME_LABEL, ONE_TYPO_SURNAME_KEY_LABEL),
                               FIRST_ONLY_LABEL)}
    for comp in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
        for level in levels:
            m, u = level.m_probability or 0.0, level.u_probability
            if seeding and level.label_for_charts == SURNAME_DROPPED_LABEL and u and m < u:
                log.info("%s: %s: Bayes factor %.3g -> 1 (agreement, never evidence "
                         "against)", comp.output_column_name, level.label_for_charts, m / u)
                level.m_probability = u
            for refs, ceiling in ((bounded, True), (floored, False)):
                ref_label = refs.get(level.label_for_charts)
                ref = next((lvl for lvl in levels if ref_label
                            and lvl.label_for_charts.startswith(ref_label)), None)
                if ref is None or not ref.m_probability or not ref.u_probability:
                    continue
                bf = ref.m_probability / ref.u_probability
                m, u = level.m_probability or 0.0, level.u_probability
                if u and (m / u > bf if ceiling else m / u < bf):
                    log.info("%s: %s: Bayes factor %.3g -> %.3g (at %s that of %s)",
                             comp.output_column_name, level.label_for_charts, m / u, bf,
                             "most" if ceiling else "least", ref_label)
                    level.m_probability = min(1.0, u * bf)


ELSE_LABEL = "All other comparisons"


def _bound_by_disagreement(linker) -> None:
    """Every comparison, whatever EM learned: its last level (nothing agrees) is never
    evidence *for* a pair (Bayes factor at most 1), and no level where something agrees
    counts *against* a pair more than that last one (factor at least the last level's).

    EM on one home's data collapses a level it met no true pair in: on the generator
    "first and last names swapped, one of them misspelt" came out at -86 bits for
    food_pds, "a given name beside Devi / Bai / Kumar" at -30 and -79 (rd_mgnrega, one of
    two fresh homes of one state), "Exact match on first_name_key" (another surname: a
    woman's name after marriage) at -16, all below the -6.6 bits of two unrelated names: a
    veto on a true pair written the way this home's list never wrote it. And a level no
    random pair fell in keeps u at its floor (``_unobserved_u``): the village as spelled
    (compared where a side has no village code) scored +13.6 bits for two *different*
    spellings on food_pds.

    The floor moves only levels EM learned (fixed priors, such as the location levels,
    stay as set), and none where the last level's u is unobserved: a one-district home
    never shows two records of different districts, and a floor at that capped 0 bits
    would wipe out "same block, another village" (independent review). It bounds the
    base m / u: Splink's term-frequency adjustment still applies on top."""
    for comp in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
        if len(levels) < 2 or levels[-1].label_for_charts != ELSE_LABEL:
            continue
        last = levels[-1]
        m, u = last.m_probability, last.u_probability
        if not m or not u:
            continue
        if m > u:
            log.info("%s: %s: Bayes factor %.3g -> 1 (disagreement is no evidence for a "
                     "pair)", comp.output_column_name, ELSE_LABEL, m / u)
            last.m_probability = m = u
        if not getattr(last, "_srdh_u_observed", True):
            continue  # no random pair disagreed: its factor says nothing of the others
        floor = m / u
        for level in levels[:-1]:
            lm, lu = level.m_probability, level.u_probability
            if lm is None or not lu or lm / lu >= floor or level._fix_m_probability:
                continue
            log.info("%s: %s: Bayes factor %.3g -> %.3g (at least that of %s)",
                     comp.output_column_name, level.label_for_charts, lm / lu, floor,
                     ELSE_LABEL)
            level.m_probability = lu * floor


def _swapped_dob_u(linker) -> None:
    """A date with day and month swapped: random pairs fall in this level about
    ``DAY_IS_A_MONTH`` as often as in the exact date's (the same year, and a day of 12
    or less read as the month), so its u is at least that share of the exact date's u.
    Sampling rarely meets such a pair: its u fell to the floor (``_unobserved_u``) and
    the level, with its fixed m, scored +13 bits, above an exact date of birth."""
    from matching.comparisons import DAY_IS_A_MONTH, DAY_MONTH_SWAPPED_LABEL

    for comp in linker._settings_obj.comparisons:
        levels = [lvl for lvl in comp.comparison_levels if not lvl.is_null_level]
        exact = next((lvl for lvl in levels if lvl.label_for_charts == "Exact match on dob"),
                     None)
        swapped = next((lvl for lvl in levels
                        if lvl.label_for_charts == DAY_MONTH_SWAPPED_LABEL), None)
        if exact is None or swapped is None or not exact.u_probability:
            continue
        swapped.u_probability = max(swapped.u_probability or 0.0,
                                    DAY_IS_A_MONTH * exact.u_probability)


#: birth levels by closeness (comparisons.birth_comparison's labels), for _bound_birth
_EXACT_DOB, _SAME_YEAR, _OVERLAP = ("Exact match on dob", "same birth year",
                                    "birth-year ranges overlap")
_WITHIN_2, _WITHIN_5, _WITHIN_10 = (f"birth years within {n}" for n in (2, 5, 10))


def _bound_birth(linker) -> None:
    """The birth levels EM learns (``comparisons.BIRTH_M_LEARNED``) are kept in order of
    closeness, in Bayes factors (m / u): a closer birth year never says less than a
    farther one, and no level says more than an exact date. Unbounded, EM gave a
    department with dates only m 1e-69 for "within 2" (-225 bits: a veto on a typo in the
    year), made "within 5" stronger than "within 2" where same-named relatives share a
    village, and gave a level no sampled pair fell in (u at its floor) +18 bits, more than
    an exact date. Caps first, closest to farthest: same year and ranges overlap at most
    the exact date (where random pairs showed one), within 2 at most the better of those,
    within 5 at most within 2. Then floors, farthest to closest: within 5 at least the
    fixed within 10, within 2 at least within 5, ranges overlap and same year at least
    within 2. Same year and ranges overlap are not ordered between them: a department
    whose ages put most true years one off (the extract's date in the year) shows a
    same-year pair as weaker evidence than an overlapping range, and that is the list's
    (a floor on same year cost dev_noisy seed 7 food_pds 0.07 points of precision and
    0.13 of recall). m = u x the bounded factor; fixed levels are never changed."""
    for comp in linker._settings_obj.comparisons:
        levels = {lvl.label_for_charts: lvl for lvl in comp.comparison_levels
                  if not lvl.is_null_level}
        if _SAME_YEAR in levels and not all(lvl._fix_m_probability for lvl in levels.values()):
            _bound_birth_levels(comp.output_column_name, levels)


def _bound_birth_levels(name: str, levels: dict) -> None:
    """``_bound_birth`` on one comparison's levels (by label)."""
    def bf(label: str) -> float | None:
        lvl = levels.get(label)
        if lvl is None or not lvl.u_probability or lvl.m_probability is None:
            return None
        return lvl.m_probability / lvl.u_probability

    def put(label: str, value: float, why: str) -> None:
        lvl = levels.get(label)
        old = bf(label)
        if lvl is None or lvl._fix_m_probability or old is None or value == old:
            return
        log.info("%s: %s: Bayes factor %.3g -> %.3g (%s)", name, label, old, value, why)
        lvl.m_probability = min(1.0, lvl.u_probability * value)

    def cap(label: str, limit: float | None, why: str) -> None:
        if limit is not None and (bf(label) or 0.0) > limit:
            put(label, limit, why)

    def floor(label: str, limit: float | None, why: str) -> None:
        if limit is not None and bf(label) is not None and bf(label) < limit:
            put(label, limit, why)

    def seen(label: str) -> bool:
        return label in levels and getattr(levels[label], "_srdh_u_observed", True)

    top = bf(_EXACT_DOB) if seen(_EXACT_DOB) else None
    for label in (_SAME_YEAR, _OVERLAP):
        cap(label, top, "at most an exact date")
    # a level no random pair showed has a factor from u's floor, not from the data:
    # it is kept at most the near level they did show, and bounds nothing else
    near = [bf(lb) for lb in (_SAME_YEAR, _OVERLAP) if seen(lb) and bf(lb) is not None]
    for label in (_SAME_YEAR, _OVERLAP):
        if not seen(label):
            cap(label, max(near) if near else None, "at most a level random pairs showed")
    cap(_WITHIN_2, max(near) if near else None, "at most same year / ranges overlap")
    cap(_WITHIN_5, bf(_WITHIN_2), "at most within 2")
    floor(_WITHIN_5, bf(_WITHIN_10), "at least within 10")
    floor(_WITHIN_2, bf(_WITHIN_5), "at least within 5")
    for label in (_OVERLAP, _SAME_YEAR):
        floor(label, bf(_WITHIN_2), "at least within 2")


def _unobserved_u(linker, max_pairs: float) -> None:
    """A level no randomly sampled pair fell in (a rare one, such as a dropped surname)
    gets u = 1 / max_pairs, the most its frequency can be, instead of Splink's
    placeholder default (a weight from the level's position, unrelated to the data)."""
    for comp in linker._settings_obj.comparisons:
        for level in comp.comparison_levels:
            if not level.is_null_level and level._u_probability is None:
                level.u_probability = 1.0 / max_pairs
                level._srdh_u_observed = False  # _bound_birth: no random pair showed it


RANDOM_PAIRS = "1=1"  # EM over random pairs: no blocking, sampled to u_max_pairs


def _random_pairs_em(linker, settings: MatchSettings, proportion: float,
                     fix_m: bool) -> float:
    """One EM session over random pairs (``1=1``, sampled like u), u and lambda free
    (m too unless ``fix_m``); returns the session's lambda. Raises when it fails."""
    with _clamped_em():
        session = linker.training.estimate_parameters_using_expectation_maximisation(
            RANDOM_PAIRS, estimate_without_term_frequencies=True,
            fix_m_probabilities=fix_m, fix_u_probabilities=False,
            max_pairs=settings.training.u_max_pairs, record_sample_proportion=proportion)
    return float(session.core_model_settings.probability_two_random_records_match)


def estimate_dedupe_prior(linker, settings: MatchSettings, n_records: int) -> dict:
    """Estimate, on the home's own records, how often two random records are one person
    (lambda), and correct u for the duplicates among the random pairs.

    u by random sampling counts every sampled pair, true duplicates included: a level's
    sampled share is (1 - lambda) u + lambda m. In a state's list lambda is far below
    the fixed prior (2^-14) and that is noise; in a list where most records have
    copies (FEBRL-like) it floors the u of every agreeing level near lambda and costs
    each exact name or date several bits. One more EM session, over random pairs
    (``1=1``, sampled like u) with the m values just trained held fixed, fits lambda
    and u together: the pairs that look like matches are counted in lambda, not in u.

    Returns the model's ``srdh`` metadata: ``prior_weight_estimated`` (log2 prior odds,
    ``dedupe_prior`` bounds it at prediction) and ``u_corrected``. Only when the
    estimate is above ``dedupe.prior_weight`` does the model keep the corrected u; a
    sparse list keeps random sampling's u and the fixed prior, as before."""
    tr = settings.training
    snapshot = copy.deepcopy(linker._settings_obj)
    # the pre-pass that sizes the sample reads about u_max_pairs pairs too
    proportion = min(1.0, math.sqrt(2 * tr.u_max_pairs) / max(n_records, 1))
    try:
        lam = _random_pairs_em(linker, settings, proportion, fix_m=True)
    except Exception as exc:  # no random pairs (a tiny list), or EM underflow
        linker._settings_obj = snapshot
        log.warning("dedupe prior not estimated (%s): the fixed prior applies", exc)
        return {}
    lam = min(max(lam, 1e-300), 1 - 1e-12)
    prior = math.log2(lam / (1 - lam))
    corrected = prior > settings.dedupe.prior_weight
    m_learnt = False
    if corrected:  # the session's u, floored like an unobserved level
        floor = 1.0 / tr.u_max_pairs
        for comp in linker._settings_obj.comparisons:
            for level in comp.comparison_levels:
                trained = [r["probability"] for r in level._trained_u_probabilities
                           if isinstance(r["probability"], (int, float))]
                if not level.is_null_level and trained:
                    level.u_probability = max(trained[-1], floor)
        if settings.dedupe.learn_m_when_dense:
            m_learnt, prior = _with_learnt_m(linker, settings, proportion, prior)
        log.info("dedupe prior estimated on this home's data: %.1f bits (lambda %.2g); "
                 "u corrected for the duplicates among random pairs", prior, lam)
    else:
        linker._settings_obj = snapshot
        log.info("dedupe prior estimated: %.1f bits, at or below the fixed %.1f: kept",
                 prior, settings.dedupe.prior_weight)
    return {"prior_weight_estimated": round(prior, 3), "u_corrected": corrected,
            "m_learnt_on_random_pairs": m_learnt}


# The session that learns m must find about as many copies among random pairs as the
# one with m fixed (FEBRL1/FEBRL2: -10.0 / -9.9 and -12.6 / -12.5 bits). On a 10k
# generated state (tuning, seed 11: -13.5 with m fixed) it found -5.7: with m free, EM
# fitted another structure (households, villages) instead of the copies, and is
# rejected.
M_LEARNT_PRIOR_AGREEMENT = 1.0  # bits


def _with_learnt_m(linker, settings: MatchSettings, proportion: float,
                   prior: float) -> tuple[bool, float]:
    """(m learnt?, prior): ``learn_dedupe_m_on_dense`` kept only when its prior agrees
    with ``prior`` (m fixed) within ``M_LEARNT_PRIOR_AGREEMENT`` bits."""
    snapshot = copy.deepcopy(linker._settings_obj)
    lam_m = learn_dedupe_m_on_dense(linker, settings, proportion)
    if lam_m is None:
        return False, prior
    prior_m = math.log2(lam_m / (1 - lam_m))
    if abs(prior_m - prior) > M_LEARNT_PRIOR_AGREEMENT:
        linker._settings_obj = snapshot
        log.info("dedupe m learnt on random pairs gave a prior of %.1f bits, against %.1f "
                 "with m fixed: another structure than the copies, fixed m kept",
                 prior_m, prior)
        return False, prior
    return True, prior_m


def learn_dedupe_m_on_dense(linker, settings: MatchSettings, proportion: float
                            ) -> float | None:
    """On a dense list only (``estimate_dedupe_prior`` found its prior above the floor):
    one more EM session over random pairs with m, u and lambda all free, the levels whose
    m SRDH fixes included; returns the session's lambda (None: failed, the model is left
    as it was).

    The fixed m values (a birth year more than ten years off 0.0003, another village
    0.012, no name token shared 0.01, surname only 0.015, exact date of birth 0.30) were
    measured on generated states, where EM over blocked pairs learned relatives of one
    village as matches. A list where most records have copies shows how its own copies
    differ: among random pairs it holds hundreds of them, and EM over random pairs needs
    no blocking that would pick the pairs for it. On FEBRL1/FEBRL2 (development data)
    their copies differ far more than a state's: a date of birth replaced 2-4% (m 0.0003
    took 11 bits off a true pair), the full date agrees on 60%, not 30%. A state's lists
    are sparse (their estimate stays at the floor) and never reach this session."""
    tr = settings.training
    snapshot = copy.deepcopy(linker._settings_obj)
    levels = [lvl for comp in linker._settings_obj.comparisons
              for lvl in comp.comparison_levels if not lvl.is_null_level]
    fixed = {id(lvl): lvl._fix_m_probability for lvl in levels}
    before = {id(lvl): len(lvl._trained_m_probabilities) for lvl in levels}
    for lvl in levels:
        lvl._fix_m_probability = False
    try:
        lam = _random_pairs_em(linker, settings, proportion, fix_m=False)
    except Exception as exc:  # EM underflow on a degenerate sample
        linker._settings_obj = snapshot
        log.warning("dedupe m not learnt on random pairs (%s): fixed m kept", exc)
        return None
    finally:
        for lvl in levels:
            lvl._fix_m_probability = fixed[id(lvl)]
    floor = 1.0 / tr.u_max_pairs
    for lvl in levels:  # this session's values; a level it did not see keeps its own
        new_m = lvl._trained_m_probabilities[before[id(lvl)]:]
        new_u = [r["probability"] for r in lvl._trained_u_probabilities[-1:]]
        if new_m and isinstance(new_m[-1]["probability"], (int, float)):
            lvl.m_probability = max(new_m[-1]["probability"], floor)
        if new_u and isinstance(new_u[-1], (int, float)):
            lvl.u_probability = max(new_u[-1], floor)
    log.info("dense list: m learnt on random pairs too (lambda %.2g)", lam)
    return min(max(lam, 1e-300), 1 - 1e-12)


def dedupe_prior(model: dict | None, settings: MatchSettings,
                 size_prior: float | None = None) -> float:
    """log2 prior odds for a dedupe pair. A dense list (the model's estimate from its
    home's data above ``dedupe.prior_weight``): that estimate, at most
    ``dedupe.max_prior_weight``. A state's sparse list: ``dedupe.prior_weight``, or
    ``size_prior`` (``dedupe.size_prior``: the run's records and partners per record)
    where that is lower: the bigger the state, the more namesakes a pair has."""
    dd = settings.dedupe
    est = ((model or {}).get("srdh") or {}).get("prior_weight_estimated")
    # the run's own seeding outranks the model's estimate where it says the list is
    # sparse: an estimate a little above the floor by noise is no dense list, and a
    # model trained on 5k rows says nothing of a run of 500k (independent review)
    sparse = size_prior is not None and size_prior < dd.prior_weight
    if est is not None and float(est) > dd.prior_weight and not sparse:
        return min(dd.max_prior_weight, float(est))
    if size_prior is not None:
        return min(dd.prior_weight, size_prior)
    return dd.prior_weight


def _rows(con, settings: MatchSettings):
    """``rows(sql)`` on the training connection (a SparkSession with ``backend: spark``)."""
    if settings.backend == "spark":
        return engine.SparkEngine(con, "").rows
    return engine.of(con).rows


def train_seed_model(con, kyr, src, settings: MatchSettings, save: bool = True,
                     memo: dict | None = None) -> dict:
    """Train the KYR-linkage model for one source. ``kyr``/``src`` are FeedTables;
    ``memo``: a dict shared by one run's sources (counts on KYR alone made once)."""
    from splink import Linker

    comps = usable_comparisons(SEED_COMPARISONS, kyr.usable, src.usable)
    cols = set(kyr.usable) & set(src.usable)
    db_api = make_db_api(con, settings)
    # KYR's ids are tokens of the home's key: Splink samples by id (matching.content_key)
    kyr_table = content_key.content_keyed(con, kyr.table, f"train_{kyr.table}",
                                          settings.backend)
    share = seed_lambda(kyr.rows, settings)
    try:  # the keyed copy is dropped whatever fails
        sdfs = [db_api.register(kyr_table, table_name=kyr.feed),
                db_api.register(src.table, table_name=src.feed)]
        # how often a true pair has a wholly different date of birth, counted on this data
        replaced = (replaced_dob.estimate(_rows(con, settings), kyr.table, src.table, cols,
                                          memo)
                    if "birth" in comps else None)
        sc = settings_creator(comps, "link_only",
                              blocking.rules(blocking.SEED_PREDICTION_RULES, cols),
                              share, "seed", cols,
                              int(settings.training.em_max_iterations),
                              birth_else_m=replaced["m"] if replaced else None)
        linker = Linker(sdfs, settings_for(sc, settings.backend), log_level=logging.WARNING)

        def finish(lk) -> None:
            u_without_matches(lk, share,
                              min(settings.training.u_max_pairs, kyr.rows * src.rows))
            if replaced:  # replaced dates fall in every birth level, as random ones do
                replaced["replaced_share"] = replaced_dob.spread(lk, replaced["m"])

        def counted_u(lk) -> None:
            if "household_surname" in comps:
                household_surname_u(lk, _rows(con, settings), kyr.table, src.table)
            if "card_mate_relative" in comps:
                card_mate_relative_u(lk, _rows(con, settings), kyr.table, src.table)

        model = _train(linker, settings, blocking.training_rules(cols), finish=finish,
                       seeding=True, counted_u=counted_u)
    finally:
        content_key.drop(con, kyr_table, settings.backend)
    model["srdh"] = {"kind": "seed", "source": src.feed, "trained_on_rows": [kyr.rows, src.rows],
                     "comparisons": comps}
    if replaced:
        model["srdh"]["replaced_dob"] = replaced
    if save:
        save_model(model, model_path(settings, f"seed_{src.feed}"))
    return model


def train_dedupe_model(con, feeds: list, settings: MatchSettings, save: bool = True) -> dict:
    from splink import Linker

    usable = [f.usable for f in feeds]
    comps = usable_comparisons(DEDUPE_COMPARISONS, frozenset().union(*usable))
    cols = set().union(*usable)
    db_api = make_db_api(con, settings)
    sdfs = [db_api.register(f.table, table_name=f.feed) for f in feeds]
    n = sum(f.rows for f in feeds)
    sc = settings_creator(comps, dedupe_link_type(len(feeds)),
                          blocking.rules(blocking.DEDUPE_PREDICTION_RULES, cols),
                          dedupe_lambda(n, settings), "dedupe", cols,
                          int(settings.training.em_max_iterations))
    linker = Linker(sdfs, settings_for(sc, settings.backend), log_level=logging.WARNING)
    prior = {}

    def estimate(lk) -> None:
        if settings.dedupe.estimate_prior:
            prior.update(estimate_dedupe_prior(lk, settings, n))

    model = _train(linker, settings, blocking.training_rules(cols), finish=estimate)
    if prior.get("u_corrected"):  # a dense list: its names' frequencies are its copies'
        without_term_frequencies(model)
    model["srdh"] = {"kind": "dedupe", "sources": [f.feed for f in feeds],
                     "trained_on_rows": n, "comparisons": comps, **prior}
    if save:
        save_model(model, model_path(settings, "dedupe"))
    return model


def without_term_frequencies(model: dict) -> None:
    """Drop every level's term-frequency adjustment (in place), for a dense list.

    Splink's adjustment replaces an exact level's u by the value's share of the records
    scored. In a state's list that share is the name's commonness; in a list where most
    people are listed two or more times (``estimate_dedupe_prior`` found it dense) a rare
    name's share is its own copies: one person listed three times in 900 records read as
    a 1-in-300 name, and an exact name lost about 7 bits (FEBRL1/2, development data).
    Copies cannot be told from namesakes per value before the dedupe, so the level's own
    u, already corrected for the copies among random pairs, is used for every value."""
    for comp in model.get("comparisons", []):
        for level in comp.get("comparison_levels", []):
            for key in ("tf_adjustment_column", "tf_adjustment_weight", "tf_minimum_u_value"):
                level.pop(key, None)


def dedupe_link_type(n_feeds: int) -> str:
    return "link_and_dedupe" if n_feeds > 1 else "dedupe_only"


def save_model(model: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(model, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)


def load_model(path: Path) -> dict | None:
    if not Path(path).exists():
        return None
    return json.loads(Path(path).read_text())


def with_prediction_rules(model: dict, spec: tuple, columns) -> dict:
    """The model with today's prediction blocking rules (``matching.blocking``) for the
    columns the feeds carry. Blocking decides which pairs are scored, not how they score:
    it is code, not a learnt parameter, so a saved model picks up new rules without
    retraining, and a column the feeds lack drops its rules."""
    out = dict(model)
    out["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": _rule_sql(r), "sql_dialect": "duckdb"}
        for r in blocking.rules(spec, set(columns))]
    return out


def splink_settings(model: dict, probability_two_random_records_match: float,
                    dialect: str = "duckdb") -> dict:
    """A model dict ready for ``Linker``: SRDH metadata removed, lambda set for this run,
    SQL in the backend's dialect (``matching.dialect``)."""
    d = {k: v for k, v in model.items() if k != "srdh"}
    d["probability_two_random_records_match"] = probability_two_random_records_match
    return for_dialect(d, dialect)


def settings_for(sc, backend: str):
    """Training settings for ``backend``: the ``SettingsCreator`` itself on DuckDB; on
    another backend its DuckDB SQL translated (Splink's own translation of our custom
    levels misses Jaro-Winkler: see ``matching.dialect``)."""
    if backend == "duckdb":
        return sc
    return for_dialect(sc.create_settings_dict("duckdb"), backend)
