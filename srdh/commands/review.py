"""`srdh review export|import`: the clerical review loop for matching."""

from __future__ import annotations

import typer

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
    ) -> None:
        """Write the review queue (pairs side by side, with Splink's waterfall).

        One row per pair, both records side by side (standardised demographics, UID
        last 4 digits only), the model's match weight and probability, and Splink's
        waterfall (level, Bayes factor and partial weight of every comparison).
        Fill in decision (match / non_match), reviewer, reason (and optionally
        decided_at), then run `srdh review import FILE`."""
        from matching.evidence import export_review
        from matching.settings import load_settings
        from srdh.preflight import require

        settings = load_settings(config)
        require(home, "review")
        res = export_review(home, out, settings)
        typer.echo(f"{res['pairs']} pairs ({res['seed']} seeding, {res['dedupe']} dedupe) "
                   f"written to {res['path']}")

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
