"""Small std-shaped person tables with known truth, for matching unit tests.

Independent of the generator and the ingest: rows follow the ``std.<feed>``
contract in docs/CONVENTIONS.md.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import duckdb
import pandas as pd

FIRST_M = ["RAMESH", "SURESH", "MAHESH", "DINESH", "RAJU", "MOHAN", "SOHAN", "GOPAL", "HARI",
           "SHYAM", "RAMPRASAD", "LAKHAN", "BHUPESH", "ANIL", "SUNIL", "VIJAY", "AJAY", "SANJAY"]
FIRST_F = ["LAXMI", "SITA", "GITA", "RADHA", "SAVITRI", "KAMLA", "SUNITA", "ANITA", "REKHA",
           "MEENA", "PARVATI", "DULARI", "SHANTI", "USHA", "ASHA", "PUSHPA", "LALITA", "GANGA"]
LAST = ["SAHU", "VERMA", "YADAV", "PATEL", "NETAM", "MARKAM", "DHRUW", "SINHA", "SHARMA",
        "TIWARI", "DEWANGAN", "KASHYAP", "MANDAVI", "KORAM", "SONWANI", "NAG"]
_SYL = ["RA", "MA", "SU", "DI", "GO", "HA", "LA", "BHU", "VI", "SA", "KA", "PA", "NA", "DE",
        "SHI", "PRA", "KI", "JA", "TA", "BA"]
_END_M = ["MESH", "RESH", "JU", "HAN", "PAL", "NIL", "JAY", "KHAN", "RAM", "DEV", "LAL"]
_END_F = ["MLA", "NITA", "KHA", "VATI", "TI", "SHA", "LATA", "NGA", "RI", "MINI", "LI"]
FIRST_M = sorted({a + e for a in _SYL for e in _END_M})
FIRST_F = sorted({a + e for a in _SYL for e in _END_F})
LAST = LAST + [a + b + "WAN" for a in _SYL[:8] for b in ("DE", "SO", "KU")]

DISTRICTS = {"RAIPUR": ["ABHANPUR", "ARANG"], "DURG": ["PATAN", "DHAMDHA"],
             "BASTAR": ["JAGDALPUR", "BAKAWAND"], "KORBA": ["KATGHORA", "PALI"],
             "BILASPUR": ["MASTURI", "TAKHATPUR"], "SURGUJA": ["AMBIKAPUR", "SITAPUR"]}


def token(uid: str) -> str:
    """Letters-only stand-in for the vault's keyed token."""
    h = hashlib.sha256(("k" + uid).encode()).hexdigest()
    return "".join(chr(ord("a") + int(c, 16)) for c in h[:20]).upper()


def key(s: str | None) -> str | None:
    if not s:
        return None
    return s.replace("X", "KSH").replace("W", "V").replace("AA", "A").replace(" ", "")


def _person_row(source, rid, first, last, rel, gender, dob, by, bmin, bmax, prec, district,
                block, village, mobile, uid_tok=None, uid_valid=None):
    name = f"{first} {last}"
    return {
        "source": source, "source_record_id": rid, "batch_id": "b1", "source_row": 1,
        "name_raw": name, "name_std": name, "honorific": None, "first_name": first,
        "middle_name": None, "last_name": last, "name_key": key(name),
        "first_name_key": key(first), "last_name_key": key(last),
        "relative_name_std": rel, "relative_name_key": key(rel),
        "relation_type": "S/O" if rel else None, "gender": gender, "dob": dob,
        "dob_precision": prec, "birth_year": by, "birth_year_min": bmin, "birth_year_max": bmax,
        "district_std": district, "block_std": block, "village_std": village,
        "village_code": village and f"V{abs(hash(village)) % 100000}", "mobile": mobile,
        "uid_token": uid_tok, "uid_last4": None, "uid_valid": uid_valid, "household_ref": None,
    }


def household_row(rid: str, name: str, relative: str | None = None, card: str | None = None,
                  **extra) -> dict:
    """A std-like person row keyed as SRDH keys names (``name_keys``), with a relative's
    name and a card (``household_ref``); ``extra`` columns as given."""
    from ingest.standardise.names import name_keys

    full, first, last = name_keys([name])
    toks = name.split(" ")
    rel_key = name_keys([relative])[0][0] if relative else None
    return {"source_record_id": rid, "name_std": name, "first_name": toks[0],
            "last_name": toks[-1] if len(toks) > 1 else None, "name_key": full[0],
            "first_name_key": first[0], "last_name_key": last[0],
            "relative_name_std": relative, "relative_name_key": rel_key,
            "household_ref": card, **extra}


