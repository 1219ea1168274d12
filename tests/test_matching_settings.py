"""matching/config.yaml -> typed settings."""

from __future__ import annotations

import pytest

from matching import dedupe
from matching.settings import CONFIG_PATH, QUEUE_FLOOR, SourceThresholds, load_settings


def test_repo_config_chooses_seed_thresholds_without_labels():
    s = load_settings()
    assert s.backend == "duckdb"
    for source in ("food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death"):
        th = s.thresholds(source)
        # a queue item is at least as likely right as wrong (issue 17's queue limit)
        assert th.auto and th.review_threshold == 0.5 <= th.target_precision < 1
    # one floor for both queues: the seeding's review threshold and the dedupe queue's
    assert SourceThresholds().review_threshold == dedupe.REVIEW_FLOOR == QUEUE_FLOOR
    assert s.thresholds("crs_death").target_precision > s.thresholds("food_pds").target_precision
    assert CONFIG_PATH.exists()


def test_auto_threshold_is_the_lowest_with_the_expected_precision():
    import duckdb

    from matching import seed

    con = duckdb.connect()
    # 98 near-certain records, then 0.9, 0.8, 0.6 and an ambiguous 0.7 (never seeded)
    rows = [(0.9999, "best_link")] * 98 + [(0.9, "below_seed"), (0.8, "below_seed"),
                                           (0.6, "below_seed"), (0.7, "ambiguous")]
    con.execute("CREATE TABLE prov AS SELECT * FROM (VALUES " + ", ".join(
        f"({p}, '{r}')" for p, r in rows) + ") t(match_probability, reason)")
    th = SourceThresholds(review_threshold=0.2, target_precision=0.995)
    t, expected = seed.choose_seed_threshold(con, "prov", th)
    # down to 0.8 the mean is 0.9969; with 0.6 it would fall to 0.9930
    assert t == 0.8 and expected == pytest.approx((98 * 0.9999 + 0.9 + 0.8) / 100)
    strict = SourceThresholds(review_threshold=0.2, target_precision=0.999)
    assert seed.choose_seed_threshold(con, "prov", strict)[0] == 0.9999
    none = SourceThresholds(review_threshold=0.2, target_precision=0.99999)
    assert seed.choose_seed_threshold(con, "prov", none) == (1.0, 1.0)


def test_overrides_from_yaml(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("defaults: {seed_threshold: 0.9, review_threshold: 0.2}\n"
                 "sources:\n  food_pds: {seed_threshold: 0.999, null_weight: 15}\n"
                 "prediction: {chunks: 3}\n")
    s = load_settings(p)
    assert s.thresholds("food_pds").seed_threshold == 0.999
    assert s.thresholds("food_pds").review_threshold == 0.2  # inherits defaults
    assert s.thresholds("food_pds").null_weight == 15.0
    assert s.thresholds("other").seed_threshold == 0.9
    assert s.prediction.chunks == 3


def test_unknown_threshold_key_and_backend_rejected(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("defaults: {seed_treshold: 0.9}\n")
    with pytest.raises(ValueError):
        load_settings(p)
    p.write_text("backend: oracle\n")
    with pytest.raises(ValueError):
        load_settings(p)


def test_spark_block_and_cli_backend_options(tmp_path):
    from srdh.commands.match import _settings

    p = tmp_path / "c.yaml"
    p.write_text("backend: spark\nspark: {master: 'spark://head:7077', exchange_dir: "
                 "/shared/srdh, conf: {spark.driver.memory: 8g}}\n")
    s = load_settings(p)
    assert (s.backend, s.spark.master, s.spark.exchange_dir) == (
        "spark", "spark://head:7077", "/shared/srdh")
    assert s.spark.conf == {"spark.driver.memory": "8g"}
    assert load_settings().spark.master == "local[*]"
    # `srdh match --backend spark --spark-master URL` overrides the config
    cli = _settings(None, "spark", "local[2]")
    assert (cli.backend, cli.spark.master) == ("spark", "local[2]")
    assert _settings(None).backend == "duckdb"
    import typer

    with pytest.raises(typer.BadParameter, match="duckdb or spark"):
        _settings(None, "sparkk")


def _leaves(raw, path=()):
    """(key path, value) of every setting in a config mapping (sources.<feed>.<key> too)."""
    if isinstance(raw, dict) and raw and (len(path) < 2 or path[:1] == ("sources",)
                                          and len(path) == 2):
        for k, v in raw.items():
            yield from _leaves(v, (*path, k))
    else:
        yield path, raw


def test_every_default_lives_once_in_the_typed_settings(tmp_path, monkeypatch):
    """The dataclasses hold every default; the loader adds none of its own, and the
    repository's config.yaml (and SOURCE_OVERRIDES) only ever change one."""
    from dataclasses import replace

    import yaml

    from matching.settings import MODEL_ENV, SOURCE_OVERRIDES, MatchSettings, SourceThresholds

    monkeypatch.delenv(MODEL_ENV, raising=False)  # tests/conftest.py sets it (committed)

    p = tmp_path / "c.yaml"
    p.write_text("# nothing set\n")
    assert load_settings(p) == MatchSettings()
    base = MatchSettings()
    for section, key, value in [("defaults", "null_weight", 13.0), ("dedupe", "threshold", 0.95),
                                ("training", "u_max_pairs", 5e5), ("prediction", "chunks", 2),
                                ("spark", "master", "local[2]")]:
        p.write_text(yaml.safe_dump({section: {key: value}}))
        got = load_settings(p)
        # one key changes, every other key of the section keeps the typed default
        assert getattr(got, section) == replace(getattr(base, section), **{key: value})
        if section != "defaults":
            assert got.defaults == base.defaults and got.sources == base.sources
    for feed, keys in SOURCE_OVERRIDES.items():
        assert all(getattr(SourceThresholds(), k) != v for k, v in keys.items()), feed
    raw = yaml.safe_load(CONFIG_PATH.read_text()) or {}
    restated = []
    for path, value in (leaf for leaf in _leaves(raw) if leaf[0]):
        one: dict = value
        for part in reversed(path):
            one = {part: one}
        p.write_text(yaml.safe_dump(one))
        if load_settings(p) == base:
            restated.append(".".join(map(str, path)))
    assert not restated, f"config.yaml restates typed defaults: {restated}"
    # and the restating is caught: a copy of a default is reported
    p.write_text("dedupe: {threshold: 0.99}\n")
    assert load_settings(p) == base


def test_model_source_from_config_env_and_its_check(tmp_path, monkeypatch):
    """`model`: home by default, `committed` from the config or $SRDH_MATCHING_MODEL
    (which wins over the file); any other value is a config error."""
    from core.errors import ConfigError
    from matching.settings import MODEL_ENV

    monkeypatch.delenv(MODEL_ENV, raising=False)
    p = tmp_path / "c.yaml"
    p.write_text("# nothing set\n")
    assert load_settings(p).model == "home"
    p.write_text("model: committed\n")
    assert load_settings(p).model == "committed"
    monkeypatch.setenv(MODEL_ENV, "home")
    assert load_settings(p).model == "home"
    monkeypatch.setenv(MODEL_ENV, "repo")
    with pytest.raises(ConfigError, match="model must be one of home, committed"):
        load_settings(p)
