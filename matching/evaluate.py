"""``srdh evaluate --truth DIR``: SRDH matching against the generator's truth and two baselines.

Per source:

* seeding precision - over ``seeded`` records, share whose UID is the true one;
* seeding recall - over truth-matchable records (a real resident, not a ghost,
  whose UID is in current KYR), share seeded with the true UID;
* review share, unmatched share;
* the matchable records missed, by cause (``MISS_CAUSES``: never blocked with their
  true KYR row, in review and why, below the review threshold, seeded to another UID);
* duplicate pairs within the source (records sharing a ``resident_id``) against
  true pairs (records of the same person): precision, recall, F1;
* issue 17's duplicate decision targets (``DECISION_TARGETS``): the precision of the
  auto-merged pairs (the pairs above), the recall of auto-merged plus review-queued
  pairs (a true pair counts when its two records share a resident, or when one item of
  the clerical queue, ``srdh review export`` without its check sample, would join their
  two residents if a reviewer confirmed it), and the queue's size as a share of the
  source's records (queue items naming a record of the source: seeding records in
  review and dedupe pairs in the review band; a pair across two sources counts half in
  each, so the sources' items add up to the queue);
* each flag's and inclusion rule's precision and recall, once dbt has built the marts
  (``matching/evaluate_flags.py``).

The truth holds raw (synthetic) UIDs; they are turned into tokens with the
vault's token function in memory and never written anywhere.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from core.uid import round_floats
from matching import seed as seed_rules
from matching.inputs import WH

log = logging.getLogger(__name__)

# issue 17: seeding precision >= 99.5% and recall >= 98% on every source
TARGETS = {"precision": 0.995, "recall": 0.98, "duplicate_f1": 0.95}
# issue 17, "Decision on the blocked matching issue": auto-merged duplicate pairs,
# auto-merged plus review-queued pairs, and the review queue per record
DECISION_TARGETS = {"dup_auto_precision": 0.98, "dup_auto_review_recall": 0.95,
                    "review_queue_share": 0.02}
BASELINES = ("exact", "splink_tutorial")


# --------------------------------------------------------------------- truth
def _parquets(truth_dir: Path) -> list[Path]:
    return sorted(Path(truth_dir).rglob("*.parquet"))


def _find(truth_dir: Path, needed: set[str]) -> pd.DataFrame | None:
    import pyarrow.parquet as pq

    for p in _parquets(truth_dir):
        cols = set(pq.read_schema(p).names)
        if needed <= cols:
            return pd.read_parquet(p)
    return None


def load_truth(truth_dir: str | Path, token_fn) -> pd.DataFrame:
    """``source, source_record_id, person, true_token`` for every departmental record.

    ``person`` identifies the real person (ghosts get their own key, so they are
    nobody's duplicate); ``true_token`` is the token of the person's UID or None.
    """
    truth_dir = Path(truth_dir)
    recs = _find(truth_dir, {"source", "source_record_id", "resident_key"})
    if recs is not None and "uid" in recs.columns:
        res = recs[["resident_key", "uid"]]
    else:
        res = _find(truth_dir, {"resident_key", "uid"})
    if recs is None or res is None:
        raise FileNotFoundError(
            f"{truth_dir}: need a truth table with source, source_record_id, resident_key "
            "and one with resident_key, uid (see generator/README.md)")
    recs = recs.copy()
    recs["source_record_id"] = recs["source_record_id"].astype(str)
    ghost = recs["is_ghost"].astype(bool) if "is_ghost" in recs else recs["resident_key"].isna()
    rk = pd.to_numeric(recs["resident_key"], errors="coerce")
    ghost = ghost | rk.isna() | (rk <= 0)
    recs["person"] = np.where(ghost, "ghost:" + recs["source"] + ":" + recs["source_record_id"],
                              "r:" + rk.fillna(-1).astype("int64").astype(str))
    res = res[["resident_key", "uid"]].dropna().drop_duplicates("resident_key").copy()
    res["uid"] = res["uid"].astype(str).str.replace(r"\D", "", regex=True)
    res = res[res["uid"].str.len() == 12]
    res["true_token"] = token_fn(res["uid"].tolist())
    res["resident_key"] = pd.to_numeric(res["resident_key"], errors="coerce")
    recs["resident_key"] = rk
    out = recs.merge(res[["resident_key", "true_token"]], on="resident_key", how="left")
    out.loc[ghost.to_numpy(), "true_token"] = None
    return out[["source", "source_record_id", "person", "true_token"]]


def vault_token_fn(home):
    from ingest.tokens import Keys, tokens_for

    mac = Keys.for_home(home).mac
    return lambda uids: tokens_for(uids, mac)


# ------------------------------------------------------------------- metrics
def _pairs(sizes: pd.Series) -> int:
    s = sizes.to_numpy(dtype=np.int64)
    return int((s * (s - 1) // 2).sum())


def duplicate_metrics(df: pd.DataFrame) -> dict[str, float]:
    """``df``: one source's records with ``resident_id`` (predicted) and ``person`` (truth)."""
    pred = _pairs(df.groupby("resident_id").size())
    true = _pairs(df.groupby("person").size())
    tp = _pairs(df.groupby(["resident_id", "person"]).size())
    p = tp / pred if pred else 1.0
    r = tp / true if true else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"duplicate_pairs_predicted": pred, "duplicate_pairs_true": true,
            "duplicate_pairs_correct": tp, "duplicate_precision": p,
            "duplicate_recall": r, "duplicate_f1": f1}


