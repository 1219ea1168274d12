"""Project-monitoring marts against a pandas recomputation from the landing CSVs."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest


def _csv(landing, feed: str) -> pd.DataFrame:
    files = sorted((landing / feed).glob("*/*.csv"))
    if not files:
        pytest.skip(f"the generator wrote no {feed} feed")
    df = pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])
    df.columns = [c.strip().lower() for c in df.columns]
    return df.apply(lambda s: s.str.strip()).replace("", None)


def _mart(home, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(home / "warehouse" / "srdh.duckdb"))
    try:
        return con.sql(sql).df()
    finally:
        con.close()


def test_project_status_counts_match_pandas(jansamvad_home):
    tasks = _csv(jansamvad_home["landing"], "pm_tasks").drop_duplicates("task_id", keep="last")
    tasks["status"] = tasks["status"].str.upper()
    want = (tasks.groupby(["project_id", "status"]).size().unstack(fill_value=0)
            .reindex(columns=["ALLOCATED", "IN_PROGRESS", "PENDING_APPROVAL", "COMPLETED",
                              "REJECTED"], fill_value=0))
    got = _mart(jansamvad_home["home"], "select * from marts.mart_project_status").set_index(
        "project_id")
    assert sorted(got.index) == sorted(want.index)
    for status, col in [("ALLOCATED", "tasks_allocated"), ("IN_PROGRESS", "tasks_in_progress"),
                        ("PENDING_APPROVAL", "tasks_pending_approval"),
                        ("COMPLETED", "tasks_completed"), ("REJECTED", "tasks_rejected")]:
        assert got[col].astype(int).to_dict() == want[status].astype(int).to_dict(), col
    assert (got["tasks_total"] == want.sum(axis=1).reindex(got.index)).all()

    # time to approve: submitted -> approved, mean hours per project
    ts = tasks.dropna(subset=["submitted_at", "approved_at"]).copy()
    hours = ((pd.to_datetime(ts["approved_at"]) - pd.to_datetime(ts["submitted_at"]))
             .dt.total_seconds() / 3600)
    want_hours = hours.groupby(ts["project_id"]).mean().round(2)
    got_hours = got["avg_hours_to_approve"].dropna()
    pd.testing.assert_series_equal(got_hours.sort_index(), want_hours.sort_index(),
                                   check_names=False, atol=0.011)

    weekly = _mart(jansamvad_home["home"],
                   "select sum(tasks_allocated) as a, sum(tasks_approved) as p "
                   "from marts.mart_project_user_weekly")
    assert int(weekly.a[0]) == len(tasks)
    assert int(weekly.p[0]) == tasks["approved_at"].notna().sum()
    ageing = _mart(jansamvad_home["home"],
                   "select status, sum(task_count) as n from marts.mart_project_task_ageing "
                   "group by status")
    assert dict(zip(ageing.status, ageing.n.astype(int), strict=True)) == {
        k: int(v) for k, v in tasks["status"].value_counts().items()}


def test_survey_summary_matches_pandas(jansamvad_home):
    answers = _csv(jansamvad_home["landing"], "pm_survey").drop_duplicates("response_id",
                                                                             keep="last")
    answers["answer_type"] = answers["answer_type"].str.upper()
    got = _mart(jansamvad_home["home"], "select * from marts.mart_survey_summary").set_index(
        ["project_id", "survey_id", "question_id"])
    keys = ["project_id", "survey_id", "question_id"]
    grouped = answers.groupby(keys)
    assert len(got) == grouped.ngroups
    assert got["responses"].astype(int).to_dict() == grouped.size().to_dict()
    assert got["answered"].astype(int).to_dict() == grouped["answer"].count().to_dict()

    yesno = answers[answers.answer_type == "YESNO"]
    if len(yesno):
        yes = yesno["answer"].str.upper().isin(["Y", "YES", "HAAN", "HA", "TRUE", "1"])
        want_yes = yes.groupby([yesno[k] for k in keys]).sum()
        assert got.loc[want_yes.index, "yes_count"].astype(int).to_dict() == \
            want_yes.astype(int).to_dict()
    num = answers[answers.answer_type == "NUMBER"].copy()
    if len(num):
        num["v"] = pd.to_numeric(num["answer"], errors="coerce")
        agg = num.groupby(keys)["v"].agg(["mean", "min", "max"])
        sub = got.loc[agg.index]
        assert (sub["number_avg"] - agg["mean"].round(3)).abs().max() < 1e-6
        assert (sub["number_min"] == agg["min"]).all() and (sub["number_max"] == agg["max"]).all()
    text = answers[answers.answer_type == "TEXT"]
    if len(text):
        want_text = text.groupby(keys)["answer"].count()
        assert got.loc[want_text.index, "text_answers"].astype(int).to_dict() == \
            want_text.to_dict()
    choices = _mart(jansamvad_home["home"],
                    "select sum(answer_count) as n from marts.mart_survey_choice_counts")
    assert int(choices.n[0]) == answers.answer_type.isin(["YESNO", "CHOICE"]).sum()
