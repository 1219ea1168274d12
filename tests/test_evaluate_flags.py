"""`srdh evaluate` scores each flag and inclusion rule against the generator's truth."""

from __future__ import annotations

import duckdb
import pandas as pd

from matching.evaluate_flags import enrolment_flag_metrics, format_flags, inclusion_rule_metrics


def _truth(tmp_path):
    pd.DataFrame({
        "source": ["sw_pension"] * 5 + ["food_pds"] * 2,
        "source_record_id": ["G1", "G2", "R1", "D1", "D2", "P1", "P2"],
        "resident_key": pd.array([None, None, 1, 2, 3, 4, 5], dtype="Int64"),
        "uid": [None] * 7,
        "is_ghost": [True, True, False, False, False, False, False],
        "is_duplicate": [False] * 7,
        "preseeded_uid_status": ["none"] * 5 + ["wrong", "correct"],
    }).to_parquet(tmp_path / "records.parquet")
    pd.DataFrame({
        "resident_key": [1, 2, 3, 4, 5, 6],
        "uid": [None, "1", "2", "3", "4", "5"],
        "gender": ["F", "M", "M", "F", "F", "M"],
        "dob": pd.to_datetime(["1950-05-01", "1940-01-01", "1945-01-01", "1990-01-01",
                               "1991-01-01", "1950-01-01"]),
        "is_widow": [False] * 6,
        "is_deceased": [False, True, False, False, False, False],
        "date_of_death": pd.to_datetime([None, "2024-06-01", None, None, None, None]),
    }).to_parquet(tmp_path / "residents.parquet")
    return tmp_path


def test_each_flag_scored_against_truth(tmp_path):
    truth = _truth(tmp_path)
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute("""create table marts.fct_scheme_enrolment as select * from (values
        ('sw_pension', 'G1', true, date '2025-03-01', false),
        ('sw_pension', 'G2', true, date '2025-03-01', false),
        ('sw_pension', 'R1', true, date '2025-03-01', false),
        ('sw_pension', 'D1', true, date '2025-03-01', false),
        ('sw_pension', 'D2', true, date '2025-03-01', false),
        ('food_pds', 'P1', true, date '2025-03-01', true),
        ('food_pds', 'P2', true, date '2025-03-01', true))
        t(source, source_record_id, is_active, payment_period_start, has_preseeded_uid)""")
    # G1 a true ghost flagged; R1 a real person wrongly flagged ghost; G2 only to verify;
    # D1 truly dead and flagged; D2 alive but flagged; P1 wrong UID flagged, P2 right UID not
    con.execute("""create table marts.mart_enrolment_flags as select * from (values
        ('sw_pension', 'G1', 'ghost'), ('sw_pension', 'R1', 'ghost'),
        ('sw_pension', 'G2', 'not_in_kyr'), ('sw_pension', 'D1', 'deceased_active'),
        ('sw_pension', 'D2', 'deceased_active'), ('food_pds', 'P1', 'preseeded_uid_disagrees'))
        t(source, source_record_id, flag)""")
    m = enrolment_flag_metrics(con, truth)
    assert m["ghost"] == {"flagged": 2, "correct": 1, "true": 2, "precision": 0.5,
                          "recall": 0.5}
    assert m["ghost+not_in_kyr"]["recall"] == 1.0 and m["not_in_kyr"]["precision"] == 1.0
    assert m["deceased_active"]["precision"] == 0.5 and m["deceased_active"]["recall"] == 1.0
    assert m["preseeded_uid_disagrees"]["precision"] == 1.0
    assert m["preseeded_uid_disagrees"]["recall"] == 1.0
    assert "ghost" in format_flags({"enrolment_flags": m})


