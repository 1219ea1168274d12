"""`srdh airflow up | stop | status`: a real local Airflow running the SRDH DAGs."""

from __future__ import annotations

import json

import typer

HOME_HELP = "SRDH home (default $SRDH_HOME or ./.srdh)"


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help="Run the pipeline through a local Airflow (api-server, scheduler, "
                           "dag-processor, triggerer on 127.0.0.1).", no_args_is_help=True)
    app.add_typer(sub, name="airflow")

    def _runner(home: str | None, port: int = 8080, landing: str | None = None):
        from pathlib import Path

        from core.paths import Home
        from srdh_tools.runner import AirflowRunner

        return AirflowRunner(Home.at(home), port=port,
                             landing=Path(landing).resolve() if landing else None, echo=typer.echo)

    @sub.command("up")
    def up(
        home: str = typer.Option(None, help=HOME_HELP),
        landing: str = typer.Option(None, help="landing folder (default $SRDH_LANDING or "
                                               "<home>/landing)"),
        port: int = typer.Option(8080, help="api-server / UI port on 127.0.0.1"),
        run: bool = typer.Option(True, "--run/--no-run",
                                 help="trigger srdh_full_run and wait for it"),
        timeout: float = typer.Option(7200, help="seconds to wait for the full run"),
    ) -> None:
        """Start Airflow (if not running), run `srdh_full_run`, print the UI URL and login."""
        import os

        from srdh_tools.runner import AirflowError

        r = _runner(home, port, landing or os.environ.get("SRDH_LANDING"))
        try:
            state = r.up(run=run, timeout=timeout)
        except AirflowError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if state == "failed":
            typer.echo(f"srdh_full_run failed; see the Airflow UI and {r.home.logs}/failures.jsonl",
                       err=True)
            raise typer.Exit(1)

    @sub.command("stop")
    def stop(home: str = typer.Option(None, help=HOME_HELP)) -> None:
        """Stop every Airflow process of this home (the whole process group)."""
        r = _runner(home)
        typer.echo("Airflow stopped" if r.stop() else "Airflow was not running")

    @sub.command("status")
    def status(home: str = typer.Option(None, help=HOME_HELP)) -> None:
        """Show whether Airflow is running for this home, its URL and health."""
        r = _runner(home)
        info = r.status()
        if info["running"]:
            info["login"] = r.login_banner()
        typer.echo(json.dumps(info, indent=2, default=str))
        if not info["running"]:
            raise typer.Exit(3)
