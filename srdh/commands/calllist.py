"""`srdh calllist`: the day's Jan Samvad outbound call list."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("calllist")
    def calllist(
        date: str = typer.Option(..., "--date", "-d", help="Call date, YYYY-MM-DD."),
        size: int = typer.Option(..., "--size", "-n", min=1, help="Households to call."),
        seed: int = typer.Option(0, "--seed", "-s",
                                 help="Sampling seed; the same date and seed give the same list."),
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
        strata: str = typer.Option(None, "--strata",
                                   help="Strata config YAML (default warehouse/calllist.yaml)."),
        recent_days: int = typer.Option(
            None, "--recent-days", min=0,
            help="Skip households called in the last K days (default: from the strata config)."),
    ) -> None:
        """Sample beneficiary households, stratified by scheme and district, skipping recent
        calls, do-not-call requests and households with no reachable mobile; write
        <home>/deliveries/jansamvad/<date>/call_list.{csv,parquet} and jansamvad.call_lists."""
        from core.errors import parse_date
        from srdh.preflight import require_home
        from warehouse.calllist import make_call_list

        day = parse_date(date).isoformat()
        require_home(home)
        try:
            res = make_call_list(home, day, size, seed=seed, strata_file=strata,
                                 recent_days=recent_days)
        except (FileNotFoundError, RuntimeError, ValueError) as exc:
            typer.echo(f"calllist: {exc}", err=True)
            raise typer.Exit(1) from None
        typer.echo(f"call list {res.date}: {res.rows} households from {res.strata} strata "
                   f"({res.eligible_households} eligible, frame: {res.frame})")
        typer.echo(f"  {res.csv}")
        typer.echo(f"  {res.parquet}")
