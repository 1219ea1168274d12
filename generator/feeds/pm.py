"""``pm_tasks`` and ``pm_survey``: the mobile project-monitoring app's exports."""

from __future__ import annotations

import numpy as np

from generator.feeds.common import DATES, Ctx
from generator.vec import cat, fmt_ts, nullify, to_str, zpad
from generator.writer import write_csv

TASK_COLUMNS = ["task_id", "project_id", "project_name", "department", "assigned_to",
                "district_name", "block_name", "village_code", "status", "allocated_at",
                "started_at", "submitted_at", "approved_at", "survey_id"]
SURVEY_COLUMNS = ["response_id", "task_id", "project_id", "survey_id", "question_id",
                  "question_text", "answer_type", "answer", "answered_by", "answered_at"]
PROJECTS = [  # name, department, survey id or None
    ("Anganwadi building repair", "Women and Child Development", "SV01"),
    ("Hand pump functionality survey", "Public Health Engineering", "SV02"),
    ("Fair price shop inspection", "Food and Civil Supplies", "SV03"),
    ("PMGSY road condition survey", "Panchayat and Rural Development", "SV04"),
    ("School toilet audit", "School Education", "SV05"),
    ("Pension beneficiary physical verification", "Social Welfare", "SV06"),
    ("Amrit Sarovar pond construction", "Panchayat and Rural Development", None),
    ("Health sub-centre equipment check", "Health and Family Welfare", "SV02"),
]
QUESTIONS = {  # survey -> [(question text, answer type, options)]
    "SV01": [("Is the building in use?", "YESNO", None),
             ("Roof condition", "CHOICE", ["GOOD", "LEAKING", "DAMAGED"]),
             ("Children present today", "NUMBER", (0, 60)), ("Remarks", "TEXT", None)],
    "SV02": [("Is it working?", "YESNO", None), ("Water quality", "CHOICE",
                                                 ["CLEAR", "TURBID", "SALINE"]),
             ("Households served", "NUMBER", (5, 300)), ("Remarks", "TEXT", None)],
    "SV03": [("Shop open at visit?", "YESNO", None), ("Stock register updated?", "YESNO", None),
             ("Rice stock (quintal)", "NUMBER", (0, 120)),
             ("Weighing scale", "CHOICE", ["CALIBRATED", "NOT_CALIBRATED"]),
             ("Remarks", "TEXT", None)],
    "SV04": [("Road motorable?", "YESNO", None), ("Surface", "CHOICE",
                                                  ["BLACKTOP", "GRAVEL", "EARTHEN"]),
             ("Potholes counted", "NUMBER", (0, 80)), ("Remarks", "TEXT", None)],
    "SV05": [("Separate girls' toilet?", "YESNO", None), ("Running water?", "YESNO", None),
             ("Usable toilets", "NUMBER", (0, 12)), ("Remarks", "TEXT", None)],
    "SV06": [("Beneficiary met in person?", "YESNO", None),
             ("Beneficiary status", "CHOICE", ["ALIVE", "DECEASED", "MIGRATED", "NOT_FOUND"]),
             ("Months of pension received", "NUMBER", (0, 12)), ("Remarks", "TEXT", None)],
}
TEXTS = ["Theek hai", "Marammat ki zarurat", "Sarpanch ko suchit kiya", "No issue",
         "Kaam adhoora hai", "Photo attached"]
STATUSES = ["ALLOCATED", "IN_PROGRESS", "PENDING_APPROVAL", "COMPLETED", "REJECTED"]


