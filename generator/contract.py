"""Machine-readable feed contract (FEEDS.md + docs/feeds.md) and a checker for a landing folder.

``SPEC`` holds one dict per feed: every column with ``required`` and a check. Checks:
``text`` (anything), ``("enum", codes)``, ``("regex", pattern)``, ``("int", lo, hi)``,
``("float", lo, hi)``, ``("date", strftime format)``, ``"timestamp"``, ``"kyr_dob"``,
``"uid"`` (12 digits, first 2-9, Verhoeff; spaces allowed), ``"uid_like"`` (a department's
pre-seeded number: 12 digits, may be wrong). Values are trimmed; codes compare upper-case.

``check_landing(path)`` returns a list of problems (empty when every file follows the
contract); ``check_truth(landing, truth)`` checks that the truth folder sits outside the
landing folder and that its references resolve.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from core.uid import verhoeff_valid_many

DMY = ("date", "%d-%m-%Y")
TS = "timestamp"
PHONE = ("regex", r"[6-9][0-9]{9}")
YN = ("enum", ["Y", "N"])
LAT = ("float", 17.8, 24.1)
LON = ("float", 80.2, 84.4)


def _c(required: bool, check="text") -> dict:
    return {"required": required, "check": check}


SPEC: dict[str, dict] = {
    "uid_kyr": {"id": "uid", "columns": {
        "uid": _c(True, "uid"), "name": _c(True), "name_local": _c(False),
        "gender": _c(True, ("enum", ["M", "F", "T"])), "dob": _c(True, "kyr_dob"),
        "co": _c(False, ("regex", r"(S/O|W/O|D/O|C/O):? ?.+")), "house": _c(False),
        "street": _c(False), "lm": _c(False), "loc": _c(False), "vtc": _c(True),
        "subdist": _c(False), "dist": _c(True), "state": _c(True, ("enum", ["CHHATTISGARH"])),
        "pc": _c(False, ("regex", r"[1-9][0-9]{5}")), "phone": _c(False, PHONE),
        "email": _c(False, ("regex", r"[^@\s]+@[^@\s]+\.[a-z]+")),
        "photo_file": _c(False, ("regex", r"[\w.-]+\.jpe?g")), "last_updated": _c(True, TS),
        "action": _c(False, ("enum", ["A", "U", "D"]))}},
    "food_pds": {"id": "member_id", "columns": {
        "ration_card_no": _c(True), "card_type": _c(True, ("enum", ["AAY", "PHH", "NIR", "ANN",
                                                                    "DIS", "GEN"])),
        "member_id": _c(True), "member_name": _c(True),
        "relation_with_hof": _c(True, ("enum", [
            "SELF", "WIFE", "HUSBAND", "SON", "DAUGHTER", "FATHER", "MOTHER", "DAUGHTER_IN_LAW",
            "GRANDSON", "GRANDDAUGHTER", "OTHER"])),
        "gender": _c(True, ("enum", ["MALE", "FEMALE", "OTHER"])), "age": _c(True, ("int", 0, 120)),
        "aadhaar_no": _c(False, "uid_like"), "mobile_no": _c(False, PHONE),
        "district_name": _c(True), "block_name": _c(True), "village_ward": _c(True),
        "fps_code": _c(False)}},
    "sw_pension": {"id": "pension_id", "columns": {
        "pension_id": _c(True), "scheme_code": _c(True, ("enum", ["IGNOAPS", "IGNWPS", "IGNDPS",
                                                                  "SSPY", "MNPY"])),
        "beneficiary_name": _c(True), "father_husband_name": _c(False),
        "gender": _c(True, ("enum", ["M", "F", "T"])), "dob": _c(False, ("date", "%d/%m/%Y")),
        "age": _c(False, ("int", 0, 120)), "sanction_date": _c(True, ("date", "%d/%m/%Y")),
        "village": _c(True), "gram_panchayat": _c(False), "block": _c(True),
        "district": _c(True), "bank_account_no": _c(False, ("regex", r"[0-9]{9,18}")),
        "ifsc": _c(False, ("regex", r"[A-Z]{4}0[A-Z0-9]{6}")),
        "monthly_amount_inr": _c(True, ("int", 1, 10000)),
        "status": _c(True, ("enum", ["ACTIVE", "STOPPED"]))}},
    "rd_mgnrega": {"id": "worker_id", "columns": {
        "job_card_no": _c(True, ("regex", r"CH-[0-9]{2}-[0-9]{3}-[0-9]{3}-[0-9]{3}/[0-9]+")),
        "worker_id": _c(True), "applicant_name": _c(True), "father_husband_name": _c(False),
        "gender": _c(True, ("enum", ["MALE", "FEMALE", "TRANSGENDER"])),
        "age": _c(True, ("int", 14, 120)),
        "caste_category": _c(False, ("enum", ["SC", "ST", "OBC", "GEN"])),
        "village": _c(True), "panchayat": _c(True), "block": _c(True), "district": _c(True),
        "days_worked_fy": _c(False, ("int", 0, 366)),
        "wages_paid_inr": _c(False, ("int", 0, 500000))}},
    "edu_scholarship": {"id": "student_id", "columns": {
        "student_id": _c(True), "student_name": _c(True), "father_name": _c(False),
        "mother_name": _c(False), "dob": _c(True, ("date", "%Y-%m-%d")),
        "gender": _c(True, ("enum", ["M", "F", "T"])),
        "udise_code": _c(True, ("regex", r"[0-9]{11}")), "class": _c(True, ("int", 1, 12)),
        "district": _c(True), "block": _c(True), "scheme": _c(True),
        "amount_inr": _c(True, ("int", 1, 500000)), "aadhaar": _c(False, "uid_like")}},
    "crs_death": {"id": "registration_no", "columns": {
        "registration_no": _c(True), "deceased_name": _c(True),
        "father_husband_name": _c(False), "gender": _c(True, ("enum", ["M", "F", "T"])),
        "age_at_death": _c(True, ("int", 0, 125)),
        "date_of_death": _c(True, ("date", "%Y-%m-%d")), "village": _c(True),
        "district": _c(True)}},
    "lgd_villages": {"id": "village_code", "columns": {
        "village_code": _c(True, ("regex", r"[0-9]{1,8}")), "village_name": _c(True),
        "block_name": _c(True), "district_name": _c(True),
        "pincode": _c(False, ("regex", r"[1-9][0-9]{5}")), "latitude": _c(True, LAT),
        "longitude": _c(True, LON), "all_weather_road": _c(False, YN),
        "electrified": _c(False, YN)}},
    "facilities": {"id": "facility_id", "columns": {
        "facility_id": _c(True), "facility_type": _c(True, ("enum", [
            "DISTRICT_HOSPITAL", "CHC", "PHC", "SCHOOL", "ANGANWADI", "RAILWAY_STATION"])),
        "facility_name": _c(True), "district_name": _c(True), "block_name": _c(True),
        "village_code": _c(False, ("regex", r"[0-9]{1,8}")), "latitude": _c(True, LAT),
        "longitude": _c(True, LON), "udise_code": _c(False, ("regex", r"[0-9]{11}"))}},
    "jansamvad_calls": {"id": "call_id", "columns": {
        "call_id": _c(True), "call_date": _c(True, ("date", "%Y-%m-%d")),
        "source": _c(True, ("enum", ["FOOD_PDS", "SW_PENSION", "RD_MGNREGA",
                                     "EDU_SCHOLARSHIP"])),
        "source_record_id": _c(True), "household_id": _c(False), "scheme_code": _c(True),
        "district_name": _c(True), "block_name": _c(True),
        "outcome": _c(True, ("enum", ["CONNECTED", "NO_ANSWER", "SWITCHED_OFF", "WRONG_NUMBER",
                                      "REFUSED", "CALLBACK"])),
        "benefit_received": _c(False, YN), "satisfaction": _c(False, ("int", 1, 5)),
        "grievance_category": _c(False, ("enum", [
            "NONE", "DELAYED_PAYMENT", "WRONG_AMOUNT", "NOT_RECEIVED", "BRIBE_DEMANDED",
            "NAME_ERROR", "RATION_QUALITY", "OTHER"])),
        "grievance_text": _c(False), "do_not_call": _c(False, ("enum", ["Y"])),
        "agent_id": _c(True)}},
    # arrives only once flags are checked in the field: never required in a landing
    "field_verification": {"id": "verification_id", "optional_feed": True, "columns": {
        "verification_id": _c(True), "flag_id": _c(True),
        "evidence_hash": _c(True, ("regex", r"[0-9a-f]{16}")),
        "outcome": _c(True, ("regex", r"(?i)(confirmed|not_confirmed|wrong_match|not_verified)")),
        "verified_by": _c(True), "verified_at": _c(True), "remarks": _c(False)}},
    "pm_tasks": {"id": "task_id", "columns": {
        "task_id": _c(True), "project_id": _c(True), "project_name": _c(True),
        "department": _c(True), "assigned_to": _c(True), "district_name": _c(True),
        "block_name": _c(True), "village_code": _c(False, ("regex", r"[0-9]{1,8}")),
        "status": _c(True, ("enum", ["ALLOCATED", "IN_PROGRESS", "PENDING_APPROVAL",
                                     "COMPLETED", "REJECTED"])),
        "allocated_at": _c(True, TS), "started_at": _c(False, TS),
        "submitted_at": _c(False, TS), "approved_at": _c(False, TS), "survey_id": _c(False)}},
    "pm_survey": {"id": "response_id", "columns": {
        "response_id": _c(True), "task_id": _c(True), "project_id": _c(True),
        "survey_id": _c(True), "question_id": _c(True), "question_text": _c(True),
        "answer_type": _c(True, ("enum", ["YESNO", "CHOICE", "NUMBER", "TEXT"])),
        "answer": _c(False), "answered_by": _c(True), "answered_at": _c(True, TS)}},
}
DEPARTMENT_SOURCES = ["food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death"]
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_EXAMPLES = 3


def read_feed_csv(path: Path) -> pd.DataFrame:
    """All columns as text, empty string for missing, headers trimmed and lower-cased."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                     encoding="utf-8-sig")
    df.columns = [c.strip().lower() for c in df.columns]
    return df


