"""A date of birth replaced outright (issue 17: learn from the state's own data).

The seeding models' birth level "else" (birth years more than ten apart) had a fixed
m of 0.0003 (-11.4 bits). A list whose clerks replaced some dates outright lost every
such person; a state whose villages hold same-named fathers and sons needs the penalty.
``matching.replaced_dob`` counts it on the home's own data, and the real training
(``train.train_seed_model``) uses the count. Two hand-made states:

* a list with no namesakes in which 8% of the dates were replaced: the trained model
  learns about that share, and an exact name and place with another date is seeded,
  not left at p 0.5 as under the fixed penalty;
* a state whose villages hold fathers and sons of one name, some sons listed by a
  department without a KYR row of their own: every one of them has only a namesake
  30 years older in his cell, the prior is kept and no son is seeded to his father;
* the same where 80% of the department's list is not in KYR at all (most records have
  no cell): the namesakes expected are counted over every datable record, not only
  those with a cell (the first version gave m 0.11 here and seeded sons to fathers).

The estimate's self-join is two equality joins on the name key and the place (a join
on the name key alone grew with the square of a common name's statewide count).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import replace

import duckdb
import pandas as pd
import pytest

from matching import comparisons, engine, inputs, predict, replaced_dob, seed, train
from matching.settings import load_settings
from tests.test_place_evidence import SYLLABLES, VILLAGES, _row

PRIOR = comparisons.BIRTH_M[-1]


def _name(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(SYLLABLES) for _ in range(2)) for _ in range(2))


def _dob(rng: random.Random) -> dt.date:
    return dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(50 * 365))


def _train(kyr: list[dict], dept: list[dict], tmp_path, match_rate: float | None = None
           ) -> dict:
    """``match_rate``: the home's ``training.expected_match_rate`` (default 0.95)."""
    con = duckdb.connect()
    k = inputs.load_frame(con, inputs.KYR, pd.DataFrame(kyr))
    s = inputs.load_frame(con, "sw_pension", pd.DataFrame(dept))
    settings = load_settings(models_dir=tmp_path)
    if match_rate is not None:
        settings = replace(settings, training=replace(settings.training,
                                                      expected_match_rate=match_rate))
    model = train.train_seed_model(con, k, s, settings, save=False)
    return {"con": con, "kyr": k, "src": s, "model": model, "settings": settings}


def _else(model: dict) -> tuple[float, float]:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    lvl = next(lv for lv in comp["comparison_levels"]
               if lv["label_for_charts"] == "All other comparisons")
    return lvl["m_probability"], lvl["u_probability"]


def _level_weight(model: dict, label: str) -> float:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    lvl = next(lv for lv in comp["comparison_levels"] if lv["label_for_charts"] == label)
    return math.log2(lvl["m_probability"] / lvl["u_probability"])


def _prior_weight(model: dict, label: str) -> float:
    comp = next(c for c in model["comparisons"] if c["output_column_name"] == "birth")
    levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
    i = next(i for i, lv in enumerate(levels) if lv["label_for_charts"] == label)
    return math.log2(comparisons.BIRTH_M[i] / levels[i]["u_probability"])


def _status(state: dict, kyr: list[dict], record: dict) -> tuple[str, float]:
    """Score one department record against ``kyr`` with the trained model and decide it
    as a run would (the auto prior for the trained state's KYR size)."""
    con = duckdb.connect()
    k = inputs.load_frame(con, inputs.KYR, pd.DataFrame(kyr))
    s = inputs.load_frame(con, "sw_pension", pd.DataFrame([record]))
    table, _ = predict.predict_seed(con, k, s, state["model"], state["settings"])
    th = seed.thresholds_for(state["settings"].with_thresholds("sw_pension",
                                                               seed_threshold=0.95),
                             "sw_pension", state["kyr"].rows)
    prov = seed.provisional(con, "sw_pension", table, s.table, th)
    return con.execute(f"SELECT match_status, candidate_uid_token FROM {prov}").fetchone()


def _distinct(rng: random.Random, kyr: list[dict], n: int = 1200):
    """Append ``n`` KYR residents with distinct names to ``kyr``; yields (i, name, dob,
    village) of every second one, for the department list."""
    names: set[str] = set()
    while len(kyr) < n:
        name = _name(rng)
        if name in names:
            continue
        names.add(name)
        i, dob, village = len(kyr), _dob(rng), rng.choice(VILLAGES)
        kyr.append(_row(f"T{i:05d}", name, dob, village))
        if i % 2 == 0:
            yield i, name, dob, village


