"""`srdh run`: the whole pipeline, start to finish, with no scheduler."""

from __future__ import annotations

import datetime as dt
import time

import typer


def register(app: typer.Typer) -> None:
    _register_run(app)
    _register_deliver(app)


def _register_run(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        landing: str = typer.Option(..., help="landing folder: <feed>/<YYYY-MM-DD>/*.csv"),
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
        run_date: str = typer.Option(None, help="run date YYYY-MM-DD (default today)"),
        skip_build: bool = typer.Option(False, help="stop after matching (no dbt build)"),
        calls: int = typer.Option(200, help="size of the day's Jan Samvad call list"),
    ) -> None:
        """Ingest, link and de-duplicate, build the marts, draw the call list, publish, deliver.

        The same steps the Airflow DAGs run, in order, in this process. Rerunning with the
        same inputs changes nothing. A refused batch (or a file outside the landing layout)
        does not stop the run: everything else is loaded, matched, built and delivered,
        then the exit code is 3. 0: everything that arrived was loaded; 2: the command
        cannot run as asked (e.g. --landing does not exist), nothing done.
        """
        from srdh import pipeline
        from srdh.errors import parse_date

        day = parse_date(run_date, "--run-date") if run_date else dt.date.today()
        ingested = []
        pipeline.check_keys(home)  # before anything is made
        steps = [
            ("ingest", lambda: ingested.append(pipeline.ingest(home, landing))),
            ("match", lambda: pipeline.match(home, day)),
        ]
        if not skip_build:
            steps += [("build", lambda: pipeline.build(home, day)),
                      ("calllist", lambda: pipeline.calllist(home, day, size=calls))]
        steps += [("publish", lambda: pipeline.publish(home))]
        if not skip_build:
            steps += [("deliver", lambda: pipeline.deliver(home, day))]
        from srdh.preflight import NEEDS, require

        for name, step in steps:
            if name in NEEDS:  # e.g. no KYR delivered yet: one line, not a traceback
                require(home, name)
            started = time.monotonic()
            typer.secho(f"== {name}", bold=True, err=True)
            step()
            typer.secho(f"   {name} done in {time.monotonic() - started:.1f}s", err=True)
        code = ingested[0].exit_code if ingested else 0
        if code:
            typer.secho(f"run finished, but not everything that arrived was loaded (see the "
                        f"ingest summary above, `srdh quarantine`): exit {code}", err=True)
        raise typer.Exit(code)


def _register_deliver(app: typer.Typer) -> None:
    @app.command("deliver")
    def deliver(
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
        run_date: str = typer.Option(None, help="delivery date YYYY-MM-DD (default today)"),
        department: str = typer.Option(
            None, help="one department from warehouse/deliveries.yaml (default: all)"),
    ) -> None:
        """Write the departments' files: uid_seeding, duplicates, flags, inclusion_gaps.

        CSV and Parquet under <home>/deliveries/<source>/<run_date>/ with a manifest.json.
        Full UIDs go only to departments allowed them in warehouse/deliveries.yaml.
        """
        from srdh import pipeline
        from srdh.errors import parse_date
        from srdh.preflight import require

        day = parse_date(run_date, "--run-date") if run_date else dt.date.today()
        require(home, "deliver")
        for manifest in pipeline.deliver(home, day, department=department):
            typer.echo(str(manifest))