def _bad(series: pd.Series, check) -> pd.Series:
    """Boolean mask of non-empty values that fail ``check``."""
    s = series.str.strip()
    filled = s != ""
    if check == "text":
        return pd.Series(False, index=s.index)
    if check == "uid":
        compact = s.str.replace(" ", "", regex=False)
        shape_ok = compact.str.fullmatch(r"[2-9][0-9]{11}")
        ok = shape_ok.copy()
        if shape_ok.any():
            good = compact[shape_ok]
            digits = (np.frombuffer("".join(good.tolist()).encode("ascii"), dtype=np.uint8)
                      .reshape(-1, 12) - 48)
            ok.loc[shape_ok] = verhoeff_valid_many(digits)
        spaced_ok = s.str.fullmatch(r"[0-9]{12}|[0-9]{4} [0-9]{4} [0-9]{4}")
        return filled & ~(ok & spaced_ok)
    if check == "uid_like":
        return filled & ~s.str.replace(" ", "", regex=False).str.fullmatch(r"[0-9]{12}")
    if check == "kyr_dob":
        full = pd.to_datetime(s.where(s.str.len() == 10), format="%d-%m-%Y", errors="coerce")
        year = s.str.fullmatch(r"(19|20)[0-9]{2}")
        return filled & full.isna() & ~year
    if check == TS:
        ts = pd.to_datetime(s.where(s.str.len() == 19), format="%Y-%m-%dT%H:%M:%S",
                            errors="coerce")
        return filled & ts.isna()
    kind = check[0]
    if kind == "enum":
        return filled & ~s.str.upper().isin(check[1])
    if kind == "regex":
        return filled & ~s.str.fullmatch(check[1])
    if kind == "int":
        num = pd.to_numeric(s.where(s.str.fullmatch(r"-?[0-9]+"), ""), errors="coerce")
        return filled & ~num.between(check[1], check[2])
    if kind == "float":
        num = pd.to_numeric(s, errors="coerce")
        return filled & ~num.between(check[1], check[2])
    if kind == "date":
        dt = pd.to_datetime(s, format=check[1], errors="coerce")
        return filled & (dt.isna() | (dt.dt.year < 1890) | (dt > pd.Timestamp("2030-01-01")))
    raise ValueError(f"unknown check {check!r}")


