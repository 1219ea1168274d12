"""Each flag's precision and recall against the generator's truth (part of ``srdh evaluate``).

Reads what dbt built (``marts.mart_enrolment_flags``, ``marts.fct_scheme_enrolment``,
``marts.mart_inclusion_gaps``) and scores it against the truth folder:

* ``ghost`` / ``not_in_kyr``: over active records; a true ghost is a truth record of no
  real resident (``is_ghost``).
* ``deceased_active`` / ``possibly_deceased``: over active records; true when the record's
  real person died (truth ``date_of_death``) before the record's payment period.
* ``preseeded_uid_disagrees`` / ``preseeded_uid_unconfirmed``: over records carrying a
  pre-seeded UID; true when the truth says that UID is ``wrong`` or ``invalid``.
* each inclusion rule: over the residents it names as confirmed gaps (a ``to_verify``
  gap, one an unlinked record may close, is scored apart as ``RULE (to_verify)``); true
  when the resident's real person fits the rule on the reference date (alive, in the age
  band, the gender or widowhood it asks for) and draws none of the benefits it excludes
  (an active record of that person in a scheme of those benefit types). Card category is
  the department's own data and is not re-checked. Precision only: the truth does not
  say who would qualify.

Recall is given for the confirmed flag alone and with its to-verify twin.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

# confirmed flag -> its to-verify twin
FLAG_PAIRS = {"ghost": "not_in_kyr", "deceased_active": "possibly_deceased",
              "preseeded_uid_disagrees": "preseeded_uid_unconfirmed"}
TARGETS = {"ghost": {"precision": 0.90, "recall": 0.70},
           "preseeded_uid_disagrees": {"precision": 0.95, "recall": 0.95},
           "deceased_active": {"precision": 0.98},
           "inclusion_rule": {"precision": 0.95}}


def _records_truth(truth_dir: Path) -> pd.DataFrame:
    rec = pd.read_parquet(Path(truth_dir) / "records.parquet",
                          columns=["source", "source_record_id", "resident_key", "is_ghost",
                                   "preseeded_uid_status", "is_duplicate"])
    rec["source_record_id"] = rec["source_record_id"].astype(str)
    return rec


def _residents_truth(truth_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(Path(truth_dir) / "residents.parquet",
                           columns=["resident_key", "uid", "gender", "dob", "is_widow",
                                    "is_deceased", "date_of_death"])


def _pr(flagged: pd.Series, true: pd.Series) -> dict:
    flagged, true = flagged.astype(bool), true.astype(bool)
    tp = int((flagged & true).sum())
    n_flag, n_true = int(flagged.sum()), int(true.sum())
    return {"flagged": n_flag, "correct": tp, "true": n_true,
            "precision": tp / n_flag if n_flag else None,
            "recall": tp / n_true if n_true else None}


def enrolment_flag_metrics(con, truth_dir: Path) -> dict[str, dict]:
    """Precision/recall of every enrolment flag (confirmed, to verify, and both)."""
    enr = con.execute("""
        select source, source_record_id, is_active, payment_period_start, has_preseeded_uid
        from marts.fct_scheme_enrolment""").df()
    flags = con.execute("""
        select source, source_record_id, flag from marts.mart_enrolment_flags""").df()
    rec = _records_truth(truth_dir)
    res = _residents_truth(truth_dir)[["resident_key", "is_deceased", "date_of_death"]]
    enr["source_record_id"] = enr["source_record_id"].astype(str)
    flags["source_record_id"] = flags["source_record_id"].astype(str)
    df = enr.merge(rec, on=["source", "source_record_id"], how="inner")
    df["resident_key"] = pd.to_numeric(df["resident_key"], errors="coerce")
    df = df.merge(res, on="resident_key", how="left")
    period = pd.to_datetime(df["payment_period_start"])
    df["true_ghost"] = df["is_ghost"].astype(bool)
    df["true_dead"] = (df["is_deceased"].fillna(False).astype(bool)
                       & (pd.to_datetime(df["date_of_death"]) < period))
    df["true_bad_uid"] = df["preseeded_uid_status"].isin(["wrong", "invalid"])
    wide = flags.assign(v=True).pivot_table(index=["source", "source_record_id"],
                                            columns="flag", values="v", aggfunc="any")
    df = df.merge(wide, left_on=["source", "source_record_id"], right_index=True, how="left")
    truth_of = {"ghost": "true_ghost", "deceased_active": "true_dead",
                "preseeded_uid_disagrees": "true_bad_uid"}
    out: dict[str, dict] = {}
    for confirmed, verify in FLAG_PAIRS.items():
        if confirmed == "preseeded_uid_disagrees":
            u = df[df["has_preseeded_uid"].astype(bool)]
        else:
            u = df[df["is_active"].astype(bool)]
        get = lambda name, u=u: (u[name].fillna(False).astype(bool) if name in u  # noqa: E731
                                 else pd.Series(False, index=u.index))
        true = u[truth_of[confirmed]]
        out[confirmed] = _pr(get(confirmed), true)
        out[verify] = _pr(get(verify), true)
        out[f"{confirmed}+{verify}"] = _pr(get(confirmed) | get(verify), true)
    # a confirmed ghost that is in truth an extra listing of someone already on the list
    # (a duplicate SRDH did not link) is leakage too, of another kind: shown apart
    active = df[df["is_active"].astype(bool)]
    flagged = active["ghost"].fillna(False).astype(bool) if "ghost" in active else None
    if flagged is not None:
        leak = active["true_ghost"] | active["is_duplicate"].fillna(False).astype(bool)
        out["ghost (duplicate listings counted as leakage)"] = {
            **_pr(flagged, active["true_ghost"]),
            "correct": int((flagged & leak).sum()),
            "precision": float((flagged & leak).sum() / flagged.sum()) if flagged.any()
            else None}
    return out


def _resident_keys(con, truth_dir: Path, token_fn) -> pd.DataFrame:
    """SRDH resident_id -> the truth resident_key most of its records belong to."""
    links = con.execute("""
        select source, record_id as source_record_id, resident_id from matching.residents
        """).df()
    links["source_record_id"] = links["source_record_id"].astype(str)
    rec = _records_truth(truth_dir)[["source", "source_record_id", "resident_key"]]
    res = _residents_truth(truth_dir)[["resident_key", "uid"]].dropna()
    res = res.assign(source="uid_kyr", source_record_id=token_fn(res["uid"].astype(str).tolist()))
    keyed = pd.concat([rec, res[["source", "source_record_id", "resident_key"]]])
    m = links.merge(keyed, on=["source", "source_record_id"], how="inner").dropna()
    m = m.groupby(["resident_id", "resident_key"]).size().rename("n").reset_index()
    return m.sort_values("n", ascending=False).drop_duplicates("resident_id")


def inclusion_rule_metrics(con, truth_dir: Path, token_fn, as_of: str) -> dict[str, dict]:
    """Precision of each configured inclusion rule (the seed inclusion_rules)."""
    if not con.execute("select count(*) from information_schema.tables where table_schema = "
                       "'reference' and table_name = 'inclusion_rules'").fetchall()[0][0]:
        return {}
    rules = con.execute("select * from reference.inclusion_rules").df()
    cols = {r[0] for r in con.execute("select column_name from information_schema.columns "
                                       "where table_schema = 'marts' and table_name = "
                                       "'mart_inclusion_gaps'").fetchall()}
    certainty = "certainty" if "certainty" in cols else "'confirmed' as certainty"
    gaps = con.execute(f"select rule_id, resident_id, {certainty} "
                       "from marts.mart_inclusion_gaps").df()
    keys = _resident_keys(con, truth_dir, token_fn)
    res = _residents_truth(truth_dir)
    day = pd.Timestamp(as_of)
    dob = pd.to_datetime(res["dob"])
    res["age"] = day.year - dob.dt.year - ((dob.dt.month > day.month)
                                           | ((dob.dt.month == day.month)
                                              & (dob.dt.day > day.day))).astype(int)
    dod = pd.to_datetime(res["date_of_death"])
    res["alive"] = ~(res["is_deceased"].astype(bool) & (dod <= day))
    # active benefit types each real person draws (department status, true linkage)
    drawn = con.execute("""
        select source, source_record_id, benefit_type from marts.fct_scheme_enrolment
        where is_active""").df()
    drawn["source_record_id"] = drawn["source_record_id"].astype(str)
    drawn = drawn.merge(_records_truth(truth_dir), on=["source", "source_record_id"])
    drawn = drawn[~drawn["is_ghost"].astype(bool)]
    by_person = drawn.groupby("resident_key")["benefit_type"].agg(set)
    out: dict[str, dict] = {}
    for rule, certainty in [(r, c) for r in rules.itertuples() for c in ("confirmed", "to_verify")]:
        g = gaps[(gaps["rule_id"] == rule.rule_id) & (gaps["certainty"] == certainty)]
        if certainty == "to_verify" and g.empty:
            continue
        g = g.merge(keys, on="resident_id", how="left")
        g = g.merge(res, on="resident_key", how="left")
        excluded = set(str(rule.excluded_benefit_types or "").split())
        ok = g["alive"].fillna(False).astype(bool)
        if pd.notna(rule.min_age):
            ok &= g["age"] >= rule.min_age
        if pd.notna(rule.max_age):
            ok &= g["age"] <= rule.max_age
        if isinstance(rule.gender, str) and rule.gender:
            ok &= g["gender"] == rule.gender
        if bool(getattr(rule, "requires_widowhood", False)):
            ok &= g["is_widow"].fillna(False).astype(bool)
        draws = g["resident_key"].map(by_person)
        ok &= ~draws.apply(lambda s, ex=excluded: isinstance(s, set) and bool(s & ex))
        n = len(g)
        name = rule.rule_id if certainty == "confirmed" else f"{rule.rule_id} (to_verify)"
        out[name] = {"flagged": n, "correct": int(ok.sum()),
                             "unresolved": int(g["resident_key"].isna().sum()),
                             "precision": float(ok.sum() / n) if n else None}
    return out


def flag_report(con, truth_dir: Path, token_fn, as_of: str) -> dict:
    return {"enrolment_flags": enrolment_flag_metrics(con, truth_dir),
            "inclusion_rules": inclusion_rule_metrics(con, truth_dir, token_fn, as_of),
            "targets": TARGETS}


def format_flags(report: dict) -> str:
    def f(x):
        return "   -  " if x is None else f"{x:6.3f}"

    lines = [f"{'flag':<52} {'flagged':>8} {'correct':>8} {'true':>6} {'prec':>6} {'recall':>6}"]
    for name, m in report.get("enrolment_flags", {}).items():
        lines.append(f"{name:<52} {m['flagged']:>8} {m['correct']:>8} {m['true']:>6} "
                     f"{f(m['precision'])} {f(m['recall'])}")
    for name, m in report.get("inclusion_rules", {}).items():
        lines.append(f"{'inclusion ' + name:<52} {m['flagged']:>8} {m['correct']:>8} "
                     f"{'-':>6} {f(m['precision'])} {'   -  '}")
    return "\n".join(lines)