def review_queue(con, settings=None, backlog: bool = False) -> pd.DataFrame:
    """The clerical queue as ``srdh review export`` lists it, without the check sample
    (``evidence.review_queue_sql``: decided pairs left out, within each source's budget;
    ``backlog``: the items beyond it instead), one row per item: ``kind``, both records
    and the resident each is in now (``resident_l``, ``resident_r``; a seeding item's
    right side is its KYR candidate, whose resident is the UID's)."""
    from matching import evidence, review

    review.load_effective(con)
    sql = evidence.review_queue_sql(con, check_sample=0, settings=settings, backlog=backlog)
    return con.execute(f"""
        SELECT q.kind, q.source_l, q.record_l, q.source_r, q.record_r,
               rl.resident_id AS resident_l,
               coalesce(rr.resident_id, su.resident_id) AS resident_r
        FROM ({sql}) q
        LEFT JOIN {WH}.matching.residents rl
               ON rl.source = q.source_l AND rl.record_id = q.record_l
        LEFT JOIN {WH}.matching.residents rr
               ON rr.source = q.source_r AND rr.record_id = q.record_r
        -- a deactivated KYR row is no resident of its own: the records seeded to it are
        LEFT JOIN (SELECT uid_token, min(resident_id) AS resident_id
                   FROM {WH}.matching.seeding WHERE uid_token IS NOT NULL GROUP BY 1) su
               ON q.kind = 'seed' AND su.uid_token = q.record_r""").df()


def decision_metrics(df: pd.DataFrame, queue: pd.DataFrame | None,
                     backlog: pd.DataFrame | None = None) -> dict[str, float]:
    """Issue 17's duplicate decision measures for one source's records ``df``
    (``source``, ``source_record_id``, ``resident_id``, ``person``). ``queue``:
    ``review_queue`` (None: a system without one, e.g. a baseline; its records in
    ``review`` are its queue); ``backlog``: the items waiting beyond the queue's budget
    (``review_queue(backlog=True)``), reported beside it and never counted as queued."""
    n = len(df)
    source = df["source"].iloc[0] if n else None
    g = df[["source_record_id", "resident_id", "person"]]
    pairs = g.merge(g, on="person", suffixes=("_l", "_r"))
    pairs = pairs[pairs["source_record_id_l"] < pairs["source_record_id_r"]]
    merged = (pairs["resident_id_l"] == pairs["resident_id_r"]).to_numpy()
    covered = merged | _covered(pairs, queue)
    out = {}
    if queue is not None:
        items, dedupe_items = _items(queue, source)
    else:
        items = int((df["match_status"] == "review").sum()) if "match_status" in df else 0
        dedupe_items = 0
    if backlog is not None:
        with_backlog = covered | _covered(pairs, backlog)
        out = {"review_backlog_items": _items(backlog, source)[0],
               "dup_auto_review_backlog_recall":
                   float(with_backlog.sum() / len(pairs)) if len(pairs) else 1.0}
    true = len(pairs)
    auto = _pairs(df.groupby("resident_id").size())
    return {"dup_auto_precision": (int(merged.sum()) / auto) if auto else 1.0,
            "dup_auto_review_recall": float(covered.sum() / true) if true else 1.0,
            "dup_pairs_review_only": int((covered & ~merged).sum()),
            "review_queue_items": items, "review_queue_dedupe_items": dedupe_items,
            "review_queue_share": items / n if n else 0.0, **out}


