"""`srdh paths`: show where this home keeps things."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("paths")
    def paths(
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
    ) -> None:
        """Print the folders and files of the SRDH home."""
        from core.paths import Home

        h = Home.at(home)
        for name in ("root", "landing", "truth", "warehouse", "serving", "vault", "photos",
                     "secrets", "deliveries", "gx_docs", "logs"):
            typer.echo(f"{name:<11} {getattr(h, name)}")
