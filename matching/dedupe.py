"""De-duplication within and across sources, and resident clusters (set-based SQL).

KYR holds at most one record per person, so the seeding links already say who is
who: records seeded to the same UID are one resident, records seeded to different
UIDs are two. Pairwise dedupe evidence is only needed for records *not* seeded.

1. ``pred_dedupe`` (see ``predict.predict_dedupe``) scores record pairs within and
   across sources (log2 Bayes factor ``match_weight``; ``match_probability`` with the
   prior of ``size_prior``: it follows the number of records, so a bigger state, with
   more namesakes, asks more of a pair).
2. ``dedupe_edges``: pairs at or above ``dedupe.threshold``, and pairs of two records
   of one source seeded to one UID whose ``keep_probability`` (the pair's probability,
   or the seeding's own that both are that UID's person, whichever is larger; the
   pair's own alone where their birth years are apart) reaches
   ``conflict_pair_threshold``, minus pairs that are two people for certain:
   * both records provisionally seeded to *different* KYR residents;
   * same source and same ``household_ref`` (a ration card / job card lists each
     member once: same-named father and son, mother and daughter-in-law);
   * birth-year ranges more than ``dedupe.max_birth_year_gap`` apart, unless the home
     measured the source's dates of birth to be replaced beyond noise
     (``DatesReplaced``);
   and, issue 17's decision, pairs that share only name, age and gender
   (``dedupe.merge_needs_corroboration``): they go to the review queue instead.
3. ``residents``: a seeded record's resident is its UID; an unseeded record joins the
   resident of its best edge to a seeded record; the remaining unseeded records form
   connected components among themselves (min-label propagation, a few set-based
   UPDATE rounds); a resident keeps one record per card of a source, and never holds
   two records that cannot link (``review.apart_pairs``: two people for certain, or
   contradicted: ``check_pairs``' ``cannot_link``) through a chain of other records'
   edges (``_attach_to_seeded``, ``_split_cannot_link``). Each record gets a
   cluster label (``resident_labels``); ``matching.ids.assign`` turns labels into
   stable resident ids (never a token or UID).
4. ``namesake_pairs``: unmatched records with exactly one namesake of their age in
   their source, never scored, for the review queue.

Every statement is a ``SELECT`` materialised by ``matching.engine`` (md5, power, window
functions), so the same code runs on DuckDB and, translated by sqlglot, on Spark.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from matching import engine
from matching.comparisons import BIRTH_M
from matching.inputs import DEACTIVATED, KYR
from matching.replaced_dob import replaced_for_certain
from matching.settings import QUEUE_FLOOR, MatchSettings

log = logging.getLogger(__name__)

CLERICAL_WEIGHT = 50.0  # edge weight of a reviewer-confirmed pair (beats any model edge)

MAX_ROUNDS = 30


def set_anchors(db, tables: list, prov_tables: list[str], floor: float) -> None:
    """``kyr_anchor`` of every record = its best KYR candidate when that candidate's
    posterior (``prov_<source>.match_probability``) is at least ``floor``
    (``dedupe.anchor_probability``), whatever the record's status: records at p 0.2-0.5
    are unmatched since review_threshold is 0.5, and still block on their candidate.
    Records sharing an anchor are scored by the dedupe model even when name, place and
    birth-year blocking miss them (a duplicate enrolled in another district)."""
    db = engine.of(db)
    for f, prov in zip(tables, prov_tables, strict=True):
        cols = ", ".join("p.candidate_uid_token AS kyr_anchor" if c == "kyr_anchor"
                         else f"t.{c}" for c in db.columns(f.table))
        db.create(f.table, f"""
            SELECT {cols} FROM {f.table} t
            LEFT JOIN {prov} p ON p.source_record_id = t.unique_id
                              AND p.match_probability >= {floor}
        """)


def size_prior(db, settings: MatchSettings, feeds: list, prov_tables: list[str]) -> float | None:
    """log2 prior odds that two of the run's records are one person, from the run itself
    (``dedupe.size_prior``; None when off or when nothing is seeded to count on).

    With n records, each having on average d other records of the same person (in its
    own list or another), n d / 2 of the n (n - 1) / 2 pairs are one person: the prior
    is log2(d / (n - 1)). d does not grow with the state, n does, so a pair needs about
    one more bit of evidence each time the state doubles: its namesakes double too.
    KYR lists a person once, so d is counted where the seeding says who is who: among the
    records provisionally seeded, d = sum k (k - 1) / sum k over UIDs seeded k times. On
    the tuning profile at 50k d is 0.73 (the truth says 0.72) and the prior -16.5 bits."""
    if not settings.dedupe.size_prior:
        return None
    names = {f"prov_{f.feed}" for f in feeds}
    tables = [t for t in prov_tables if t in names]
    n = sum(f.rows for f in feeds)
    if not tables or n < 2:
        return None
    seeded = " UNION ALL ".join(
        f"SELECT candidate_uid_token AS uid FROM {t} WHERE match_status = 'seeded' "
        "AND candidate_uid_token IS NOT NULL" for t in tables)
    records, pairs = engine.of(db).rows(f"""
        SELECT coalesce(sum(k), 0), coalesce(sum(k * (k - 1)), 0)
        FROM (SELECT uid, count(*) AS k FROM ({seeded}) s GROUP BY uid) g""")[0]
    if not records:
        return None
    # one pseudo-pair: a list where no UID is seeded twice has d near 0, not "unknown"
    # (returning None there gave the loosest prior, -14, to the list with the least sign
    # of copies, 25 bits looser than one pair away at 1M; independent review)
    d = (float(pairs) + 1) / (float(records) + 1)
    return max(SIZE_PRIOR_FLOOR, math.log2(d / (n - 1)))


#: the strictest size prior: one pair in a billion (past it a pair's evidence is never
#: enough, and a list with no copies seen needs no stricter guard)
SIZE_PRIOR_FLOOR = -30.0


def _dept_attrs_sql(tables: list) -> str:
    return " UNION ALL ".join(
        f"SELECT '{f.feed}' AS source, unique_id AS record_id, household_ref, "
        f"birth_year_min, birth_year_max FROM {f.table}" for f in tables
    )


# dedupe pairs at or above this that are not merged go to review: the queue's floor, the
# seeding's review_threshold default (settings.QUEUE_FLOOR)
REVIEW_FLOOR = QUEUE_FLOOR

# what two records share beyond name, age and gender (issue 17's decision): the same
# village (the block where a side has no village; the village as spelled where neither
# resolved), or the same mobile, relative's name, date of birth or valid UID
_CORROBORATED = """(coalesce(al.village_code = ar.village_code, al.block_std = ar.block_std,
                             al.place_key = ar.place_key, false)
                    OR coalesce(al.mobile = ar.mobile, false)
                    OR coalesce(al.relative_name_key = ar.relative_name_key, false)
                    OR coalesce(al.dob = ar.dob, false)
                    OR coalesce(al.uid_token = ar.uid_token, false))"""
_EVIDENCE_COLUMNS = ("village_code", "block_std", "place_key", "mobile", "relative_name_key",
                     "dob", "uid_token")

# what a copy repeats and two namesakes do not (issue 17, edudup; ``dedupe.queue_contradicted``):
# both records carry a full date of birth and the dates differ, day and month swapped
# aside (a clerk's slip, comparisons.DAY_MONTH_SWAPPED); both name a mother and her given
# names share nothing (``mother_given``: the mother's name without the record's own
# surname, which the family shares - "DRAUPADI KASHYAP" / "PARVATI KASHYAP" is JW 0.87 as
# written; below the relative's-name comparison's lowest agreeing level, JW 0.80; a given
# name written as an initial never contradicts). At 1M residents (tuning seed 7) among
# edu_scholarship's pairs merged by a model edge (not both seeded to one UID): dates
# differ 4 false / 1 true; among all its merged pairs, mothers' given names differ 3 false
# / 0 true.
MOTHERS_DIFFER = ("length(split_part(al.mother_given, ' ', 1)) > 1 AND "
                  "length(split_part(ar.mother_given, ' ', 1)) > 1 AND "
                  "jaro_winkler_similarity(al.mother_given, ar.mother_given) < 0.80")
# 1 January is what a clerk writes when only the year is known (as the flags read it,
# int_enrolment_flags): such a date contradicts nothing
DATES_DIFFER = ("CAST(al.dob AS DATE) <> CAST(ar.dob AS DATE) AND "
                "strftime(CAST(al.dob AS DATE), '%m-%d') <> '01-01' AND "
                "strftime(CAST(ar.dob AS DATE), '%m-%d') <> '01-01' AND NOT ("
                + " AND ".join(f"extract({a} FROM CAST(al.dob AS DATE)) = "
                               f"extract({b} FROM CAST(ar.dob AS DATE))"
                               for a, b in (("year", "year"), ("month", "day"),
                                            ("day", "month"))) + ")")


def _mother_given_sql(usable) -> str:
    """The mother's name without the record's own surname (a token equal to last_name)."""
    if "mother_name_std" not in usable:
        return "NULL"
    surname = "last_name" if "last_name" in usable else "NULL"
    return (f"nullif(trim(replace(' ' || mother_name_std || ' ', "
            f"' ' || coalesce({surname}, '') || ' ', ' ')), '')")


def _contradicted_sql(dates: bool) -> str:
    parts = [MOTHERS_DIFFER] + ([DATES_DIFFER] if dates else [])
    return "coalesce(" + " OR ".join(f"({p})" for p in parts) + ", false)"


def _pair_attrs_sql(tables: list) -> str:
    def col(f, c: str) -> str:  # a column the feed never fills is null
        return c if c in f.usable else f"NULL AS {c}"

    return " UNION ALL ".join(
        f"SELECT '{f.feed}' AS source, unique_id AS record_id, household_ref, "
        f"birth_year_min, birth_year_max, "
        f"{', '.join(col(f, c) for c in _EVIDENCE_COLUMNS)}, "
        f"CAST({_mother_given_sql(f.usable)} AS VARCHAR) AS mother_given FROM {f.table}"
        for f in tables)


@dataclass(frozen=True)
class DatesReplaced:
    """The sources whose dates of birth the home measured to be replaced at times, so
    that a birth gap between two of their records is no certainty of two people.
    ``seeding``: the seeding model's replaced share is beyond noise
    (``replaced_dob.replaced_for_certain``): lifts the veto for two records of the
    source seeded to one KYR resident (KYR lists the person once). ``dedupe``: a dense
    list's dedupe model learned its "else" m on random pairs above the fixed prior
    (``train.learn_dedupe_m_on_dense``) and this run priced its pairs as dense: lifts
    it for any pair of those sources, which the model then scores at that m. Either way
    a pair whose birth years are apart is kept on a UID on its own probability only. A
    state's lists keep both priors: empty."""

    seeding: frozenset[str] = frozenset()
    dedupe: frozenset[str] = frozenset()