def _replaced(dob: dt.date, rng: random.Random) -> dt.date:
    return dob.replace(year=dob.year + rng.choice((-1, 1)) * rng.randint(20, 45))


@pytest.fixture(scope="module")
def replaced_list(tmp_path_factory):
    """1,200 KYR residents with distinct names, half of them in a department list; 8% of
    the listed carry another date of birth, 20-45 years off."""
    rng = random.Random(11)
    kyr, dept = [], []
    for i, name, dob, village in _distinct(rng, kyr):
        if rng.random() < 0.08:
            dob = _replaced(dob, rng)
        dept.append(_row(f"P{i:05d}", name, dob, village))
    return {**_train(kyr, dept, tmp_path_factory.mktemp("m1")), "rows": kyr}


def test_replaced_dates_are_learnt_where_the_list_shows_them(replaced_list):
    model, est = replaced_list["model"], replaced_list["model"]["srdh"]["replaced_dob"]
    m, u = _else(model)
    assert est["kyr_namesake_else_share"] < 0.005, est  # hardly a namesake in this KYR
    assert 0.05 < m < 0.09 and m == est["m"], est  # 8% replaced, shrunk a little
    # the penalty for another date: about -3 bits instead of -11
    assert -4.5 < math.log2(m / u) < -2.0 and math.log2(PRIOR / u) < -10
    # a replaced date falls in every level as a random date does: the share spread is
    # near the list's (8%, counted as if random dates: m / u_else), and a date 8 years
    # off costs about 3 bits, not the prior's 5
    assert 0.06 < est["replaced_share"] < 0.16, est
    assert -4.0 < _level_weight(model, "birth years within 10") < -1.5
    assert _prior_weight(model, "birth years within 10") < -4.5
    # the outcome: an exact name and village with another date is seeded to its person
    kyr = replaced_list["rows"]
    t = kyr[40]
    rec = {**_row("PNEW", t["name_std"], t["dob"].replace(year=t["dob"].year - 30),
                  t["place_text"]), "source_record_id": "PNEW"}
    assert _status(replaced_list, kyr, rec) == ("seeded", t["source_record_id"])


@pytest.fixture(scope="module")
def namesake_villages(tmp_path_factory):
    """600 fathers and their sons of the same name in one village (both in KYR, 30 years
    apart), 300 more residents; the department lists 450 residents with their own dates
    and 60 sons of other fathers who have no KYR row (not in KYR: their cell holds only
    the father)."""
    rng = random.Random(5)
    kyr, dept = [], []
    for i in range(300):
        name, dob, village = _name(rng), _dob(rng), rng.choice(VILLAGES)
        father = _row(f"T{i:05d}F", name, dob.replace(year=min(dob.year, 1960) - 30), village)
        kyr.append(father)
        if i < 240:   # the son in KYR too
            kyr.append(_row(f"T{i:05d}S", name, dob.replace(year=min(dob.year, 1960)),
                            village))
        else:         # the son listed by the department, with no UID
            dept.append(_row(f"P{i:05d}S", name, dob.replace(year=min(dob.year, 1960)),
                             village))
    for i in range(300, 600):
        kyr.append(_row(f"T{i:05d}", _name(rng), _dob(rng), rng.choice(VILLAGES)))
    dept += [{**r, "source_record_id": "P" + r["source_record_id"][1:], "uid_token": None,
              "uid_valid": False} for r in kyr[::2][:450]]
    return _train(kyr, dept, tmp_path_factory.mktemp("m2"))


def test_namesakes_keep_the_penalty_for_another_date(namesake_villages):
    st = namesake_villages
    # counted directly: 60 records have only a namesake 30 years older in their cell
    est = replaced_dob.estimate(engine.of(st["con"]).rows, st["kyr"].table, st["src"].table,
                                set(st["kyr"].usable) & set(st["src"].usable))
    assert est["all_else"] >= 60 and est["namesakes_all_else"] > est["all_else"], est
    assert est["m"] == PRIOR
    assert _else(st["model"])[0] == PRIOR  # the trained model keeps the prior
    # the outcome: no son without a UID is seeded to his father
    sons = _sons_seeded(st)
    assert sons == (60, 0), sons