def build(ctx: Ctx) -> None:
    rng = ctx.rng("pm_tasks")
    vil = ctx.villages
    n = max(200, len(ctx.residents) // 50)
    n_proj_per = 3  # each project type runs in several phases
    proj = rng.integers(0, len(PROJECTS) * n_proj_per, n)
    ptype = proj // n_proj_per
    pname = np.array([p[0] for p in PROJECTS], dtype=object)[ptype]
    phase = (proj % n_proj_per + 1).astype(str)
    dept = np.array([p[1] for p in PROJECTS], dtype=object)[ptype]
    survey = np.array([p[2] for p in PROJECTS], dtype=object)[ptype]
    vi = rng.integers(0, len(vil), n)
    status = np.array(STATUSES, dtype=object)[rng.choice(5, n, p=[0.15, 0.2, 0.15, 0.42, 0.08])]
    s = np.timedelta64(1, "s")
    alloc = np.datetime64("2024-10-01T09:00:00") + (rng.random(n) * 110 * 86400).astype(
        np.int64) * s
    started = alloc + (3600 + rng.random(n) * 5 * 86400).astype(np.int64) * s
    submitted = started + (1800 + rng.random(n) * 7 * 86400).astype(np.int64) * s
    approved = submitted + (3600 + rng.random(n) * 4 * 86400).astype(np.int64) * s
    has_start = status != "ALLOCATED"
    has_sub = np.isin(status, ["PENDING_APPROVAL", "COMPLETED", "REJECTED"])
    has_appr = status == "COMPLETED"
    users = rng.integers(1, max(20, n // 25), n)
    task_id = cat("T", zpad(np.arange(n) + 1, 7))
    project_id = cat("P", zpad(proj + 1, 3))
    cols = {
        "task_id": task_id, "project_id": project_id,
        "project_name": cat(pname, " - Phase ", phase), "department": dept,
        "assigned_to": cat("U", zpad(users, 5)),
        "district_name": vil["district_name"].to_numpy()[vi],
        "block_name": vil["block_name"].to_numpy()[vi],
        "village_code": nullify(to_str(vil["village_code"].to_numpy()[vi]),
                                rng.random(n) < 0.9),
        "status": status, "allocated_at": fmt_ts(alloc),
        "started_at": fmt_ts(started, has_start), "submitted_at": fmt_ts(submitted, has_sub),
        "approved_at": fmt_ts(approved, has_appr),
        "survey_id": nullify(np.where(survey == None, "", survey), survey != None),  # noqa: E711
    }
    write_csv(ctx.landing, "pm_tasks", DATES["pm_tasks"], "task_export", cols, TASK_COLUMNS)
    ctx.log(f"pm_tasks: {n:,} tasks")

    # ---- survey answers for tasks that were submitted with a survey
    rng = ctx.rng("pm_survey")
    t = np.flatnonzero(has_sub & (survey != None))  # noqa: E711
    rows_task, rows_q, rows_sv = [], [], []
    for sv, qs in QUESTIONS.items():  # a handful of surveys: vectorised within each
        ts = t[survey[t] == sv]
        rows_task.append(np.repeat(ts, len(qs)))
        rows_q.append(np.tile(np.arange(len(qs)), len(ts)))
        rows_sv.append(np.full(len(ts) * len(qs), sv, dtype=object))
    tk = np.concatenate(rows_task)
    qn = np.concatenate(rows_q)
    sv = np.concatenate(rows_sv)
    m = len(tk)
    qtext = np.empty(m, dtype=object)
    atype = np.empty(m, dtype=object)
    answer = np.empty(m, dtype=object)
    for svid, qs in QUESTIONS.items():
        for qi, (text, typ, opt) in enumerate(qs):
            sel = (sv == svid) & (qn == qi)
            k = int(sel.sum())
            qtext[sel] = text
            atype[sel] = typ
            if typ == "YESNO":
                answer[sel] = np.where(rng.random(k) < 0.75, "Yes", "No")
            elif typ == "CHOICE":
                answer[sel] = np.array(opt, dtype=object)[rng.integers(0, len(opt), k)]
            elif typ == "NUMBER":
                answer[sel] = rng.integers(opt[0], opt[1] + 1, k).astype(str)
            else:
                answer[sel] = np.array(TEXTS, dtype=object)[rng.integers(0, len(TEXTS), k)]
    span = (submitted[tk] - started[tk]).astype(np.int64)
    answered = started[tk] + (rng.random(m) * span).astype(np.int64) * s
    cols = {
        "response_id": cat("R", zpad(np.arange(m) + 1, 8)),
        "task_id": task_id.take(tk), "project_id": project_id.take(tk), "survey_id": sv,
        "question_id": cat(sv, "-Q", (qn + 1).astype(str)), "question_text": qtext,
        "answer_type": atype,
        "answer": nullify(answer, ~((atype == "TEXT") & (rng.random(m) < 0.4))),
        "answered_by": cat("U", zpad(users[tk], 5)), "answered_at": fmt_ts(answered),
    }
    write_csv(ctx.landing, "pm_survey", DATES["pm_survey"], "survey_answers", cols,
              SURVEY_COLUMNS)
    ctx.log(f"pm_survey: {m:,} answers")
