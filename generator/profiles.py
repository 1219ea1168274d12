"""Noise profiles of the synthetic state: every rate the generator draws noise with, in one place.

``tuning`` is the profile SRDH's models, thresholds and blocking rules were tuned on (the
generator's output before profiles existed, byte for byte). ``field`` is a profile nobody may
tune on (issue 17): it differs in *kind*, in the ways real Chhattisgarh lists vary - other
spelling folds and typos, dropped surnames, "Late" before a dead relative, a middle 'Kumar'
on a father's name, loosely spelled old district names with state tags or the headquarters
town in brackets, ward numbers after village names, ages further off, year-only and
day/month-swapped dates - plus more movers and fewer distinct first names per district.

Every kind of noise the ``tuning`` profile lacks is 0 there, and the code that applies it
draws nothing from any random stream when its rate is 0, so ``tuning`` stays byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from generator.noise import NameNoise

DEPARTMENTS = ("food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death")


def _frozen(d: dict) -> MappingProxyType:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class FieldNoise:
    """Kinds of noise only the ``field`` profile injects (all 0 in ``tuning``)."""

    # names (per record unless said otherwise)
    drop_surname: float = 0.0        # surname left out ("Ramesh" for "Ramesh Sahu")
    kyr_drop_surname: float = 0.0    # the same in KYR (a department keeps what KYR dropped)
    fold: float = 0.0                # per token: b/v, w/v, sh/s, h after a consonant, ee/i, oo/u
    key_typo: float = 0.0            # one letter replaced by a keyboard neighbour or inserted
    late_prefix: float = 0.0         # 'Late' / 'Swa.' / 'Swargiya' / 'Lt.' before a dead relative
    relative_kumar: float = 0.0      # a father's / husband's name gains a middle 'Kumar'
    # places
    district_loose: float = 0.0      # old / current district spelled loosely, tagged, bracketed
    village_ward: float = 0.0        # "Kohkapara (Ward 5)", "Kohkapara - 12"
    village_far: float = 0.0         # village spelled two edits from the official name
    # dates
    age_off: float = 0.0             # ages off by 1-2 years on top of heaping (half of them by 2)
    dob_year_only: float = 0.0       # departments: the year alone, written 01-01 or 01-07
    dob_swap: float = 0.0            # day and month swapped (where the day is 12 or less)
    kyr_dob_swap: float = 0.0        # the same in KYR


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    # names, per source; "relative" is the father / husband column of departments
    names: MappingProxyType
    # ages instead of dates: (share heaped to a multiple of 5, share off by 1-2 years)
    ages: MappingProxyType
    # share of records in a 2022-split district that still carry the parent's name
    old_district: MappingProxyType
    district_alias: float = 0.08
    district_typo: float = 0.015
    block_typo: float = 0.03
    village_typo: float = 0.04
    # KYR dob: year only / declared 01-01-YYYY, for residents 40+ and younger
    kyr_year_only: tuple[float, float] = (0.22, 0.05)
    kyr_jan1: tuple[float, float] = (0.30, 0.07)  # cumulative with year-only (as drawn)
    scholarship_dob_error: float = 0.03
    # households that moved after the departments listed them; share moved anywhere in the state
    moved_households: float = 0.008
    moved_far: float = 0.3
    # namesakes: Zipf exponent of first-name popularity; first names in use per district and
    # gender (None: the whole pool)
    first_name_zipf: float = 0.9
    first_names_per_district: int | None = None
    field: FieldNoise = field(default_factory=FieldNoise)


TUNING = Profile(
    name="tuning",
    description="the generator SRDH was tuned on (its output before profiles existed)",
    names=_frozen({
        "uid_kyr": NameNoise(variant=0.01, typo=0.01, initial=0.0, swap=0.0, drop_middle=0.0,
                             add_middle=0.0, heavy=0.0),
        "relative": NameNoise(variant=0.05, typo=0.03, initial=0.05, swap=0.0,
                              drop_middle=0.4, add_middle=0.0, heavy=0.0),
        "food_pds": NameNoise(variant=0.07, typo=0.06, honorific=0.04, initial=0.015,
                              swap=0.02, drop_middle=0.3, add_middle=0.03, heavy=0.02,
                              case="upper"),
        "sw_pension": NameNoise(variant=0.07, typo=0.06, honorific=0.12, initial=0.02,
                                swap=0.02, drop_middle=0.3, add_middle=0.04, heavy=0.025,
                                case="mixed"),
        "rd_mgnrega": NameNoise(variant=0.08, typo=0.07, honorific=0.0, initial=0.02,
                                swap=0.03, drop_middle=0.35, add_middle=0.03, heavy=0.03,
                                case="title"),
        "edu_scholarship": NameNoise(variant=0.05, typo=0.05, honorific=0.02, initial=0.01,
                                     swap=0.01, drop_middle=0.3, add_middle=0.0, heavy=0.015,
                                     case="upper"),
        "crs_death": NameNoise(variant=0.06, typo=0.05, honorific=0.05, initial=0.02,
                               swap=0.01, drop_middle=0.3, add_middle=0.03, heavy=0.02,
                               case="title"),
    }),
    ages=_frozen({"food_pds": (0.10, 0.04), "sw_pension": (0.30, 0.06),
                  "rd_mgnrega": (0.15, 0.05), "crs_death": (0.25, 0.05)}),
    old_district=_frozen({"uid_kyr": 0.15, "food_pds": 0.45, "sw_pension": 0.5,
                          "rd_mgnrega": 0.4, "edu_scholarship": 0.3, "crs_death": 0.2}),
)


def _less_known_variants(names: MappingProxyType, variant: float) -> MappingProxyType:
    """The field lists use the tuning profile's variant table less (they fold instead)."""
    from dataclasses import replace
    return _frozen({k: replace(v, variant=min(v.variant, variant)) for k, v in names.items()})