def _covered(pairs: pd.DataFrame, queue: pd.DataFrame | None) -> np.ndarray:
    """Which true pairs (``pairs``' two residents) a queue item would join."""
    none = np.zeros(len(pairs), dtype=bool)
    if queue is None or not len(queue) or not len(pairs):
        return none
    q = queue.dropna(subset=["resident_l", "resident_r"])
    links = pd.concat([q[["resident_l", "resident_r"]],
                       q[["resident_r", "resident_l"]].set_axis(
                           ["resident_l", "resident_r"], axis=1)]).drop_duplicates()
    hit = pairs[["resident_id_l", "resident_id_r"]].merge(
        links, left_on=["resident_id_l", "resident_id_r"],
        right_on=["resident_l", "resident_r"], how="left", indicator=True)
    return (hit["_merge"] == "both").to_numpy()


def _items(queue: pd.DataFrame, source: str | None) -> tuple[float, float]:
    """A source's queue items, and its dedupe items: a pair across two sources is half
    of each source's queue."""
    left, right = queue["source_l"] == source, queue["source_r"] == source
    share = np.where((queue["kind"] == "seed") | (left & right), 1.0, 0.5)
    mine = (left | right).to_numpy()
    return (float(share[mine].sum()),
            float(share[mine & (queue["kind"] == "dedupe").to_numpy()].sum()))


def seeding_metrics(df: pd.DataFrame, kyr_tokens: set[str]) -> dict[str, float]:
    """``df``: one source's records with predictions and truth columns."""
    n = len(df)
    seeded = df["match_status"] == "seeded"
    correct = seeded & (df["uid_token"] == df["true_token"])
    matchable = df["true_token"].notna() & df["true_token"].isin(kyr_tokens)
    n_seeded = int(seeded.sum())
    return {
        "records": n,
        "matchable": int(matchable.sum()),
        "seeded": n_seeded,
        "seeded_correct": int(correct.sum()),
        "precision": float(correct.sum() / n_seeded) if n_seeded else 1.0,
        # what SRDH expects without labels: the mean posterior of the seeded records
        "expected_precision": (float(df.loc[seeded, "match_probability"].mean())
                               if n_seeded and "match_probability" in df else None),
        "recall": float((correct & matchable).sum() / matchable.sum()) if matchable.any() else 1.0,
        "review_share": float((df["match_status"] == "review").mean()) if n else 0.0,
        "unmatched_share": float((df["match_status"] == "unmatched").mean()) if n else 0.0,
    }


# ------------------------------------------------------------ movers (issue 17)
def load_movers(truth_dir: str | Path) -> set[str] | None:
    """``person`` keys (as in ``load_truth``) of residents whose household moved after the
    departments listed them (truth ``moved_from_village_code``: the old village, null or 0
    when the household did not move); None if the truth lacks it."""
    res = _find(Path(truth_dir), {"resident_key", "moved_from_village_code"})
    if res is None:
        return None
    old = res["moved_from_village_code"].astype("string").fillna("0").str.strip()
    moved = ~old.isin(["", "0"])
    rk = pd.to_numeric(res.loc[moved.to_numpy(), "resident_key"], errors="coerce").dropna()
    return {f"r:{int(k)}" for k in rk}


def mover_metrics(seeding: pd.DataFrame, truth: pd.DataFrame, kyr_tokens: set[str],
                  movers: set[str]) -> dict[str, dict]:
    """Per source, seeding of the movers' records (the department lists the old village):
    matchable records, recall, and where the others went (seeded elsewhere, review,
    unmatched)."""
    df = seeding.merge(truth, on=["source", "source_record_id"], how="inner")
    df = df[df["person"].isin(movers)]
    out = {}
    for source, g in df.groupby("source", sort=True):
        matchable = g["true_token"].notna() & g["true_token"].isin(kyr_tokens)
        g = g[matchable]
        seeded = g["match_status"] == "seeded"
        right = seeded & (g["uid_token"] == g["true_token"])
        n = len(g)
        out[source] = {"matchable": n, "seeded_correct": int(right.sum()),
                       "recall": float(right.sum() / n) if n else 1.0,
                       "seeded_wrong": int((seeded & ~right).sum()),
                       "review": int((g["match_status"] == "review").sum()),
                       "unmatched": int((g["match_status"] == "unmatched").sum())}
    return out


# --------------------------------------------------------- miss causes (issue 17)
#: why a matchable record was not seeded with its true UID, first cause that applies
MISS_CAUSES = {
    "seeded_wrong": "seeded to another UID",
    "not_blocked": "never paired with its true KYR row (no blocking rule)",
    "not_scored": "paired, but the true UID is not among its 3 best kept candidates",
    "review_ambiguous": "review: true UID best, a runner-up too close (ambiguous)",
    "review_runner_up": "review: true UID best, posterior low because of a runner-up",
    "review_low_weight": "review: true UID best, posterior low because its weight is low",
    "review_uid_conflict": "review: true UID best, lost a UID conflict",
    "review_other_best": "review: another UID ranked above the true one",
    "unmatched_true_best": "unmatched: true UID best, below the review threshold",
    "unmatched_other_best": "unmatched: another UID ranked above the true one",
}