def make_state(n_residents: int = 800, n_dept: int = 500, seed: int = 7):
    """(kyr, dept, truth): truth maps dept source_record_id -> true KYR token or None."""
    rng = random.Random(seed)
    people = []
    for _i in range(n_residents):
        g = rng.choice("MF")
        first = rng.choice(FIRST_M if g == "M" else FIRST_F)
        last = rng.choice(LAST)
        rel = f"{rng.choice(FIRST_M)} {last}"
        y = rng.randint(1940, 2010)
        dob = pd.Timestamp(year=y, month=rng.randint(1, 12), day=rng.randint(1, 28)).date()
        d = rng.choice(list(DISTRICTS))
        b = rng.choice(DISTRICTS[d])
        v = f"{b}-V{rng.randint(1, 12)}"
        mobile = f"9{rng.randint(100000000, 999999999)}" if rng.random() < 0.6 else None
        uid = f"{rng.randint(2, 9)}{rng.randint(10**10, 10**11 - 1)}"
        people.append(dict(first=first, last=last, rel=rel, g=g, y=y, dob=dob, d=d, b=b, v=v,
                           mobile=mobile, tok=token(uid)))
    kyr = pd.DataFrame([
        _person_row("uid_kyr", p["tok"], p["first"], p["last"], p["rel"], p["g"], p["dob"],
                    p["y"], p["y"], p["y"], "day", p["d"], p["b"], p["v"], p["mobile"],
                    p["tok"], True)
        for p in people
    ])
    rows, truth = [], {}
    chosen = rng.sample(range(n_residents), n_dept)
    for j, idx in enumerate(chosen):
        p = dict(people[idx])
        ghost = rng.random() < 0.05
        if ghost:  # a made-up beneficiary
            p = dict(p, first=rng.choice(FIRST_M), last=rng.choice(LAST), y=rng.randint(1940, 2010),
                     rel=None, mobile=None)
        rid = f"R{j:05d}"
        first = p["first"]
        if rng.random() < 0.15 and len(first) > 4:  # a typo
            k = rng.randrange(1, len(first) - 1)
            first = first[:k] + first[k + 1:]
        age_based = rng.random() < 0.6
        y = p["y"] + (rng.choice([-1, 0, 1]) if age_based else 0)
        dob = None if age_based else p["dob"]
        rel = p["rel"] if rng.random() < 0.7 else None
        mobile = p["mobile"] if rng.random() < 0.5 else None
        tok, valid = None, None
        r = rng.random()
        if r < 0.3:
            tok, valid = p["tok"], True
        elif r < 0.33:  # wrong pre-seeded UID: someone else's
            tok, valid = people[rng.randrange(n_residents)]["tok"], True
        rows.append(_person_row("dept_a", rid, first, p["last"], rel, p["g"], dob, y,
                                y - 1 if age_based else y, y + 1 if age_based else y,
                                "age" if age_based else "day", p["d"], p["b"], p["v"], mobile,
                                tok, valid))
        truth[rid] = None if ghost else p["tok"]
        if rng.random() < 0.05:  # the same person enrolled twice
            dup = dict(rows[-1], source_record_id=rid + "D", source_row=2)
            rows.append(dup)
            truth[rid + "D"] = truth[rid]
    return kyr, pd.DataFrame(rows), truth


