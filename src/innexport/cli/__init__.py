"""The ``innexport`` command line. Each sub-module registers its commands on :data:`app`.

One module per command group (``diagnose``, ``frameworks``, ``plan``, ``followup``,
``questionnaire``, ``programmes``, ``population``, ``ahp``, ``web``), each thin: it parses options,
calls the library and prints. What they share (consoles, refusals with exit 2, atomic writes, the
``--lang`` option, framework selection, progress) is :mod:`innexport.cli._common`; no command
module imports another.
"""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

app = typer.Typer(
    name="innexport",
    help="Diagnose which capabilities an SME should develop first to improve innovation and export together.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from innexport._version import __version__

        typer.echo(f"innexport {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True, help="Print innexport's version and exit.")] = False,
) -> None:
    """innexport: a joint innovation-export diagnostic for SMEs (IIP, IEP, IIEP, classes, priorities)."""
    from innexport.cli._common import show_notes

    show_notes()


COMMAND_MODULES: tuple[str, ...] = (
    "ahp", "diagnose", "plan", "questionnaire", "web", "followup", "frameworks", "population", "programmes",
)
"""The command modules, in the order ``innexport --help`` lists their commands (groups come last)."""


def _register() -> None:
    """Import every command module, for its side effect of adding its commands to :data:`app`."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"innexport.cli.{name}")


def main() -> None:
    _register()
    app()