def true_pair_blocked_sql(inp_table: str, kyr_table: str, rules: list[tuple[str, ...]],
                          ids_table: str) -> str:
    """SQL: ``source_record_id, blocked`` for the records of ``ids_table``
    (``source_record_id, true_token``): does any seeding rule (``blocking.chosen``: equality
    conjunctions, a null never equal) pair the record with its true KYR row?"""
    if not rules:
        return (f"SELECT source_record_id, false AS blocked FROM {ids_table}")
    ors = " OR ".join("(" + " AND ".join(f"i.{c} = k.{c}" for c in r) + ")" for r in rules)
    return f"""
        SELECT t.source_record_id, coalesce(bool_or({ors}), false) AS blocked
        FROM {ids_table} t
        LEFT JOIN {inp_table} i ON i.unique_id = t.source_record_id
        LEFT JOIN {kyr_table} k ON k.unique_id = t.true_token
        GROUP BY t.source_record_id"""


def classify_misses(df: pd.DataFrame, candidates: pd.DataFrame, null_weight: float
                    ) -> pd.Series:
    """The cause (``MISS_CAUSES``) of each matchable record not seeded with its true UID.

    ``df``: seeding rows with ``true_token`` and ``blocked`` (``true_pair_blocked_sql``);
    ``candidates``: the kept KYR candidates (``source_record_id, uid_token``; the best 3,
    ``matching.seed_candidates``). A low posterior of a best true UID is put down to its
    runner-up when the runner-up's weight reaches ``null_weight`` (the posterior's "none of
    them" term, ``seed.provisional``): then the runner-up's mass is the larger part."""
    seeded = df["match_status"] == "seeded"
    best_true = df["candidate_uid_token"] == df["true_token"]
    scored = pd.Series(False, index=df.index)
    if len(candidates):
        keys = set(zip(candidates["source_record_id"].astype(str), candidates["uid_token"],
                       strict=True))
        scored = pd.Series([(r, t) in keys for r, t in zip(
            df["source_record_id"].astype(str), df["true_token"], strict=True)], index=df.index)
    scored |= best_true
    review, reason = df["match_status"] == "review", df["reason"]
    runner_up = df["runner_up_weight"].fillna(-np.inf) >= null_weight
    conds = [
        seeded,
        ~df["blocked"].fillna(False).astype(bool),
        ~scored,
        review & best_true & (reason == "ambiguous"),
        review & best_true & (reason == "uid_conflict"),
        review & best_true & runner_up,
        review & best_true,
        review,
        best_true,
    ]
    names = ["seeded_wrong", "not_blocked", "not_scored", "review_ambiguous",
             "review_uid_conflict", "review_runner_up", "review_low_weight",
             "review_other_best", "unmatched_true_best"]
    return pd.Series(np.select(conds, names, default="unmatched_other_best"), index=df.index)


def record_causes(con, ws, missed: pd.DataFrame, settings) -> pd.DataFrame:
    """``source, source_record_id, cause`` (``MISS_CAUSES``) of each ``missed`` record:
    seeding rows with ``true_token``, matchable and not seeded with their true UID.
    Blocking is judged on the rules the run scored with, and a low posterior on the run's
    null weight. ``miss_causes`` counts them; a diagnostic reads them per record
    (benchmarks/bench_phenomena.py)."""
    from matching.predict import seed_rules as rules_in_use

    cands = con.execute(f"SELECT source, source_record_id, uid_token "
                        f"FROM {WH}.matching.seed_candidates").df()
    feeds = {f.feed: f for f in ws.linked}
    parts = []
    for source, g in missed.groupby("source", sort=True):
        g = g.copy()
        f = feeds.get(source)
        if f is None:
            g["blocked"] = True
        else:
            # the rules the run scored with: those past the pair budget were left out
            rules = list(rules_in_use(con, ws.kyr, f, settings))
            con.register("_ev_missed", g[["source_record_id", "true_token"]])
            try:
                blocked = con.execute(true_pair_blocked_sql(
                    f.table, ws.kyr.table, rules, "_ev_missed")).df()
            finally:
                con.unregister("_ev_missed")
            g = g.merge(blocked, on="source_record_id", how="left")
        # the run's null weight (auto: from the KYR's size), as seed.provisional used it
        null_weight = seed_rules.thresholds_for(settings, source, ws.kyr.rows).null_weight
        g["cause"] = classify_misses(g, cands[cands["source"] == source],
                                     null_weight).to_numpy()
        parts.append(g[["source", "source_record_id", "cause"]])
    if not parts:
        return pd.DataFrame(columns=["source", "source_record_id", "cause"])
    return pd.concat(parts, ignore_index=True)


