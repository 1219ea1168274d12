"""`srdh match`, `srdh train`, `srdh evaluate`: UID seeding and de-duplication."""

from __future__ import annotations

import typer

from srdh.commands import show_progress

HOME_HELP = "SRDH home (default $SRDH_HOME or ./.srdh)"
CONFIG_HELP = "matching config YAML (default matching/config.yaml)"


BACKEND_HELP = ("duckdb | spark (default: the config's `backend`); spark needs the "
                "`spark` extra and Java 17 (matching/README.md, \"Backends\")")
MASTER_HELP = ("Spark master URL when no Spark session is active, e.g. spark://host:7077 "
               "(default: the config's spark.master, local[*])")


MODEL_HELP = ("home: this home's own models (<home>/models), trained on its first run; "
              "committed: matching/models, as the demo does (default: $SRDH_MATCHING_MODEL, "
              "else the config's `model`, else home)")


def _settings(config: str | None, backend: str | None = None, master: str | None = None,
              model: str | None = None):
    from dataclasses import replace

    from matching.settings import MODEL_SOURCES, load_settings

    settings = load_settings(config)
    if model:
        if model not in MODEL_SOURCES:
            raise typer.BadParameter(f"{model!r}: use {' or '.join(MODEL_SOURCES)}",
                                     param_hint="--model")
        settings = replace(settings, model=model)
    if backend:
        if backend not in ("duckdb", "spark"):
            raise typer.BadParameter(f"{backend!r}: use duckdb or spark", param_hint="--backend")
        settings = replace(settings, backend=backend)
    if master:
        settings = replace(settings, spark=replace(settings.spark, master=master))
    return settings


def register(app: typer.Typer) -> None:
    @app.command("match")
    def match(
        home: str = typer.Option(None, help=HOME_HELP),
        run_date: str = typer.Option(None, help="run date YYYY-MM-DD (default today)"),
        config: str = typer.Option(None, help=CONFIG_HELP),
        retrain: bool = typer.Option(False, help="retrain every model before matching"),
        model: str = typer.Option(None, help=MODEL_HELP),
        backend: str = typer.Option(None, help=BACKEND_HELP),
        spark_master: str = typer.Option(None, help=MASTER_HELP),
        no_deliveries: bool = typer.Option(
            False, hidden=True, help="kept for old scripts: `srdh match` writes no files"),
    ) -> None:
        """Seed UIDs (each source against KYR), de-duplicate and write matching.*.

        Uses this home's models (<home>/models/current); a home without one trains them
        on this first run (EM, no labels) and keeps them there as a version named after
        the run. `--model committed` (or SRDH_MATCHING_MODEL=committed) uses
        matching/models/ instead, as the demo does.
        Resident ids are stable across runs (matching.resident_id_map, id_history) and
        reviewers' decisions (`srdh review`) override the model. Department files are
        written by `srdh deliver` (after `srdh build`), which applies the full-UID rule of
        warehouse/deliveries.yaml.
        """
        from core.errors import parse_date
        from matching.api import run_matching
        from srdh.preflight import require

        if run_date:
            parse_date(run_date, "--run-date")
        settings = _settings(config, backend, spark_master, model)
        require(home, "match")
        show_progress()
        res = run_matching(home, run_date=run_date, settings=settings, retrain=retrain)
        typer.echo(f"run date {res.run_date} on {settings.backend}; {res.model}")
        for source in res.sources:
            c = res.counts.get(source, {})
            typer.echo(f"{source:<18} seeded {c.get('seeded', 0):>8}  review "
                       f"{c.get('review', 0):>7}  unmatched {c.get('unmatched', 0):>7}  "
                       f"duplicates {res.duplicates.get(source, 0):>6}"
                       + _threshold_note(res.thresholds.get(source)))
        typer.echo("department files: `srdh build` then `srdh deliver`")
        typer.echo(f"total {res.timings.get('total', 0):.1f}s")

    @app.command("train")
    def train(
        home: str = typer.Option(None, help=HOME_HELP),
        config: str = typer.Option(None, help=CONFIG_HELP),
        backend: str = typer.Option(None, help=BACKEND_HELP),
        spark_master: str = typer.Option(None, help=MASTER_HELP),
        committed: bool = typer.Option(
            False, help="write matching/models/ (the committed demo models, for review "
                        "and commit) instead of a new version in <home>/models"),
    ) -> None:
        """Retrain the matching models (u by random sampling, then EM) from this home's data.

        Writes a new version of this home's models (<home>/models/<run id>/, with a
        manifest) and points <home>/models/current at it; the next `srdh match` uses it."""
        from matching.api import train_models
        from srdh.preflight import require

        settings = _settings(config, backend, spark_master)
        require(home, "train")
        show_progress()
        trained, where = train_models(home, settings, committed=committed)
        typer.echo("trained: " + ", ".join(trained))
        typer.echo(f"written to {where}")

    @app.command("evaluate")
    def evaluate(
        truth: str = typer.Option(None, help="generator truth folder (default <home>/truth)"),
        home: str = typer.Option(None, help=HOME_HELP),
        config: str = typer.Option(None, help=CONFIG_HELP),
        no_baselines: bool = typer.Option(False, help="skip the two baselines"),
        baselines: str = typer.Option(
            "exact,splink_tutorial",
            help="which baselines to run, comma-separated (the Splink tutorial's blocking "
                 "grows with the square of the state: at 100k it did not finish in 28 min)"),
        rerun: bool = typer.Option(False, help="run `srdh match` first even if results exist"),
    ) -> None:
        """Accuracy per source against the truth, for SRDH and two baselines.

        Seeding precision/recall, review share and duplicate-pair F1 for SRDH, the
        exact-match baseline and the Splink-tutorial baseline; writes
        <home>/reports/evaluation.json."""
        from matching.api import run_evaluation
        from matching.evaluate import baseline_set, format_table

        wanted = [] if no_baselines else [b.strip() for b in baselines.split(",") if b.strip()]
        try:
            baseline_set(wanted)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--baselines") from exc
        report = run_evaluation(home, truth, baselines=wanted, rerun=rerun,
                                settings=_settings(config))
        typer.echo(format_table(report))
        typer.echo(f"written {report['path']}")


def _threshold_note(chosen: dict | None) -> str:
    """The seed threshold chosen on this run (auto), with the precision it expects."""
    if not chosen:
        return ""
    note = (f"  seed p >= {chosen['seed_threshold']:.3f} "
            f"(expected precision {chosen['expected_precision']:.2%}")
    if chosen.get("method") == "labels":
        note += (f", tuned on {chosen['labels']} reviewer labels; without them "
                 f"{chosen['label_free_threshold']:.3f}")
    elif "labels" in chosen:
        note += f"; {chosen['labels']} reviewer labels, not used: srdh review calibration"
    return note + ")"
