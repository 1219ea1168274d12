"""`srdh build`, `srdh publish`, `srdh card` and `srdh docs`: the dbt warehouse models and
what they serve."""

from __future__ import annotations

from pathlib import Path

import typer

HOME_HELP = "SRDH home (default $SRDH_HOME or ./.srdh)"


def register(app: typer.Typer) -> None:
    @app.command("build")
    def build(
        home: str = typer.Option(None, help=HOME_HELP),
        select: list[str] = typer.Option(None, "--select", "-s", help="dbt selection (repeatable)"),
    ) -> None:
        """Run `dbt build`: the resident register, households, cards, scheme and quality marts."""
        from srdh.preflight import require
        from warehouse.dbt import DbtError
        from warehouse.dbt import build as dbt_build

        try:
            require(home, "build")
            res = dbt_build(home, select=select or None)
        except DbtError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        counts: dict[str, int] = {}
        for r in res.results:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        typer.echo("dbt build: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
        for line in res.by_layer():
            typer.echo(f"  {line}")
        typer.echo(f"  dbt's log: {res.log_path}")

    @app.command("publish")
    def publish(home: str = typer.Option(None, help=HOME_HELP)) -> None:
        """Publish the read-only serving copy Superset reads (after `srdh build`; `srdh run`
        publishes too). The UID gate runs first: a raw UID outside the vault stops it
        (exit 2) and the copy dashboards read stays as it was."""
        from srdh import pipeline
        from srdh.preflight import require

        require(home, "publish")
        path = pipeline.publish(home)
        typer.echo(f"published {path} (Superset reads it: `make up`, or docs/superset.md)")

    @app.command("card")
    def card(
        household_id: str = typer.Argument(..., help="household id, e.g. HH-1a2b3c4d5e6f7a8b"),
        html: Path = typer.Option(None, "--html", help="write a printable HTML card here"),
        photos: bool = typer.Option(False, "--photos", help="add the members' KYR photographs "
                                    "to the HTML card (needs --html, --purpose and --by; "
                                    "logged in the vault)"),
        purpose: str = typer.Option(None, help="why the photographs are needed (logged)"),
        by: str = typer.Option(None, help="who asks: name or role (logged)"),
        home: str = typer.Option(None, help=HOME_HELP),
    ) -> None:
        """Print a household card (masked UIDs only), or render it to printable HTML."""
        from core.errors import UserError
        from srdh.preflight import require, require_home
        from warehouse.card import CardNotFound, _database, load_card, render_text, write_html
        from warehouse.photos import check_photo_request, data_uri, show_photos

        check_photo_request(photos, purpose, by)
        if photos and not html:
            raise UserError("--photos shows photographs on the HTML card only: add --html FILE")
        require(home, "card", database=_database(require_home(home), None))
        try:
            data = load_card(home, household_id)
        except (CardNotFound, FileNotFoundError) as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from exc
        if html:
            shown = None
            if photos:
                files = show_photos(home, [m["resident_id"] for m in data["members"]],
                                    purpose, by, detail=f"household card {household_id}")
                shown = {rid: data_uri(f) for rid, f in files.items()}
                typer.echo(f"{len(shown)} photograph(s) shown; the display is logged in the vault")
            typer.echo(f"wrote {write_html(data, html, shown)}")
        else:
            typer.echo(render_text(data), nl=False)

    @app.command("docs")
    def docs(home: str = typer.Option(None, help=HOME_HELP)) -> None:
        """Generate the dbt docs site into <home>/dbt_docs (open index.html or `dbt docs serve`)."""
        from warehouse.dbt import docs as dbt_docs

        typer.echo(f"dbt docs: {dbt_docs(home)}")
