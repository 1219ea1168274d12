"""The ``srdh`` command line. Every pipeline step is a plain function reachable from here.

Each command group lives in its own module under ``srdh.commands`` and registers itself
on the shared Typer app, so steps can be added without touching this file's logic.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

import srdh.commands

app = typer.Typer(
    name="srdh",
    help=(
        "SRDH — State Residents Data Hub.\n\n"
        "Ingest departmental lists and the UID KYR feed, link them to residents, "
        "build the register and marts, and deliver files back to departments. "
        "State lives under --home (default $SRDH_HOME or ./.srdh)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """SRDH — State Residents Data Hub."""


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
