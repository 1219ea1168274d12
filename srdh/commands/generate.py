"""`srdh generate`: write a synthetic Chhattisgarh state (every feed) plus its ground truth."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate(
        residents: int = typer.Option(
            20000, "--residents", "-n", min=100,
            help="Number of synthetic residents (people, including the recently deceased)."),
        seed: int = typer.Option(42, "--seed", "-s",
                                 help="Random seed; the same seed and size give identical files."),
        out: str = typer.Option(
            None, "--out", "-o",
            help="Landing folder to write <out>/<feed>/<YYYY-MM-DD>/<name>.csv into "
                 "(default: the SRDH home's landing folder). Existing folders of the feeds "
                 "written here are replaced."),
        truth: str = typer.Option(
            None, "--truth",
            help="Folder for the ground-truth Parquet files; must be outside --out "
                 "(default: <out>/../<outname>-truth, or the home's truth folder)."),
        photos: int = typer.Option(
            200, "--photos", min=0,
            help="Write tiny JPEG photographs (and KYR photo_file) for the first K residents."),
        profile: str = typer.Option(
            None, "--profile",
            help="Noise profile: 'tuning' (default; the one SRDH's matching was tuned on) or "
                 "'field' (other name, place and date noise, more movers and namesakes; "
                 "score on it, never tune on it). See generator/README.md."),
        home: str = typer.Option(None, help="SRDH home, used when --out is not given "
                                            "(default $SRDH_HOME or ./.srdh)."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="No per-feed progress on stderr."),
    ) -> None:
        """Generate a synthetic state: the UID KYR feed (full refresh + delta), the four
        departmental extracts (food_pds, sw_pension, rd_mgnrega, edu_scholarship), crs_death,
        lgd_villages, facilities, jansamvad_calls, pm_tasks and pm_survey, with realistic
        noise (spelling variants, typos, old district names, ages for dates of birth,
        duplicates, ghosts, dead pensioners, wrong pre-seeded UIDs), and the ground truth
        (residents, records, duplicate_groups, deceased) beside the landing folder.
        """
        import json
        import time

        from core.paths import Home
        from generator import generate as run

        if out is None:
            h = Home.at(home)
            out, truth = str(h.landing), truth or str(h.truth)
        t0 = time.perf_counter()
        try:
            manifest = run(residents, seed, out, truth=truth, photos=photos,
                           verbose=not quiet, profile=profile)
        except ValueError as e:
            typer.echo(f"srdh generate: {e}", err=True)
            raise typer.Exit(2) from None
        elapsed = time.perf_counter() - t0
        typer.echo(json.dumps({"landing": manifest["landing"], "truth": manifest["truth"],
                               "profile": manifest["profile"],
                               "residents": manifest["residents"],
                               "records": {k: v["records"] for k, v in
                                           manifest["records"].items()},
                               "seconds": round(elapsed, 1)}, indent=2))
