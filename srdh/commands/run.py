"""`srdh run`: the whole pipeline, start to finish, with no scheduler."""

from __future__ import annotations

import datetime as dt
import time

import typer

from srdh.commands import show_progress


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
        force: bool = typer.Option(False, help="match and build even when nothing new "
                                                "arrived since the last run"),
    ) -> None:
        """Ingest, link and de-duplicate, build the marts, draw the call list, publish, deliver.

        The same steps the Airflow DAGs run, in order, in this process. Rerunning with the
        same inputs changes nothing; when nothing new arrived (no feed changed, no review
        decision imported since the last match, marts built after it) matching, dbt and
        publish are skipped and the run says so (--force runs them). Ends with a summary
        table: per step the time, what it did and where its outputs are.

        A refused batch (or a file outside the landing layout) does not stop the run:
        everything else is loaded, matched, built and delivered, then the exit code is 3.
        0: everything that arrived was loaded; 2: the command cannot run as asked (e.g.
        --landing does not exist), nothing done.
        """
        from core.errors import parse_date
        from core.paths import Home
        from srdh import pipeline
        from srdh.preflight import NEEDS, require

        day = parse_date(run_date, "--run-date") if run_date else dt.date.today()
        h = Home.at(home)
        pipeline.check_keys(home)  # before anything is made
        results: dict[str, object] = {}
        rows: list[tuple[str, str, str, str]] = []

        def step(name: str, fn) -> None:
            # e.g. no KYR delivered yet: one line, not a traceback (`run --skip-build`
            # publishes whatever the warehouse holds, so publish is not checked here)
            if name in NEEDS and name != "publish":
                require(home, name)
            started = time.monotonic()
            typer.secho(f"== {name}", bold=True, err=True)
            results[name] = fn()
            secs = time.monotonic() - started
            typer.secho(f"   {name} done in {secs:.1f}s", err=True)
            if name == "build":  # dbt's own lines are in its log file
                for line in results[name].layers:
                    typer.secho(f"   {line}", err=True)
            what, where = describe(name, results[name], h)
            rows.append((name, f"{secs:.1f}s", what, where))

        step("ingest", lambda: pipeline.ingest(home, landing))
        unchanged = not force and nothing_new(h, results["ingest"])
        if unchanged:
            typer.secho("   nothing new since the last run (no feed changed, no review "
                        "decision): match, build and publish skipped (--force runs them)",
                        err=True)
            rows += [(s, "-", "skipped: nothing new", "") for s in ("match", "build", "publish")]
        else:
            show_progress(prefix="      ")
            step("match", lambda: pipeline.match(home, day))
        # nothing new and the day's files already written: they would come out the same
        done_today = unchanged and already_delivered(h, day)
        if not skip_build:
            if not unchanged:
                step("build", lambda: pipeline.build(home, day))
            if done_today:
                rows.append(("calllist", "-", "skipped: today's list exists", ""))
            else:
                step("calllist", lambda: pipeline.calllist(home, day, size=calls))
        if not unchanged:
            step("publish", lambda: pipeline.publish(home))
        if not skip_build:
            if done_today:
                rows.append(("deliver", "-", "skipped: today's files exist",
                             str(h.root / "deliveries")))
            else:
                # publish's UID gate has just scanned the warehouse and the home's files,
                # and nothing but the serving copy was written since: deliver does not
                # scan the same bytes again (about 60 CPU-s at 1M); alone, it gates
                gated = "publish" in results
                step("deliver", lambda: pipeline.deliver(home, day, gate=not gated))
        typer.echo(summary_table(rows))
        code = results["ingest"].exit_code
        if code:
            typer.secho(f"run finished, but not everything that arrived was loaded (see the "
                        f"ingest summary above, `srdh quarantine`): exit {code}", err=True)
        raise typer.Exit(code)


def nothing_new(h, ingested) -> bool:
    """True when this run's ingest changed no std table, no review decision was imported
    since the last match, and the marts were built after it: matching and dbt would
    reproduce what is there."""
    from core.stamps import stamped

    last_match, last_build = stamped(h, "match"), stamped(h, "build")
    if ingested.std_rebuilt or not last_match or not last_build or last_build < last_match:
        return False
    import duckdb

    con = duckdb.connect(str(h.warehouse), read_only=True)
    try:
        latest = con.execute("SELECT max(imported_at) FROM matching.review_decisions"
                             ).fetchall()[0][0]
    except duckdb.Error:  # no decisions table yet: nothing imported
        latest = None
    finally:
        con.close()
    return latest is None or latest.isoformat() < last_match


def already_delivered(h, day) -> bool:
    """The day's call list and at least one department's manifest exist."""
    root = h.root / "deliveries"
    calls = root / "jansamvad" / str(day) / "call_list.csv"
    return calls.is_file() and any(root.glob(f"*/{day}/manifest.json"))


def describe(name: str, result, h) -> tuple[str, str]:
    """(what the step did, where its outputs are) from its typed result (srdh/results.py)."""
    if name == "ingest":
        return (f"{len(result.detail.batches)} batch(es), {result.rows_loaded:,} rows loaded, "
                f"{result.rows_quarantined:,} quarantined, {len(result.refused)} refused",
                "srdh quarantine")
    if name == "match":
        return (f"{len(result.sources)} source(s): {result.seeded:,} seeded, "
                f"{result.to_review:,} to review",
                f"matching.* (srdh review export); {getattr(result.detail, 'model', '')}")
    if name == "build":
        return "dbt " + "; ".join(result.layers), str(result.log_path)
    if name == "publish":
        return "serving copy swapped in", str(result.path)
    if name == "deliver":
        return f"{len(result.manifests)} department file set(s)", str(h.root / "deliveries")
    if name == "calllist":
        return f"Jan Samvad call list, {result.rows:,} calls", str(result.csv.parent)
    return "", ""


def summary_table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["", f"{'step':<9} {'time':>7}  {'what':<60} where",
             f"{'-' * 9} {'-' * 7}  {'-' * 60} {'-' * 5}"]
    lines += [f"{n:<9} {t:>7}  {w:<60} {o}" for n, t, w, o in rows]
    return "\n".join(lines)


def _register_deliver(app: typer.Typer) -> None:
    @app.command("deliver")
    def deliver(
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
        run_date: str = typer.Option(None, help="delivery date YYYY-MM-DD (default today)"),
        department: str = typer.Option(
            None, help="one department (default: all, from warehouse/deliveries.yaml and "
                       "the feed registry)"),
        sources: str = typer.Option(None, help="extra feed YAML folder (default $SRDH_SOURCES)"),
    ) -> None:
        """Write the departments' files: uid_seeding, duplicates, flags, inclusion_gaps.

        CSV and Parquet under <home>/deliveries/<source>/<run_date>/ with a manifest.json.
        Full UIDs go only to departments allowed them in warehouse/deliveries.yaml.
        """
        from core.errors import parse_date
        from srdh import pipeline
        from srdh.preflight import require

        day = parse_date(run_date, "--run-date") if run_date else dt.date.today()
        require(home, "deliver")
        delivered = pipeline.deliver(home, day, department=department, sources_dir=sources)
        for manifest in delivered.manifests:
            typer.echo(str(manifest))