def test_an_inclusion_gap_is_wrong_when_the_person_draws_an_excluded_benefit(tmp_path):
    truth = _truth(tmp_path)
    con = duckdb.connect()
    for s in ("marts", "matching", "reference"):
        con.execute(f"create schema {s}")
    con.execute("""create table reference.inclusion_rules as select 'ELDERLY_NO_PENSION'
        as rule_id, 60 as min_age, null::int as max_age, null::varchar as gender,
        'AAY PHH' as card_types, false as requires_widowhood,
        'old_age_pension widow_pension' as excluded_benefit_types""")
    # R-A is resident 1 (74, draws a widow pension through record R1); R-B resident 6
    # (75, draws nothing): one right, one wrong
    con.execute("""create table matching.residents as select * from (values
        ('sw_pension', 'R1', 'R-A'), ('uid_kyr', 'TOK6', 'R-B')) t(source, record_id,
        resident_id)""")
    con.execute("""create table marts.mart_inclusion_gaps as select * from (values
        ('ELDERLY_NO_PENSION', 'R-A'), ('ELDERLY_NO_PENSION', 'R-B')) t(rule_id, resident_id)""")
    con.execute("""create table marts.fct_scheme_enrolment as select 'sw_pension' as source,
        'R1' as source_record_id, 'widow_pension' as benefit_type, true as is_active""")
    m = inclusion_rule_metrics(con, truth, lambda uids: [f"TOK{int(u) + 1}" for u in uids],
                               "2025-03-01")
    assert m["ELDERLY_NO_PENSION"]["flagged"] == 2
    assert m["ELDERLY_NO_PENSION"]["correct"] == 1


def test_a_to_verify_gap_is_scored_apart_from_the_rule(tmp_path):
    """A gap an unlinked record may close (certainty to_verify) is not the rule's figure."""
    truth = _truth(tmp_path)
    con = duckdb.connect()
    for s in ("marts", "matching", "reference"):
        con.execute(f"create schema {s}")
    con.execute("""create table reference.inclusion_rules as select 'ELDERLY_NO_PENSION'
        as rule_id, 60 as min_age, null::int as max_age, null::varchar as gender,
        'AAY PHH' as card_types, false as requires_widowhood,
        'old_age_pension widow_pension' as excluded_benefit_types""")
    con.execute("""create table matching.residents as select * from (values
        ('sw_pension', 'R1', 'R-A'), ('uid_kyr', 'TOK6', 'R-B')) t(source, record_id,
        resident_id)""")
    con.execute("""create table marts.mart_inclusion_gaps as select * from (values
        ('ELDERLY_NO_PENSION', 'R-A', 'to_verify'), ('ELDERLY_NO_PENSION', 'R-B', 'confirmed'))
        t(rule_id, resident_id, certainty)""")
    con.execute("""create table marts.fct_scheme_enrolment as select 'sw_pension' as source,
        'R1' as source_record_id, 'widow_pension' as benefit_type, true as is_active""")
    m = inclusion_rule_metrics(con, truth, lambda uids: [f"TOK{int(u) + 1}" for u in uids],
                               "2025-03-01")
    assert m["ELDERLY_NO_PENSION"]["flagged"] == 1 and m["ELDERLY_NO_PENSION"]["precision"] == 1
    assert m["ELDERLY_NO_PENSION (to_verify)"]["precision"] == 0.0


def test_a_widow_gap_is_wrong_when_the_woman_is_no_widow(tmp_path):
    truth = _truth(tmp_path)  # resident 4: a woman of 35, no widow in the truth
    con = duckdb.connect()
    for s in ("marts", "matching", "reference"):
        con.execute(f"create schema {s}")
    con.execute("""create table reference.inclusion_rules as select 'WIDOW_NO_PENSION'
        as rule_id, 18 as min_age, null::int as max_age, 'F' as gender,
        null::varchar as card_types, true as requires_widowhood,
        'old_age_pension widow_pension' as excluded_benefit_types""")
    con.execute("""create table matching.residents as select * from (values
        ('uid_kyr', 'TOK4', 'R-W')) t(source, record_id, resident_id)""")
    con.execute("""create table marts.mart_inclusion_gaps as select 'WIDOW_NO_PENSION'
        as rule_id, 'R-W' as resident_id""")
    con.execute("""create table marts.fct_scheme_enrolment as select 'food_pds' as source,
        'P1' as source_record_id, 'food' as benefit_type, true as is_active""")
    m = inclusion_rule_metrics(con, truth, lambda uids: [f"TOK{int(u) + 1}" for u in uids],
                               "2025-03-01")
    assert m["WIDOW_NO_PENSION"] == {"flagged": 1, "correct": 0, "unresolved": 0,
                                     "precision": 0.0}