def check_file(feed: str, path: Path, df: pd.DataFrame | None = None) -> list[str]:
    spec = SPEC[feed]["columns"]
    df = read_feed_csv(path) if df is None else df
    problems = []
    where = f"{feed}/{path.parent.name}/{path.name}"
    cols = list(df.columns)
    if len(set(cols)) != len(cols):
        problems.append(f"{where}: duplicate header names")
    for c in cols:
        if c not in spec:
            problems.append(f"{where}: column {c!r} is not in the contract")
    for c, rule in spec.items():
        if c not in df.columns:
            if rule["required"]:
                problems.append(f"{where}: required column {c!r} missing")
            continue
        col = df[c]
        if rule["required"]:
            empty = col.str.strip() == ""
            if empty.any():
                rows = (np.flatnonzero(empty.to_numpy())[:_MAX_EXAMPLES] + 1).tolist()
                problems.append(f"{where}: {int(empty.sum())} empty values in required "
                                f"{c!r} (rows {rows})")
        bad = _bad(col, rule["check"])
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())[:_MAX_EXAMPLES]
            problems.append(f"{where}: {int(bad.sum())} values of {c!r} fail "
                            f"{rule['check']!r}, e.g. {col.iloc[rows].tolist()} "
                            f"(rows {(rows + 1).tolist()})")
    idc = SPEC[feed].get("id")
    if idc in df.columns and feed != "uid_kyr":
        dup = df[idc].str.strip().duplicated()
        if dup.any():
            problems.append(f"{where}: {int(dup.sum())} repeated {idc!r} values")
    return problems


