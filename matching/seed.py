"""UID seeding decisions: single best link per source record, with conflict rules.

For each source record the best-scoring KYR candidate is taken. Its status:

* ``seeded``    - probability >= seed threshold and clearly ahead of the
  runner-up (match-weight margin >= ``min_margin_weight``);
* ``review``    - probability >= review threshold but not seeded (including
  ambiguous best candidates, read by the posterior that the person is one of the tied
  candidates, and lost UID conflicts);
* ``unmatched`` - no candidate at or above the review threshold.

Conflict rule: one UID goes to at most one *person* per source. Several records
of one source may keep the same UID only when they are duplicates of each other
(same within-source dedupe cluster, or a chain of up to ``CONFLICT_HOPS`` dedupe edges
to the best-scoring record through records seeded to that UID; an edge between two
records seeded to one UID is judged on ``keep_probability``, ``dedupe.check_pairs``),
and never two records that are two people for certain (``review.apart_pairs``);
otherwise the best-scoring record keeps it and the others go to ``review`` with reason
``uid_conflict``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from matching import engine
from matching.settings import MatchSettings, SourceThresholds

PROV_COLUMNS = ("source", "source_record_id", "candidate_uid_token", "match_probability",
                "match_weight", "runner_up_weight", "match_status", "reason")
SEED_COLUMNS = ("source", "source_record_id", "uid_token", "candidate_uid_token",
                "match_probability", "match_weight", "runner_up_weight", "match_status",
                "reason")


def null_weight_for(n_kyr: int, expected_match_rate: float, margin: float = 0.0,
                    most: float = math.inf) -> float:
    """log2 prior odds that a record's person is none of the ``n_kyr`` KYR records.

    Each KYR record is a record's person with prior ``r / n_kyr`` (r: the share of a
    source's records whose person is in KYR, the training's ``expected_match_rate``), and
    none of them with ``1 - r``; the match weights are pure log2 Bayes factors, so the
    posterior of the best candidate is ``2^w1 / (sum_k 2^wk + n_kyr (1 - r) / r)``. The
    fixed 12 used before asked 7-8 bits too much of every match in a list of 500 (FEBRL,
    a small block: strong pairs at 10-12 bits went to review). ``margin`` bits are added
    (the posterior is over-confident where namesakes are relatives) and the result is
    at most ``most`` (no cap by default: a cap at 12 left a 1M state over-confident)."""
    r = min(max(expected_match_rate, 1e-6), 1 - 1e-6)
    return min(most, math.log2(max(n_kyr, 1) * (1 - r) / r) + margin)


def thresholds_for(settings: MatchSettings, source: str, n_kyr: int) -> SourceThresholds:
    """The source's thresholds with ``null_weight`` set for a KYR of ``n_kyr`` rows when
    it is auto (None); a configured number is kept."""
    th = settings.thresholds(source)
    if th.null_weight is not None:
        return th
    return replace(th, null_weight=null_weight_for(
        n_kyr, settings.training.expected_match_rate, th.null_margin_weight,
        th.null_weight_max))


def provisional(db, source: str, pred_table: str, inp_table: str,
                th: SourceThresholds) -> str:
    """Status per record before conflict resolution -> table ``prov_<source>``.

    ``pred_table`` holds ``record_id, kyr_token, match_weight`` where the weight is the
    log2 Bayes factor of the pair (no prior). KYR holds at most one record per person,
    so the candidates of one record compete: the posterior that the best candidate is
    THE match, given all of that record's candidates, is

        p = 2^w1 / (2^w1 + sum_{k>1} 2^wk + 2^null_weight)

    where ``null_weight`` is the log2 prior odds that the record's person is none of
    the candidates (``null_weight_for``: from the KYR's size, unless configured). A
    runner-up that is itself the confident best candidate of *another* record of the
    source (weight >= null_weight) is explained by that record and left out of the sum:
    same-named father and son listed on one ration card each claim their own KYR record.
    """
    if th.null_weight is None:
        raise ValueError("null_weight is auto: resolve it for the run's KYR first "
                         "(seed.thresholds_for)")
    out = f"prov_{source}"
    seed_t = 1.0 if th.seed_threshold is None else th.seed_threshold  # auto: chosen after
    # a record goes to review only when its best candidate - or, for candidates a person
    # must choose among (ambiguous), one of them - is at least review_threshold likely
    ambiguous = (f"post.w2 IS NOT NULL AND (post.w1 = post.w2 "
                 f"OR post.w1 - post.w2 < {th.min_margin_weight})")
    below_review = (f"CASE WHEN {ambiguous} THEN post.p_tied < {th.review_threshold} "
                    f"ELSE post.p < {th.review_threshold} END")
    engine.of(db).create(out, f"""
        WITH first_rank AS (
            -- kyr_token only orders candidates that tie; a tie at the top is never used
            -- to decide anything (the token follows the home's key, not the evidence)
            -- one row per (record, candidate): a pair listed twice would tie with itself
            -- (a runner-up at w1: ambiguous, its mass counted twice)
            SELECT record_id, kyr_token, match_weight,
                   row_number() OVER w AS rk,
                   lead(match_weight) OVER w = match_weight AS tied_with_next
            FROM (SELECT record_id, kyr_token, max(match_weight) AS match_weight
                  FROM {pred_table} GROUP BY record_id, kyr_token) pairs
            WINDOW w AS (PARTITION BY record_id ORDER BY match_weight DESC, kyr_token)
        ),
        claims AS (  -- KYR records that are the confident, untied best candidate of a
                     -- record, with the strongest such record (the claimer)
            SELECT kyr_token, record_id AS claimer, match_weight AS claim_w
            FROM (SELECT kyr_token, record_id, match_weight,
                         row_number() OVER (PARTITION BY kyr_token
                                            ORDER BY match_weight DESC, record_id) AS ck
                  FROM first_rank WHERE rk = 1 AND match_weight >= {th.null_weight}
                                    AND NOT coalesce(tied_with_next, false)) c
            WHERE ck = 1
        ),
        adjusted AS (  -- a candidate claimed more strongly by another record of the
                       -- source is this record's only as a duplicate (claimed_weight)
            SELECT f.record_id, f.kyr_token, f.rk, f.match_weight AS raw_weight,
                   f.match_weight + CASE WHEN c.claimer <> f.record_id
                                          AND c.claim_w >= f.match_weight
                                         THEN {th.claimed_weight} ELSE 0.0 END
                       AS match_weight,
                   c.kyr_token IS NOT NULL AS is_claimed
            FROM first_rank f LEFT JOIN claims c ON c.kyr_token = f.kyr_token
        ),
        demoted AS (  -- records whose best candidate lost weight: rank them again
            SELECT DISTINCT record_id FROM adjusted WHERE rk = 1 AND match_weight < raw_weight
        ),
        ranked AS (
            SELECT a.record_id, a.kyr_token, a.raw_weight, a.match_weight, a.is_claimed, a.rk
            FROM adjusted a
            WHERE NOT EXISTS (SELECT 1 FROM demoted d WHERE d.record_id = a.record_id)
            UNION ALL
            SELECT a.record_id, a.kyr_token, a.raw_weight, a.match_weight, a.is_claimed,
                   row_number() OVER (PARTITION BY a.record_id
                                      ORDER BY a.match_weight DESC, a.kyr_token) AS rk
            FROM adjusted a JOIN demoted d ON d.record_id = a.record_id
        ),
        best AS (  -- one pass: the best candidate, the runner-up and the others' mass
            SELECT record_id,
                   max(CASE WHEN rk = 1 THEN kyr_token END) AS kyr_token,
                   max(CASE WHEN rk = 1 THEN match_weight END) AS w1,
                   max(CASE WHEN rk = 1 THEN raw_weight END) AS raw_w1,
                   max(CASE WHEN rk > 1 THEN match_weight END) AS w2,
                   max(CASE WHEN rk > 1 THEN raw_weight END) AS raw_w2,
                   -- a runner-up that another record claims is explained by that record
                   sum(CASE WHEN rk > 1 AND NOT is_claimed
                            THEN power(2.0, match_weight) ELSE 0.0 END) AS others_mass
            FROM ranked GROUP BY record_id
        ),
        tied AS (  -- the unclaimed runners-up a person could not tell from the best:
                   -- the ambiguity rule's own test (equal, or less than the margin behind)
            SELECT r.record_id, sum(power(2.0, r.match_weight)) AS tied_mass
            FROM ranked r JOIN best b ON b.record_id = r.record_id
            WHERE r.rk > 1 AND NOT r.is_claimed AND r.kyr_token <> b.kyr_token
              AND (r.match_weight > b.w1 - {th.min_margin_weight} OR r.match_weight = b.w1)
            GROUP BY r.record_id
        ),
        post AS (
            SELECT b.*, 1.0 / (1.0 + b.others_mass / power(2.0, b.w1)
                               + power(2.0, {th.null_weight} - b.w1)) AS p,
                   -- the posterior that the person is one of the tied candidates: what
                   -- a reviewer of an ambiguous record chooses among
                   (1.0 + coalesce(t.tied_mass, 0.0) / power(2.0, b.w1))
                   / (1.0 + b.others_mass / power(2.0, b.w1)
                      + power(2.0, {th.null_weight} - b.w1)) AS p_tied
            FROM best b LEFT JOIN tied t ON t.record_id = b.record_id
        )
        SELECT '{source}' AS source, i.unique_id AS source_record_id,
               post.kyr_token AS candidate_uid_token,
               post.p AS match_probability, post.raw_w1 AS match_weight,
               post.raw_w2 AS runner_up_weight,
               CASE
                 WHEN post.p IS NULL OR {below_review} THEN 'unmatched'
                 WHEN post.p >= {seed_t}
                      AND (post.w2 IS NULL
                           OR (post.w1 > post.w2
                               AND post.w1 - post.w2 >= {th.min_margin_weight})) THEN 'seeded'
                 ELSE 'review' END AS match_status,
               CASE
                 WHEN post.p IS NULL THEN 'no_candidate'
                 WHEN {below_review} THEN 'below_review'
                 -- two candidates that cannot be told apart: a person decides
                 WHEN post.w2 IS NOT NULL
                      AND (post.w1 = post.w2
                           OR post.w1 - post.w2 < {th.min_margin_weight}) THEN 'ambiguous'
                 WHEN post.p < {seed_t} THEN 'below_seed'
                 ELSE 'best_link' END AS reason
        FROM {inp_table} i LEFT JOIN post ON post.record_id = i.unique_id
    """)
    return out


# an automatic seed threshold never goes below this: a seed more likely wrong than right
# is never made without a person
AUTO_FLOOR = 0.5


def choose_seed_threshold(db, prov_table: str, th: SourceThresholds) -> tuple[float, float]:
    """(threshold, expected precision) without labels, from ``provisional``'s posteriors.

    ``p`` is the probability that a record's best candidate is its person, so the
    expected precision of seeding every record with ``p >= t`` is the mean ``p`` of that
    set. The threshold is the lowest ``t`` (not below ``AUTO_FLOOR`` or the review
    threshold) whose set keeps a mean of at least ``th.target_precision``: the mean only
    falls as ``t`` falls. Ambiguous records (tied or too close) are left out, as they are
    never seeded. No record reaching it: 1.0 (nothing seeded)."""
    floor = max(AUTO_FLOOR, th.review_threshold)
    row = engine.of(db).rows(f"""
        WITH c AS (
            SELECT match_probability AS p,
                   avg(match_probability) OVER (ORDER BY match_probability DESC
                                                RANGE UNBOUNDED PRECEDING) AS m
            FROM {prov_table}
            WHERE match_probability >= {floor} AND reason <> 'ambiguous')
        SELECT min(p), min(m) FROM c WHERE m >= {th.target_precision}""")[0]
    if row[0] is None:
        return 1.0, 1.0
    return float(row[0]), float(row[1])


#: how many dedupe edges a record seeded to a UID may be from the best-scoring record of
#: that UID and keep it: one person listed four times (FEBRL2-link: a copy without a date
#: of birth pairs with a copy in the same village, which pairs with the best one; the
#: best one and the first copy, another spelling of the village, share too little to be
#: an edge themselves). Each hop is an edge between two records that both claim the UID.
CONFLICT_HOPS = 3


def _hop_sql(i: int, apart: str | None) -> str:
    """``k<i>``: a record keeps its UID if it did at step i-1 (``q<i-1>``) or has an edge
    to a record of the same UID that did, and is two people for certain with none that
    did (the ``apart`` pairs: a card-mate, birth years apart, a pair a reviewer rejected).
    Without that check a chain went around the veto: a son on his father's card, with a
    copy of the father on another card, kept the father's UID through the copy."""
    prev = f"q{i - 1}"
    gain = "coalesce(max(CASE WHEN b.keeps THEN 1 ELSE 0 END) = 1, false)"
    joins = ""
    if apart:  # plain left joins (no correlated subquery: the SQL also runs on Spark)
        gain += " AND coalesce(max(CASE WHEN c.keeps THEN 1 ELSE 0 END) = 0, true)"
        joins = (f" LEFT JOIN {apart} x ON x.a = a.source_record_id "
                 f"LEFT JOIN {prev} c ON c.source_record_id = x.b AND c.uid = a.uid")
    return (f"k{i} AS (SELECT a.source_record_id, a.uid, (a.keeps OR ({gain})) AS keeps "
            f"FROM {prev} a LEFT JOIN edge ON edge.a = a.source_record_id "
            f"LEFT JOIN {prev} b ON b.source_record_id = edge.b AND b.uid = a.uid{joins} "
            f"GROUP BY a.source_record_id, a.uid, a.keeps)")


def _prune_sql(i: int, apart: str | None) -> str:
    """``q<i>``: ``k<i>`` where, of two keepers that are apart, the lower-ranked one (the
    winner's order: match_weight, then record id) loses the UID: both may have gained at
    the same step (two direct edges to an undated best copy). Pruned after every step, so
    the next step never chains through a record that has just lost (independent review).
    Known gap, on the safe side: a record dropped for a keeper that a higher one drops
    in the same round stays dropped (it goes to review)."""
    if not apart:
        return f"q{i} AS (SELECT * FROM k{i})"
    return f"""q{i} AS (
            SELECT d.source_record_id, d.uid, d.keeps AND coalesce(max(CASE WHEN c.keeps AND (
                       cs.match_weight > ds.match_weight OR (cs.match_weight = ds.match_weight
                       AND cs.source_record_id < ds.source_record_id))
                   THEN 1 ELSE 0 END) = 0, true) AS keeps
            FROM k{i} d JOIN s ds ON ds.source_record_id = d.source_record_id
            LEFT JOIN {apart} x ON x.a = d.source_record_id
            LEFT JOIN k{i} c ON c.source_record_id = x.b AND c.uid = d.uid
            LEFT JOIN s cs ON cs.source_record_id = x.b
            GROUP BY d.source_record_id, d.uid, d.keeps)"""


def resolve(db, source: str, prov_table: str, dedupe_table: str | None = None,
            pairs_table: str | None = None, pair_threshold: float = 0.5,
            apart_table: str | None = None) -> str:
    """Apply the conflict rule -> table ``seed_<source>`` with ``SEED_COLUMNS``.

    ``dedupe_table`` has ``source, record_id, dedupe_cluster`` for departmental
    records (clusters built from direct record-to-record evidence only).
    ``apart_table`` (``source_l, record_l, source_r, record_r``; ``review.apart_pairs``):
    pairs that are two people for certain; a chain of edges never joins them.
    """
    out = f"seed_{source}"
    if pairs_table:
        # both directions as plain equi-joins (an OR in the join condition made DuckDB
        # fall back to a nested-loop join: 20+ minutes at 1M residents)
        # keep_probability: for two records seeded to one KYR resident, the larger of
        # the pair's probability and the seeding's joint posterior where that reaches
        # dedupe.keep_on_seeding_posterior (dedupe.check_pairs); else match_probability
        pairs_sql = (f"SELECT record_l AS a, record_r AS b, keep_probability AS "
                     f"match_probability FROM {pairs_table} "
                     f"WHERE source_l = '{source}' AND source_r = '{source}' UNION ALL "
                     f"SELECT record_r, record_l, keep_probability FROM {pairs_table} "
                     f"WHERE source_l = '{source}' AND source_r = '{source}'")
    else:
        pairs_sql = ("SELECT NULL::VARCHAR AS a, NULL::VARCHAR AS b, "
                     "NULL::DOUBLE AS match_probability WHERE false")
    if dedupe_table:
        dd_join = (f"LEFT JOIN {dedupe_table} d ON d.source = p.source "
                   f"AND d.record_id = p.source_record_id")
        dd_col = "d.dedupe_cluster"
    else:
        dd_join, dd_col = "", "CAST(NULL AS VARCHAR)"
    apart = None
    if apart_table:  # both directions, this source's pairs only
        apart = (f"(SELECT record_l AS a, record_r AS b FROM {apart_table} WHERE source_l = "
                 f"'{source}' AND source_r = '{source}' UNION ALL SELECT record_r, record_l "
                 f"FROM {apart_table} WHERE source_l = '{source}' AND source_r = '{source}')")
    # k0 holds the direct edge to the best record: CONFLICT_HOPS edges in all (at least 1)
    steps = [_prune_sql(0, apart)]
    for i in range(1, CONFLICT_HOPS):
        steps += [_hop_sql(i, apart), _prune_sql(i, apart)]
    hops = "".join(f",\n        {sql}" for sql in steps)
    final = f"SELECT source_record_id, keeps FROM q{max(CONFLICT_HOPS - 1, 0)}"
    engine.of(db).create(out, f"""
        WITH s AS (
            SELECT p.*, {dd_col} AS dcl,
                   first_value(p.source_record_id) OVER w AS winner,
                   first_value({dd_col}) OVER w AS winner_dcl
            FROM {prov_table} p {dd_join}
            WHERE p.match_status = 'seeded'
            WINDOW w AS (PARTITION BY p.candidate_uid_token
                         ORDER BY p.match_weight DESC, p.source_record_id)
        ),
        pair AS (
            SELECT s.source_record_id, max(pp.match_probability) AS p_winner
            FROM s JOIN ({pairs_sql}) pp ON pp.a = s.source_record_id AND pp.b = s.winner
            GROUP BY s.source_record_id
        ),
        k0 AS (
            SELECT s.source_record_id, s.candidate_uid_token AS uid,
                   (s.source_record_id = s.winner
                    OR (s.dcl IS NOT NULL AND s.dcl = s.winner_dcl)
                    OR coalesce(pair.p_winner >= {pair_threshold}, false)) AS keeps
            FROM s LEFT JOIN pair USING (source_record_id)
        ),
        edge AS (SELECT a, b FROM ({pairs_sql}) e WHERE match_probability >= {pair_threshold})
        {hops},
        decided AS ({final})
        SELECT p.source, p.source_record_id,
               CASE WHEN p.match_status = 'seeded' AND d.keeps
                    THEN p.candidate_uid_token END AS uid_token,
               p.candidate_uid_token, p.match_probability, p.match_weight,
               p.runner_up_weight,
               CASE WHEN p.match_status = 'seeded' AND NOT d.keeps THEN 'review'
                    ELSE p.match_status END AS match_status,
               CASE WHEN p.match_status = 'seeded' AND NOT d.keeps THEN 'uid_conflict'
                    ELSE p.reason END AS reason
        FROM {prov_table} p LEFT JOIN decided d USING (source_record_id)
    """)
    return out


# --------------------------------------------------------------------------- labels
# Reviewers' decisions check the label-free estimate and, when there are enough of them,
# tune the threshold (matching/README.md, "Thresholds checked and tuned by reviewers").

#: lower edges of the posterior bands in which labels are counted (the last ends at 1):
#: narrow near 1, where the seeds are. ``srdh review export`` samples seeded records
#: per band (the check sample) so that the bands above the threshold get labels too.
CALIBRATION_BANDS = (0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999)
#: seeded records per source and band that ``srdh review export`` adds as a check sample
CHECK_SAMPLE = 10
WILSON_Z = 1.96  # 95% interval of a band's measured precision


@dataclass(frozen=True)
class Band:
    """One posterior band: what the model expects and what reviewers found."""

    lo: float
    hi: float
    labels: int             # labelled records whose best candidate fell in the band
    matches: int            # ... and whose best candidate reviewers confirmed
    estimated: float        # the model's mean p (over the labelled records, else all)
    measured: float | None  # matches / labels
    wilson_low: float | None
    wilson_high: float | None
    calibrated: float       # Beta posterior mean (model's estimate as prior), isotonic


def wilson(k: int, n: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Wilson score interval of a proportion (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    ci = binomtest(k, n).proportion_ci(confidence_level=_level(z), method="wilson")
    return float(ci.low), float(ci.high)


def _level(z: float) -> float:
    from scipy.stats import norm

    return float(2 * norm.cdf(z) - 1)


def calibrate_bands(outcomes: list[tuple[float, bool]], band_means: dict[float, float],
                    th: SourceThresholds) -> list[Band]:
    """Binned calibration of the posterior against reviewer labels.

    ``outcomes``: (p, confirmed) per labelled record (p = the model's posterior of its best
    candidate, confirmed = reviewers said that candidate is the person); ``band_means``:
    the mean p of every seedable record per band lower edge (for bands without labels).
    Each band's precision is the mean of a Beta posterior whose prior is the model's own
    estimate worth ``th.calibration_prior_labels`` labels: a few labels move it a little,
    many labels take over. The band precisions are then made non-decreasing in p
    (isotonic regression, weighted by labels + prior), so a higher posterior never
    means a lower calibrated precision."""
    from scipy.optimize import isotonic_regression

    n0 = th.calibration_prior_labels
    edges = list(CALIBRATION_BANDS) + [1.0 + 1e-12]
    raw = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        inside = [(p, ok) for p, ok in outcomes if lo <= p < hi]
        n, k = len(inside), sum(ok for _, ok in inside)
        est = (sum(p for p, _ in inside) / n if n else band_means.get(lo, (lo + min(hi, 1)) / 2))
        post = (k + n0 * est) / (n + n0) if n + n0 > 0 else est
        lo_w, hi_w = wilson(k, n) if n else (None, None)
        raw.append((lo, min(hi, 1.0), n, k, est, k / n if n else None, lo_w, hi_w, post))
    # a band holding no record (and so no label) follows its neighbours, moving none
    weights = [n + n0 if n or lo in band_means else 1e-9 for lo, _, n, *_ in raw]
    iso = isotonic_regression([r[8] for r in raw], weights=weights).x
    return [Band(*r[:8], calibrated=float(c)) for r, c in zip(raw, iso, strict=True)]


def _calibrated_p_sql(bands: list[Band]) -> str:
    """SQL: a record's calibrated precision, its band's (histogram binning). Inside a
    band the labels say nothing about how errors spread, so all its records get the
    band's value: scaling each record's error instead put one wrong label among the most
    confident records onto every record of that band and pushed the threshold deep into
    it (rd_mgnrega, 50k: recall 98% -> 72% on one label)."""
    value = " ".join(f"WHEN match_probability >= {b.lo} THEN {b.calibrated!r}"
                     for b in reversed(bands))
    return f"(CASE {value} ELSE match_probability END)"


def choose_calibrated_threshold(db, prov_table: str, th: SourceThresholds,
                                bands: list[Band]) -> tuple[float, float] | None:
    """(threshold, expected precision) with each record's precision taken from its band's
    labels (``calibrate_bands``): the lowest ``t`` above every point where the
    corrected mean of the records with ``p >= t`` falls below ``th.target_precision``.
    None when even the most confident records miss the target (no threshold helps)."""
    floor = max(AUTO_FLOOR, th.review_threshold)
    row = engine.of(db).rows(f"""
        WITH c AS (
            SELECT match_probability AS p,
                   avg({_calibrated_p_sql(bands)}) OVER (
                       ORDER BY match_probability DESC RANGE UNBOUNDED PRECEDING) AS m
            FROM {prov_table}
            WHERE match_probability >= {floor} AND reason <> 'ambiguous'),
        fail AS (SELECT max(p) AS p FROM c WHERE m < {th.target_precision})
        SELECT min(c.p), min_by(c.m, c.p) FROM c, fail
        WHERE fail.p IS NULL OR c.p > fail.p""")[0]
    if row[0] is None:
        return None
    return float(row[0]), float(row[1])


def band_means(db, prov_table: str, th: SourceThresholds) -> dict[float, float]:
    """Mean posterior of the seedable records per band (lower edge -> mean p)."""
    floor = max(AUTO_FLOOR, th.review_threshold)
    case = " ".join(f"WHEN match_probability >= {lo} THEN {lo}"
                    for lo in reversed(CALIBRATION_BANDS))
    return {float(lo): float(m) for lo, m in engine.of(db).rows(f"""
        SELECT CASE {case} END AS lo, avg(match_probability) FROM {prov_table}
        WHERE match_probability >= {floor} AND reason <> 'ambiguous'
        GROUP BY 1""")}  # floor >= the lowest band edge: every row has a band


def choose_threshold(db, prov_table: str, th: SourceThresholds,
                     outcomes: list[tuple[float, bool]] | None = None
                     ) -> tuple[dict, list[Band]]:
    """The auto seed threshold, from reviewer labels when there are enough, else from the
    posteriors alone (``choose_seed_threshold``). Returns the run summary's entry
    (threshold, expected precision, ``method`` = ``labels`` or ``posteriors``, labels
    counted, and the label-free choice beside it) and the bands (empty without labels)."""
    t0, est0 = choose_seed_threshold(db, prov_table, th)
    # the threshold stays exact: it is the posterior of the last record it seeds, and a
    # rounded copy could fall just above that record (displays round it themselves)
    info = {"seed_threshold": t0, "expected_precision": round(est0, 6),
            "method": "posteriors"}
    floor = max(AUTO_FLOOR, th.review_threshold)
    usable = [(p, ok) for p, ok in (outcomes or []) if p is not None and p >= floor]
    if not usable:
        return info, []
    bands = calibrate_bands(usable, band_means(db, prov_table, th), th)
    info.update(labels=len(usable), label_free_threshold=t0,
                label_free_precision=round(est0, 6))
    # what the labels make of the label-free choice (the check)
    info["label_checked_precision"] = round(_corrected_mean(db, prov_table, th, bands, t0), 6)
    if len(usable) < th.calibration_min_labels:
        info["note"] = (f"{len(usable)} labels < calibration_min_labels "
                        f"({th.calibration_min_labels}): threshold chosen without labels")
        return info, bands
    tuned = choose_calibrated_threshold(db, prov_table, th, bands)
    if tuned is None:
        info["note"] = "labels: no threshold reaches the target; threshold chosen without labels"
        return info, bands
    info.update(seed_threshold=tuned[0], expected_precision=round(tuned[1], 6),
                method="labels")
    return info, bands


def _corrected_mean(db, prov_table: str, th: SourceThresholds, bands: list[Band],
                    t: float) -> float:
    row = engine.of(db).rows(f"""
        SELECT avg({_calibrated_p_sql(bands)}) FROM {prov_table}
        WHERE match_probability >= {t} AND reason <> 'ambiguous'""")[0]
    return float(row[0]) if row[0] is not None else 1.0
