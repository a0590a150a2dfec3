"""Data files shipped with innexport (frameworks, mappings, catalogues), found by name or by path."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from innexport.core.framework import Issue
from innexport.files.limits import InputRefused, read_text


def folder(name: str) -> Path:
    """The package folder ``name`` (e.g. ``frameworks``)."""
    return Path(str(resources.files("innexport.data") / name))


def files(name: str) -> dict[str, Path]:
    """The YAML files of the package folder ``name``, by file stem."""
    where = folder(name)
    return {p.stem: p for p in sorted(where.glob("*.yaml"))} if where.is_dir() else {}


def resolve(name_or_path: str | Path, name: str, what: str,
            error: Callable[[list[Issue]], Exception] | None = None) -> Path:
    """A YAML path as given, or the built-in file of that name in folder ``name``.

    An unknown name raises ``error([Issue("name", message)])`` (the caller's error type, e.g.
    :class:`~innexport.core.framework.FrameworkError`), or :class:`LookupError` without ``error``;
    the message lists what is available (``what``: e.g. "mapping").

    >>> resolve("wine", "frameworks", "framework or module").name
    'wine.yaml'
    >>> resolve("nope", "mappings", "mapping")
    Traceback (most recent call last):
    ...
    LookupError: no built-in mapping 'nope' (available: ...); or give a path to a YAML file
    """
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or len(candidate.parts) > 1:
        return candidate
    found = files(name)
    if str(name_or_path) not in found:
        message = (f"no built-in {what} '{name_or_path}' (available: {', '.join(found) or 'none'}); "
                   "or give a path to a YAML file")
        if error is not None:
            raise error([Issue("name", message)])
        raise LookupError(message)
    return found[str(name_or_path)]


def read_document(path: str | Path, error: Callable[[list[Issue]], Exception]) -> str:
    """The text of a YAML document file (a framework, module, catalogue or mapping): UTF-8, or as its
    byte-order mark says, bounded in size (:func:`innexport.files.limits.read_text`). A missing, refused
    or unreadable file raises ``error([Issue(...)])`` (the caller's error type) naming the file.

    >>> from innexport.core.framework import FrameworkError
    >>> try:
    ...     read_document("no-such.yaml", FrameworkError)
    ... except FrameworkError as exc:
    ...     print(exc)
    no-such.yaml: file: not found
    """
    try:
        return read_text(Path(path))
    except FileNotFoundError:
        raise error([Issue("file", "not found", file=str(path))]) from None
    except InputRefused as exc:
        raise error([Issue(exc.where or "file", f"refused: {exc.problem}", file=str(path))]) from exc
    except OSError as exc:
        raise error([Issue("file", f"cannot be read: {exc}", file=str(path))]) from None
