"""Typed matching settings, read from ``matching/config.yaml``.

Everything tunable about matching lives in that YAML file: the backend, the two
thresholds per source, the dedupe threshold and the training / prediction knobs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
CONFIG_PATH = PACKAGE_DIR / "config.yaml"
MODELS_DIR = PACKAGE_DIR / "models"
REPO_ROOT = PACKAGE_DIR.parent
REGISTRY_DIR = REPO_ROOT / "ingest" / "sources"

STATUSES = ("seeded", "review", "unmatched")


@dataclass(frozen=True)
class SourceThresholds:
    """Decision thresholds for one source's records against KYR."""

    # None ("auto" in the YAML): chosen on each run, without labels, as the lowest
    # posterior whose seeded set has an expected precision of ``target_precision``
    # (seed.choose_seed_threshold); a number fixes it
    seed_threshold: float | None = None
    review_threshold: float = 0.20
    min_margin_weight: float = 0.0
    # log2 prior odds that a record's person is none of its KYR candidates (fixed, so
    # the posterior does not depend on the state size); see seed.provisional
    null_weight: float = 12.0
    # log2 prior penalty on a KYR candidate that another record of the same source
    # claims more strongly (KYR lists a person once, a department mostly once too:
    # about log2 of the source's duplicate rate); 0 turns it off. See seed.provisional
    claimed_weight: float = 0.0
    # expected precision of the seeded records when seed_threshold is None (auto)
    target_precision: float = 0.995

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
        if self.min_margin_weight < 0:
            raise ValueError("min_margin_weight must be >= 0")


@dataclass(frozen=True)
class TrainingSettings:
    u_max_pairs: float = 1e6
    em_max_pairs: float = 2e5
    expected_match_rate: float = 0.95
    expected_duplicate_rate: float = 0.03
    em_max_iterations: float = 25  # per EM session (Splink's default)


@dataclass(frozen=True)
class PredictionSettings:
    min_keep_probability: float = 0.01
    min_keep_weight: float = 0.0   # pairs with log2 Bayes factor below this are dropped
    chunks: int = 1
    duckdb_threads: int | None = None
    duckdb_memory_limit: str | None = None
    # where DuckDB spills past the memory limit; None = <warehouse folder>/matching_tmp
    duckdb_temp_directory: str | None = None


@dataclass(frozen=True)
class DedupeSettings:
    threshold: float = 0.99
    include_feeds: str = "departments"
    conflict_pair_threshold: float = 0.5
    # log2 prior odds that two departmental records are one person (fixed, size-free)
    prior_weight: float = -14.0
    # same source + same household_ref (ration card / job card) = two people
    household_veto: bool = True
    # two records whose birth-year ranges are further apart than this are two people
    max_birth_year_gap: int = 4


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
    sources: dict[str, SourceThresholds] = field(default_factory=dict)
    extra_linked_feeds: tuple[str, ...] = ("crs_death",)
    # link against deactivated KYR residents too (UIDAI deactivates the dead): a death
    # record, or a dead pensioner still paid, then finds its own UID instead of a
    # relative's (matching/README.md, "KYR: active and deactivated")
    kyr_include_deactivated: bool = True
    departments: tuple[str, ...] | None = None  # None: from the feed registry
    fallback_departments: tuple[str, ...] = (
        "food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship",
    )
    dedupe: DedupeSettings = field(default_factory=DedupeSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    prediction: PredictionSettings = field(default_factory=PredictionSettings)
    models_dir: Path = MODELS_DIR
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


def _thresholds(raw: dict[str, Any] | None, base: SourceThresholds) -> SourceThresholds:
    raw = raw or {}
    unknown = set(raw) - {"seed_threshold", "review_threshold", "min_margin_weight",
                          "null_weight", "claimed_weight", "target_precision"}
    if unknown:
        raise ValueError(f"unknown threshold keys: {sorted(unknown)}")
    return replace(base, **{k: None if (k == "seed_threshold" and str(v).lower() == "auto")
                            else float(v) for k, v in raw.items()})


def load_settings(path: str | Path | None = None, **overrides: Any) -> MatchSettings:
    """Read the YAML config (default ``matching/config.yaml``) into ``MatchSettings``."""
    import yaml

    from srdh.errors import ConfigError

    p = Path(path) if path else CONFIG_PATH
    if path and not p.is_file():
        raise ConfigError(f"matching config {p} does not exist",
                          "pass --config FILE, or leave it out for matching/config.yaml")
    try:
        raw: dict[str, Any] = (yaml.safe_load(p.read_text()) if p.exists() else {}) or {}
        unknown = sorted(set(raw) - TOP_KEYS)
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}; known: "
                             f"{', '.join(sorted(TOP_KEYS))}")
        settings = _build(raw)
    except (ValueError, TypeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: {str(exc).splitlines()[0]}",
                          "fix the file (matching/README.md)") from None
    return replace(settings, **overrides) if overrides else settings


TOP_KEYS = {"backend", "random_seed", "defaults", "sources", "extra_linked_feeds",
            "kyr_include_deactivated", "departments", "fallback_departments", "dedupe",
            "training", "prediction", "spark"}


def _build(raw: dict[str, Any]) -> MatchSettings:
    defaults = _thresholds(raw.get("defaults"), SourceThresholds())
    sources = {
        name: _thresholds(v, defaults) for name, v in (raw.get("sources") or {}).items()
    }
    tr = raw.get("training") or {}
    pr = raw.get("prediction") or {}
    dd = raw.get("dedupe") or {}
    sp = raw.get("spark") or {}
    return MatchSettings(
        backend=str(raw.get("backend", "duckdb")),
        random_seed=int(raw.get("random_seed", 42)),
        defaults=defaults,
        sources=sources,
        extra_linked_feeds=tuple(raw.get("extra_linked_feeds", ["crs_death"])),
        kyr_include_deactivated=bool(raw.get("kyr_include_deactivated", True)),
        departments=tuple(raw["departments"]) if raw.get("departments") else None,
        fallback_departments=tuple(
            raw.get("fallback_departments", MatchSettings.fallback_departments)
        ),
        dedupe=DedupeSettings(
            threshold=float(dd.get("threshold", 0.99)),
            include_feeds=str(dd.get("include_feeds", "departments")),
            conflict_pair_threshold=float(dd.get("conflict_pair_threshold", 0.5)),
            prior_weight=float(dd.get("prior_weight", -14.0)),
            household_veto=bool(dd.get("household_veto", True)),
            max_birth_year_gap=int(dd.get("max_birth_year_gap", 4)),
        ),
        training=TrainingSettings(**{k: float(v) for k, v in tr.items()}),
        prediction=PredictionSettings(
            min_keep_probability=float(pr.get("min_keep_probability", 0.01)),
            min_keep_weight=float(pr.get("min_keep_weight", 0.0)),
            chunks=int(pr.get("chunks", 1) or 1),
            duckdb_threads=pr.get("duckdb_threads"),
            duckdb_memory_limit=pr.get("duckdb_memory_limit"),
            duckdb_temp_directory=pr.get("duckdb_temp_directory"),
        ),
        spark=SparkSettings(
            master=str(sp.get("master", SparkSettings.master)),
            exchange_dir=sp.get("exchange_dir"),
            checkpoint_dir=sp.get("checkpoint_dir"),
            conf={str(k): str(v) for k, v in (sp.get("conf") or {}).items()},
        ),
    )