def _load_all(landing: Path) -> tuple[dict[str, list[tuple[Path, pd.DataFrame]]], list[str]]:
    problems = []
    feeds: dict[str, list[tuple[Path, pd.DataFrame]]] = {}
    for feed_dir in sorted(p for p in landing.iterdir() if p.is_dir()):
        if feed_dir.name not in SPEC:
            problems.append(f"unknown feed folder {feed_dir.name!r}")
            continue
        for date_dir in sorted(feed_dir.iterdir()):
            if not date_dir.is_dir() or not _DATE_DIR.match(date_dir.name):
                problems.append(f"{feed_dir.name}: {date_dir.name!r} is not a YYYY-MM-DD folder")
                continue
            for f in sorted(date_dir.iterdir()):
                if f.is_dir() and f.name == "photos" and feed_dir.name == "uid_kyr":
                    continue
                if f.suffix.lower() != ".csv":
                    problems.append(f"{feed_dir.name}/{date_dir.name}: stray file {f.name!r}")
                    continue
                feeds.setdefault(feed_dir.name, []).append((f, read_feed_csv(f)))
    return feeds, problems


def _col(frames: list[tuple[Path, pd.DataFrame]], col: str) -> pd.Series:
    parts = [df[col].str.strip() for _, df in frames if col in df.columns]
    return pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype=str)


def check_landing(landing: str | Path, require_all: bool = True) -> list[str]:
    """Every file under ``landing`` against ``SPEC``, plus the cross-file rules."""
    landing = Path(landing)
    feeds, problems = _load_all(landing)
    if require_all:
        for feed in SPEC:
            if feed not in feeds and not SPEC[feed].get("optional_feed"):
                problems.append(f"feed {feed!r} has no file")
    for feed, frames in feeds.items():
        for path, df in frames:
            problems += check_file(feed, path, df)
    # uid_kyr: first delivery is a full refresh; uids unique per delivery; photos exist
    kyr = feeds.get("uid_kyr", [])
    if kyr:
        first_date = min(p.parent.name for p, _ in kyr)
        for path, df in kyr:
            uid = df["uid"].str.replace(" ", "", regex=False) if "uid" in df else None
            if uid is not None and uid.duplicated().any():
                problems.append(f"uid_kyr/{path.parent.name}: repeated uid in one delivery")
            if path.parent.name == first_date and "action" in df.columns:
                if (~df["action"].str.strip().str.upper().isin(["", "A"])).any():
                    problems.append("uid_kyr: the first (full refresh) delivery has U/D rows")
            if "photo_file" in df.columns:
                names = df["photo_file"].str.strip()
                names = names[names != ""]
                missing = [n for n in names if not (path.parent / "photos" / n).is_file()]
                if missing:
                    problems.append(f"uid_kyr: {len(missing)} photo files missing, "
                                    f"e.g. {missing[:3]}")
                for n in names[:50]:
                    p = path.parent / "photos" / n
                    if p.is_file() and not p.read_bytes()[:3] == b"\xff\xd8\xff":
                        problems.append(f"uid_kyr: {n} is not a JPEG")
    # pensions: dob or age on every row
    for path, df in feeds.get("sw_pension", []):
        dob = df["dob"].str.strip() if "dob" in df else ""
        age = df["age"].str.strip() if "age" in df else ""
        if ((dob == "") & (age == "")).any():
            problems.append(f"sw_pension/{path.name}: rows with neither dob nor age")
    # references
    lgd = set(_col(feeds.get("lgd_villages", []), "village_code"))
    for feed in ("facilities", "pm_tasks"):
        codes = _col(feeds.get(feed, []), "village_code")
        codes = codes[codes != ""]
        bad = codes[~codes.isin(lgd)]
        if len(bad):
            problems.append(f"{feed}: {len(bad)} village_code values not in lgd_villages")
    ids = {src: set(_col(feeds.get(src, []), SPEC[src]["id"])) for src in DEPARTMENT_SOURCES}
    calls = feeds.get("jansamvad_calls", [])
    if calls:
        src = _col(calls, "source").str.lower()
        rid = _col(calls, "source_record_id")
        unresolved = sum(1 for s, r in zip(src, rid, strict=True) if r not in ids.get(s, ()))
        if unresolved:
            problems.append(f"jansamvad_calls: {unresolved} calls reference no beneficiary")
    tasks = feeds.get("pm_tasks", [])
    if tasks:
        problems += _check_tasks(pd.concat([df for _, df in tasks], ignore_index=True))
        task_ids = set(_col(tasks, "task_id"))
        answers = feeds.get("pm_survey", [])
        t = _col(answers, "task_id")
        if (~t.isin(task_ids)).any():
            problems.append(f"pm_survey: {int((~t.isin(task_ids)).sum())} answers for unknown "
                            f"tasks")
    return problems


