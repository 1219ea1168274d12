"""A landing may hold any subset of feeds: with no KYR loaded yet, matching still
de-duplicates the department lists (nothing is seeded, no seed model is trained)."""

from __future__ import annotations

from dataclasses import replace

import duckdb


def test_department_without_kyr_is_deduplicated_not_seeded(tmp_path):
    from matching_helpers import make_state, write_warehouse

    from core.paths import Home
    from matching.api import run_matching
    from matching.settings import load_settings

    home = Home.at(tmp_path / "home")
    _kyr, dept, truth = make_state(800, 500, seed=3)
    write_warehouse(home.warehouse, {"dept_a": dept})  # no std.uid_kyr
    s = load_settings(departments=("dept_a",), models_dir=tmp_path / "models",
                      extra_linked_feeds=())
    s = replace(s, training=replace(s.training, u_max_pairs=3e5, em_max_pairs=2e5))
    res = run_matching(home, run_date="2025-03-01", settings=s)

    assert res.trained == ["dedupe"]  # no seed model trained against an empty register
    assert res.counts["dept_a"] == {"unmatched": len(dept)}
    con = duckdb.connect(str(home.warehouse), read_only=True)
    try:
        rid = dict(con.execute("SELECT source_record_id, resident_id FROM matching.seeding "
                               "WHERE source = 'dept_a'").fetchall())
    finally:
        con.close()
    # the planted copies ("<id>D") land with their original, and few strangers are joined
    copies = [r for r in rid if r.endswith("D") and truth.get(r)]
    assert copies
    found = sum(rid[r] == rid[r[:-1]] for r in copies)
    assert found / len(copies) >= 0.8
    groups: dict[str, list[str]] = {}
    for r, g in rid.items():
        groups.setdefault(g, []).append(r)
    wrong = sum(len({truth.get(r) or r for r in m}) > 1 for m in groups.values() if len(m) > 1)
    assert wrong <= 0.05 * sum(len(m) > 1 for m in groups.values())