def miss_causes(con, ws, seeding: pd.DataFrame, truth: pd.DataFrame, kyr_tokens: set[str],
                settings) -> dict[str, dict[str, int]]:
    """Per source, the matchable records not seeded with their true UID, by cause
    (``MISS_CAUSES``; the counts add up to matchable - seeded correctly)."""

    df = seeding.merge(truth, on=["source", "source_record_id"], how="inner")
    df = df[df["true_token"].notna() & df["true_token"].isin(kyr_tokens)]
    df = df[~((df["match_status"] == "seeded") & (df["uid_token"] == df["true_token"]))]
    out: dict[str, dict[str, int]] = {}
    for source, g in record_causes(con, ws, df, settings).groupby("source", sort=True):
        counts = g["cause"].value_counts()
        out[source] = {c: int(counts.get(c, 0)) for c in MISS_CAUSES}
    return out


def score(pred: pd.DataFrame, truth: pd.DataFrame, kyr_tokens: set[str],
          queue: pd.DataFrame | None = None,
          backlog: pd.DataFrame | None = None) -> dict[str, dict]:
    """Per source: seeding, duplicate pairs and the decision measures (``queue``: the
    system's clerical queue, ``review_queue``; ``backlog``: what waits beyond its
    budget)."""
    pred = pred.copy()
    pred["source_record_id"] = pred["source_record_id"].astype(str)
    df = pred.merge(truth, on=["source", "source_record_id"], how="left")
    missing = df["person"].isna()
    if missing.any():
        log.warning("%d predicted records have no truth row", int(missing.sum()))
        df = df[~missing]
    out = {}
    for source, g in df.groupby("source", sort=True):
        out[source] = {**seeding_metrics(g, kyr_tokens), **duplicate_metrics(g),
                       **decision_metrics(g, queue, backlog)}
    return out


def threshold_curve(seeding: pd.DataFrame, truth: pd.DataFrame, kyr_tokens: set[str],
                    thresholds=(0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9999),
                    margin: float | None = None) -> dict[str, list[dict]]:
    """Precision/recall if the seed threshold were t (from ``matching.seeding``)."""
    df = seeding.merge(truth, on=["source", "source_record_id"], how="inner")
    curves: dict[str, list[dict]] = {}
    for source, g in df.groupby("source", sort=True):
        pts = []
        gap = (g["match_weight"] - g["runner_up_weight"]).fillna(np.inf)
        ok = g["reason"] != "uid_conflict"
        if margin is not None:
            ok &= gap >= margin
        matchable = g["true_token"].notna() & g["true_token"].isin(kyr_tokens)
        for t in thresholds:
            s = ok & (g["match_probability"].fillna(0) >= t)
            correct = s & (g["candidate_uid_token"] == g["true_token"])
            pts.append({"threshold": t,
                        "precision": float(correct.sum() / s.sum()) if s.any() else 1.0,
                        "recall": float((correct & matchable).sum() / max(matchable.sum(), 1)),
                        "seeded": int(s.sum())})
        curves[source] = pts
    return curves


# -------------------------------------------------------------------- runner
# what two copies of one person share, beyond name, age and gender (README "Known gaps"):
# kind -> label in reports
DUPLICATE_KINDS = {"same_place": "same village (block)",
                   "elsewhere_strong": "elsewhere + mobile, relative or dob",
                   "elsewhere_name_age_only": "elsewhere, name + age only"}


