"""Data files shipped with innexport (frameworks, mappings, catalogues), found by name or by path."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def folder(name: str) -> Path:
    """The package folder ``name`` (e.g. ``frameworks``)."""
    return Path(str(resources.files("innexport.data") / name))


def files(name: str) -> dict[str, Path]:
    """The YAML files of the package folder ``name``, by file stem."""
    where = folder(name)
    return {p.stem: p for p in sorted(where.glob("*.yaml"))} if where.is_dir() else {}


def resolve(name_or_path: str | Path, name: str, what: str) -> Path:
    """A YAML path as given, or the built-in file of that name in folder ``name``.

    Raises :class:`LookupError` with a message listing what is available (``what``: e.g. "mapping").
    """
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or len(candidate.parts) > 1:
        return candidate
    found = files(name)
    if str(name_or_path) not in found:
        raise LookupError(f"no built-in {what} '{name_or_path}' (available: {', '.join(found) or 'none'}); "
                          "or give a path to a YAML file")
    return found[str(name_or_path)]