def _birth_else_m(model: dict | None) -> float:
    comp = next((c for c in (model or {}).get("comparisons", [])
                 if c.get("output_column_name") == "birth"), None)
    levels = [lvl for lvl in (comp or {}).get("comparison_levels", [])
              if not lvl.get("is_null_level")]
    return float(levels[-1].get("m_probability") or 0.0) if levels else 0.0


def dates_replaced(seed_models: dict[str, dict] | None,
                   dedupe_model: dict | None = None, dense: bool = False) -> DatesReplaced:
    """``DatesReplaced`` from this run's models (see there). ``dense``: this run priced
    its dedupe pairs with the model's dense estimate (``train.dedupe_prior``); a run the
    size prior calls sparse lifts nothing for the dedupe model, whatever it learned on
    the list it was trained on."""
    seeding = frozenset(src for src, model in (seed_models or {}).items()
                        if replaced_for_certain((model or {}).get("srdh", {})
                                                .get("replaced_dob")))
    meta = (dedupe_model or {}).get("srdh", {})
    learnt = (dense and meta.get("m_learnt_on_random_pairs")
              and _birth_else_m(dedupe_model) > BIRTH_M[-1])
    return DatesReplaced(seeding, frozenset(meta.get("sources", [])) if learnt
                         else frozenset())


def _birth_gap_sql(left: str, right: str, gap: int) -> str:
    return (f"({left}.birth_year_min - {right}.birth_year_max > {gap} "
            f"OR {right}.birth_year_min - {left}.birth_year_max > {gap})")