def duplicates_by_kind(con, linked: list, seeding: pd.DataFrame,
                       truth: pd.DataFrame) -> dict[str, dict[str, dict[str, int]]]:
    """True within-source duplicate pairs per source, by what the two copies share, and
    how many SRDH put in one resident: ``same_place`` (same village; same block for a
    feed without villages); ``elsewhere_strong`` (another place, but the same mobile,
    relative's name or date of birth);
    ``elsewhere_name_age_only``. The kinds' ``found`` add up to the correct pairs."""
    attrs = " UNION ALL ".join(
        f"SELECT '{f.feed}' AS source, unique_id AS source_record_id, village_code, "
        f"block_std, mobile, relative_name_key, dob FROM {f.table}" for f in linked)
    if not attrs:
        return {}
    con.register("_ev_truth", truth[["source", "source_record_id", "person"]])
    con.register("_ev_seed", seeding[["source", "source_record_id", "resident_id"]])
    try:
        rows = con.execute(f"""
            WITH r AS (
                SELECT a.*, t.person, s.resident_id
                FROM ({attrs}) a
                JOIN _ev_truth t USING (source, source_record_id)
                JOIN _ev_seed s USING (source, source_record_id)
                WHERE t.person NOT LIKE 'ghost:%'
            )
            SELECT l.source,
                   CASE WHEN coalesce(l.village_code = r.village_code,
                                      l.block_std = r.block_std, false) THEN 'same_place'
                        WHEN coalesce(l.mobile = r.mobile, false)
                          OR coalesce(l.relative_name_key = r.relative_name_key, false)
                          OR coalesce(l.dob = r.dob, false) THEN 'elsewhere_strong'
                        ELSE 'elsewhere_name_age_only' END AS kind,
                   count(*) AS n,
                   count(*) FILTER (WHERE l.resident_id = r.resident_id) AS found
            FROM r l JOIN r r ON l.source = r.source AND l.person = r.person
                             AND l.source_record_id < r.source_record_id
            GROUP BY ALL ORDER BY ALL""").fetchall()
    finally:
        con.unregister("_ev_truth")
        con.unregister("_ev_seed")
    out: dict[str, dict[str, dict[str, int]]] = {}
    for source, kind, n, found in rows:
        out.setdefault(source, {})[kind] = {"true": int(n), "found": int(found)}
    return out


def baseline_set(baselines: bool | list[str] | tuple[str, ...]) -> set[str]:
    """``True`` = all of ``BASELINES``; a name outside it is a ``ValueError``."""
    wanted = set(BASELINES) if baselines is True else set(baselines or ())
    if wanted - set(BASELINES):
        raise ValueError(f"unknown baseline(s): {', '.join(sorted(wanted - set(BASELINES)))};"
                         f" choose from {', '.join(BASELINES)}")
    return wanted


def run_evaluation(home=None, truth_dir=None, baselines: bool | list[str] = True,
                   rerun: bool = False, settings=None, token_fn=None,
                   out_path: Path | None = None) -> dict:
    """Evaluate SRDH (running ``srdh match`` first if needed) and the baselines."""
    baseline_set(baselines)  # fail before any work
    from core.paths import Home
    from matching import baselines as bl
    from matching import pipeline
    from matching.settings import load_settings

    h = Home.at(home)
    settings = settings or load_settings()
    truth_dir = Path(truth_dir) if truth_dir else h.truth
    token_fn = token_fn or vault_token_fn(h)
    truth = load_truth(truth_dir, token_fn)
    report: dict = {"home": str(h.root), "truth": str(truth_dir), "targets": TARGETS,
                    "systems": {}, "timings": {}}

    import duckdb

    need_run = rerun
    if not need_run:
        con = duckdb.connect(str(h.warehouse), read_only=True)
        try:
            need_run = not con.execute(
                "SELECT count(*) FROM information_schema.tables "
                "WHERE table_schema = 'matching' AND table_name = 'seeding'").fetchall()[0][0]
        finally:
            con.close()
    if need_run:
        t0 = time.time()
        pipeline.run_matching(h.root, settings)
        report["timings"]["srdh_match"] = time.time() - t0

    # scoring and baselines read the warehouse through DuckDB, whatever the backend
    ws = pipeline.open_inputs(h.warehouse, dataclasses.replace(settings, backend="duckdb"))
    con = ws.con
    kyr_tokens = set(con.execute(f"SELECT unique_id FROM {ws.kyr.table}").df()["unique_id"])
    seeding = con.execute(f"SELECT * FROM {WH}.matching.seeding").df()
    seeding["source_record_id"] = seeding["source_record_id"].astype(str)
    report["systems"]["srdh"] = score(seeding, truth, kyr_tokens, review_queue(con, settings),
                                      review_queue(con, settings, backlog=True))
    report["threshold_curves"] = threshold_curve(seeding, truth, kyr_tokens)
    report["preseeded_disagreements"] = {
        k: int(v) for k, v in con.execute(
            f"SELECT source || ':' || reason, count(*) FROM {WH}.matching.preseeded_disagreements "
            "GROUP BY 1").fetchall()}
    report["duplicates_by_kind"] = duplicates_by_kind(con, ws.linked, seeding, truth)
    report["miss_causes"] = miss_causes(con, ws, seeding, truth, kyr_tokens, settings)
    movers = load_movers(truth_dir)
    if movers is not None:
        report["movers"] = mover_metrics(seeding, truth, kyr_tokens, movers)
    report["review_labels"] = _review_labels(con)
    wanted = baseline_set(baselines)
    if "exact" in wanted:
        t0 = time.time()
        report["systems"]["exact"] = score(bl.exact_baseline(con, ws.kyr, ws.linked), truth,
                                           kyr_tokens)
        report["timings"]["baseline_exact"] = time.time() - t0
    if "splink_tutorial" in wanted:
        t0 = time.time()
        tut_t: dict[str, float] = {}
        try:
            tut = bl.splink_tutorial_baseline(con, ws.kyr, ws.linked, tut_t)
        except ValueError as exc:  # a state so small that the tutorial's deterministic
            if "math domain" not in str(exc):  # rules find no pair: its prior is 0
                raise
            report["skipped"] = {"splink_tutorial": "the tutorial's model cannot be trained "
                                 "on a state this small (its deterministic rules find no "
                                 "matching pair)"}
        else:
            report["systems"]["splink_tutorial"] = score(tut, truth, kyr_tokens)
        report["timings"]["baseline_splink_tutorial"] = time.time() - t0
        report["timings"]["baseline_splink_tutorial_parts"] = tut_t
    con.close()
    report["flags"] = _flag_evaluation(h, truth_dir, token_fn, seeding)
    report["targets_met"] = targets_met(report["systems"]["srdh"])
    report["decision_targets"] = DECISION_TARGETS
    report["decision_targets_met"] = decision_targets_met(report["systems"]["srdh"])
    out_path = Path(out_path) if out_path else h.root / "reports" / "evaluation.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_suffix(".json.tmp")
    report["timings"] = round_floats(report["timings"])  # see core.uid.round_floats
    tmp.write_text(json.dumps(report, indent=2, default=float) + "\n")
    tmp.replace(out_path)
    report["path"] = str(out_path)
    return report


