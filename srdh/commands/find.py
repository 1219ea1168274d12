"""`srdh find TERM`: residents and households by name, mobile, record id or UID."""

from __future__ import annotations

import typer

from srdh.commands import cell


def register(app: typer.Typer) -> None:
    @app.command("find")
    def find(
        term: str = typer.Argument(..., help="a name (words in any order), a mobile, a "
                                              "ration card / pension / job card / student "
                                              "id, a household id, or a UID"),
        village: str = typer.Option(None, help="only residents whose village contains this"),
        district: str = typer.Option(None, help="only residents whose district contains this"),
        limit: int = typer.Option(20, help="at most this many residents"),
        ids: bool = typer.Option(False, "--ids", help="print only `resident_id household_id`"
                                 " per resident, no header (for a script)"),
        home: str = typer.Option(None, help="SRDH home (default $SRDH_HOME or ./.srdh)"),
    ) -> None:
        """Find residents and their households, and print the ids `srdh resident` and
        `srdh card` take.

        Examples: srdh find "geeta sahu" --village kharora;  srdh find 9876543210;
        srdh find PHH-0012345. A UID is matched through its token and never printed."""
        from srdh.preflight import require
        from warehouse.find import find as search

        h = require(home, "find")
        query, rows = search(h, term, village=village, district=district, limit=limit)
        if not rows:
            typer.echo(f"no resident found by {query.kind}", err=True)
            raise typer.Exit(1)
        if ids:
            for r in rows:
                typer.echo(f"{r['resident_id']} {r['household_id'] or '-'}")
            return
        typer.echo(f"{len(rows)} resident(s) by {query.kind}"
                   + (f" (first {limit})" if len(rows) == limit else ""))
        typer.echo(f"  {'resident_id':<20} {'name':<28} {'sex':<3} {'age':>4} "
                   f"{'village':<20} {'household':<22} {'uid':<15} schemes")
        for r in rows:
            typer.echo(f"  {r['resident_id']:<20} {cell(r['name_std'])[:28]:<28} "
                       f"{cell(r['gender']):<3} {cell(r['age_years']):>4} "
                       f"{cell(r['village'])[:20]:<20} {cell(r['household_id'])[:22]:<22} "
                       f"{cell(r['uid_masked']):<15} {cell(r['active_enrolments'])}")
        first = rows[0]
        typer.echo(f"next: srdh resident {first['resident_id']}"
                   + (f"   srdh card {first['household_id']}" if first["household_id"] else ""))