def _sons_seeded(st: dict) -> tuple[int, int]:
    """(department sons without a UID, of which seeded) with the trained model."""
    table, _ = predict.predict_seed(st["con"], st["kyr"], st["src"], st["model"],
                                    st["settings"])
    th = seed.thresholds_for(st["settings"].with_thresholds("sw_pension",
                                                            seed_threshold=0.95),
                             "sw_pension", st["kyr"].rows)
    prov = seed.provisional(st["con"], "sw_pension", table, st["src"].table, th)
    return st["con"].execute(f"""
        SELECT count(*), count(*) FILTER (WHERE match_status = 'seeded')
        FROM {prov} WHERE source_record_id LIKE '%S'""").fetchone()


@pytest.fixture(scope="module")
def mostly_outside_kyr(tmp_path_factory):
    """KYR: 1,000 residents, 50 fathers with a son of the same name and village 30 years
    younger (qe 0.10: a tenth of KYR has only an older or younger namesake in its cell),
    40 more fathers whose sons are not in KYR. The department: 100 KYR residents with
    their own dates (the 50 sons in KYR among them), those 40 sons and 360 people not in
    KYR (80% of the list outside KYR, as a department serving newcomers), no UIDs."""
    rng = random.Random(23)
    names: set[str] = set()

    def fresh() -> str:
        while (name := _name(rng)) in names:
            pass
        names.add(name)
        return name

    kyr, dept = [], []
    for i in range(90):
        name, village = fresh(), rng.choice(VILLAGES)
        year = rng.randint(1955, 1990)
        dob = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
        kyr.append(_row(f"T{i:05d}F", name, dob.replace(year=year - 30), village))
        son = _row(f"{'T' if i < 50 else 'P'}{i:05d}S", name, dob, village)
        (kyr if i < 50 else dept).append(son)
    others = [_row(f"T{i:05d}", fresh(), _dob(rng), rng.choice(VILLAGES))
              for i in range(90, 950)]
    kyr += others
    listed = [r for r in kyr if r["source_record_id"].endswith("S")] + others[:50]
    dept += [{**r, "source_record_id": "P" + r["source_record_id"][1:].rstrip("S") + "K",
              "uid_token": None, "uid_valid": False} for r in listed]
    dept += [_row(f"P{i:05d}N", fresh(), _dob(rng), rng.choice(VILLAGES))
             for i in range(360)]
    # the home says so (training.expected_match_rate); the estimate does not read it
    return _train(kyr, dept, tmp_path_factory.mktemp("m3"), match_rate=0.2)


def test_a_list_mostly_outside_kyr_keeps_the_penalty(mostly_outside_kyr):
    st = mostly_outside_kyr
    est = replaced_dob.estimate(engine.of(st["con"]).rows, st["kyr"].table, st["src"].table,
                                set(st["kyr"].usable) & set(st["src"].usable))
    # 140 records have a cell (100 with their own row, 40 sons; a name key is phonetic:
    # a few more), 40 of them only the father there
    assert est["m"] == PRIOR, est
    assert 40 <= est["all_else"] <= 45 and 140 <= est["with_cell"] <= 145, est
    assert 0.09 < est["kyr_namesake_else_share"] < 0.11, est
    assert _else(st["model"])[0] == PRIOR
    assert _sons_seeded(st) == (40, 0)


def test_the_cells_are_equality_joins_on_name_and_place():
    """Each join of the estimate hashes on the name key and a place, never the name key
    alone with the place as a filter."""
    con = duckdb.connect()
    rng = random.Random(3)
    rows = [{**_row(f"T{i:03d}", _name(rng), _dob(rng), rng.choice(VILLAGES)),
             "village_code": f"V{i % 7}" if i % 3 else None} for i in range(60)]
    k = inputs.load_frame(con, inputs.KYR, pd.DataFrame(rows))
    cols = frozenset(k.usable)
    assert {"village_code", "place_key", "gender"} <= cols
    for self_join in (True, False):
        sql = replaced_dob._cells(k.table, k.table, cols, self_join)
        plan = json.loads(con.execute(f"EXPLAIN (FORMAT JSON) {sql}").fetchall()[0][1])
        joins, todo = [], list(plan)
        while todo:
            node = todo.pop()
            todo += node.get("children", [])
            if "JOIN" in node.get("name", ""):
                joins.append((node["name"], node["extra_info"]["Conditions"]))
        places = sorted(next(c for c in cond if c.startswith(("village_code =", "place_key =")))
                        for _, cond in joins if "name_key = name_key" in cond)
        assert [n for n, _ in joins] == ["HASH_JOIN", "HASH_JOIN"], joins
        assert places == ["place_key = place_key", "village_code = village_code"], joins