def _flag_evaluation(h, truth_dir: Path, token_fn, seeding: pd.DataFrame) -> dict:
    """Each flag's precision/recall (matching/evaluate_flags.py), when dbt has built the
    marts; the reference date is the matching run's date (``srdh run`` uses it for both)."""
    import duckdb

    from matching.evaluate_flags import flag_report

    con = duckdb.connect(str(h.warehouse), read_only=True)
    try:
        built = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                            "table_schema = 'marts' AND table_name = 'mart_enrolment_flags'"
                            ).fetchall()[0][0]
        if not built:
            return {"skipped": "the marts are not built (run `srdh build`)"}
        run_dates = seeding["run_date"].dropna() if "run_date" in seeding else pd.Series()
        as_of = str(pd.Timestamp(run_dates.max()).date()) if len(run_dates) else str(
            pd.Timestamp.today().date())
        return {"as_of": as_of, **flag_report(con, truth_dir, token_fn, as_of)}
    finally:
        con.close()


def _review_labels(con) -> dict[str, int]:
    """Reviewers' labels available for training / checking (kind:source:decision -> n)."""
    from matching import review
    from matching.ids import has_table

    if not has_table(con, "matching", review.TABLE):
        return {}
    return {k: int(v) for k, v in con.execute(
        f"SELECT kind || ':' || source_l || ':' || CASE WHEN is_match THEN 'match' "
        f"ELSE 'non_match' END, count(*) FROM ({review.labels_sql(WH)}) GROUP BY 1 "
        f"ORDER BY 1").fetchall()}


def targets_met(srdh: dict[str, dict]) -> dict[str, bool]:
    out = {}
    for source, m in srdh.items():
        ok = m["precision"] >= TARGETS["precision"] and m["recall"] >= TARGETS["recall"]
        if source != "crs_death" and m["duplicate_pairs_true"] > 0:
            ok = ok and m["duplicate_f1"] >= TARGETS["duplicate_f1"]
        out[source] = bool(ok)
    return out


def decision_targets_met(srdh: dict[str, dict]) -> dict[str, bool]:
    """Issue 17's duplicate decision per source (every source with true pairs)."""
    t = DECISION_TARGETS
    return {source: bool(m["dup_auto_precision"] >= t["dup_auto_precision"]
                         and m["dup_auto_review_recall"] >= t["dup_auto_review_recall"]
                         and m["review_queue_share"] <= t["review_queue_share"])
            for source, m in srdh.items() if m["duplicate_pairs_true"] > 0}


