"""matching/config.yaml -> typed settings."""

from __future__ import annotations

import pytest

from matching.settings import CONFIG_PATH, load_settings


def test_repo_config_loads_with_per_source_thresholds():
    s = load_settings()
    assert s.backend == "duckdb"
    for source in ("food_pds", "sw_pension", "rd_mgnrega", "edu_scholarship", "crs_death"):
        th = s.thresholds(source)
        assert 0 < th.review_threshold < th.seed_threshold <= 1
    assert CONFIG_PATH.exists()


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
