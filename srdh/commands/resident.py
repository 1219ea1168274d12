"""`srdh resident ID`: one resident, every linked source record and its match evidence."""

from __future__ import annotations

import json

import typer

from srdh.commands import cell

SHOWN = ("name_std", "gender", "birth_year", "district_std", "village_code", "uid_last4")


def register(app: typer.Typer) -> None:
    @app.command("resident")
    def resident(
        resident_id: str = typer.Argument(..., help="an SRDH resident id (an old id is "
                                                     "resolved through matching.id_history)"),
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
        config: str = typer.Option(None, help="matching config YAML"),
        as_json: bool = typer.Option(False, "--json", help="print everything as JSON"),
        photos: bool = typer.Option(False, "--photos", help="show the KYR photograph (its "
                                    "file); needs --purpose and --by, logged in the vault"),
        purpose: str = typer.Option(None, help="why the photograph is needed (logged)"),
        by: str = typer.Option(None, help="who asks: name or role (logged)"),
    ) -> None:
        """Show a resident with every linked source record and its match evidence.

        Each linked record (KYR first) with its seeding status,
        probability and Splink's waterfall against the resident's KYR record."""
        from matching.evidence import resident_view
        from matching.settings import load_settings
        from srdh.preflight import require
        from warehouse.photos import check_photo_request, show_photos

        check_photo_request(photos, purpose, by)
        settings = load_settings(config)
        require(home, "resident")
        view = resident_view(home, resident_id, settings)
        if photos and view["found"]:
            files = show_photos(home, [view["resident_id"]], purpose, by,
                                detail=f"srdh resident {view['resident_id']}")
            view["photo"] = str(files[view["resident_id"]]) if files else None
        if as_json:
            typer.echo(json.dumps(view, default=str, indent=2))
            raise typer.Exit(0 if view["found"] else 1)
        for hop in view["resolved_via"]:
            typer.echo(f"{hop['old_id']} -> {hop['new_id']} ({hop['reason']}, "
                       f"{hop['records']} record(s), run {hop['run_date']})")
        if not view["found"]:
            typer.echo(f"resident {resident_id}: not found", err=True)
            raise typer.Exit(1)
        if view["resolved_via"]:
            typer.echo(f"{resident_id} is now {view['resident_id']}")
        typer.echo(f"resident {view['resident_id']}: {len(view['records'])} record(s)")
        if photos:
            typer.echo(f"photograph: {view['photo'] or 'none on the KYR record'} "
                       "(this display is logged in the vault)")
        for r in view["records"]:
            vals = " | ".join(cell(r.get(f"{c}_l")) for c in SHOWN)
            status = ("  deactivated by UIDAI" if r.get("kyr_status") == "deactivated" else ""
                      ) if r["source_l"] == "uid_kyr" else (
                f"  {r.get('match_status')} ({r.get('reason')}), "
                f"p={_num(r.get('match_probability'))} w={_num(r.get('match_weight'))}")
            typer.echo(f"- {r['source_l']}/{r['record_l']}: {vals}{status}")
            if r.get("evidence"):
                typer.echo(f"    evidence vs KYR {r['record_r']}: {r['evidence']}")



def _num(x) -> str:
    try:
        return f"{float(x):.3f}"
    except (TypeError, ValueError):
        return "-"
