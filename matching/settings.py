"""Typed matching settings: the one home of every matching default.

The dataclasses below hold each default once. ``matching/config.yaml`` (or
``srdh match --config FILE``) only overrides them: the loader fills in nothing of its own,
and a test keeps the YAML from restating a default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_PATH = PACKAGE_DIR / "config.yaml"
MODELS_DIR = PACKAGE_DIR / "models"

STATUSES = ("seeded", "review", "unmatched")
# where the run's models come from (matching/README.md, "Models"): the home's own,
# trained on its first run, or the committed ones in matching/models (the demo, tests)
MODEL_SOURCES = ("home", "committed")
MODEL_ENV = "SRDH_MATCHING_MODEL"  # overrides the config's `model` (make up: committed)

#: the queue's floor (issue 17's queue limit): an item is at least as likely right as wrong.
#: The default of the seeding's ``review_threshold`` and the dedupe queue's floor
#: (``dedupe.REVIEW_FLOOR``): one home for both
QUEUE_FLOOR = 0.5


#: Per-source overrides of the thresholds that ship with SRDH (a YAML ``sources:`` entry
#: adds to them, key by key). A death record stops a payment: a wrong seed marks a living
#: person dead, so deaths are seeded only where the expected precision is higher. And a
#: death registration's person is more often not in KYR at all (an infant never
#: enrolled, a death registered by another state's resident): its prior odds of "none of
#: the candidates" are half a bit higher (null_margin_weight 1.5 against 1; measured as
#: a fixed 12.5 against 12 at 50k). With 12, deaths' posteriors of 0.98-0.999 were
#: right 3-5 times less often than they said, and the 0.999 target seeded at 99.43-99.51%
#: measured precision (dev_noisy_tuning 50k, seed 7); 12.5 / 13 / 14: 99.67 / 99.75 /
#: 99.82% for recall 91.7 / 90.5 / 86.6% (matching/README.md, "Seeding recall on noisier
#: data").
SOURCE_OVERRIDES: dict[str, dict[str, float]] = {
    "crs_death": {"target_precision": 0.999, "null_margin_weight": 1.5}}


@dataclass(frozen=True)
class SourceThresholds:
    """Decision thresholds for one source's records against KYR."""

    # None ("auto" in the YAML): chosen on each run, without labels, as the lowest
    # posterior whose seeded set has an expected precision of ``target_precision``
    # (seed.choose_seed_threshold); a number fixes it
    seed_threshold: float | None = None
    # a record goes to the review queue only when its best KYR candidate (for an
    # ambiguous record: one of the candidates it cannot be told from) is at least this
    # likely its person, else it is unmatched: a queue item is at least as likely right
    # as wrong, the dedupe queue's floor (``QUEUE_FLOOR``). At 0.2 the
    # records at p 0.2-0.5 were 16-48% right and 10-25% of a department's queue on the
    # tuning states (issue 17's decision: the queue <= 2% of records)
    review_threshold: float = QUEUE_FLOOR
    min_margin_weight: float = 0.0
    # log2 prior odds that a record's person is none of its KYR candidates; None (auto):
    # from the size of this run's KYR, log2(n_kyr (1 - r) / r) with r the training's
    # expected_match_rate, plus null_margin_weight, at most null_weight_max
    # (seed.null_weight_for: 5.7 for a KYR of 500 rows, 13.4 at 100k, 16.7 at 1M); a
    # number fixes it. See seed.provisional
    null_weight: float | None = None
    # log2 prior penalty on a KYR candidate that another record of the same source
    # claims more strongly (KYR lists a person once, a department mostly once too:
    # about log2 of a 3% duplicate rate); 0 turns it off. See seed.provisional
    claimed_weight: float = -5.0
    # expected precision of the seeded records when seed_threshold is None (auto)
    target_precision: float = 0.995
    # reviewers' decisions on this source's seeding pairs (matching/README.md, "Thresholds
    # checked and tuned by reviewers"): with at least this many labelled records at
    # p >= 0.5 the auto threshold is chosen on the posteriors corrected by the labels
    calibration_min_labels: int = 50
    # weight of the model's own estimate in each posterior band, in labels (Beta prior):
    # a few labels move a band's precision a little, many take over
    calibration_prior_labels: float = 20.0
    # null_weight auto (above): bits added to the size's prior, as the posterior is
    # over-confident where namesakes are relatives (tuning profile, 50k: the bare prior,
    # 0.7 bits below 12, took rd_mgnrega's precision from 99.59% to 99.41%) ...
    null_margin_weight: float = 1.0
    # ... and an optional cap (none by default). A cap at the old fixed 12 left the
    # posterior over-confident in a large state: at 1M (tuning profile, seed 42) the
    # seeded records' mean posterior said 99.5-99.9% while precision was 98.9-99.5%;
    # the size's own prior (16.7 bits there) brings the estimate to the measured
    # precision (matching/README.md, "Scores are size-free")
    null_weight_max: float = math.inf
    # the clerical queue's budget (last: positional construction keeps its order), as a
    # share of the source's records (issue 17's decision: the queue stays <= 2% of
    # records; where that cannot hold with the other
    # targets, keep it and report the recall reached). The items most likely true go
    # first, the rest wait as the backlog (evidence.review_queue_sql). None: no budget
    review_queue_share: float | None = 0.02

    @property
    def auto(self) -> bool:
        return self.seed_threshold is None

    def __post_init__(self) -> None:
        if not 0.5 <= self.target_precision < 1.0:
            raise ValueError(f"target_precision must be in [0.5, 1), not {self.target_precision}")
        seed_t = 1.0 if self.seed_threshold is None else self.seed_threshold
        if not 0.0 <= self.review_threshold <= seed_t <= 1.0:
            raise ValueError(
                f"need 0 <= review_threshold ({self.review_threshold}) <= "
                f"seed_threshold ({self.seed_threshold}) <= 1"
            )
        if self.calibration_min_labels < 1 or self.calibration_prior_labels < 0:
            raise ValueError("calibration_min_labels must be >= 1 and "
                             "calibration_prior_labels >= 0")
        if self.min_margin_weight < 0:
            raise ValueError("min_margin_weight must be >= 0")
        if self.review_queue_share is not None and not 0 < self.review_queue_share <= 1:
            raise ValueError("review_queue_share must be in (0, 1], or null for no budget")