def _birth_apart_sql(left: str, right: str, gap: int, together: str,
                     replaced: DatesReplaced | None = None, direct: str = "true") -> str:
    """Birth-year ranges of ``left`` and ``right`` more than ``gap`` years apart: two
    people for certain, except where the home measured the source's dates to be replaced
    (``DatesReplaced``): two records of a ``seeding`` source both seeded to one KYR
    resident (``together``), any two records of ``dedupe`` sources, and only where
    ``direct`` holds (``together_apart``: the pair itself scored at the keep threshold,
    not a chain through a third record). There the gap is what a replaced date looks
    like, and the pair is judged on its own evidence (``check_pairs`` keeps such a pair
    on its own probability, not the seeding's). FEBRL2-link's copies listed several
    times, one with another date, lost their UID conflict to the veto (29 of 46
    misses)."""
    apart = _birth_gap_sql(left, right, gap)
    lifted = []
    for names in (replaced.seeding if replaced else (), replaced.dedupe if replaced else ()):
        if not all(n.replace("_", "").isalnum() for n in names):  # quoted into the SQL
            raise ValueError(f"not a feed name: {sorted(names)}")
    if replaced and replaced.seeding:
        names = ", ".join(f"'{s}'" for s in sorted(replaced.seeding))
        # ``together`` requires one source in check_pairs; the together_apart caller's
        # rows are one source's already
        lifted.append(f"({together} AND {left}.source = {right}.source "
                      f"AND {left}.source IN ({names}))")
    if replaced and replaced.dedupe:
        names = ", ".join(f"'{s}'" for s in sorted(replaced.dedupe))
        lifted.append(f"({left}.source IN ({names}) AND {right}.source IN ({names}))")
    if not lifted:
        return apart
    return f"({apart} AND NOT ({direct} AND ({' OR '.join(lifted)})))"


def _joint_posterior_sql(settings: MatchSettings) -> str:
    """SQL: the seeding's posterior that the records ``pl`` and ``pr``, both seeded to one
    UID, are both its person, from the two records' posteriors alone.

    Each record's posterior p weighs its own KYR candidates; the one that is not the UID's
    best (not ``top``) also carries the prior that a person is listed twice (the source's
    ``claimed_weight``, 2^c = d: ``seed.provisional``'s claimed candidate), the top one
    does not. With raw failure odds f = (1 - p) / p (times d for a record that carries the
    prior), the hypotheses are: both are the UID's person (prior d), only one is (prior 1
    each, the other someone else) or neither. So the odds against both are
    (f_l + f_r + f_l f_r) / d. The product p_l p_r, used before, took the top record to be
    the UID's person whatever the other's claim: its doubt counted at 1 / d of its weight,
    and a second claim at p ~ 1 beside a top record at 0.999 was kept at 0.999, where
    either of the two may be the namesake. With ``claimed_weight`` 0 it is the product."""
    if not settings.dedupe.joint_claims:
        return "(pl.match_probability * pr.match_probability)"
    # per source from the settings themselves (not from table names); sources with the
    # defaults' weight fall to ELSE
    default = 2.0 ** settings.defaults.claimed_weight
    cases = " ".join(f"WHEN '{s}' THEN {2.0 ** t.claimed_weight!r}"
                     for s, t in sorted(settings.sources.items())
                     if 2.0 ** t.claimed_weight != default)
    d = f"(CASE pl.source {cases} ELSE {default!r} END)" if cases else repr(default)

    def f(side: str) -> str:  # a seeded record has p > 0; the floor keeps 0 from dividing
        p = f"greatest({side}.match_probability, 1e-12)"
        return f"((1.0 - {p}) / {p} * CASE WHEN {side}.top THEN 1.0 ELSE {d} END)"

    return f"(1.0 / (1.0 + ({f('pl')} + {f('pr')} + {f('pl')} * {f('pr')}) / {d}))"


def check_pairs(db, settings: MatchSettings, prov_tables: list[str],
                dept_tables: list | None = None,
                replaced: DatesReplaced | None = None, dense: bool = False) -> str:
    """Table ``dedupe_checked``: the scored pairs down to the lower of the review floor
    and the edge floor, each with ``seeded_apart`` (provisionally seeded to two KYR
    residents), ``seeded_together`` (two records of one source seeded to one KYR
    resident), ``keep_probability`` (for those, the larger of the pair's probability and
    the seeding's own that both are that resident's person, where that reaches
    ``dedupe.keep_on_seeding_posterior``; else ``match_probability``),
    ``vetoed`` (two people for certain: same card of one source, birth years apart, but
    not where ``replaced`` says the dates are measured to be replaced:
    ``_birth_apart_sql``) and
    ``corroborated`` (they share more than name, age and gender) and ``contradicted``
    (``dedupe.queue_contradicted``: different full dates of birth, not on a ``dense``
    list, or different mothers' names: ``_contradicted_sql``; ``mothers_differ``: the
    latter alone), ``seeding_keep`` (the
    seeding's own part of ``keep_probability``, 0 where it does not reach
    ``keep_on_seeding_posterior``) and ``cannot_link`` (contradicted, and not kept on
    one UID by ``seeding_keep`` >= ``conflict_pair_threshold``; always where the mothers
    differ): the pair is no edge (``build_edges``), and no chain of other edges puts its
    two records in one resident (``review.apart_pairs``: ``seed.resolve`` and
    ``resident_clusters`` honour it).

    Why the seeding's posterior: the pair's probability carries the prior of two records
    drawn from the whole state (``size_prior``), about -17.5 bits at 100k records, so a
    copy seeded to its UID beside the original needed some 22 bits of pair evidence to
    stay on it, and most copies in one village went to review as UID conflicts. Each
    record's seeding posterior ``p`` already weighs every KYR candidate and, for the
    record that is not the UID's best, the prior that a person is listed twice
    (``seed.provisional``'s claimed candidate). KYR lists a person once: when both are
    that person, which the seeding puts at the joint posterior of the two claims
    (``_joint_posterior_sql``; ``p_l p_r`` when the top record is certain), they are one
    person."""
    # ``top``: the UID's best-scoring seeded record of the source (seed.resolve's winner,
    # the record that claims it): its posterior carries no "listed twice" prior
    prov_union = ("SELECT *, row_number() OVER (PARTITION BY source, candidate_uid_token "
                  "ORDER BY match_weight DESC, source_record_id) = 1 AS top FROM ("
                  + " UNION ALL ".join(
                      f"SELECT source, source_record_id, candidate_uid_token, "
                      f"match_probability, match_weight FROM {t} "
                      f"WHERE match_status = 'seeded'" for t in prov_tables) + ") s"
                  if prov_tables else
                  "SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS source_record_id, "
                  "NULL::VARCHAR AS candidate_uid_token, NULL::DOUBLE AS match_probability, "
                  "NULL::DOUBLE AS match_weight, false AS top WHERE false")
    dd = settings.dedupe
    floor = min(dd.threshold, dd.conflict_pair_threshold, REVIEW_FLOOR)
    together = ("e.source_l = e.source_r AND "
                "coalesce(pl.candidate_uid_token = pr.candidate_uid_token, false)")
    if dept_tables:
        attr_join = ("LEFT JOIN attrs al ON al.source = e.source_l AND al.record_id = e.record_l "
                     "LEFT JOIN attrs ar ON ar.source = e.source_r AND ar.record_id = e.record_r")
        vetoes = [_birth_apart_sql("al", "ar", dd.max_birth_year_gap, f"({together})",
                                   replaced)]
        if dd.household_veto:
            vetoes.append("(e.source_l = e.source_r AND al.household_ref = ar.household_ref)")
        vetoed = "coalesce(" + " OR ".join(vetoes) + ", false)"
        with_attrs = f", attrs AS ({_pair_attrs_sql(dept_tables)})"
        corroborated = _CORROBORATED
        contradicted = (_contradicted_sql(dates=not dense) if dd.queue_contradicted
                        else "false")
        mothers = _contradicted_sql(dates=False) if dd.queue_contradicted else "false"
        # a pair whose birth years are apart is kept on a UID on its own probability only:
        # vetoed, unless the dates are measured to be replaced; then the seeding's
        # posterior, which no birth gap between the two lowered, is no evidence for it
        gap = f"coalesce({_birth_gap_sql('al', 'ar', dd.max_birth_year_gap)}, false)"
    else:
        attr_join, vetoed, with_attrs, corroborated, gap = "", "false", "", "true", "false"
        contradicted = mothers = "false"
    # the seeding's posterior that both are the UID's person, where it reaches the
    # duplicate decision's precision target (a seeding posterior is calibrated: seeded
    # records' mean p is their measured precision within 0.1 point on the tuning states)
    # the seeding's joint posterior, computed once per pair (``scored``) and read by the
    # keep, the column and the cannot-link below
    joint = _joint_posterior_sql(settings) if dd.keep_on_seeding_posterior else "0.0"
    joint_kept = (f"CASE WHEN joint >= {dd.keep_on_seeding_posterior} THEN joint ELSE 0.0 END"
                  if dd.keep_on_seeding_posterior else "0.0")
    engine.of(db).create("dedupe_checked", f"""
        WITH prov AS ({prov_union}){with_attrs},
        scored AS (
            SELECT e.source_l, e.record_l, e.source_r, e.record_r, e.match_weight,
                   e.match_probability,
                   coalesce(pl.candidate_uid_token <> pr.candidate_uid_token, false)
                       AS seeded_apart,
                   {together} AS seeded_together,
                   {vetoed} AS vetoed,
                   {corroborated} AS corroborated,
                   {contradicted} AS contradicted,
                   {mothers} AS mothers_differ,
                   {together} AND NOT {gap} AS keepable,
                   {joint} AS joint
            FROM pred_dedupe e
            LEFT JOIN prov pl ON pl.source = e.source_l AND pl.source_record_id = e.record_l
            LEFT JOIN prov pr ON pr.source = e.source_r AND pr.source_record_id = e.record_r
            {attr_join}
            WHERE e.match_probability >= {floor} OR {together}
        ), kept AS (
            SELECT *, {joint_kept} AS joint_kept FROM scored
        ), decided AS (
            SELECT *, CASE WHEN keepable THEN joint_kept ELSE 0.0 END AS seeding_keep FROM kept
        )
        SELECT source_l, record_l, source_r, record_r, match_weight, match_probability,
               CASE WHEN keepable THEN greatest(match_probability, joint_kept)
                    ELSE match_probability END AS keep_probability,
               seeded_apart, seeded_together, vetoed, corroborated, contradicted,
               mothers_differ, seeding_keep,
               mothers_differ OR (contradicted AND NOT coalesce(
                   seeding_keep >= {dd.conflict_pair_threshold}, false)) AS cannot_link
        FROM decided
        WHERE match_probability >= {floor} OR (seeded_together AND joint_kept > 0)
    """)
    return "dedupe_checked"


