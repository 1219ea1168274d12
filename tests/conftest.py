"""Shared pytest fixtures. Add fixtures here; don't remove others'."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# On a pytest-xdist worker `__main__` is execnet's bootstrap, with no __file__ or __spec__;
# pyspark.sql.connect (imported by Great Expectations) then takes the process for a doctest
# run and calls sys.exit(0). A file name tells it otherwise.
if not hasattr(sys.modules["__main__"], "__file__"):
    sys.modules["__main__"].__file__ = "<pytest-xdist worker>"

# The fixtures' generated states use the committed matching models (matching/models), as
# the demo does, in this process and every `srdh` / Airflow subprocess it starts: a home
# otherwise trains its own on its first run (tests/test_home_models.py tests that).
os.environ.setdefault("SRDH_MATCHING_MODEL", "committed")

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from home_helpers import ensure_key  # noqa: E402 - tests/ is on the path from here on


# --------------------------------------------------------------------------- matching
@pytest.fixture(scope="session")
def matching_toy(tmp_path_factory):
    """A std-shaped warehouse (KYR + one department, known truth), matched once.

    Returns a dict: home, settings, truth (record id -> true KYR token), result.
    """
    from matching_helpers import make_state, write_warehouse

    from core.paths import Home
    from matching.api import run_matching
    from matching.settings import load_settings

    root = tmp_path_factory.mktemp("matching_toy")
    home = Home.at(root / "home")
    kyr, dept, truth = make_state(1500, 1000, seed=11)
    write_warehouse(home.warehouse, {"uid_kyr": kyr, "dept_a": dept})
    from dataclasses import replace

    settings = load_settings(departments=("dept_a",), models_dir=root / "models",
                             extra_linked_feeds=())
    settings = replace(settings, training=replace(settings.training, u_max_pairs=3e5,
                                                  em_max_pairs=2e5))
    result = run_matching(home, run_date="2025-03-01", settings=settings)
    return {"home": home, "settings": settings, "truth": truth, "result": result,
            "kyr": kyr, "dept": dept}


def _srdh(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "srdh.cli", *args], capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="session")
def generated_small_state(tmp_path_factory):
    """`srdh generate` (3,000 residents) + `srdh ingest` into a fresh home; skips when the
    generator or the ingest is not available in this checkout."""
    root = tmp_path_factory.mktemp("gen_state")
    out = root / "landing"
    home = root / "home"
    gen = _srdh("generate", "--residents", "3000", "--seed", "7", "--out", str(out))
    if gen.returncode != 0:
        pytest.skip(f"srdh generate unavailable: {gen.stderr[-400:]}")
    landing = out
    ensure_key(home)
    ing = _srdh("ingest", "--landing", str(landing), "--home", str(home), "--no-gx")
    if ing.returncode != 0:
        pytest.skip(f"srdh ingest unavailable: {ing.stderr[-400:]}")
    truth = root / "landing-truth"  # the generator's default: beside the landing folder
    yield {"root": root, "out": out, "landing": landing, "home": home, "truth": truth}
    shutil.rmtree(root, ignore_errors=True)


# --------------------------------------------------------------------------- generator
@pytest.fixture(scope="session")
def generated_state(tmp_path_factory):
    """A small synthetic state (2,000 residents, seed 7) written once per session.

    Returns a dict: landing, truth (paths) and manifest.
    """
    from generator import generate

    root = tmp_path_factory.mktemp("generated_state")
    manifest = generate(2000, 7, root / "landing", photos=25, verbose=False)
    return {"landing": root / "landing", "truth": root / "landing-truth", "manifest": manifest}


# --------------------------------------------------------------------------- jansamvad / monitoring
@pytest.fixture(scope="session")
def jansamvad_home(generated_small_state, tmp_path_factory):
    """A copy of the generated + ingested (not matched) home with every dbt model built
    (dbt build, tests included): the call list reads marts.mart_calllist_candidates, whose
    parents reach the resident and household marts. Tests may add feeds to it."""
    from warehouse.dbt import build

    home = tmp_path_factory.mktemp("jansamvad") / "home"
    shutil.copytree(generated_small_state["home"], home)
    build(home)
    return {**generated_small_state, "home": home}


# --------------------------------------------------------------------------- ingest
@pytest.fixture()
def ingest_small_landing(tmp_path):
    """A hand-written landing folder (village master, KYR full refresh with a photo and
    bad rows, one PDS extract): see tests/ingest_helpers.py."""
    from ingest_helpers import small_landing

    return small_landing(tmp_path)


# --------------------------------------------------------------------------- whole pipeline
RUN_DATE = "2025-03-01"


@pytest.fixture(scope="session")
def built_state(generated_state, tmp_path_factory):
    """The whole pipeline (`srdh run`: ingest, match, dbt build, publish, deliver) run once
    on the shared generated state, in a subprocess as a user would run it.

    Returns a dict: landing, truth, home (Path), run_date, log.
    """
    import os

    home = ensure_key(tmp_path_factory.mktemp("built_state") / "home")
    env = {**os.environ, "SRDH_GX": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "srdh.cli", "run", "--landing", str(generated_state["landing"]),
         "--home", str(home), "--run-date", RUN_DATE],
        capture_output=True, text=True, timeout=1800, env=env)
    assert proc.returncode == 0, f"srdh run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return {**generated_state, "home": home, "run_date": RUN_DATE,
            "log": proc.stdout + proc.stderr}


# --------------------------------------------------------------------------- stable ids / review
@pytest.fixture(scope="session")
def delta_matched_state(generated_small_state, tmp_path_factory):
    """The generated small state arriving in two steps, matched with real Splink and the
    committed models (copied): ingest everything but edu_scholarship and crs_death, match
    twice (2025-03-01, 2025-03-02), then ingest the full landing and match (2025-03-03).

    Returns a dict: home (Path), settings, snapshots {run_date: residents DataFrame}."""
    from dataclasses import replace

    import duckdb

    from core.paths import Home
    from matching.api import run_matching
    from matching.settings import load_settings

    root = tmp_path_factory.mktemp("delta")
    landing = generated_small_state["landing"]
    part = root / "landing_part"
    part.mkdir()
    held_back = {"edu_scholarship", "crs_death"}
    for d in landing.iterdir():
        if d.is_dir() and d.name not in held_back:
            shutil.copytree(d, part / d.name)
    home = ensure_key(root / "home")
    models = root / "models"
    shutil.copytree(Path(__file__).resolve().parents[1] / "matching" / "models", models)
    settings = replace(load_settings(), models_dir=models)
    snaps = {}

    def match(day):
        run_matching(home, run_date=day, settings=settings)
        con = duckdb.connect(str(Home.at(home).warehouse), read_only=True)
        try:
            snaps[day] = con.execute("SELECT source, record_id, resident_id FROM "
                                     "matching.residents ORDER BY ALL").df()
        finally:
            con.close()

    for step_landing, days in ((part, ("2025-03-01", "2025-03-02")), (landing, ("2025-03-03",))):
        ing = _srdh("ingest", "--landing", str(step_landing), "--home", str(home), "--no-gx")
        assert ing.returncode == 0, ing.stderr[-2000:]
        for day in days:
            match(day)
    return {"home": home, "settings": settings, "snapshots": snaps, "held_back": held_back,
            "landing": landing}


# --------------------------------------------------------------------------- pytest-xdist
# `make test` runs the suite on two workers (`-n 2 --dist loadgroup
# --no-loadscope-reorder`, so the order below is kept). A worker builds its
# own session fixtures, so every test of one costly fixture family goes to one worker (the
# fixture is built once), and tests using a module-scoped fixture stay with their module.
# The rest are spread one by one. Groups start longest first (measured with --durations),
# so the two workers finish together.
FIXTURE_FAMILIES = {
    "generated_state": "generated_state", "built_state": "generated_state",
    "generated_small_state": "small_state", "jansamvad_home": "small_state",
    "delta_matched_state": "small_state", "matching_toy": "matching_toy",
}
#: Groups (or modules, for ungrouped tests) by measured time, longest first (seconds from
#: `--durations` on a loaded 2-core machine, 2026-12): the schedule is longest first, the
#: rest in file order. Only the order depends on this; a stale list costs balance, not tests.
LONGEST_FIRST = (
    "small_state",          # ~470 s: Spark ~370, delta-matched state, Jan Samvad, review
    "test_readme_tour",     # ~210 s: the README tour, every step on a 400-resident state
    "test_superset_stack",  # ~290 s
    "test_dags_e2e",        # ~180 s
    "test_dbt_lint",        # ~160 s (sqlfluff)
    "test_dags_servers",    # ~145 s
    "generated_state",      # ~140 s: `srdh run`, dbt departments, generator, contract
    "test_dags_fault",      # ~90 s
    "test_ingest_generated", "test_dags_preload", "test_dbt_models",  # ~30-40 s each
)


def _needs(item: pytest.Item) -> tuple[set[str], bool]:
    """The fixture families an item uses, and whether it uses a module-scoped fixture."""
    families = {FIXTURE_FAMILIES[f] for f in item.fixturenames if f in FIXTURE_FAMILIES}
    info = getattr(item, "_fixtureinfo", None)
    scoped = any((defs := info.name2fixturedefs.get(name)) and
                 defs[-1].scope in ("module", "class", "package")
                 for name in item.fixturenames) if info else False
    return families, scoped


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the marks into node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    needs = {item.nodeid: _needs(item) for item in items}
    # a module whose tests use a family joins it whole (its module fixtures are built once)
    module_families: dict[str, set[str]] = {}
    for item in items:
        module_families.setdefault(item.module.__name__, set()).update(needs[item.nodeid][0])
    module_group = {mod: min(fams) if fams else mod for mod, fams in module_families.items()}
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    order = {}
    for item in items:
        mod = item.module.__name__
        marker = item.get_closest_marker("xdist_group")
        group = marker.args[0] if marker and marker.args else None
        if group is None and any(needs[item.nodeid]):
            group = module_group[mod]
            item.add_marker(pytest.mark.xdist_group(group))
        order[item.nodeid] = rank.get(group or mod, len(rank))
    # stable sort: the measured long groups first; the rest keep the file order
    items.sort(key=lambda it: order[it.nodeid])


def pytest_collection_finish(session: pytest.Session) -> None:
    """On an xdist worker, the group must be in the node id (how xdist's loadgroup
    scheduler reads it); if a pytest upgrade loses it again (pytest-xdist#1386), stop
    rather than build every session fixture twice."""
    if not getattr(session.config.option, "loadgroup", False):  # set on xdist workers only
        return
    lost = [it.nodeid for it in session.items
            if it.get_closest_marker("xdist_group") and "@" not in it.nodeid]
    if lost:
        raise pytest.UsageError(f"xdist_group marks not in node ids ({lost[0]}...): this "
                                "pytest breaks pytest-xdist --dist loadgroup; see pyproject")