@dataclass(frozen=True)
class TrainingSettings:
    u_max_pairs: float = 1e6
    em_max_pairs: float = 2e5
    expected_match_rate: float = 0.95  # share of source records expected in KYR (lambda)
    expected_duplicate_rate: float = 0.03  # share of records with a duplicate (dedupe lambda)
    em_max_iterations: float = 25  # per EM session (Splink's default)


@dataclass(frozen=True)
class PredictionSettings:
    min_keep_probability: float = 0.01  # pairs below this are not kept
    min_keep_weight: float = 0.0   # pairs with log2 Bayes factor below this are dropped
    chunks: int = 1  # >1 splits prediction into n x n chunks (memory lever)
    # a blocking rule making more pairs than this per record to match is left out, with a
    # warning (blocking.within_budget): the well-scoped rules make 0.1-10 per record at 1M
    # (BENCHMARKS.md, "Blocking"); one past 200 grows with the square of the state.
    # None keeps every rule.
    max_pairs_per_record: float | None = 200.0
    duckdb_threads: int | None = None  # None = DuckDB default (one per core)
    # DuckDB spills past this (8 GB target for the whole run); None = DuckDB's default
    duckdb_memory_limit: str | None = "5GB"
    # where DuckDB spills past the memory limit; None = <warehouse folder>/matching_tmp
    duckdb_temp_directory: str | None = None