def build_edges(db, settings: MatchSettings, prov_tables: list[str],
                dept_tables: list | None = None,
                replaced: DatesReplaced | None = None, dense: bool = False) -> str:
    """Table ``dedupe_edges`` (source_l, record_l, source_r, record_r, match_weight,
    match_probability, keep_probability): candidate same-person pairs after the vetoes. With
    ``dedupe.merge_needs_corroboration`` a pair that shares only name, age and gender is
    no edge (neither merged nor kept on one UID): ``review.dedupe_review_pairs_sql``
    queues it; so, with ``dedupe.queue_contradicted``, is a pair whose records carry
    different full dates of birth or different mothers' names: the pair model's
    probability neither joins nor keeps it; two records seeded to one UID stay together
    only on the seeding's own posterior (``seeding_keep``), and not where their mothers
    differ (``mothers_differ``: one was seeded to a namesake's UID): ``cannot_link``, which
    no chain through a third record overrides either. ``replaced``: the sources
    measured to replace dates of birth (``dates_replaced``), whose pairs are not vetoed
    for a birth gap alone; ``dense``: this run priced its pairs as a dense list's (dates
    are not checked)."""
    dd = settings.dedupe
    check_pairs(db, settings, prov_tables, dept_tables, replaced, dense)
    together_apart(db, settings, prov_tables, dept_tables, replaced)
    guard = " AND corroborated" if dd.merge_needs_corroboration else ""
    # an edge joins records (``match_probability`` >= threshold) or keeps two records on
    # the UID both seeded to (``keep_probability`` >= conflict_pair_threshold)
    engine.of(db).create("dedupe_edges", f"""
        SELECT source_l, record_l, source_r, record_r, match_weight, match_probability,
               keep_probability
        FROM dedupe_checked
        WHERE (match_probability >= {dd.threshold}
               OR keep_probability >= {dd.conflict_pair_threshold})
          AND NOT seeded_apart AND NOT vetoed{guard}
          AND NOT cannot_link
    """)
    return "dedupe_edges"


