"""`srdh ingest`, `srdh quarantine` and `srdh vault ...`: loading feeds, reviewing rejects,
and the UID vault."""

from __future__ import annotations

import os
from typing import Annotated

import typer

HOME_HELP = "SRDH home (default $SRDH_HOME or ./.srdh)"


def register(app: typer.Typer) -> None:
    @app.command("ingest")
    def ingest(
        landing: str = typer.Option(None, help="landing folder <landing>/<feed>/<date>/*.csv "
                                    "(default: the home's landing/)"),
        home: str = typer.Option(None, help=HOME_HELP),
        feed: Annotated[list[str] | None, typer.Option(
            "--feed", help="only this feed (repeatable)")] = None,
        sources: str = typer.Option(None, help="extra feed YAML folder (default $SRDH_SOURCES)"),
        gx: bool = typer.Option(True, "--gx/--no-gx", help="run Great Expectations suites "
                                "(also off with SRDH_GX=0)"),
        rebuild_std: bool = typer.Option(False, "--rebuild-std", help="rebuild std.* from "
                                         "raw for every loaded feed (or --feed), not only "
                                         "those with new batches: after an upgrade"),
    ) -> None:
        """Load every delivery that arrived: validate, quarantine, vault UIDs, build std.

        Exit code 0 when everything that arrived was loaded (quarantined rows are reported,
        not failures); 3 when a batch was refused or a file or folder is outside the layout
        <feed>/<YYYY-MM-DD>/*.csv (the other batches still load); 2 when the landing folder
        does not exist or a --feed is unknown (nothing is created)."""
        from core.paths import Home
        from ingest.load import ingest as run_ingest

        h = Home.at(home)
        run = run_ingest(landing or h.landing, h, feeds=feed or None, sources=sources,
                         gx=gx and os.environ.get("SRDH_GX", "1") != "0", echo=typer.echo,
                         rebuild_std=rebuild_std)
        if run.refused:
            typer.echo(f"{len(run.refused)} batch(es) refused; see `srdh quarantine` and "
                       "meta.batches", err=True)
        if run.problems or run.unknown:
            typer.echo(f"{len(run.problems) + len(run.unknown)} file(s) or folder(s) outside "
                       "the landing layout were not loaded (listed above)", err=True)
        raise typer.Exit(run.exit_code)

    @app.command("quarantine")
    def quarantine_cmd(
        feed: str = typer.Option(None, help="only this feed"),
        batch: str = typer.Option(None, help="only this batch, e.g. food_pds/2025-01-31"),
        limit: int = typer.Option(200, help="at most this many problems listed"),
        home: str = typer.Option(None, help=HOME_HELP),
    ) -> None:
        """List quarantined rows (by feed and batch) and refused batches."""
        import duckdb

        from ingest import quarantine
        from ingest.registry import load_registry, require_feeds
        from srdh.preflight import require_home

        if feed:
            require_feeds([feed], load_registry())
        h = require_home(home)
        con = duckdb.connect(str(h.warehouse), read_only=True)
        try:
            has = con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                              "table_schema='quarantine' AND table_name='rows'").fetchone()[0]
            if not has:
                typer.echo("nothing quarantined")
                return
            summ = quarantine.summary(con, feed)
            if batch:
                summ = [s for s in summ if s[1] == batch]
            if not summ:  # a table with no rows under it reads as a fault
                typer.echo("no quarantined rows" + (f" in {batch}" if batch else "")
                           + (f" for feed {feed}" if feed else ""))
            else:
                typer.echo(f"{'feed':<16} {'batch':<34} {'rows':>7} {'problems':>8}")
                for f, b, n, p in summ:
                    typer.echo(f"{f:<16} {b:<34} {n:>7} {p:>8}")
                typer.echo("")
                typer.echo(f"{'batch':<30} {'file':<24} {'row':>7}  {'column':<18} reason")
                for _f, b, fn, row, col, reason in quarantine.listing(con, feed, batch, limit):
                    typer.echo(f"{b:<30} {fn[:24]:<24} {row:>7}  {str(col)[:18]:<18} {reason}")
            refused = con.execute(
                "SELECT batch_id, reason FROM meta.batches WHERE status='refused' "
                + ("AND feed = ? " if feed else "") + "QUALIFY row_number() OVER "
                "(PARTITION BY batch_id ORDER BY finished_at DESC) = 1 ORDER BY batch_id",
                [feed] if feed else []).fetchall()
            if refused:
                typer.echo("\nrefused batches (nothing loaded from them):")
                for b, reason in refused:
                    typer.echo(f"  {b}: {reason}")
            notes = con.execute(
                "SELECT batch_id, file_name, column_name, count(*) FROM meta.dq_notes "
                + ("WHERE feed = ? " if feed else "") + "GROUP BY ALL ORDER BY ALL",
                [feed] if feed else []).fetchall() if has_table(con, "meta", "dq_notes") else []
            if notes:
                typer.echo("\nAadhaar numbers outside the UID column, masked (rows loaded;"
                           " ask the sender to fix):")
                for b, fn, col, n in notes:
                    typer.echo(f"  {b}: {fn}, column {col}: {n} row(s)")
        finally:
            con.close()

    def has_table(con, schema: str, table: str) -> bool:
        return con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                           "table_schema = ? AND table_name = ?", [schema, table]).fetchone()[0]

    vault_app = typer.Typer(help="The UID vault: encrypted Aadhaar numbers, logged reveals.",
                            no_args_is_help=True)

    @vault_app.command("init-key")
    def init_key(home: str = typer.Option(None, help=HOME_HELP)) -> None:
        """Create a new vault keyring (mode 0600) for a new home. Refuses to overwrite a
        key, or to start a key for a vault that already holds UIDs (restore its key)."""
        from core.paths import Home
        from ingest.tokens import init_key as make

        typer.echo(f"created: {make(Home.at(home))} - back it up apart from the home "
                   "(docs/operations.md, 'Backups')")

    @vault_app.command("rotate")
    def rotate(
        home: str = typer.Option(None, help=HOME_HELP),
        new_key_file: str = typer.Option(None, help="where to write the new keyring when "
                                         "the key comes from $SRDH_VAULT_KEY(_COMMAND)"),
    ) -> None:
        """Re-encrypt every UID under a new encryption key; tokens stay the same."""
        from core.paths import Home
        from ingest.vault import rotate_keys

        path, key_id, n = rotate_keys(Home.at(home), new_key_file)
        typer.echo(f"rotated: {n:,} UID(s) re-encrypted under key id {key_id}; tokens "
                   f"unchanged; keyring {path}. Back it up now: vault backups made before "
                   "this need the previous key.")

    @vault_app.command("verify-log")
    def verify_log(home: str = typer.Option(None, help=HOME_HELP)) -> None:
        """Check the access log's hash chain: a deleted or edited row is reported."""
        from ingest.tokens import require_keys
        from ingest.vault import Vault
        from srdh.preflight import require_home

        h = require_home(home)
        with Vault(h, require_keys(h)) as v:
            problems = v.log.problems()
            n = v.con.execute("SELECT count(*) FROM access_log").fetchone()[0]
        for p in problems:
            typer.echo(p, err=True)
        if problems:
            raise typer.Exit(1)
        typer.echo(f"access log intact: {n:,} row(s)")

    @vault_app.command("reveal")
    def reveal(
        token: str = typer.Argument(..., help="uid_token to decrypt"),
        purpose: str = typer.Option(..., help="why the number is needed, in words (logged)"),
        by: str = typer.Option(..., help="who asks: name or role (logged, with the OS user)"),
        home: str = typer.Option(None, help=HOME_HELP),
    ) -> None:
        """Decrypt one UID for a stated purpose; every reveal is logged in the vault."""
        from ingest.audit import check_request
        from ingest.tokens import require_keys
        from ingest.vault import Vault
        from srdh.preflight import require_home

        h = require_home(home)
        check_request(purpose, by)
        with Vault(h, require_keys(h)) as v:
            uid = v.reveal(token, purpose=purpose, by=by)
        if uid is None:
            typer.echo("no such token in the vault", err=True)
            raise typer.Exit(1)
        typer.echo(uid)

    app.add_typer(vault_app, name="vault")
