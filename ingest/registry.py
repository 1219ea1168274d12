"""Feed registry: one YAML file per feed under ``ingest/sources/`` (or ``$SRDH_SOURCES``).

Onboarding a department with its own layout is one new YAML file, no code. The YAML
says which header carries which canonical field, which fields are required, how values
map to codes, which date formats are used, which column is the record id, which column
holds a UID (to be vaulted), and which fields feed the person-record standardisation.
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from core.identifiers import check_identifier

DEFAULT_SOURCES_DIR = Path(__file__).parent / "sources"
log = logging.getLogger(__name__)

FieldType = Literal["text", "int", "float", "date", "datetime", "code", "uid", "photo"]


class FieldSpec(BaseModel):
    """One canonical field of a feed."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    header: list[str] = Field(default_factory=list)  # accepted header names (default: name)
    required: bool = False
    type: FieldType = "text"
    formats: list[str] = Field(default_factory=list)  # strptime formats for date/datetime
    values: dict[str, str] = Field(default_factory=dict)  # raw value -> canonical (any case)
    allowed: list[str] = Field(default_factory=list)  # canonical codes allowed (type code)
    min: float | None = None
    max: float | None = None
    strict: bool = False  # for type uid: an invalid number quarantines the row (KYR)
    # a department identifier that may legitimately be 12 digits (ration card, bank
    # account): left as sent at the door and skipped by the UID scan; in every other field
    # a UID is masked on arrival (ingest/masking.py)
    identifier: bool = False
    past_only: bool = True  # for dates: a date after today is impossible
    earliest: str = "1880-01-01"  # for dates: anything before is impossible

    @field_validator("header", mode="before")
    @classmethod
    def _listify(cls, v):
        if v is None:
            return []
        return [v] if isinstance(v, str) else list(v)

    @property
    def headers_norm(self) -> list[str]:
        return [normalise_header(h) for h in (self.header or [self.name])]

    @property
    def year_only_formats(self) -> list[str]:
        return [f for f in self.formats if "%d" not in f and "%m" not in f]


class PersonSpec(BaseModel):
    """Which canonical fields feed the ``std`` person-record contract."""

    model_config = ConfigDict(extra="forbid")

    name: str
    relative_name: str | None = None
    care_of: str | None = None  # a `co` line with a relation prefix (KYR)
    gender: str | None = None
    dob: str | None = None
    age: str | None = None
    age_reference: str = "batch_date"  # a date field, or batch_date (the delivery folder date)
    uid: str | None = None
    mobile: str | None = None
    household_ref: str | None = None


class PlaceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str | None = None
    block: str | None = None
    village: str | None = None


