"""What every ``innexport`` command shares: the consoles, the refusal (exit 2), atomic writes, the
``--lang`` option, the framework chosen by ``--framework``/``--module``, and the progress bar.

This is the one home of these helpers: a command module imports them from here, never from
another command module. Heavy modules (the diagnostic, pandas, Django, Jinja) are imported inside
the functions that need them, so that ``innexport --help`` stays fast.

Exit codes (the same for every command): 0 done, 1 a checked document is invalid or a result is
not acceptable (``frameworks validate``, ``programmes validate``, ``ahp`` with too inconsistent
judgements), 2 unusable input (a file, an option, answers that cannot be scored).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape

from innexport.core.languages import LANGUAGES

if TYPE_CHECKING:
    from innexport.core.assessment import AnswerSheet, FirmResult
    from innexport.core.framework import Framework

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_INVALID",
    "STDIO",
    "choice_option",
    "console",
    "diagnose_all",
    "err",
    "exit_code_of",
    "fail",
    "framework_for",
    "lang_option",
    "progress",
    "read_stdin",
    "write_atomic",
]

EXIT_BAD_INPUT = 2
"""Exit code for unusable input: unreadable or invalid file, bad option, answers that cannot be scored."""
EXIT_INVALID = 1
"""Exit code of a check that found problems (``validate`` commands, ``ahp`` too inconsistent)."""

console = Console()
"""Standard output: results, tables, ``wrote <file>``."""
err = Console(stderr=True)
"""Standard error: errors, warnings, notes and progress."""


def show_notes() -> None:
    """Print the library's notes on how it read a file (``ReadingNote`` warnings) as ``note: …`` on
    standard error, once each; other warnings keep Python's own display."""
    import warnings

    from innexport.files.answers import ReadingNote

    shown = warnings.showwarning
    if getattr(shown, "innexport_notes", False):
        return

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        if issubclass(category, ReadingNote):
            err.print(f"[yellow]note:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
        else:
            shown(message, category, filename, lineno, file, line)

    show.innexport_notes = True  # type: ignore[attr-defined]
    warnings.showwarning = show


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``error: <message>`` on standard error and return the exit to raise.

    Usage: ``raise fail(f"--out {out}: unknown format") from None``. The message is printed as
    is (no Rich markup is interpreted in it).
    """
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def exit_code_of(exc: BaseException) -> int:
    """The exit code of a checked document's error: :data:`EXIT_BAD_INPUT` (2) when the file was
    refused before it could be checked (a limit of :mod:`innexport.files.limits`: size, encoding,
    YAML depth or aliases), else :data:`EXIT_INVALID` (1, the document was read and is invalid).

    Usage: ``raise typer.Exit(exit_code_of(exc)) from None`` in a ``validate`` command.
    """
    from innexport.files.limits import refusal_in

    return EXIT_BAD_INPUT if refusal_in(exc) is not None else EXIT_INVALID


STDIO = Path("-")
"""A file argument ``-``: standard input (answers) or standard output (``--out -``)."""


def read_stdin(max_bytes: int) -> str:
    """Standard input as UTF-8 text, refused (exit 2) beyond ``max_bytes`` or when it is not UTF-8."""
    raw = sys.stdin.buffer.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise fail(f"standard input: larger than the {max_bytes:,} bytes accepted")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"standard input, byte {exc.start}: not UTF-8 text") from None


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` (creating its folder) so that no half-written file is ever left:
    a temporary file in the same folder, then an atomic rename. The file gets the usual permissions
    (``0666`` less the umask), not the temporary file's ``0600``. ``-`` is standard output."""
    if path == STDIO:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def choice_option(choices: Sequence[str], help: str | None = None, *names: str) -> Any:
    """An option that takes one of ``choices`` (a tuple imported from the rule's home), refused
    with exit 2 otherwise, as Click's own choices are.

    Usage: ``scope: Annotated[str | None, choice_option(SCOPES, "Only this scope.")] = None``.
    """
    allowed = tuple(choices)

    def parse(value: str) -> str:
        if value not in allowed:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, allowed))}.")
        return value

    return typer.Option(*names, help=help, parser=parse, metavar=f"<{'|'.join(allowed)}>")


def lang_option(help: str | None = None, *names: str) -> Any:
    """A ``--lang`` option whose choices are :data:`innexport.core.framework.LANGUAGES`.

    Usage: ``lang: Annotated[str | None, lang_option("Language of the report.")] = None``.
    """
    return choice_option(LANGUAGES, help, *names)


@contextmanager
def progress(description: str, total: int, *, show: bool = True) -> Iterator[Callable[[], None]]:
    """A transient progress bar on standard error (hidden when ``show`` is false, e.g. for one firm);
    yields a function to call once per step done."""
    from rich.progress import Progress

    with Progress(console=err, transient=True, disable=not show) as bar:
        task = bar.add_task(description, total=total)
        yield lambda: bar.advance(task)


def framework_for(fw_id: str, mods: Sequence[str], framework_path: str | None,
                  module_paths: Sequence[str]) -> Framework:
    """The framework of a sheet or result: built-in ``fw_id`` with its modules ``mods`` (ids, maybe
    ``id@version``), unless ``--framework`` (``framework_path``) replaces the framework or
    ``--module`` files (``module_paths``) replace the built-in modules of the same id.

    Raises :class:`~innexport.core.framework.FrameworkError` naming the file and the problem.
    """
    from innexport.api import framework_for as library_framework_for

    return library_framework_for(fw_id, mods, framework_path, module_paths)


def diagnose_all(sheets: Sequence[AnswerSheet], framework_path: str | None, modules: Sequence[str],
                 lang: str | None, min_completeness: float | None,
                 leverage: dict[str, float] | None = None, peers: Sequence[AnswerSheet] = (),
                 **uncertainty: Any) -> tuple[list[FirmResult], dict[str, Framework]]:
    """Diagnose every firm with its own framework (see :func:`framework_for`); the results in the
    sheets' order (one per firm: a firm's respondents are consolidated, :func:`innexport.api.diagnose_grouped`)
    and the frameworks used, by content hash.

    Raises :class:`~innexport.core.assessment.AnswersError` or
    :class:`~innexport.core.framework.FrameworkError`; nothing is returned unless every sheet is valid.
    """
    from innexport.api import diagnose_grouped

    return diagnose_grouped(sheets, framework_path, modules, lang=lang, min_completeness=min_completeness,
                            leverage=leverage, leverage_origin="--leverage", peers=peers, **uncertainty)