def together_apart(db, settings: MatchSettings, prov_tables: list[str],
                 dept_tables: list | None = None,
                 replaced: DatesReplaced | None = None) -> str:
    """Table ``dedupe_together_apart`` (source_l, record_l, source_r, record_r): pairs of
    records of one source provisionally seeded to one UID that are two people for
    certain (one card, birth years more than ``dedupe.max_birth_year_gap`` apart),
    whether or not the dedupe model scored them: a pair born 25 years apart scores low and
    never reaches ``dedupe_checked``, yet a chain of edges through an undated copy joined
    it (``seed.resolve``). Small: the records claiming one UID. In a source whose dates
    of birth are measured to be replaced (``replaced``, ``dates_replaced``) a birth gap
    is no certainty where the two scored at ``dedupe.conflict_pair_threshold`` themselves
    (in ``dedupe_checked``, which ``check_pairs`` makes first); the card stays
    (``_birth_apart_sql``)."""
    dd = settings.dedupe
    empty = ("SELECT NULL::VARCHAR AS source_l, NULL::VARCHAR AS record_l, "
             "NULL::VARCHAR AS source_r, NULL::VARCHAR AS record_r WHERE false")
    if not dept_tables or not prov_tables:
        engine.of(db).create("dedupe_together_apart", empty)
        return "dedupe_together_apart"
    prov = " UNION ALL ".join(
        f"SELECT source, source_record_id, candidate_uid_token FROM {t} "
        f"WHERE match_status = 'seeded'" for t in prov_tables)
    card = " OR (l.household_ref = r.household_ref)" if dd.household_veto else ""
    # a lifted gap needs the pair's own probability at the keep threshold: a chain
    # father - undated namesake - son is no evidence that father and son are one
    keep = (f"WHERE source_l = source_r AND match_probability >= "
            f"{min(dd.threshold, dd.conflict_pair_threshold)}")  # what makes an edge
    direct = (f", direct AS (SELECT DISTINCT source_l, record_l, source_r, record_r FROM ("
              f"SELECT source_l, record_l, source_r, record_r FROM dedupe_checked {keep} "
              f"UNION ALL SELECT source_r, record_r, source_l, record_l FROM dedupe_checked "
              f"{keep}) d)" if replaced and (replaced.seeding or replaced.dedupe) else "")
    direct_join = ("LEFT JOIN direct d ON d.source_l = l.source AND d.record_l = "
                   "l.source_record_id AND d.source_r = r.source AND d.record_r = "
                   "r.source_record_id" if direct else "")
    engine.of(db).create("dedupe_together_apart", f"""
        WITH prov AS ({prov}), attrs AS ({_pair_attrs_sql(dept_tables)}){direct},
        s AS (SELECT p.source, p.source_record_id, p.candidate_uid_token, a.household_ref,
                     a.birth_year_min, a.birth_year_max
              FROM prov p JOIN attrs a ON a.source = p.source
                                      AND a.record_id = p.source_record_id)
        SELECT l.source AS source_l, l.source_record_id AS record_l,
               r.source AS source_r, r.source_record_id AS record_r
        FROM s l JOIN s r ON l.source = r.source
                         AND l.candidate_uid_token = r.candidate_uid_token
        {direct_join}
        WHERE l.source_record_id < r.source_record_id
          AND coalesce({_birth_apart_sql("l", "r", dd.max_birth_year_gap, "true", replaced,
                                         "d.record_l IS NOT NULL" if direct else "true")}
                       {card}, false)
    """)
    return "dedupe_together_apart"


def namesake_pairs(db, settings: MatchSettings, dept_tables: list,
                   seed_tables: list[str]) -> str:
    """Table ``dedupe_namesakes`` (the first six columns of ``dedupe_edges``, weights
    null): pairs
    of one source that share only name, gender and age, for the review queue (issue 17's
    decision). Blocking scopes name pairs to a village or block, so a copy enrolled in
    another block that shares nothing else is never scored. A record that ended
    unmatched (one in review is in the queue already) is paired here with the records of
    its source with the same sorted name key, gender and earliest birth year (the key
    name blocking uses) anywhere in the state (not on its own card),
    but only when the key holds exactly two records of the source: with more, each is as
    likely a namesake as the copy, and the chance of a namesake grows with the state, so
    a larger state queues fewer such pairs, never more (``dedupe.namesake_review``). A pair
    the dedupe model scored at any probability is left out: it was judged on its
    evidence."""
    db = engine.of(db)
    needed = {"name_sorted_key", "gender", "birth_year_min"}
    dept_tables = [f for f in dept_tables if needed <= f.usable]
    if not settings.dedupe.namesake_review or not dept_tables:
        db.create("dedupe_namesakes", "SELECT source_l, record_l, source_r, record_r, "
                  "match_weight, match_probability FROM dedupe_edges WHERE false")
        return "dedupe_namesakes"
    status = " UNION ALL ".join(f"SELECT source, source_record_id, match_status FROM {t}"
                                for t in seed_tables)
    recs = " UNION ALL ".join(
        f"SELECT '{f.feed}' AS source, unique_id AS record_id, name_sorted_key, gender, "
        f"birth_year_min, household_ref FROM {f.table} "
        f"WHERE name_sorted_key IS NOT NULL AND gender IS NOT NULL "
        f"AND birth_year_min IS NOT NULL" for f in dept_tables)
    # the key's records are counted first and only keys with exactly two records are
    # joined: a self-join on the key alone grows with the square of a common name's count
    db.create("dedupe_namesakes", f"""
        WITH r AS (
            SELECT r.*, s.match_status,
                   count(*) OVER (PARTITION BY r.source, r.name_sorted_key, r.gender,
                                               r.birth_year_min) AS n_key
            FROM ({recs}) r
            LEFT JOIN ({status}) s ON s.source = r.source AND s.source_record_id = r.record_id
        ), two AS (SELECT * FROM r WHERE n_key = 2),
        cand AS (
            SELECT u.source, u.record_id AS u_id, o.record_id AS o_id
            FROM two u JOIN two o ON o.source = u.source
                 AND o.name_sorted_key = u.name_sorted_key
                 AND o.gender = u.gender AND o.birth_year_min = u.birth_year_min
                 AND o.record_id <> u.record_id
            WHERE u.match_status = 'unmatched'
              AND NOT coalesce(u.household_ref = o.household_ref, false)
        ), pairs AS (
            SELECT DISTINCT source, least(u_id, o_id) AS record_l,
                   greatest(u_id, o_id) AS record_r
            FROM cand
        )
        SELECT p.source AS source_l, p.record_l, p.source AS source_r, p.record_r,
               CAST(NULL AS DOUBLE) AS match_weight, CAST(NULL AS DOUBLE) AS match_probability
        FROM pairs p
        JOIN residents ru ON ru.source = p.source AND ru.record_id = p.record_l
        JOIN residents ro ON ro.source = p.source AND ro.record_id = p.record_r
        WHERE ru.resident_id <> ro.resident_id
          -- a pair the model scored, at any probability, was judged on its evidence: the
          -- queue takes those from the review band (review.dedupe_review_pairs_sql) only
          AND NOT EXISTS (SELECT 1 FROM pred_dedupe e
                          WHERE e.source_l = p.source AND e.source_r = p.source
                            AND least(e.record_l, e.record_r) = p.record_l
                            AND greatest(e.record_l, e.record_r) = p.record_r)
    """)
    return "dedupe_namesakes"


NODE_COLUMNS = ("node", "source", "record_id", "household_ref", "seeded", "in_review", "fixed",
                "label")


def _relabel(db, table: str, updates: str, fix: bool = False) -> None:
    """Rebuild ``table`` with ``label`` from ``updates`` (node, label) where it has a row
    (and ``fixed`` set with ``fix``)."""
    cols = ", ".join(
        "coalesce(u.label, t.label) AS label" if c == "label" else
        ("t.fixed OR u.node IS NOT NULL AS fixed" if c == "fixed" and fix else f"t.{c}")
        for c in NODE_COLUMNS)
    db.create(table, f"SELECT {cols} FROM {table} t LEFT JOIN ({updates}) u ON u.node = t.node")