class AmountSpec(BaseModel):
    """Monthly amount in rupees: a column, a column divided by N, or a value per code."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    divide_by: float = 1
    by_value_of: str | None = None
    values: dict[str, float] = Field(default_factory=dict)
    fixed: float | None = None


class SchemeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code_column: str | None = None
    fixed_code: str | None = None
    monthly_amount: AmountSpec | None = None
    status_column: str | None = None


class Source(BaseModel):
    """A feed: its layout, rules and role in the register."""

    model_config = ConfigDict(extra="forbid")

    feed: str
    title: str = ""
    kind: Literal["person", "reference", "event"] = "event"
    department: str | None = None
    record_id: str
    unique_record_id: bool = True  # a record id may appear once per batch
    history: Literal["latest", "kyr"] = "latest"  # kyr: versions with valid_from/valid_to
    order_by: str | None = None  # field giving the version order (KYR last_updated)
    action: str | None = None  # field with A/U/D (KYR)
    fields: dict[str, FieldSpec]
    person: PersonSpec | None = None
    places: PlaceSpec | None = None
    scheme: SchemeSpec | None = None
    std_extra: list[str] = Field(default_factory=list)  # canonical fields carried into std
    expected: bool = True  # listed as MISSING when a landing folder lacks it

    @field_validator("feed")
    @classmethod
    def _feed_name(cls, v):  # it becomes raw.<feed>, std.<feed>, a DAG id, a folder
        return check_identifier(v, "feed name")

    @field_validator("fields", mode="before")
    @classmethod
    def _fields(cls, v):
        if not isinstance(v or {}, dict):  # a ValueError, so load_source names the file
            raise ValueError("`fields` must map each field name to its spec")
        out = {}
        for name, spec in (v or {}).items():
            check_identifier(name, "field name")  # it becomes a column of raw/std
            spec = dict(spec or {})
            spec["name"] = name
            out[name] = spec
        return out

    @model_validator(mode="after")
    def _check(self):
        known = set(self.fields)
        refs = [self.record_id, self.order_by, self.action, *self.std_extra]
        for part in (self.person, self.places):
            if part is not None:
                refs += [v for k, v in part.model_dump().items() if k != "age_reference"]
        if self.person and self.person.age_reference != "batch_date":
            refs.append(self.person.age_reference)
        if self.scheme:
            refs += [self.scheme.code_column, self.scheme.status_column]
            if self.scheme.monthly_amount:
                refs += [self.scheme.monthly_amount.column, self.scheme.monthly_amount.by_value_of]
        missing = sorted({r for r in refs if r and r not in known})
        if missing:
            raise ValueError(f"feed {self.feed}: unknown fields referenced: {missing}")
        if self.kind == "person" and self.person is None:
            raise ValueError(f"feed {self.feed}: a person feed needs a `person:` section")
        for f in self.fields.values():
            if f.type in ("date", "datetime") and not f.formats:
                raise ValueError(f"feed {self.feed}: field {f.name} needs `formats`")
        return self

    @cached_property
    def uid_field(self) -> FieldSpec | None:
        uids = [f for f in self.fields.values() if f.type == "uid"]
        if len(uids) > 1:
            raise ValueError(f"feed {self.feed}: at most one uid column is supported")
        return uids[0] if uids else None

    @cached_property
    def photo_field(self) -> FieldSpec | None:
        photos = [f for f in self.fields.values() if f.type == "photo"]
        return photos[0] if photos else None

    @property
    def identifier_fields(self) -> list[str]:
        """Fields declared ``identifier: true`` (may hold 12 digits that are not a UID)."""
        return [f.name for f in self.fields.values() if f.identifier]

    @property
    def maskable_fields(self) -> list[str]:
        """Fields in which a UID is masked on arrival: all but the UID column, the photo
        file name (its photograph is looked up by it; raw masks it) and identifiers."""
        return [f.name for f in self.fields.values()
                if f.type not in ("uid", "photo") and not f.identifier]

    @property
    def required_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.required]

    def raw_columns(self) -> list[str]:
        """Text columns of ``raw.<feed>`` (UID column replaced by token, last 4, validity)."""
        cols: list[str] = []
        for f in self.fields.values():
            if f.type == "uid":
                cols += ["uid_token", "uid_last4"]
            elif f.type == "photo":
                cols += [f.name, "photo_path", "photo_sha256"]
            else:
                cols.append(f.name)
        return cols


def normalise_header(h: str) -> str:
    return " ".join(str(h).replace("\ufeff", "").strip().lower().split())


def sources_dir(path: str | os.PathLike[str] | None = None) -> Path:
    return Path(path or os.environ.get("SRDH_SOURCES") or DEFAULT_SOURCES_DIR)


def load_source(path: Path) -> Source:
    """One feed YAML; a ConfigError naming the file, the key and what is wrong."""
    from pydantic import ValidationError

    from core.errors import ConfigError

    fix = "fix the file (ingest/README.md, \"Feeds are configuration\")"
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})",
                          fix) from None
    try:
        return Source.model_validate(data)
    except ValidationError as exc:
        # an unknown key first: a misspelt key is also why a required one is "missing"
        e = sorted(exc.errors(), key=lambda x: x["type"] != "extra_forbidden")[0]
        loc = ".".join(str(x) for x in e["loc"]) or "top level"
        what = (f"unknown key '{e['loc'][-1]}'" if e["type"] == "extra_forbidden"
                else f"{loc}: {e['msg']}")
        if e["type"] == "extra_forbidden" and len(e["loc"]) > 1:
            what += f" in {'.'.join(str(x) for x in e['loc'][:-1])}"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{path}: {what}{more}", fix) from None
    except ValueError as exc:  # the model's own checks
        raise ConfigError(f"{path}: {str(exc).splitlines()[0]}", fix) from None


def load_registry(path: str | os.PathLike[str] | None = None) -> dict[str, Source]:
    """All feeds, keyed by feed name. With ``$SRDH_SOURCES`` or ``path``, that directory
    is read *in addition to* the built-in sources (a same-named feed overrides)."""
    dirs = [DEFAULT_SOURCES_DIR]
    extra = sources_dir(path)
    if extra.resolve() != DEFAULT_SOURCES_DIR.resolve():
        dirs.append(extra)
    reg: dict[str, Source] = {}
    for d in dirs:
        for p in sorted(Path(d).glob("*.y*ml")):
            src = load_source(p)
            reg[src.feed] = src
    return reg


def require_feeds(feeds, reg: dict[str, Source]) -> None:
    """Raise the one-line unknown-feed error (exit 2, the closest name suggested) for the
    first of ``feeds`` that is not in the registry ``reg``."""
    from core.errors import UserError, closest

    for f in feeds or ():
        if f not in reg:
            raise UserError(f"unknown feed {f!r}{closest(f, reg)}",
                            f"known feeds: {', '.join(sorted(reg))}")


#: Feeds with a role of their own in the register (seeded against, or marking deaths),
#: never a department's beneficiary list even though they are person feeds.
KYR_FEED = "uid_kyr"
DEATHS_FEED = "crs_death"
#: The delivery settings file (``$SRDH_DELIVERIES_CONFIG`` overrides): only departments
#: that want something other than :class:`DeliverySettings`' defaults need an entry.
DELIVERIES_PATH = Path(__file__).resolve().parents[1] / "warehouse" / "deliveries.yaml"
#: A department without an entry in the deliveries file: weekly, Mondays 06:00 IST.
WEEKLY = "30 0 * * 1"


class DeliverySettings(BaseModel):
    """What a department receives back. The defaults are the safe ones: a weekly delivery
    with masked UIDs and no inclusion rules; full UIDs are a deliberate ``full_uid: true``
    in the deliveries file, never a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    schedule: str = WEEKLY  # cron, UTC (IST = UTC+5:30), for the Airflow deliveries DAG
    full_uid: bool = False
    inclusion_rules: tuple[str, ...] = ()
    sources: tuple[str, ...] | None = None  # None: the department's feeds in the registry