def _check_tasks(df: pd.DataFrame) -> list[str]:
    out = []
    st = df["status"].str.strip().str.upper()

    def ts(c):
        return pd.to_datetime(df[c].str.strip().replace("", None), format="%Y-%m-%dT%H:%M:%S",
                              errors="coerce") if c in df else pd.Series(pd.NaT, index=df.index)

    a, s, sub, ap = ts("allocated_at"), ts("started_at"), ts("submitted_at"), ts("approved_at")
    need_s = st.isin(["IN_PROGRESS", "PENDING_APPROVAL", "COMPLETED", "REJECTED"])
    need_sub = st.isin(["PENDING_APPROVAL", "COMPLETED", "REJECTED"])
    rules = {
        "started_at missing for a started task": need_s & s.isna(),
        "submitted_at missing for a submitted task": need_sub & sub.isna(),
        "approved_at missing for a COMPLETED task": (st == "COMPLETED") & ap.isna(),
        "timestamps of an ALLOCATED task beyond allocated_at": (st == "ALLOCATED") & (
            s.notna() | sub.notna() | ap.notna()),
        "timestamps out of order": (s < a) | (sub < s) | (ap < sub),
    }
    for msg, mask in rules.items():
        if mask.any():
            out.append(f"pm_tasks: {int(mask.sum())} rows: {msg}")
    return out


def check_truth(landing: str | Path, truth: str | Path) -> list[str]:
    """Truth sits outside landing, and its references resolve against the landing files."""
    landing, truth = Path(landing).resolve(), Path(truth).resolve()
    problems = []
    if truth == landing or landing in truth.parents:
        problems.append(f"truth folder {truth} is inside the landing folder")
    names = ["residents", "records", "duplicate_groups", "deceased"]
    missing = [n for n in names if not (truth / f"{n}.parquet").is_file()]
    if missing:
        return problems + [f"truth files missing: {missing}"]
    res = pd.read_parquet(truth / "residents.parquet")
    rec = pd.read_parquet(truth / "records.parquet")
    groups = pd.read_parquet(truth / "duplicate_groups.parquet")
    dead = pd.read_parquet(truth / "deceased.parquet")
    keys = set(res["resident_key"])
    if res["resident_key"].duplicated().any():
        problems.append("residents: repeated resident_key")
    uids = res["uid"].dropna()
    if uids.duplicated().any():
        problems.append("residents: repeated uid")
    real = rec[~rec["is_ghost"]]
    if real["resident_key"].isna().any() or not set(real["resident_key"]) <= keys:
        problems.append("records: resident_key of a non-ghost record does not resolve")
    if rec.loc[rec["is_ghost"], "resident_key"].notna().any():
        problems.append("records: a ghost record carries a resident_key")
    if not set(groups["duplicate_group"]) == set(rec["duplicate_group"].dropna()):
        problems.append("records: duplicate_group values disagree with duplicate_groups")
    if not set(dead["resident_key"]) <= keys:
        problems.append("deceased: resident_key does not resolve")
    feeds, _ = _load_all(landing)
    for src in DEPARTMENT_SOURCES:
        landed = set(_col(feeds.get(src, []), SPEC[src]["id"]))
        truth_ids = set(rec.loc[rec["source"] == src, "source_record_id"])
        if landed != truth_ids:
            problems.append(f"{src}: {len(landed - truth_ids)} landed records without truth, "
                            f"{len(truth_ids - landed)} truth records not landed")
    kyr_uids = set(_col(feeds.get("uid_kyr", []), "uid").str.replace(" ", "", regex=False))
    if not kyr_uids <= set(uids):
        problems.append("uid_kyr: uids that are not in truth residents")
    return problems
