"""Names written with a stand-in for the surname, or cut to initials (issue 17).

A department lists "SAROJINI DEVI", "BAI L", "TIRKEY K" or just "K" for KYR's "SAROJINI
KUMETI", "LEELA DEWANGAN", "KAMLA TIRKEY", "KISHORE NISHAD". Every name level used to see
another name (the "else" level, about -6.6 bits), so such records went to review or
stayed unmatched. The seeding models' name comparison now has levels for what such a
name still says; another first name beside a stand-in, or other initials, still
disagrees. The columns are built by ``matching.inputs`` from the std table."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from matching_helpers import levels_of

from ingest.standardise.names import name_keys
from matching import inputs
from matching.comparisons import NAME_KEY_LABEL, build_comparisons, name_comparison


def _std(rid: str, name: str) -> dict:
    full, first, last = name_keys([name])
    toks = name.split(" ")
    return {"source_record_id": rid, "name_std": name, "first_name": toks[0],
            "last_name": toks[-1] if len(toks) > 1 else None, "name_key": full[0],
            "first_name_key": first[0], "last_name_key": last[0]}


PAIRS = [  # (department's name, KYR's name, level expected in the seeding model)
    ("SAROJINI DEVI", "SAROJINI KUMETI", "same name once Devi / Bai / Kumar are left out"),
    ("JITENDRE KUMAR", "JITENDRA KUMAR SONWANI",
     "same name once Devi / Bai / Kumar are left out"),
    ("DIYA DEVI", "DIVYA YADAV", "a given name beside Devi / Bai / Kumar"),
    ("TIRKEY K", "KAMLA TIRKEY", "abbreviated name, the same initials"),
    ("S D BAI", "SUNITA DEVI DHRUW", "abbreviated name, the same initials"),
    ("K", "KISHORE NISHAD", "abbreviated name, its initials among those of the other"),
    ("BAI L", "LEELA DEWANGAN", "abbreviated name, its initials among those of the other"),
    ("B", "VINOD SAHU", "abbreviated name, its initials among those of the other"),  # V/B
    # still another name
    ("SUNITA DEVI", "GEETA SAHU", "All other comparisons"),
    ("R S", "GEETA SAHU", "All other comparisons"),
    ("BAI M", "LEELA DEWANGAN", "All other comparisons"),
]


def _levels(comparison, pairs=None) -> list[str]:
    """Each ``pairs`` row's level (PAIRS by default): the inputs built by matching.inputs
    from std rows, the first level whose SQL holds (as Splink picks it)."""
    pairs = PAIRS if pairs is None else pairs
    con = duckdb.connect()
    inputs.load_frame(con, "dept", pd.DataFrame(
        [_std(f"D{i}", d) for i, (d, _k, _lv) in enumerate(pairs)]))
    inputs.load_frame(con, "kyr", pd.DataFrame(
        [_std(f"D{i}", k) for i, (_d, k, _lv) in enumerate(pairs)]))
    return levels_of(con, comparison)


def test_stand_ins_and_initials_have_levels_of_their_own_in_the_seeding_model():
    seed_name = next(c for c in build_comparisons(["name"], kind="seed"))
    got = _levels(seed_name)
    for (dept, kyr, want), level in zip(PAIRS, got, strict=True):
        assert level.startswith(want), (dept, kyr, level)


def test_the_dedupe_model_keeps_its_name_levels():
    got = _levels(name_comparison(term_frequencies=True, reordered_tokens=True))
    assert not any("Devi" in lv or "abbreviated" in lv for lv in got)


def test_inputs_leave_stand_ins_out_and_fold_initials():
    con = duckdb.connect()
    inputs.load_frame(con, "dept", pd.DataFrame([
        _std("1", "RAM KUMAR SAHU"), _std("2", "BAI MANJU"), _std("3", "TIRKEY V"),
        _std("4", "DEVI")]))
    rows = con.execute("SELECT unique_id, name_core_key, name_initials, name_abbrev_like, "
                       "name_given_only FROM inp_dept ORDER BY unique_id").fetchall()
    core = {r[0]: r[1:] for r in rows}
    assert core["1"][0] == name_keys(["RAM SAHU"])[0][0]  # a middle Kumar too
    assert core["1"][1:] == ("RS", None, None)
    assert core["2"][1:] == ("M", None, "MANJU")
    assert core["3"][1:] == ("BT", "%B%T%", None)  # V is B's initial (name_folds.csv)
    assert core["4"] == (None, None, None, None)


def test_a_stand_in_level_is_never_stronger_than_the_exact_name_key():
    """A small list's random sample meets few such names, so u can fall to its floor:
    the trained Bayes factor is then kept at the exact name key level's."""
    import logging

    from splink import Linker, SettingsCreator

    from matching import train
    from matching.comparisons import NAME_SPACED_LABEL, STAND_IN_LABELS
    from matching.settings import load_settings

    con = duckdb.connect()
    for feed in ("dept", "kyr"):
        inputs.load_frame(con, feed, pd.DataFrame([_std("1", "SAROJINI DEVI")]))
    db_api = train.make_db_api(con, load_settings())
    sdfs = [db_api.register(f"inp_{f}", table_name=f) for f in ("dept", "kyr")]
    sc = SettingsCreator(link_type="link_only",
                         comparisons=build_comparisons(["name"], kind="seed"))
    linker = Linker(sdfs, sc, log_level=logging.WARNING)
    levels = {lv.label_for_charts: lv for c in linker._settings_obj.comparisons
              for lv in c.comparison_levels if not lv.is_null_level}
    key = levels[NAME_KEY_LABEL]
    key.m_probability, key.u_probability = 0.25, 0.0005           # 500
    core, initials = levels[STAND_IN_LABELS[0]], levels[STAND_IN_LABELS[3]]
    core.m_probability, core.u_probability = 0.02, 1e-6            # 20,000: too strong
    initials.m_probability, initials.u_probability = 0.01, 0.002   # 5: kept
    # EM met no pair of this level: m stays Splink's default (the private _m is None)
    given = levels[STAND_IN_LABELS[1]]
    given._m_probability, given.u_probability = None, 1e-6
    spaced = levels[NAME_SPACED_LABEL]                            # fixed m 0.01, u floor
    spaced.u_probability = 1e-6
    train._bound_names(linker, seeding=True)
    assert core.m_probability / core.u_probability == pytest.approx(500)
    assert initials.m_probability == pytest.approx(0.01)
    assert given.m_probability / given.u_probability == pytest.approx(500)
    assert spaced.m_probability / spaced.u_probability == pytest.approx(500)