@dataclass(frozen=True)
class DedupeSettings:
    threshold: float = 0.99  # pairwise probability to join two source records
    # departments | all_linked (crs_death duplicates too)
    include_feeds: str = "all_linked"
    # two records of one source that best-match the same KYR resident keep the UID
    # together if their own pairwise probability reaches this (else: uid_conflict, and
    # the record goes to review against that UID). 0 kept any scored pair that is not
    # two people for certain: same-village namesakes and relatives seeded to one KYR
    # record were then merged (issue 17: most false duplicate pairs at 1M). 0.97 was
    # chosen on tuning seeds 7 and 11 at 50k (matching/README.md, "Duplicate decision")
    conflict_pair_threshold: float = 0.97
    # ... or where the seeding's own posterior that both are that resident's person
    # (the joint posterior of the two claims: the one that is not the resident's best
    # carries the prior of a person listed twice, and so, read jointly, does the best
    # one's doubt: dedupe._joint_posterior_sql) reaches this, issue 17's precision
    # target for merged pairs: KYR lists a person once (dedupe.check_pairs).
    # 0: the pair's probability alone
    keep_on_seeding_posterior: float = 0.98
    # read that posterior jointly (true) or as the product of the two records'
    # posteriors (false, before session 17), which takes the resident's best record to be
    # its person whatever the other's claim (matching/README.md, "A second claim on one
    # UID"): tuning 1M seed 7, food_pds auto precision 0.9933 -> 0.9958, auto recall
    # 0.681 -> 0.644 (the copies beside a doubtful best record wait in review)
    joint_claims: bool = True
    # log2 prior odds that two departmental records are one person: the floor, kept for
    # a state's sparse lists (size-free). A dedupe model trained on the home's own data
    # carries the prior it estimated there (``train.estimate_dedupe_prior``: EM over
    # random pairs); a list with dense duplicates gets that higher prior, at most
    # ``max_prior_weight`` (a guard against a degenerate fit: 2^-6 of all pairs)
    prior_weight: float = -14.0
    max_prior_weight: float = -6.0
    # a sparse list's prior follows its size (issue 17: namesakes multiply with the
    # state): log2(d / n), n the records scored and d how many other records of the same
    # person a record has, counted on the run's records provisionally seeded to one UID
    # (``dedupe.size_prior``), never above ``prior_weight``: -16.5 bits at 50k
    # residents, about -21 at 1M. false: the fixed ``prior_weight`` at any size
    size_prior: bool = True
    # false: train no estimate (the fixed prior and random sampling's u, as before)
    estimate_prior: bool = True
    # a dense list (its estimate above ``prior_weight``) also learns the m values SRDH
    # otherwise fixes, on random pairs (``train.learn_dedupe_m_on_dense``); false: fixed
    learn_m_when_dense: bool = True
    # same source + same household_ref (ration card / job card) = two people
    household_veto: bool = True
    # a record blocks with the records sharing its best KYR candidate (``kyr_anchor``,
    # dedupe.set_anchors) when that candidate's seeding posterior (prov_<source>'s
    # match_probability) is at least this: the review floor the anchors had before
    # review_threshold moved to 0.5, so records at p 0.2-0.5, now unmatched, keep the
    # blocking rule that finds their copy in another village or district
    anchor_probability: float = 0.2
    # two records whose birth-year ranges are further apart than this are two people
    max_birth_year_gap: int = 4
    # issue 17's decision: two records that share only name, age and gender (another
    # village; no mobile, relative's name, date of birth or UID in common) are never
    # merged, nor kept together on one UID: the pair goes to the review queue
    merge_needs_corroboration: bool = True
    # ... and two records that contradict each other on what a copy repeats - both carry a
    # full date of birth and the dates differ (not merely day and month swapped), or both
    # name a mother and the names share nothing (Jaro-Winkler < 0.80) - are not joined by
    # a model edge either: the pair goes to the review queue (issue 17, edudup: at 1M,
    # same-named children with one father's name and birth year). Two records seeded to
    # one UID stay together on the seeding's own posterior where only their dates differ,
    # and a dense list (its own prior above ``prior_weight``: FEBRL-like copies, whose
    # dates differ often) is not checked on dates
    queue_contradicted: bool = True
    # ... and such a pair is queued even when blocking never scored it (a copy in another
    # block): an unseeded record with exactly one namesake of its source in the state
    # (same sorted name key, gender and earliest birth year; dedupe.namesake_pairs)
    namesake_review: bool = True


@dataclass(frozen=True)
class SparkSettings:
    """``backend: spark``: where Spark runs and where it meets the DuckDB warehouse."""

    # used only when no Spark session is active (spark-submit or a notebook brings one)
    master: str = "local[*]"
    # the run's input tables go to Spark, and its results come back, as Parquet here;
    # on a cluster it must be storage every executor reads (HDFS, S3, a shared mount).
    # None = <warehouse folder>/matching_tmp/spark
    exchange_dir: str | None = None
    checkpoint_dir: str | None = None  # None = <exchange_dir>/checkpoints
    conf: dict[str, str] = field(default_factory=dict)  # extra spark.* settings


