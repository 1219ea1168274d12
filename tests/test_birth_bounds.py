"""The birth levels a seeding model learns stay in order of closeness (review of issue
17's learned birth levels). Unbounded, EM gave a department with dates only m 1e-69 for
"within 2" (-225 bits, a veto on one mistyped year), made "within 5" stronger than
"within 2" where same-named relatives share a village, and gave a level no random pair
showed +18 bits, above an exact date. And a replaced date's spread (``replaced_dob``)
must not overwrite what EM learned. Real Splink linkers on the real birth comparison."""

from __future__ import annotations

import math

import pytest
from matching_helpers import birth_linker
from splink import Linker

from matching import comparisons, replaced_dob, train

LEARNED = [lb for lb, learned in zip(
    ("Exact match on dob", "day and month swapped", "same birth year",
     "birth-year ranges overlap", "birth years within 2", "birth years within 5",
     "birth years within 10", "All other comparisons"),
    comparisons.BIRTH_M_LEARNED, strict=True) if learned]


def _linker(learn: bool = True) -> tuple[Linker, dict]:
    return birth_linker(learn)


def _set(levels: dict, values: dict[str, tuple[float, float]]) -> None:
    for label, (m, u) in values.items():
        levels[label].m_probability, levels[label].u_probability = m, u


def _bits(levels: dict, label: str) -> float:
    lv = levels[label]
    return math.log2(lv.m_probability / lv.u_probability)


def _in_order(levels: dict) -> None:
    near = max(_bits(levels, "same birth year"), _bits(levels, "birth-year ranges overlap"))
    assert near >= _bits(levels, "birth years within 2") - 1e-9
    assert _bits(levels, "birth years within 2") >= _bits(levels, "birth years within 5") - 1e-9
    assert _bits(levels, "birth years within 5") >= _bits(levels, "birth years within 10") - 1e-9


def test_a_department_with_dates_only_keeps_a_near_year_above_a_far_one():
    """Dates on both sides: EM meets hardly a true pair two years off and learns m 1e-69
    for "within 2". Bounded, a year mistyped by two costs no more than one ten years off."""
    linker, levels = _linker()
    _set(levels, {"Exact match on dob": (0.9, 1e-4), "same birth year": (0.05, 0.012),
                  "birth-year ranges overlap": (0.01, 1e-7),  # no random pair: the floor
                  "birth years within 2": (1e-69, 0.05), "birth years within 5": (0.01, 0.07),
                  "birth years within 10": (0.0047, 0.13)})
    levels["birth-year ranges overlap"]._srdh_u_observed = False
    before = _bits(levels, "birth years within 2")
    train._bound_birth(linker)
    assert before < -200
    _in_order(levels)
    assert _bits(levels, "birth years within 2") >= _bits(levels, "birth years within 10")
    # the unobserved level (+16.6 bits before) is no stronger than an exact date
    assert _bits(levels, "birth-year ranges overlap") <= _bits(levels, "Exact match on dob")
    # an exact date and the fixed far levels are untouched
    assert levels["Exact match on dob"].m_probability == 0.9
    assert levels["birth years within 10"].m_probability == 0.0047


def test_namesake_relatives_do_not_make_five_years_stronger_than_two():
    """Same-named relatives of one village, 3-5 years apart, pull EM's "within 5" above
    "within 2": a relative would outscore a resident whose age is off by two."""
    linker, levels = _linker()
    _set(levels, {"Exact match on dob": (0.3, 1e-4), "same birth year": (0.3, 0.012),
                  "birth-year ranges overlap": (0.28, 0.02),
                  "birth years within 2": (0.02, 0.05), "birth years within 5": (0.2, 0.07),
                  "birth years within 10": (0.0047, 0.13)})
    assert _bits(levels, "birth years within 5") > _bits(levels, "birth years within 2")
    train._bound_birth(linker)
    _in_order(levels)
    assert _bits(levels, "birth years within 5") <= _bits(levels, "birth years within 2")


def test_an_age_written_off_by_one_keeps_what_em_learned():
    """A department whose ages put most true years one off: EM learns most true pairs in
    "ranges overlap" and few in "same birth year". That order is the list's (the
    extract's date in the year): in order already, nothing moves."""
    linker, levels = _linker()
    _set(levels, {"Exact match on dob": (1e-3, 1e-4), "same birth year": (0.09, 0.016),
                  "birth-year ranges overlap": (0.76, 0.035),
                  "birth years within 2": (0.10, 0.05), "birth years within 5": (0.05, 0.1),
                  "birth years within 10": (0.0047, 0.13)})
    levels["Exact match on dob"]._srdh_u_observed = False  # ages: no exact dates
    train._bound_birth(linker)
    _in_order(levels)
    assert levels["birth-year ranges overlap"].m_probability == pytest.approx(0.76)
    assert levels["birth years within 2"].m_probability == pytest.approx(0.10)
    assert levels["same birth year"].m_probability == pytest.approx(0.09)
    assert _bits(levels, "same birth year") < _bits(levels, "birth-year ranges overlap")


def test_fixed_levels_are_never_bounded():
    """The dedupe model keeps every birth level at its fixed prior: nothing moves."""
    linker, levels = _linker(learn=False)
    _set(levels, {"birth years within 2": (0.08, 0.05), "birth years within 5": (0.5, 0.07)})
    train._bound_birth(linker)
    assert levels["birth years within 5"].m_probability == 0.5


def test_the_spread_of_replaced_dates_keeps_what_em_learned():
    """FEBRL-like lists count replaced dates (m(else) above the prior): the spread moves
    the fixed levels towards a random date's share and leaves the learned ones as EM
    found them."""
    linker, levels = _linker()
    learned = {"same birth year": (0.4, 0.01), "birth-year ranges overlap": (0.2, 0.02),
               "birth years within 2": (0.1, 0.05), "birth years within 5": (0.04, 0.07)}
    _set(levels, {"Exact match on dob": (0.5, 1e-4), **learned,
                  "birth years within 10": (0.0047, 0.13), "All other comparisons": (0.05, 0.7)})
    r = replaced_dob.spread(linker, 0.05)
    assert r and r > 0.05
    for label, (m, _) in learned.items():
        assert label in LEARNED and levels[label].m_probability == m, label
    # a fixed level takes its share of replaced dates: (1 - r) prior + r u
    assert levels["birth years within 10"].m_probability == pytest.approx(
        (1 - r) * 0.0047 + r * 0.13)
    assert levels["day and month swapped"].m_probability != 0.01
