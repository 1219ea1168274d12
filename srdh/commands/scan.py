"""`srdh scan`: look for raw UIDs outside the vault (the gate publish and deliver run)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("scan")
    def scan(
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
    ) -> None:
        """Scan the warehouse, the serving copy and every file in the home for raw UIDs.

        Leaves out the vault, the landing and truth folders and the full UIDs of
        uid_seeding deliveries. One line per finding, masked (XXXX-XXXX-1234); exit code
        3 when anything is found, 0 when the home is clean.
        """
        from core.errors import EXIT_OK, EXIT_REFUSED
        from ingest.uid_scan import scan_for_uids
        from srdh.preflight import require_home

        h = require_home(home)  # a missing home is a one-line error, nothing created
        findings = scan_for_uids(h)
        for f in findings:
            typer.echo(str(f))
        typer.echo(f"{len(findings)} raw UID(s) found outside the vault in {h.root}",
                   err=True)
        raise typer.Exit(EXIT_REFUSED if findings else EXIT_OK)
