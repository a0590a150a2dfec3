"""Framework and module files: read from YAML (a path, a text, or a built-in name), validated by
the core's models, every problem reported with its file, line and place.

The model itself (what a framework is, how a module applies) is :mod:`innexport.core.framework`;
this module only reads files and texts. A file beyond the input limits of
:mod:`innexport.files.limits` (size, encoding, YAML depth and aliases) is refused as a
:class:`~innexport.core.framework.FrameworkError` raised while handling the
:class:`~innexport.files.limits.InputRefused` (so :func:`~innexport.files.limits.refusal_in` finds it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from innexport.core.framework import (
    Framework,
    FrameworkError,
    Issue,
    Module,
    apply_module,
    parse_data,
)
from innexport.files import builtin
from innexport.files.limits import InputRefused
from innexport.files.schemas import FORMAT_VERSION_KEY, format_version_problem, without_format_version
from innexport.files.yamlsource import YamlError, parse_yaml

__all__ = ["builtin_documents", "framework_from_texts", "load_framework", "parse_document", "parse_text",
           "validate_document"]


def parse_document(path: str | Path) -> Framework | Module:
    """Parse and validate one framework or module file (a module is not applied here).

    The text is UTF-8, or UTF-16/32 with a byte-order mark, of at most
    :data:`~innexport.files.limits.MAX_DOCUMENT_BYTES`.
    """
    path = Path(path)
    text = builtin.read_document(path, FrameworkError)  # bounded in size, UTF-8 or as its byte-order mark says
    return parse_text(text, str(path))


def parse_text(text: str, origin: str = "<text>") -> Framework | Module:
    r"""Parse and validate a framework or module document given as YAML text (``origin`` names it).

    >>> try:
    ...     parse_text("kind: framework\nid: mine\n", "mine.yaml")
    ... except FrameworkError as exc:
    ...     print(exc.issues[0])
    mine.yaml:1: version: required field 'version' is missing
    """
    try:
        doc = parse_yaml(text, origin)
    except YamlError as exc:  # a YamlLimitError stays this error's cause: a refusal (exit 2 on the command line)
        raise FrameworkError([Issue("YAML", exc.problem, exc.line, origin)]) from exc if isinstance(exc, InputRefused) else None
    problem = format_version_problem(doc.data)
    if problem is not None:
        raise FrameworkError([Issue(FORMAT_VERSION_KEY, problem, doc.key_line([FORMAT_VERSION_KEY]), origin)])
    return parse_data(without_format_version(doc.data), doc.locate, origin)


def framework_from_texts(framework_text: str, module_texts: Sequence[str] = (), origin: str = "<text>") -> Framework:
    """A framework with its modules applied, from YAML texts (as stored by the web application)."""
    doc = parse_text(framework_text, origin)
    if not isinstance(doc, Framework):
        raise FrameworkError([Issue("kind", "expected a framework, got a module", file=origin)])
    for k, text in enumerate(module_texts):
        module = parse_text(text, f"{origin} module {k + 1}")
        if not isinstance(module, Module):
            raise FrameworkError([Issue("kind", "expected a module, got a framework", file=f"{origin} module {k + 1}")])
        doc = apply_module(doc, module)
    return doc


def builtin_documents() -> dict[str, Path]:
    """The frameworks and modules shipped with innexport, by id (file stem).

    >>> sorted(builtin_documents())
    ['iiep', 'wine']
    """
    return builtin.files("frameworks")


def load_framework(name_or_path: str | Path = "iiep", modules: Iterable[str | Path] = ()) -> Framework:
    """Load a framework (built-in id or YAML path) and apply the given modules in order.

    >>> fw = load_framework("iiep", ["wine"])
    >>> fw.id, [m.id for m in fw.modules], len(fw.observables)
    ('iiep', ['wine'], 93)
    """
    doc = parse_document(builtin.resolve(name_or_path, "frameworks", "framework or module", FrameworkError))
    if not isinstance(doc, Framework):
        raise FrameworkError([Issue("kind", f"{name_or_path} is a module; give its framework and pass it as a module")])
    framework = doc
    for mod in modules:
        module = parse_document(builtin.resolve(mod, "frameworks", "framework or module", FrameworkError))
        if not isinstance(module, Module):
            raise FrameworkError([Issue("kind", f"{mod} is a framework, not a module")])
        framework = apply_module(framework, module)
    return framework


def validate_document(path: str | Path, base: str | Path | None = None) -> Framework | Module:
    """Validate a framework or module file; a module is also applied to the framework it extends
    (``base``, a framework id or path; by default the built-in framework of its ``extends`` id).

    Raises :class:`FrameworkError` listing every problem found (file, line, location).
    """
    doc = parse_document(path)
    if isinstance(doc, Module):
        apply_module(load_framework(base or doc.extends.id), doc)
    return doc