def write_warehouse(path: Path, tables: dict[str, pd.DataFrame]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS std")
    for name, df in tables.items():
        con.register("_df", df)
        con.execute(f"CREATE OR REPLACE TABLE std.{name} AS SELECT * FROM _df")
        con.unregister("_df")
    con.close()
    return path


# --- dense, FEBRL-like lists for the dedupe-prior tests (tests/test_dedupe_prior.py,
# tests/test_dedupe_dense_evidence.py): many people with copies, typos among them
DENSE_FIRST = ["RAMESH", "SUNITA", "DINESH", "KAVITA", "MAHESH", "PUSHPA", "SURESH",
               "GEETA", "ANIL", "REKHA", "VINOD", "SAROJ", "MANOJ", "LATA", "RAJESH", "USHA",
               "SANJAY", "MEENA", "ASHOK", "KIRAN", "PRAKASH", "SHANTI", "DEEPAK", "RADHA",
               "GOPAL"]
DENSE_LAST = ["SAHU", "VERMA", "PATEL", "YADAV", "NETAM", "MARKAM", "DHRUW", "SINHA", "KURRE",
              "BANJARE", "TANDON", "CHANDRAKAR", "DEWANGAN", "NISHAD", "KOSHLE", "THAKUR",
              "SONWANI", "GHRITLAHRE", "JANGDE", "MANDAVI"]


def swap_typo(word: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped (never the first)."""
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def train_and_score_dedupe(rows: list[dict]):
    """Train the dedupe model on ``rows`` (as sw_pension, real Splink) and score it:
    (model, settings, {frozenset(pair): probability})."""
    from matching import inputs, predict, train
    from matching.settings import load_settings

    con = duckdb.connect()
    feed = inputs.load_frame(con, "sw_pension", pd.DataFrame(rows))
    settings = load_settings()
    model = train.train_dedupe_model(con, [feed], settings, save=False)
    table, _ = predict.predict_dedupe(con, [feed], model, settings)
    pairs = con.execute(f"SELECT record_l, record_r, match_probability FROM {table}").fetchall()
    return model, settings, {frozenset((a, b)): p for a, b, p in pairs}


def birth_linker(learn: bool = True):
    """A real Splink linker over one dated row a side, holding only the birth comparison
    (``learn``: the seeding models' learned levels), and its levels by label: for tests
    that set a level's m and u and run one of ``matching.train``'s corrections on it."""
    import datetime as dt
    import logging

    from splink import Linker, SettingsCreator

    from matching import train
    from matching.comparisons import birth_comparison
    from matching.settings import load_settings

    con = duckdb.connect()
    row = {"unique_id": "1", "dob": dt.date(1970, 3, 12), "birth_year": 1970,
           "birth_year_min": 1970, "birth_year_max": 1970}
    for feed in ("dept", "kyr"):
        con.register(f"_{feed}", pd.DataFrame([row]))
        con.execute(f"CREATE TABLE inp_{feed} AS SELECT * FROM _{feed}")
    db_api = train.make_db_api(con, load_settings())
    sdfs = [db_api.register(f"inp_{f}", table_name=f) for f in ("dept", "kyr")]
    linker = Linker(sdfs, SettingsCreator(link_type="link_only",
                                          comparisons=[birth_comparison(learn)]),
                    log_level=logging.WARNING)
    levels = {lv.label_for_charts: lv for c in linker._settings_obj.comparisons
              for lv in c.comparison_levels if not lv.is_null_level}
    return linker, levels


def seed_linker(dept: pd.DataFrame, kyr: pd.DataFrame, rule: str = "1=1",
                comparisons: tuple[str, ...] = ("name",)):
    """A real Splink linker over std-like rows (``matching.inputs.load_frame``) holding the
    seeding models' ``comparisons``, with Bayes factors as weights (prior 0.5): the linker,
    its DuckDB connection (``inp_dept``, ``inp_kyr``) and its levels by label, for tests
    that set a level's m and u, run one of ``matching.train``'s steps on it and score the
    pairs ``rule`` makes."""
    import logging

    from splink import Linker, SettingsCreator

    from matching import inputs, train
    from matching.comparisons import build_comparisons
    from matching.settings import load_settings

    con = duckdb.connect()
    inputs.load_frame(con, "dept", dept)
    inputs.load_frame(con, "kyr", kyr)
    db_api = train.make_db_api(con, load_settings())
    sdfs = [db_api.register(f"inp_{f}", table_name=f) for f in ("dept", "kyr")]
    sc = SettingsCreator(link_type="link_only",
                         comparisons=build_comparisons(list(comparisons), kind="seed"),
                         blocking_rules_to_generate_predictions=[rule],
                         probability_two_random_records_match=0.5)
    linker = Linker(sdfs, sc, log_level=logging.WARNING)
    levels = {lv.label_for_charts: lv for c in linker._settings_obj.comparisons
              for lv in c.comparison_levels if not lv.is_null_level}
    return linker, con, levels


def name_linker(dept: pd.DataFrame, kyr: pd.DataFrame, rule: str = "1=1"):
    """``seed_linker`` with the seeding name comparison alone: the linker and its levels."""
    linker, _con, levels = seed_linker(dept, kyr, rule)
    return linker, levels


def levels_of(con, comparison) -> list[str]:
    """Each pair of ``inp_dept`` and ``inp_kyr`` rows with one ``unique_id`` (in the order of
    the number after its first letter): the first level of ``comparison`` whose SQL holds,
    as Splink picks it."""
    from matching import inputs

    cols = ", ".join(f"l.{c} AS {c}_l, r.{c} AS {c}_r" for c in inputs.INPUT_COLUMNS)
    levels = comparison.get_comparison("duckdb").as_dict()["comparison_levels"]
    case = " ".join(
        "ELSE ?" if lv["sql_condition"] == "ELSE" else f"WHEN {lv['sql_condition']} THEN ?"
        for lv in levels)
    labels = [lv["label_for_charts"] for lv in levels]
    return [r[0] for r in con.execute(
        f"SELECT CASE {case} END FROM (SELECT {cols} FROM inp_dept l JOIN inp_kyr r "
        f"USING (unique_id) ORDER BY CAST(substr(unique_id, 2) AS INTEGER))",
        labels).fetchall()]


def record_training_steps(monkeypatch, **steps: str) -> list[str]:
    """Patch ``matching.train``'s functions named by ``steps`` (name -> tag) and its EM
    sessions (tag "em") to append their tag to the returned list when they run, for tests
    that check the order of a training's steps."""
    import contextlib

    from matching import train

    order: list[str] = []
    for name, tag in steps.items():
        fn = getattr(train, name)
        monkeypatch.setattr(train, name, lambda *a, _f=fn, _t=tag, **k: (
            order.append(_t), _f(*a, **k))[1])
    em = train._clamped_em

    @contextlib.contextmanager
    def em_session():
        order.append("em")
        with em():
            yield

    monkeypatch.setattr(train, "_clamped_em", em_session)
    return order


def count_args(con, kyr_t, dept_t) -> tuple:
    """A counted-u function's arguments without a model (``train.household_surname_u``,
    ``train.card_mate_relative_u``): a stand-in linker with no comparisons to set, the
    connection's rows, the two tables."""
    class _NoComparisons:
        class _settings_obj:  # noqa: N801 - mirrors Splink's attribute
            comparisons = ()

    return (_NoComparisons(), lambda sql: con.execute(sql).fetchall(), kyr_t.table,
            dept_t.table)