def _propagate(db, table: str, edges: str) -> int:
    """Min-label propagation over ``edges`` (a, b) for the rows of ``table`` whose
    ``fixed`` is false; returns the number of rounds."""
    for rnd in range(1, MAX_ROUNDS + 1):
        db.create("_res_moves", f"""
            SELECT n.node, n.label
            FROM (SELECT e.a AS node, min(x.label) AS label
                  FROM {edges} e JOIN {table} x ON x.node = e.b
                  GROUP BY e.a) n
            JOIN {table} t ON t.node = n.node
            WHERE NOT t.fixed AND n.label < t.label
        """)
        moved = db.rows("SELECT count(*) FROM _res_moves")[0][0]
        if moved:
            _relabel(db, table, "SELECT node, label FROM _res_moves")
        db.drop("_res_moves")
        if not moved:
            return rnd
    return MAX_ROUNDS


def _split_same_card(db, table: str, edges: str) -> None:
    """A card lists a person once, also when its two records joined one resident through
    other records, or in the same step (the veto sees direct pairs and the resident as it
    was): per resident and (source, card) a seeded record, else one a reviewer confirmed,
    else the first, stays; the other unseeded records leave, each alone (their pairs then
    go to the review queue). A record in a reviewer-confirmed pair (``edges`` at
    ``CLERICAL_WEIGHT``) never leaves: the reviewer said they are one person."""
    db.create("_res_card_moves", f"""
        WITH confirmed AS (
            SELECT DISTINCT a AS node FROM {edges} WHERE match_weight >= {CLERICAL_WEIGHT}
        )
        SELECT node, 'N:' || node AS label
        FROM (SELECT t.node, t.seeded, c.node IS NOT NULL AS confirmed,
                     row_number() OVER (PARTITION BY t.label, t.source, t.household_ref
                                        ORDER BY t.seeded DESC, c.node IS NOT NULL DESC,
                                                 t.node) AS rk
              FROM {table} t LEFT JOIN confirmed c ON c.node = t.node
              WHERE t.household_ref IS NOT NULL) x
        WHERE rk > 1 AND NOT seeded AND NOT confirmed
    """)
    _relabel(db, table, "SELECT node, label FROM _res_card_moves")
    db.drop("_res_card_moves")


def _cannot_link_nodes(db, apart: str | None) -> None:
    """Table ``_res_cl`` (a, b): the ``apart`` pairs (``review.apart_pairs``: two people
    for certain, or contradicted: ``check_pairs``' ``cannot_link``) as nodes of
    ``_res_nodes``, both directions, each once."""
    if not apart:
        db.create("_res_cl", "SELECT node AS a, node AS b FROM _res_nodes WHERE false")
        return
    db.create("_res_cl", f"""
        WITH p AS (
            SELECT source_l || '|' || record_l AS a, source_r || '|' || record_r AS b
            FROM {apart}
        ), both_dirs AS (SELECT a, b FROM p UNION ALL SELECT b, a FROM p)
        SELECT DISTINCT d.a, d.b FROM both_dirs d
        JOIN _res_nodes na ON na.node = d.a JOIN _res_nodes nb ON nb.node = d.b
        WHERE d.a <> d.b
    """)


def _attach_to_seeded(db, veto: str) -> None:
    """An unseeded record joins the resident of its strongest edge to a seeded record
    (``veto`` holds), never one holding a record it cannot link with (``_res_cl``), and of
    two records that cannot link attached to one resident in this step, the one with the
    stronger edge (then the smaller node: source | record id) stays; the other is left
    to the unseeded records' clusters (it does not try its next resident: on the safe
    side). Ties between residents go to the seeded record of the smaller node (source |
    record id: content, not the 'K:' label, a token of the home's key), so any home given
    the same inputs gives the same clusters (independent review)."""
    db.create("_res_attach", f"""
        WITH held AS (  -- (record, resident) where the resident holds a record it cannot
                        -- link with (the residents are the seeded records' so far)
            SELECT DISTINCT c.a AS node, m.label
            FROM _res_cl c JOIN _res_nodes m ON m.node = c.b WHERE m.fixed
        )
        SELECT node, label, match_weight
        FROM (SELECT e.a AS node, nb.label, e.match_weight,
                     row_number() OVER (PARTITION BY e.a
                                        ORDER BY e.match_weight DESC, e.b) AS rk
              FROM _res_edges e JOIN _res_nodes nb ON nb.node = e.b
              JOIN _res_nodes na ON na.node = e.a
              LEFT JOIN held h ON h.node = e.a AND h.label = nb.label
              WHERE e.b_fixed AND h.node IS NULL {veto}) best
        WHERE rk = 1""")
    # plain left joins (no correlated subquery: the SQL also runs on Spark)
    db.create("_res_attach_kept", """
        SELECT t.node, t.label
        FROM _res_attach t
        LEFT JOIN _res_cl c ON c.a = t.node
        LEFT JOIN _res_attach o ON o.node = c.b AND o.label = t.label
             AND (o.match_weight > t.match_weight
                  OR (o.match_weight = t.match_weight AND o.node < t.node))
        GROUP BY t.node, t.label
        HAVING count(o.node) = 0""")
    _relabel(db, "_res_nodes", "SELECT node, label FROM _res_attach_kept", fix=True)
    left = db.rows("SELECT (SELECT count(*) FROM _res_attach) "
                   "- (SELECT count(*) FROM _res_attach_kept)")[0][0]
    if left:
        log.info("cannot-link: %d records not attached beside another attached to the "
                 "same resident", left)
    db.drop("_res_attach", "_res_attach_kept")


