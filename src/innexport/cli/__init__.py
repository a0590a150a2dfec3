"""The ``innexport`` command line. Each sub-module registers its commands on :data:`app`."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="innexport",
    help="Diagnose which capabilities an SME should develop first to improve innovation and export together.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """innexport: a joint innovation-export diagnostic for SMEs (IIP, IEP, IIEP, classes, priorities)."""


def _register() -> None:
    # Imported for their side effect of adding commands to ``app``.
    from innexport.cli import ahp, diagnose, plan, population, programmes, questionnaire, web  # noqa: F401
    from innexport.cli import followup  # noqa: F401


def main() -> None:
    _register()
    app()