def _backlog_share(m: dict) -> float | None:
    """Items waiting beyond the queue's budget / records (None: no budget reported)."""
    if "review_backlog_items" not in m:
        return None
    return m["review_backlog_items"] / m["records"] if m.get("records") else 0.0


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.2%}"


def format_table(report: dict) -> str:
    lines = []
    hdr = (f"{'source':<16} {'system':<16} {'prec':>7} {'expect':>7} {'recall':>7} {'review':>7} "
           f"{'unmatch':>7} {'dupP':>6} {'dupR':>6} {'dupF1':>6} {'dupR+q':>6} {'queue':>6} "
           f"{'wait':>6}")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    systems = report["systems"]
    sources = sorted(systems.get("srdh", {}))
    for s in sources:
        for name, res in systems.items():
            m = res.get(s)
            if not m:
                continue
            lines.append(
                f"{s:<16} {name:<16} {m['precision']:>7.2%} "
                f"{_pct(m.get('expected_precision')):>7} {m['recall']:>7.2%} "
                f"{m['review_share']:>7.2%} {m['unmatched_share']:>7.2%} "
                f"{m['duplicate_precision']:>6.3f} {m['duplicate_recall']:>6.3f} "
                f"{m['duplicate_f1']:>6.3f} {m['dup_auto_review_recall']:>6.3f} "
                f"{m['review_queue_share']:>6.2%} "
                f"{_pct(_backlog_share(m)):>6}")
    kinds = report.get("duplicates_by_kind") or {}
    if kinds:
        lines.append("")
        lines.append("SRDH duplicate pairs found / true, by what the copies share: "
                     + " | ".join(DUPLICATE_KINDS.values()))
        for s, by in sorted(kinds.items()):
            cells = [f"{by[k]['found']}/{by[k]['true']}" if k in by else "-"
                     for k in DUPLICATE_KINDS]
            lines.append(f"  {s:<16} " + " | ".join(f"{c:>9}" for c in cells))
    causes = report.get("miss_causes") or {}
    if causes:
        lines.append("")
        lines.append("SRDH missed seeds (matchable, not seeded with the true UID) by cause:")
        for s, by in sorted(causes.items()):
            cells = ", ".join(f"{k} {v}" for k, v in by.items() if v)
            lines.append(f"  {s:<16} {sum(by.values()):>5}: {cells or '-'}")
        lines.append("  (" + "; ".join(f"{k}: {v}" for k, v in MISS_CAUSES.items()) + ")")
    movers = report.get("movers") or {}
    if movers:
        lines.append("")
        lines.append("SRDH movers (the department lists the old village): right seeds / "
                     "matchable, recall; wrong seeds, review, unmatched")
        for s, m in sorted(movers.items()):
            lines.append(f"  {s:<16} {m['seeded_correct']:>5}/{m['matchable']:<5} "
                         f"{m['recall']:>7.2%}  wrong {m['seeded_wrong']}, review "
                         f"{m['review']}, unmatched {m['unmatched']}")
    flags = report.get("flags") or {}
    if flags.get("enrolment_flags"):
        from matching.evaluate_flags import format_flags

        lines.append("")
        lines.append(f"flags against the truth (reference date {flags.get('as_of')}):")
        lines.append(format_flags(flags))
    elif flags.get("skipped"):
        lines.append("")
        lines.append(f"flags: {flags['skipped']}")
    for name, why in (report.get("skipped") or {}).items():
        lines.append("")
        lines.append(f"baseline {name} skipped: {why}")
    lines.append("")
    lines.append("dupP = auto-merged pairs' precision, dupR+q = recall of auto-merged plus "
                 "review-queued pairs, queue = review queue items / records, wait = items "
                 "beyond the queue's budget (review_queue_share) / records")
    met = report.get("targets_met", {})
    lines.append("")
    lines.append(f"targets (precision >= {100 * TARGETS['precision']:g}%, recall >= "
                 f"{100 * TARGETS['recall']:g}%, duplicate F1 >= {TARGETS['duplicate_f1']:g}): "
                 + ", ".join(f"{k}={'met' if v else 'MISSED'}" for k, v in met.items()))
    dmet = report.get("decision_targets_met")
    if dmet:
        t = DECISION_TARGETS
        lines.append(f"duplicate decision (auto precision >= {t['dup_auto_precision']:g}, auto+"
                     f"review recall >= {t['dup_auto_review_recall']:g}, queue <= "
                     f"{t['review_queue_share']:.0%} of records): "
                     + ", ".join(f"{k}={'met' if v else 'MISSED'}" for k, v in dmet.items()))
    return "\n".join(lines)