class Department(BaseModel):
    """A department as the catalogue knows it: its beneficiary feeds and its deliveries."""

    model_config = ConfigDict(frozen=True)

    name: str  # the code in the marts (FOOD, SOCIAL_WELFARE, ...)
    feeds: tuple[str, ...]
    delivery: DeliverySettings
    configured: bool  # has an entry in the deliveries file (else the defaults)

    @property
    def sources(self) -> tuple[str, ...]:
        """The feeds delivered to: the deliveries file's ``sources`` or the registry's."""
        return self.delivery.sources if self.delivery.sources is not None else self.feeds


class Catalogue:
    """The one answer to "which feeds are there, and what is each for": built-in feeds
    plus ``$SRDH_SOURCES`` (or ``path``), read once. Ingest, matching, dbt, deliveries and
    the DAGs all ask it; none reads a feed YAML itself."""

    def __init__(self, path: str | os.PathLike[str] | None = None,
                 feeds: dict[str, Source] | None = None):
        self.feeds: dict[str, Source] = dict(sorted((feeds if feeds is not None
                                                     else load_registry(path)).items()))

    def person_feeds(self) -> list[str]:
        """Every feed of person records (``kind: person``): KYR, departments, deaths."""
        return [n for n, s in self.feeds.items() if s.kind == "person"]

    def department_feeds(self) -> list[str]:
        """Departments' beneficiary lists: person feeds with a ``department`` other than
        KYR and CRS deaths, by feed name. Matching links them to KYR, dbt stages them,
        deliveries go back to their departments."""
        return [n for n, s in self.feeds.items() if s.kind == "person" and s.department
                and n not in (KYR_FEED, DEATHS_FEED)]

    def department_sources(self) -> dict[str, list[str]]:
        """Department -> its beneficiary feeds."""
        out: dict[str, list[str]] = {}
        for name in self.department_feeds():
            out.setdefault(str(self.feeds[name].department), []).append(name)
        return out

    def departments(self, deliveries: str | os.PathLike[str] | None = None
                    ) -> dict[str, Department]:
        """Every department that receives files: those the feeds name, with the settings
        of the deliveries file (``warehouse/deliveries.yaml``, ``$SRDH_DELIVERIES_CONFIG``
        or ``deliveries``) or the defaults, plus any the file lists with its own sources.
        A department with no entry gets the defaults and a warning."""
        path = Path(deliveries or os.environ.get("SRDH_DELIVERIES_CONFIG") or DELIVERIES_PATH)
        configured = _load_deliveries(path)
        by_dept = self.department_sources()
        out: dict[str, Department] = {}
        for dept in [*configured, *sorted(set(by_dept) - set(configured))]:
            if dept not in configured:
                log.warning("department %s (feeds %s) has no entry in %s: delivering weekly "
                            "(%s) with masked UIDs; add one to change that", dept,
                            ", ".join(by_dept[dept]), path, WEEKLY)
            out[dept] = Department(name=dept, feeds=tuple(by_dept.get(dept, ())),
                                   delivery=configured.get(dept) or DeliverySettings(),
                                   configured=dept in configured)
        return out


def _load_deliveries(path: Path) -> dict[str, DeliverySettings]:
    """The deliveries file: department -> its settings (a ConfigError naming the file)."""
    from pydantic import ValidationError

    from core.errors import ConfigError

    if not path.is_file():
        return {}
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {str(d): DeliverySettings.model_validate(cfg or {})
                for d, cfg in (raw.get("departments") or {}).items()}
    except (yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise ConfigError(f"{path}: {str(exc).splitlines()[0]}",
                          "fix the file (its header comment lists the keys)") from None


def catalogue(path: str | os.PathLike[str] | None = None) -> Catalogue:
    """The feed catalogue: built-in feeds plus ``$SRDH_SOURCES`` or ``path``."""
    return Catalogue(path)