def test_kyr_counted_once_per_run_and_the_keyed_copy_dropped_on_failure(
        replaced_list, tmp_path, monkeypatch):
    st = replaced_list
    cols = set(st["kyr"].usable) & set(st["src"].usable)
    sql: list[str] = []

    def rows(q: str) -> list[tuple]:
        sql.append(q)
        return engine.of(st["con"]).rows(q)

    memo: dict = {}
    first = replaced_dob.estimate(rows, st["kyr"].table, st["src"].table, cols, memo)
    n_first = len(sql)
    again = replaced_dob.estimate(rows, st["kyr"].table, st["src"].table, cols, memo)
    assert again == first and len(sql) - n_first == n_first - 2  # no KYR count again
    assert sum("l.unique_id <> r.unique_id" in q for q in sql) == 1

    def fail(*a, **k):
        raise RuntimeError("estimate failed")

    monkeypatch.setattr(replaced_dob, "estimate", fail)
    with pytest.raises(RuntimeError, match="estimate failed"):
        train.train_seed_model(st["con"], st["kyr"], st["src"], st["settings"], save=False)
    left = st["con"].execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                             [f"train_{st['kyr'].table}"]).fetchone()[0]
    assert left == 0


def test_the_upper_bound_keeps_a_small_kyr_from_showing_no_namesakes():
    """qe is taken at its one-sided 95% Wilson upper bound: a KYR of 1,000 rows with no
    namesake cell still allows about 3 in 1,000 (the rule of three), so C is never 0 by
    chance; with many rows the bound closes on the share itself."""
    assert replaced_dob.wilson_upper(0, 1000) == pytest.approx(2.7 / 1000, rel=0.1)
    assert replaced_dob.wilson_upper(0, 0) == 1.0
    big = replaced_dob.wilson_upper(14_400, 100_000)
    assert 0.144 < big < 0.147
    assert replaced_dob.wilson_upper(5, 10) < 1.0


def _uid_list(replaced_among_seeded: bool) -> tuple:
    """The replaced list's state with 400 of its 600 listed records carrying their own
    valid UID (pre-seeded); 8% of the dates replaced among the other 200, and among the
    pre-seeded ones too when ``replaced_among_seeded``."""
    rng = random.Random(23)
    kyr, dept = [], []
    for i, name, dob, village in _distinct(rng, kyr):
        seeded = len(dept) < 400
        if (replaced_among_seeded or not seeded) and rng.random() < 0.08:
            dob = _replaced(dob, rng)
        row = _row(f"P{i:05d}", name, dob, village)
        if seeded:
            row.update(uid_token=f"T{i:05d}", uid_valid=True)
        dept.append(row)
    con = duckdb.connect()
    k = inputs.load_frame(con, inputs.KYR, pd.DataFrame(kyr))
    s = inputs.load_frame(con, "sw_pension", pd.DataFrame(dept))
    cols = set(k.usable) & set(s.usable)
    assert "uid_token" in cols
    return replaced_dob.estimate(engine.of(con).rows, k.table, s.table, cols)


def test_pre_seeded_uids_cap_the_replaced_share():
    """Where the department's own valid UIDs name KYR rows, the 'else' share among those
    pairs (at its Wilson upper bound) caps m: a list whose pre-seeded records never show
    another date keeps close to the prior even though its name-and-place cells count
    about 8% replaced among the rest; a list whose UID pairs show the same share keeps
    the cells' estimate."""
    capped = _uid_list(replaced_among_seeded=False)
    assert capped["uid_pairs"] == 400 and capped["uid_pairs_else"] == 0, capped
    assert capped["m"] == replaced_dob.wilson_upper(0, 400)
    assert capped["uid_cap"] == pytest.approx(capped["m"], abs=1e-5)
    assert capped["m"] < 0.01 and capped["all_else"] >= 10, capped
    kept = _uid_list(replaced_among_seeded=True)
    assert kept["uid_pairs"] == 400 and kept["uid_pairs_else"] >= 20, kept
    assert kept["uid_cap"] > kept["m"] > 0.04, kept