@dataclass(frozen=True)
class MatchSettings:
    backend: str = "duckdb"
    random_seed: int = 42
    defaults: SourceThresholds = field(default_factory=SourceThresholds)
    # per-source overrides of ``defaults`` (SOURCE_OVERRIDES, then the YAML's ``sources``)
    sources: dict[str, SourceThresholds] = field(
        default_factory=lambda: _sources({}, SourceThresholds()))
    extra_linked_feeds: tuple[str, ...] = ("crs_death",)
    # link against deactivated KYR residents too (UIDAI deactivates the dead): a death
    # record, or a dead pensioner still paid, then finds its own UID instead of a
    # relative's (matching/README.md, "KYR: active and deactivated")
    kyr_include_deactivated: bool = True
    departments: tuple[str, ...] | None = None  # None: the feed catalogue's department feeds
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    prediction: PredictionSettings = field(default_factory=PredictionSettings)
    models_dir: Path = MODELS_DIR
    # "home": the home's versioned models (<home>/models), trained on the first run;
    # "committed": models_dir (matching/models), which `srdh train --committed` rewrites
    model: str = "home"
    spark: SparkSettings = field(default_factory=SparkSettings)

    def thresholds(self, source: str) -> SourceThresholds:
        return self.sources.get(source, self.defaults)

    def with_thresholds(self, source: str, **kw: float) -> MatchSettings:
        new = dict(self.sources)
        new[source] = replace(self.thresholds(source), **kw)
        return replace(self, sources=new)

    def __post_init__(self) -> None:
        if self.backend not in ("duckdb", "spark"):
            raise ValueError(f"backend must be 'duckdb' or 'spark', not {self.backend!r}")
        if self.model not in MODEL_SOURCES:
            raise ValueError(f"model must be one of {', '.join(MODEL_SOURCES)}, "
                             f"not {self.model!r}")


def _value(kind: str, v: Any, where: str) -> Any:
    """A YAML value as the field's annotated type (``float | None``, ``tuple[str, ...]``)."""
    if v is None and ("None" in kind or where.endswith("seed_threshold")):
        return None
    if where.endswith("seed_threshold") and str(v).lower() == "auto":
        return None
    base = kind.split("|")[0].strip()
    if base.startswith("tuple"):
        return tuple(str(x) for x in (v or ()))
    if base.startswith("dict"):
        return {str(k): str(x) for k, x in (v or {}).items()}
    if base == "bool" and not isinstance(v, bool):
        raise ValueError(f"{where}: true or false, not {v!r}")
    return {"float": float, "int": int, "str": str, "bool": bool}.get(base, lambda x: x)(v)


def _apply(base: Any, raw: Any, where: str) -> Any:
    """``base`` (a settings dataclass, holding the defaults) with the keys of ``raw``
    replaced; an unknown key is an error naming it and the known ones."""
    if not isinstance(raw or {}, dict):
        raise ValueError(f"{where or 'the file'} must map keys to values")
    kinds = {f.name: str(f.type) for f in fields(base)}
    unknown = sorted(set(raw or {}) - set(kinds))
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)} in {where or 'the file'}; "
                         f"known: {', '.join(sorted(kinds))}")
    return replace(base, **{k: _value(kinds[k], v, f"{where}.{k}".lstrip("."))
                            for k, v in (raw or {}).items()})


def _sources(raw: dict[str, Any], defaults: SourceThresholds) -> dict[str, SourceThresholds]:
    """Per-source thresholds: ``defaults`` with SOURCE_OVERRIDES, then ``raw``, applied."""
    names = dict.fromkeys([*SOURCE_OVERRIDES, *(raw or {})])
    return {n: _apply(defaults, {**SOURCE_OVERRIDES.get(n, {}), **((raw or {}).get(n) or {})},
                      f"sources.{n}") for n in names}


#: Sections of the YAML that are settings dataclasses of their own
SECTIONS = ("defaults", "dedupe", "training", "prediction", "spark")


def load_settings(path: str | Path | None = None, **overrides: Any) -> MatchSettings:
    """``MatchSettings`` with the YAML config's overrides (default ``matching/config.yaml``);
    ``$SRDH_MATCHING_MODEL`` overrides its ``model``."""
    import os

    import yaml

    from core.errors import ConfigError

    p = Path(path) if path else CONFIG_PATH
    if path and not p.is_file():
        raise ConfigError(f"matching config {p} does not exist",
                          "pass --config FILE, or leave it out for matching/config.yaml")
    try:
        raw: dict[str, Any] = (yaml.safe_load(p.read_text()) if p.exists() else {}) or {}
        if os.environ.get(MODEL_ENV):
            raw["model"] = os.environ[MODEL_ENV]
        settings = _build(raw)
    except (ValueError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: {str(exc).splitlines()[0]}",
                          "fix the file (matching/README.md)") from None
    return replace(settings, **overrides) if overrides else settings


def _build(raw: dict[str, Any]) -> MatchSettings:
    base = MatchSettings()
    top = {k: v for k, v in raw.items() if k not in (*SECTIONS, "sources")}
    settings = _apply(base, top, "")
    parts = {name: _apply(getattr(base, name), raw.get(name), name) for name in SECTIONS}
    return replace(settings, **parts, sources=_sources(raw.get("sources"), parts["defaults"]))
