"""The clerical review loop with real Splink: export with the waterfall, import
decisions, and the decisions overriding the next runs."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pytest

from core.paths import Home
from matching import review
from matching.evidence import export_review

pytestmark = pytest.mark.slow
DIGITS12 = re.compile(r"(?<!\d)\d{4} ?\d{4} ?\d{4}(?!\d)")


def landing_uids(landing) -> set[str]:
    """Every UID in the KYR landing files (the numbers that must never leak)."""
    out = set()
    for f in landing.glob("uid_kyr/*/*.csv"):
        col = pd.read_csv(f, dtype=str, usecols=["uid"])["uid"].dropna()
        out |= set(col.str.replace(" ", "", regex=False))
    return out


def leaked_uids(text: str, uids: set[str]) -> set[str]:
    return {m.replace(" ", "") for m in DIGITS12.findall(text)} & uids


def _q(home, sql, params=None):
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def reviewed(delta_matched_state, tmp_path_factory):
    """A copy of the matched home: export, decide, import, match twice more."""

    from matching.api import run_matching

    root = tmp_path_factory.mktemp("review")
    home = root / "home"
    shutil.copytree(delta_matched_state["home"], home)
    settings = delta_matched_state["settings"]
    exported = export_review(home, root / "queue.csv", settings)
    queue = pd.read_csv(root / "queue.csv", dtype=str, keep_default_na=False)
    seeds = queue[queue["kind"] == "seed"]
    assert len(seeds) >= 2, "the generated state should leave some records in review"
    seeded = _q(home, """SELECT source, source_record_id, uid_token FROM matching.seeding
                         WHERE match_status = 'seeded' AND reason = 'best_link'
                         ORDER BY source, source_record_id LIMIT 1""").iloc[0]
    before = _q(home, "SELECT source, record_id, resident_id FROM matching.residents")
    decided = queue.copy()
    decided.loc[seeds.index[0], ["decision", "reviewer", "reason"]] = [
        "match", "asha.k", "same father's name on the ration card"]
    decided.loc[seeds.index[1], ["decision", "reviewer", "reason", "decided_at"]] = [
        "non-match", "", "different village and age", "2025-03-03T11:00"]
    extra = {c: "" for c in decided.columns}
    extra.update(kind="seed", source_l=seeded["source"], record_l=seeded["source_record_id"],
                 source_r="uid_kyr", record_r=seeded["uid_token"], decision="non_match",
                 reviewer="ravi.s", reason="field visit: a different person")
    decided = pd.concat([decided, pd.DataFrame([extra])], ignore_index=True)
    dedupes = queue[queue["kind"] == "dedupe"]
    if len(dedupes):
        decided.loc[dedupes.index[0], ["decision", "reviewer"]] = ["match", "asha.k"]
    path = root / "decided.csv"
    decided.to_csv(path, index=False)
    imported = review.import_decisions(Home.at(home).warehouse, path, reviewer="desk.3")
    again = review.import_decisions(Home.at(home).warehouse, path, reviewer="desk.3")
    snaps = {}
    for day in ("2025-03-04", "2025-03-05"):
        run_matching(home, run_date=day, settings=settings)
        snaps[day] = {
            "seeding": _q(home, "SELECT * FROM matching.seeding"),
            "residents": _q(home, "SELECT * FROM matching.residents ORDER BY ALL"),
            "decisions": _q(home, "SELECT count(*) AS n FROM matching.review_decisions"),
        }
    return {"home": home, "root": root, "exported": exported,
            "landing": delta_matched_state["landing"], "queue": queue,
            "confirmed": seeds.iloc[0], "rejected": seeds.iloc[1], "rejected_seeded": seeded,
            "dedupe": dedupes.iloc[0] if len(dedupes) else None, "imported": imported,
            "again": again, "snaps": snaps, "before": before, "settings": settings}


def test_export_has_pairs_side_by_side_with_waterfall_and_no_uid(reviewed):
    q = reviewed["queue"]
    assert reviewed["exported"]["pairs"] == len(q) > 0
    for col in ("match_weight", "match_probability", "evidence", "evidence_match_weight",
                "name_std_l", "name_std_r", "uid_last4_l", "uid_last4_r", "name_level",
                "name_weight", "name_bf", "birth_level", "location_weight", "decision",
                "reviewer", "reason", "decided_at"):
        assert col in q.columns, col
    text = (reviewed["root"] / "queue.csv").read_text()
    uids = landing_uids(reviewed["landing"])
    assert len(uids) > 2000
    assert not leaked_uids(text, uids), "a raw UID in the review export"
    seeds = q[q["kind"] == "seed"]
    assert (seeds["evidence"].str.len() > 0).all()
    assert seeds["uid_last4_r"].str.fullmatch(r"\d{4}").mean() > 0.9
    # the waterfall adds up to the model's weight for the pair
    weights = [c for c in q.columns if c.endswith("_weight") and c not in (
        "match_weight", "evidence_match_weight", "runner_up_weight")]
    num = seeds[weights].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    ev = pd.to_numeric(seeds["evidence_match_weight"])
    assert ((num.sum(axis=1) - ev).abs() < 0.01).all()
    assert ((ev - pd.to_numeric(seeds["match_weight"])).abs() < 0.01).all()


def test_import_is_append_only_and_idempotent(reviewed):
    n = 3 + (reviewed["dedupe"] is not None)
    assert reviewed["imported"] == {"read": n, "added": n}
    assert reviewed["again"] == {"read": n, "added": 0}
    for snap in reviewed["snaps"].values():  # two matching runs later: still all there
        assert snap["decisions"]["n"].iloc[0] == n
    d = _q(reviewed["home"], "SELECT * FROM matching.review_decisions ORDER BY file_row")
    assert set(d["reviewer"]) >= {"asha.k", "desk.3", "ravi.s"}  # blank -> --reviewer
    assert str(d.loc[d["reviewer"] == "desk.3", "decided_at"].iloc[0]) == "2025-03-03 11:00:00"
    assert (d["import_file"] == "decided.csv").all()


def _row(seeding, source, record):
    r = seeding[(seeding["source"] == source) & (seeding["source_record_id"] == record)]
    assert len(r) == 1
    return r.iloc[0]


@pytest.mark.parametrize("day", ["2025-03-04", "2025-03-05"])
def test_decisions_override_the_model_and_survive_reruns(reviewed, day):
    s = reviewed["snaps"][day]["seeding"]
    res = reviewed["snaps"][day]["residents"]
    c = reviewed["confirmed"]
    row = _row(s, c["source_l"], c["record_l"])
    assert (row["match_status"], row["reason"], row["uid_token"]) == (
        "seeded", "clerical_match", c["record_r"])
    assert row["match_probability"] == 1.0
    rid = dict(zip(res["source"] + "|" + res["record_id"], res["resident_id"], strict=True))
    assert rid[f"{c['source_l']}|{c['record_l']}"] == rid[f"uid_kyr|{c['record_r']}"]
    for rej, src, rec, tok in (
            ("review", reviewed["rejected"]["source_l"], reviewed["rejected"]["record_l"],
             reviewed["rejected"]["record_r"]),
            ("seeded", reviewed["rejected_seeded"]["source"],
             reviewed["rejected_seeded"]["source_record_id"],
             reviewed["rejected_seeded"]["uid_token"])):
        row = _row(s, src, rec)
        assert row["candidate_uid_token"] != tok, rej
        assert row["uid_token"] != tok, rej
        assert rid[f"{src}|{rec}"] != rid[f"uid_kyr|{tok}"], rej
    d = reviewed["dedupe"]
    if d is not None:
        assert rid[f"{d['source_l']}|{d['record_l']}"] == rid[f"{d['source_r']}|{d['record_r']}"]


def test_rerun_with_decisions_keeps_ids_and_history_explains_the_changes(reviewed):
    a = reviewed["snaps"]["2025-03-04"]["residents"]
    b = reviewed["snaps"]["2025-03-05"]["residents"]
    pd.testing.assert_frame_equal(a, b)
    hist = _q(reviewed["home"], "SELECT * FROM matching.id_history "
                                "WHERE run_date >= DATE '2025-03-04'")
    assert set(hist["run_date"].astype(str)) == {"2025-03-04"}  # the rerun changed nothing
    before = reviewed["before"]
    rs = reviewed["rejected_seeded"]
    old = before[(before["source"] == rs["source"])
                 & (before["record_id"] == rs["source_record_id"])]["resident_id"].iloc[0]
    assert "split" in set(hist.loc[hist["old_id"] == old, "reason"])


def test_resident_command_resolves_an_old_id(reviewed):
    hist = _q(reviewed["home"], """SELECT old_id, new_id FROM matching.id_history
        WHERE old_id NOT IN (SELECT resident_id FROM matching.residents) LIMIT 1""")
    if hist.empty:
        pytest.skip("no id was retired by the decisions on this state")
    old, new = hist.iloc[0]
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "resident", old, "--home",
                           str(reviewed["home"])], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{old} is now " in proc.stdout and f"{old} -> {new}" in proc.stdout


def test_decided_pairs_leave_the_queue_and_become_labels(reviewed):
    home = reviewed["home"]
    again = export_review(home, reviewed["root"] / "queue2.parquet", reviewed["settings"])
    q2 = pd.read_parquet(again["path"])
    c = reviewed["confirmed"]
    assert not ((q2["record_l"] == c["record_l"]) & (q2["record_r"] == c["record_r"])).any()
    con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
    try:
        labels = con.execute(review.labels_sql(con.execute(
            "SELECT current_database()").fetchall()[0][0])).df()
    finally:
        con.close()
    assert len(labels) == reviewed["imported"]["read"]
    assert labels["is_match"].sum() == 1 + (reviewed["dedupe"] is not None)


def test_bad_decision_files_name_row_and_column(reviewed, tmp_path):
    wh = Home.at(reviewed["home"]).warehouse
    c = reviewed["confirmed"]
    base = {"kind": "seed", "source_l": c["source_l"], "record_l": c["record_l"],
            "source_r": "uid_kyr", "record_r": c["record_r"], "decision": "match",
            "reviewer": "x", "reason": "", "decided_at": ""}
    cases = [({"decision": "maybe"}, "row 3, column decision"),
             ({"reviewer": ""}, "row 3, column reviewer"),
             ({"decided_at": "yesterday"}, "row 3, column decided_at"),
             ({"record_l": "NO-SUCH-RECORD"}, "row 3, columns source_l/record_l")]
    for change, msg in cases:
        p = tmp_path / "bad.csv"
        pd.DataFrame([base, {**base, **change}]).to_csv(p, index=False)
        with pytest.raises(review.DecisionFileError, match=re.escape(msg)):
            review.import_decisions(wh, p)
    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "review", "import", str(p),
                           "--home", str(reviewed["home"])], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 1 and "NO-SUCH-RECORD" in proc.stderr


def test_dbt_staging_models_read_history_and_decisions(reviewed):
    from warehouse.dbt import build

    home = reviewed["home"]
    build(home, select=["stg_matching__id_history", "stg_matching__review_decisions"])
    hist = _q(home, "SELECT * FROM " + _rel(home, "stg_matching__id_history"))
    assert len(hist) > 0 and set(hist["change_reason"]) <= {
        "merge", "split", "moved", "linked_to_kyr"}
    dec = _q(home, "SELECT * FROM " + _rel(home, "stg_matching__review_decisions"))
    assert len(dec) == reviewed["imported"]["read"] and dec["is_match"].sum() >= 1


def _rel(home, name):
    t = _q(home, "SELECT table_schema FROM information_schema.tables WHERE table_name = ?",
           [name])
    return f"{t['table_schema'].iloc[0]}.{name}"


def test_export_adds_a_check_sample_of_seeded_records(reviewed):
    q = reviewed["queue"]
    seeds = q[q["kind"] == "seed"]
    check = seeds[seeds["queue"] == "check"]
    assert len(check) > 0 and set(q["queue"]) <= {"review", "check"}
    assert (check["model_status"] == "seeded").all()
    assert (check["model_reason"] == "best_link").all()
    # the review queue comes first, then the check sample
    assert seeds["queue"].tolist() == sorted(seeds["queue"].tolist(), reverse=True)
    # at most CHECK_SAMPLE per source and posterior band
    from matching.seed import CALIBRATION_BANDS, CHECK_SAMPLE

    p = pd.to_numeric(check["match_probability"])
    band = pd.cut(p, [*CALIBRATION_BANDS, 1.0 + 1e-12], right=False)
    assert check.groupby([check["source_l"], band], observed=True).size().max() <= CHECK_SAMPLE


def test_calibration_reports_the_labels_of_each_source(reviewed):
    import json

    proc = subprocess.run([sys.executable, "-m", "srdh.cli", "review", "calibration", "--json",
                           "--home", str(reviewed["home"])], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    sources = json.loads(proc.stdout)["sources"]
    # the seeded record a reviewer rejected is a label (a wrong one) for its source
    info = sources[reviewed["rejected_seeded"]["source"]]
    assert info["labels"] >= 1 and info["method"] == "posteriors"
    assert "calibration_min_labels" in info["note"]  # 3 decisions: too few to tune
    assert sum(b["labels"] for b in info["bands"]) == info["labels"]
    assert sum(b["labels"] - b["matches"] for b in info["bands"]) >= 1
    assert info["seed_threshold"] == info["label_free_threshold"]
    unlabelled = [s for s, v in sources.items() if "labels" not in v]
    assert all(sources[s]["method"] == "posteriors" and "bands" not in sources[s]
               for s in unlabelled)
