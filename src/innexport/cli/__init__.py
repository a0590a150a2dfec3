"""The ``innexport`` command line. Each sub-module registers its commands on :data:`app`.

One module per command or command group (``diagnose``, ``frameworks``, ``plan``, ``followup``,
``questionnaire``, ``programmes``, ``ahp``, ``web``, ``schema``; the ``population`` group spread over
``population``, ``population_reliability``, ``population_invariance``, ``population_synergy``,
``population_study`` and ``population_gaia``), each thin: it parses options, calls the library and prints. What they share
(consoles, refusals with exit 2, atomic writes, the ``--lang`` option, framework selection, progress)
is :mod:`innexport.cli._common`, and for the population group :mod:`innexport.cli._population`; no
command module imports another.
"""

from __future__ import annotations

import importlib
import re
from typing import Annotated, Any

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
    "ahp", "diagnose", "plan", "questionnaire", "web", "followup", "frameworks", "population", "population_reliability",
    "population_invariance", "population_synergy", "population_study", "population_gaia", "programmes", "schema",
)
"""The command modules, in the order ``innexport --help`` lists their commands (groups come last)."""


def _register() -> None:
    """Import every command module, for its side effect of adding its commands to :data:`app`."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"innexport.cli.{name}")
    _plain_help_types()


def _plain_help_types() -> None:
    """Show a value's type in ``--help`` only where the option takes a value, and without ``list[...]``.

    Typer 0.29 labels every flag ``<bool>`` (a flag takes no value) and a repeatable option or a
    variadic argument ``<list[str]>``; the help then shows nothing for flags and ``<str>`` (the
    option's help says "repeatable", the argument's name ends with "...").
    """
    from typer.core import TyperArgument, TyperOption

    if getattr(TyperOption.display_type_rich, "innexport", False):
        return

    def option_type(self: TyperOption, ctx: Any) -> str | None:
        if self.is_flag:
            return None
        return _element_type(original_option(self, ctx))

    def argument_type(self: TyperArgument, ctx: Any) -> str | None:
        return _element_type(original_argument(self, ctx))

    original_option = TyperOption.display_type_rich
    original_argument = TyperArgument.display_type_rich
    option_type.innexport = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = argument_type  # type: ignore[method-assign,assignment]


def _element_type(label: str | None) -> str | None:
    """``<list[Path]>`` → ``<Path>``; anything else unchanged.

    >>> _element_type("<list[Path]>"), _element_type("<list[str]>..."), _element_type("<int>")
    ('<Path>', '<str>...', '<int>')
    """
    if label is None:
        return None
    return re.sub(r"<list\[(.+?)\]>", r"<\1>", label)


def main() -> None:
    _register()
    app()
