"""The ``srdh`` command line. Every pipeline step is a plain function reachable from here.

Each command group lives in its own module under ``srdh.commands`` and registers itself
on the shared Typer app, so steps can be added without touching this file's logic.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

import typer
from typer._click import ClickException  # typer 0.2x vendors click
from typer.core import TyperGroup

import srdh.commands
from core.errors import EXIT_BUG, UserError, mask_uids


class _OneLineErrors(TyperGroup):
    """Every command's errors as one line with the fix (core/errors.py); the traceback
    only with ``srdh --debug`` (or SRDH_DEBUG=1)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except Exception as exc:
            if ctx.params.get("debug") or os.environ.get("SRDH_DEBUG") == "1":
                raise
            if isinstance(exc, UserError):
                line, code = str(exc), exc.code
            else:  # a bug: say where to look, never echo a number that may be a UID
                first = (str(exc).strip().splitlines() or [""])[0][:300]
                line = (f"unexpected {type(exc).__name__}: {first}; rerun with "
                        "`srdh --debug ...` for the traceback and report it")
                code = EXIT_BUG
            typer.echo("error: " + mask_uids(line), err=True)
            raise typer.Exit(code) from None


app = typer.Typer(
    cls=_OneLineErrors,
    name="srdh",
    help=(
        "SRDH — State Residents Data Hub.\n\n"
        "Ingest departmental lists and the UID KYR feed, link them to residents, "
        "build the register and marts, and deliver files back to departments. "
        "State lives under --home (default $SRDH_HOME or ./.srdh).\n\n"
        "Exit codes: 0 done, everything that arrived was loaded (quarantined rows are "
        "reported, not failures); 1 unexpected failure (rerun with --debug); 2 the command "
        "cannot run as asked (usage, configuration, missing home or landing folder, steps "
        "out of order), nothing done; 3 the run went on but something that arrived was not "
        "loaded (a refused batch, a file outside the landing layout)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="show the full traceback of an error "
                               "(also SRDH_DEBUG=1)"),
) -> None:
    """SRDH — State Residents Data Hub."""
    from core.quiet import quiet_third_party

    quiet_third_party()  # library warnings off stderr (core/quiet.py), for every command


def _register_commands() -> None:
    """Import every ``srdh.commands.*`` module; each calls ``register(app)``."""
    for mod in sorted(pkgutil.iter_modules(srdh.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"srdh.commands.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