FIELD = Profile(
    name="field",
    description="never tuned on: other name, place and date noise, more movers and namesakes",
    names=_less_known_variants(TUNING.names, 0.03),
    ages=_frozen({"food_pds": (0.15, 0.10), "sw_pension": (0.30, 0.12),
                  "rd_mgnrega": (0.20, 0.12), "crs_death": (0.30, 0.10)}),
    old_district=_frozen({"uid_kyr": 0.25, "food_pds": 0.55, "sw_pension": 0.6,
                          "rd_mgnrega": 0.5, "edu_scholarship": 0.4, "crs_death": 0.3}),
    district_alias=0.05,
    village_typo=0.03,
    kyr_year_only=(0.35, 0.12),
    kyr_jan1=(0.42, 0.15),
    moved_households=0.04,
    moved_far=0.5,
    first_name_zipf=1.0,
    first_names_per_district=30,
    field=FieldNoise(drop_surname=0.04, kyr_drop_surname=0.03, fold=0.10, key_typo=0.04,
                     late_prefix=0.45, relative_kumar=0.2, district_loose=0.25, village_ward=0.12,
                     village_far=0.06, age_off=0.12, dob_year_only=0.08, dob_swap=0.03,
                     kyr_dob_swap=0.01),
)

def _noisier(base: Profile, name: str, factor: float) -> Profile:
    """``base`` with its name, age, place and mover noise scaled by ``factor`` (capped)."""
    from dataclasses import replace

    def cap(x: float) -> float:
        return min(0.9, x * factor)

    names = {src: replace(n, variant=cap(n.variant), typo=cap(n.typo), initial=cap(n.initial),
                          swap=cap(n.swap), heavy=cap(n.heavy))
             for src, n in base.names.items()}
    return replace(
        base, name=name,
        description=f"DEV ONLY: {base.name} with {factor:g}x its noise (never reported)",
        names=_frozen(names),
        ages=_frozen({k: (a, cap(b)) for k, (a, b) in base.ages.items()}),
        village_typo=cap(base.village_typo), block_typo=cap(base.block_typo),
        moved_households=cap(base.moved_households), first_name_zipf=base.first_name_zipf + 0.2)


# DEV ONLY (issue 18): the tuning profile made noisier so that linkage misses more, to
# develop flags that stay precise when linking is weak without looking at `field`. Derived
# from TUNING alone; never reported in BENCHMARKS.md.
DEV_NOISY_TUNING = _noisier(TUNING, "dev_noisy_tuning", 2.5)


PROFILES: dict[str, Profile] = {p.name: p for p in (TUNING, FIELD, DEV_NOISY_TUNING)}
DEFAULT = TUNING.name


def get(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown noise profile {name!r}; choose one of "
                         f"{', '.join(PROFILES)}") from None
