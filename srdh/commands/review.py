"""`srdh review export|import`: the clerical review loop for matching."""

from __future__ import annotations

import typer

from matching.seed import CHECK_SAMPLE

HOME_HELP = "SRDH home (default $SRDH_HOME or ./.srdh)"


def register(app: typer.Typer) -> None:
    review = typer.Typer(
        help="Clerical review: export pairs the model is unsure of, import reviewers' "
             "decisions (they override the model at the next `srdh match`).",
        no_args_is_help=True)

    @review.command("export")
    def export(
        out: str = typer.Option(None, help="output file, .csv or .parquet "
                                           "(default <home>/review/review_queue.csv)"),
        home: str = typer.Option(None, help=HOME_HELP),
        config: str = typer.Option(None, help="matching config YAML"),
        check_sample: int = typer.Option(
            CHECK_SAMPLE, min=0,
            help="seeded records per source and posterior band added as a check sample "
                 "(queue = check), so labels reach the bands above the threshold; 0 = none"),
    ) -> None:
        """Write the review queue (pairs side by side, with Splink's waterfall).

        One row per pair, both records side by side (standardised demographics, UID
        last 4 digits only), the model's match weight and probability, and Splink's
        waterfall (level, Bayes factor and partial weight of every comparison).
        The queue holds the records in review (queue = review), a check sample of
        seeded records in every posterior band (queue = check) and dedupe pairs in
        the review band, most likely true first and within each source's budget
        (review_queue_share, 2% of its records by default; the rest wait and come as
        these are decided). Fill in decision (match / non_match), reviewer, reason (and
        optionally decided_at), then run `srdh review import FILE`. Decisions on
        seeding pairs also check and tune the seed thresholds
        (`srdh review calibration`)."""
        from matching.evidence import export_review
        from matching.settings import load_settings
        from srdh.preflight import require

        settings = load_settings(config)
        require(home, "review")
        res = export_review(home, out, settings, check_sample=check_sample)
        typer.echo(f"{res['pairs']} pairs ({res['seed']} seeding, of them {res['check']} "
                   f"check sample; {res['dedupe']} dedupe) written to {res['path']}")
        if res["backlog"]:
            typer.echo(f"{res['backlog']} more items wait beyond the queue's budget "
                       f"(review_queue_share of each source's records); the next export "
                       f"takes the most likely of them as these are decided")

    @review.command("calibration")
    def calibration_(
        home: str = typer.Option(None, help=HOME_HELP),
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
    ) -> None:
        """Check the seed thresholds against reviewers' decisions (last `srdh match`).

        Per source: the seed threshold in use and how it was chosen (method
        `posteriors`: without labels, for the expected precision target_precision;
        `labels`: tuned on the posteriors corrected by reviewer labels), the
        label-free choice beside it, and per posterior band the labelled records,
        the model's estimated precision, the precision the labels measure (Wilson
        95% interval) and the calibrated precision used for tuning. Labels count
        from the next `srdh match` after `srdh review import`."""
        import json

        from core.paths import Home
        from matching.review import calibration

        res = calibration(Home.at(home).warehouse)
        if as_json:
            typer.echo(json.dumps(res, indent=2, default=str))
            return
        if not res["sources"]:
            typer.echo("no matching run yet: run `srdh match` first")
            return
        typer.echo(f"seed thresholds of the run of {res['run_date']}")
        for source, info in sorted(res["sources"].items()):
            typer.echo(_threshold_line(source, info))
            for b in info.get("bands") or []:
                typer.echo(_band_line(b))


    @review.command("import")
    def import_(
        file: str = typer.Argument(..., help="a reviewed export (CSV)"),
        reviewer: str = typer.Option(None, help="reviewer for rows whose reviewer is blank"),
        home: str = typer.Option(None, help=HOME_HELP),
    ) -> None:
        """Record reviewers' decisions (match / non_match, who, when, why).

        Appends to matching.review_decisions (never overwritten; importing a file
        twice adds nothing). Rows with a blank decision are skipped.
        Decisions take effect at the next `srdh match`."""
        from core.paths import Home
        from matching.review import DecisionFileError, import_decisions

        try:
            res = import_decisions(Home.at(home).warehouse, file, reviewer=reviewer)
        except (DecisionFileError, FileNotFoundError) as exc:
            typer.echo(f"review import: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"{res['read']} decisions read, {res['added']} new; they apply at the "
                   "next `srdh match`")

    app.add_typer(review, name="review")



def _pct(x) -> str:
    return "-" if x is None else f"{x:.2%}"


def _threshold_line(source: str, info: dict) -> str:
    if "seed_threshold" not in info:
        return f"{source}: fixed seed threshold (no auto choice)"
    line = (f"{source}: seed p >= {info['seed_threshold']:.4f}, expected precision "
            f"{_pct(info['expected_precision'])}, chosen by {info.get('method', 'posteriors')}")
    if "labels" in info:
        line += (f" ({info['labels']} labelled records; without labels p >= "
                 f"{info['label_free_threshold']:.4f} at an estimated "
                 f"{_pct(info['label_free_precision'])}, which the labels put at "
                 f"{_pct(info.get('label_checked_precision'))})")
    else:
        line += " (no reviewer labels)"
    if info.get("note"):
        line += f"\n  note: {info['note']}"
    return line


def _band_line(b: dict) -> str:
    ci = ("" if b["wilson_low"] is None
          else f" [{b['wilson_low']:.1%}, {b['wilson_high']:.1%}]")
    return (f"  p {b['lo']:.3f}-{b['hi']:.3f}: {b['labels']:>4} labels, {b['matches']:>4} "
            f"confirmed; estimated {_pct(b['estimated'])}, measured {_pct(b['measured'])}"
            f"{ci}, calibrated {_pct(b['calibrated'])}")