def _split_cannot_link(db, table: str, edges: str) -> int:
    """The unseeded records' clusters (min-label propagation over ``edges``: a, b,
    match_weight) that hold two records that cannot link (``_res_cl``) are clustered
    again, and only they: their records start alone and are merged greedily in the
    order of their edges' strength (match weight, then the two labels: 'N:' source |
    record id, content), never two clusters one of whose records cannot link with one of
    the other's: single linkage with cannot-link constraints, as Kruskal's algorithm
    takes the edges. Set-based, in rounds: each cluster's first allowed edge to another
    cluster in that order; pairs of clusters that are each other's first merge (the
    globally first allowed edge always is, so every round merges), which gives what
    taking the edges one by one would. A record shared by two that cannot link (an
    undated copy) joins the one it has the stronger edge to; the other keeps its own
    cluster. Returns the number of rounds.

    Known limits: a cluster a record reaches only through a record it cannot link with
    stays apart from it (single linkage: the chain is cut where the weakest allowed
    merge would have been); the rounds go on until nothing merges (at most one fewer than
    the records: a large cluster takes about a third as many rounds as it has records,
    independent review), with a warning past ``MAX_ROUNDS``; the constraint is checked
    among unseeded records only (``_attach_to_seeded`` checks a record against the seeded
    ones); two reviewer-confirmed pairs in a row (x~y, y~z) whose ends cannot link (x, z)
    are not protected: the split keeps one confirmed pair and parts the other, whose
    records then sit in two residents and are not asked again (known gap)."""
    db.create("_res_bad", f"""
        SELECT DISTINCT na.label
        FROM _res_cl c JOIN {table} na ON na.node = c.a JOIN {table} nb ON nb.node = c.b
        WHERE NOT na.fixed AND NOT nb.fixed AND na.label = nb.label
    """)
    if not db.rows("SELECT count(*) FROM _res_bad")[0][0]:
        db.drop("_res_bad")
        return 0
    db.create("_res_split_nodes", f"""
        SELECT t.node FROM {table} t JOIN _res_bad b ON b.label = t.label WHERE NOT t.fixed""")
    db.drop("_res_bad")
    # the records of those clusters start alone
    _relabel(db, table, "SELECT node, 'N:' || node AS label FROM _res_split_nodes")
    before = db.rows("SELECT count(*) FROM _res_split_nodes")[0][0]
    db.create("_res_split_edges", f"""
        SELECT e.a, e.b, e.match_weight FROM {edges} e
        JOIN _res_split_nodes x ON x.node = e.a JOIN _res_split_nodes y ON y.node = e.b
    """)
    db.create("_res_split_cl", """
        SELECT c.a, c.b FROM _res_cl c
        JOIN _res_split_nodes x ON x.node = c.a JOIN _res_split_nodes y ON y.node = c.b
    """)
    rounds = 0
    for rounds in range(1, max(before, 2)):  # each round merges; nothing left to merge ends it
        if rounds == MAX_ROUNDS + 1:
            log.warning("cannot-link: re-clustering %d records takes more than %d rounds",
                        before, MAX_ROUNDS)
        db.create("_res_merges", f"""
            WITH lab AS (
                SELECT t.node, t.label FROM {table} t
                JOIN _res_split_nodes x ON x.node = t.node
            ), ce AS (  -- the strongest edge between two clusters
                SELECT la.label AS l1, lb.label AS l2, max(e.match_weight) AS w
                FROM _res_split_edges e
                JOIN lab la ON la.node = e.a JOIN lab lb ON lb.node = e.b
                WHERE la.label <> lb.label
                GROUP BY la.label, lb.label
            ), barred AS (  -- clusters with two records that cannot link between them
                SELECT DISTINCT la.label AS l1, lb.label AS l2
                FROM _res_split_cl c
                JOIN lab la ON la.node = c.a JOIN lab lb ON lb.node = c.b
            ), firsts AS (
                SELECT l1, l2
                FROM (SELECT ce.l1, ce.l2,
                             row_number() OVER (PARTITION BY ce.l1
                                                ORDER BY ce.w DESC, least(ce.l1, ce.l2),
                                                         greatest(ce.l1, ce.l2)) AS rk
                      FROM ce LEFT JOIN barred b ON b.l1 = ce.l1 AND b.l2 = ce.l2
                      WHERE b.l1 IS NULL) r
                WHERE rk = 1
            )
            SELECT f.l2 AS from_label, f.l1 AS to_label
            FROM firsts f JOIN firsts g ON g.l1 = f.l2 AND g.l2 = f.l1
            WHERE f.l1 < f.l2
        """)
        merged = db.rows("SELECT count(*) FROM _res_merges")[0][0]
        if merged:
            _relabel(db, table, f"""
                SELECT t.node, m.to_label AS label
                FROM {table} t JOIN _res_split_nodes x ON x.node = t.node
                JOIN _res_merges m ON m.from_label = t.label""")
        db.drop("_res_merges")
        if not merged:
            break
    after = db.rows(f"SELECT count(DISTINCT t.label) FROM {table} t "
                    "JOIN _res_split_nodes x ON x.node = t.node")[0][0]
    log.info("cannot-link: %d unseeded records of clusters holding two that cannot link "
             "clustered again into %d clusters in %d rounds", before, after, rounds)
    # a component propagation left with several labels (``_propagate`` stopped at
    # MAX_ROUNDS) may still hold a pair under one label: said, not hidden
    still = db.rows(f"""SELECT count(*) FROM _res_cl c JOIN {table} na ON na.node = c.a
                        JOIN {table} nb ON nb.node = c.b
                        WHERE NOT na.fixed AND NOT nb.fixed AND na.label = nb.label""")[0][0]
    if still:
        log.warning("cannot-link: %d pairs that cannot link still share a cluster", still)
    db.drop("_res_split_nodes", "_res_split_edges", "_res_split_cl")
    return rounds


def _attach_confirmed(db) -> None:
    """A reviewer-confirmed pair (b, c) whose c joined a KYR resident in the step before
    (by its own edge to a seeded record) takes b there too, and so on along confirmed
    pairs: the free edges leave fixed records out, so b stayed alone and the pair, no
    longer queued, was dropped (independent review, session 14). A record with confirmed
    pairs to two residents follows the partner first by content (source | record id),
    not by label: a KYR label is a token of the home's key."""
    for _ in range(MAX_ROUNDS):
        db.create("_res_confirmed", f"""
            SELECT a AS node, label
            FROM (SELECT e.a, nb.label,
                         row_number() OVER (PARTITION BY e.a ORDER BY nb.node) AS rk
                  FROM _res_edges e
                  JOIN _res_nodes na ON na.node = e.a JOIN _res_nodes nb ON nb.node = e.b
                  WHERE e.match_weight >= {CLERICAL_WEIGHT} AND NOT na.fixed AND nb.fixed) x
            WHERE rk = 1""")
        moved = db.rows("SELECT count(*) FROM _res_confirmed")[0][0]
        if moved:
            _relabel(db, "_res_nodes", "SELECT node, label FROM _res_confirmed", fix=True)
        db.drop("_res_confirmed")
        if not moved:
            return


def resident_clusters(db, settings: MatchSettings, kyr, linked_tables: list,
                      seed_tables: list[str], barred: str | None = None,
                      apart: str | None = None) -> str:
    """Table ``residents`` (source, record_id, resident_id) for every record and KYR row.

    ``barred`` (source, record_id, label): links a reviewer rejected; such a record never
    joins that resident through a dedupe edge (``matching.review``). ``apart``
    (``review.apart_pairs``: two people for certain, contradicted pairs, pairs a reviewer
    rejected): two such records never share a resident through other records, as far
    as the edges decide: an unseeded record does not join a seeded resident holding a
    record it cannot link with (``_attach_to_seeded``), and a cluster of unseeded
    records holding such a pair is split (``_split_cannot_link``). Not checked: records
    seeded to one UID (``seed.resolve`` decides those, against the same pairs within a
    source; across sources the seeding's word stands) and a reviewer-confirmed pair
    (``_attach_confirmed``: the reviewer said they are one person)."""
    db = engine.of(db)
    seeded = " UNION ALL ".join(
        f"SELECT source, source_record_id AS record_id, "
        f"CASE WHEN match_status = 'seeded' THEN uid_token END AS uid_token, "
        f"match_status = 'review' AS in_review FROM {t}"
        for t in seed_tables
    ) or ("SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS record_id, "
          "NULL::VARCHAR AS uid_token, false AS in_review WHERE false")
    hh = {f.feed for f in linked_tables if "household_ref" in f.usable}
    attrs = _dept_attrs_sql([f for f in linked_tables if f.feed in hh])
    hh_join = (f"LEFT JOIN ({attrs}) a ON a.source = s.source AND a.record_id = s.record_id"
               if attrs else "LEFT JOIN (SELECT NULL AS household_ref) a ON false")
    db.create("_res_nodes", f"""
        SELECT s.source || '|' || s.record_id AS node, s.source, s.record_id,
               a.household_ref, s.uid_token IS NOT NULL AS seeded,
               coalesce(s.in_review, false) AS in_review, s.uid_token IS NOT NULL AS fixed,
               CASE WHEN s.uid_token IS NOT NULL THEN 'K:' || s.uid_token
                    ELSE 'N:' || s.source || '|' || s.record_id END AS label
        FROM ({seeded}) s {hh_join}
    """)
    dd = settings.dedupe
    # edges with at least one unseeded end, both directions. (Attaching an unseeded
    # record at a weaker pair probability when its own best KYR candidate is that
    # resident's UID was tried: on the 100k state it joined more namesakes of one
    # village than true duplicates.)
    db.create("_res_edges", f"""
        WITH e AS (
            SELECT source_l || '|' || record_l AS a, source_r || '|' || record_r AS b,
                   match_weight
            FROM dedupe_edges WHERE match_probability >= {dd.threshold}
        ), both_dirs AS (
            SELECT a, b, match_weight FROM e UNION ALL SELECT b, a, match_weight FROM e
        )
        SELECT d.a, d.b, d.match_weight, nb.fixed AS b_fixed
        FROM both_dirs d
        JOIN _res_nodes na ON na.node = d.a
        JOIN _res_nodes nb ON nb.node = d.b
        WHERE NOT na.fixed
    """)
    # an unseeded record joins the resident of its strongest edge to a seeded record,
    # unless that resident already holds a record on the same card of the same source
    # (a reviewer-confirmed pair is not vetoed: two entries of one person on one card);
    # ties go to the smaller label, so a rerun gives the same clusters.
    # A record whose seeding is in review is a question for a person (its item is in the
    # queue, and a pair with a record seeded to another UID is queued too): no model edge
    # puts it in a KYR resident; a reviewer-confirmed pair does
    veto = (f"AND (e.match_weight >= {CLERICAL_WEIGHT} OR NOT na.in_review) ")
    if dd.household_veto:
        veto += (f"AND (e.match_weight >= {CLERICAL_WEIGHT} OR NOT EXISTS (SELECT 1 FROM "
                 "_res_nodes m WHERE m.label = nb.label AND m.source = na.source "
                 "AND m.household_ref = na.household_ref))")
    if barred:  # review hook: a rejected (record, KYR resident) link
        veto += (f" AND NOT EXISTS (SELECT 1 FROM {barred} x WHERE x.source = na.source "
                 "AND x.record_id = na.record_id AND x.label = nb.label)")
    _cannot_link_nodes(db, apart)
    _attach_to_seeded(db, veto)
    _attach_confirmed(db)
    # among unseeded records the same holds: a record in review joins another record's
    # resident only by a reviewer-confirmed pair, else it stays its own resident (two
    # records in review joined at 0.999 were one N: resident; independent review)
    db.create("_res_free_edges", f"""
        SELECT e.a, e.b, e.match_weight FROM _res_edges e
        JOIN _res_nodes na ON na.node = e.a JOIN _res_nodes nb ON nb.node = e.b
        WHERE NOT na.fixed AND NOT nb.fixed
          AND (e.match_weight >= {CLERICAL_WEIGHT} OR NOT (na.in_review OR nb.in_review))
    """)
    _propagate(db, "_res_nodes", "_res_free_edges")
    _split_cannot_link(db, "_res_nodes", "_res_free_edges")
    if dd.household_veto:
        _split_same_card(db, "_res_nodes", "_res_edges")
    # a deactivated KYR row is a resident only through the records linked to it: the
    # register (dbt) holds the active residents
    deactivated = (f"WHERE unique_id NOT IN (SELECT unique_id FROM {DEACTIVATED})"
                   if db.exists(DEACTIVATED) else "")
    # cluster labels: 'K:<token>' (KYR-linked) or 'N:<smallest member>'; matching.ids turns
    # them into stable ids (registry). ``residents`` here is the run-local fallback.
    db.create("resident_labels", f"""
        SELECT source, record_id, label FROM _res_nodes
        UNION ALL
        SELECT '{KYR}' AS source, unique_id AS record_id, 'K:' || unique_id AS label
        FROM {kyr.table} {deactivated}
    """)
    db.create("residents", """
        SELECT source, record_id, 'R' || substr(md5(label), 1, 16) AS resident_id
        FROM resident_labels
    """)
    db.drop("_res_nodes", "_res_edges", "_res_free_edges", "_res_cl")
    return "residents"


def within_source_duplicates(db) -> str:
    """Table ``duplicates``: records sharing a resident with another record of the
    same source (source, source_record_id, duplicate_group, resident_id)."""
    engine.of(db).create("duplicates", f"""
        WITH g AS (
            SELECT source, record_id, resident_id,
                   count(*) OVER (PARTITION BY source, resident_id) AS n
            FROM residents WHERE source <> '{KYR}'
        )
        SELECT source, record_id AS source_record_id,
               source || '-' || CAST(dense_rank() OVER (PARTITION BY source
                                      ORDER BY resident_id) AS VARCHAR) AS duplicate_group,
               resident_id
        FROM g WHERE n > 1
    """)
    return "duplicates"
