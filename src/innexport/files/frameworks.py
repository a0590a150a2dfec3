"""Framework and module files: read from YAML (a path, a text, or a built-in name), validated by
the core's models, every problem reported with its file, line and place.

The model itself (what a framework is, how a module applies) is :mod:`innexport.core.framework`;
this module only reads files and texts, and says which shipped module fits a firm's sector
(:func:`modules_for_sector`: the one home of that rule, used by the web application). A file beyond the input limits of
:mod:`innexport.files.limits` (size, encoding, YAML depth and aliases) is refused as a
:class:`~innexport.core.framework.FrameworkError` raised while handling the
:class:`~innexport.files.limits.InputRefused` (so :func:`~innexport.files.limits.refusal_in` finds it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
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
from innexport.files.classifications import nace_positions, read_code
from innexport.files.limits import InputRefused
from innexport.files.schemas import FORMAT_VERSION_KEY, format_version_problem, without_format_version
from innexport.files.yamlsource import YamlError, parse_yaml

__all__ = ["builtin_combinations", "builtin_documents", "builtin_modules", "framework_from_texts", "load_framework",
           "modules_for_sector", "parse_document", "parse_text", "sector_within", "validate_document"]


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
    parsed = parse_data(without_format_version(doc.data), doc.locate, origin)
    if isinstance(parsed, Module):
        unknown = [Issue(f"sectors[{k}]", f"'{code}' is not a NACE Rev. 2 division, group or class (e.g. 10, 10.5, 11.02)",
                         doc.line(["sectors", k]), origin)
                   for k, code in enumerate(parsed.sectors) if code not in nace_positions()]
        if unknown:
            raise FrameworkError(unknown)
    return parsed


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
    ['agrifood', 'iiep', 'machinery', 'wine']
    """
    return builtin.files("frameworks")


@cache
def builtin_modules() -> tuple[Module, ...]:
    """The modules shipped with innexport, parsed once, in file-name order.

    >>> [(m.id, m.sectors) for m in builtin_modules() if m.id == "wine"]
    [('wine', ['11.02'])]
    """
    docs = (parse_document(path) for path in builtin_documents().values())
    return tuple(doc for doc in docs if isinstance(doc, Module))


def builtin_combinations() -> list[tuple[str, list[str]]]:
    """Each shipped framework alone, then each shipped module with the framework it extends: what the
    web application publishes on start.

    >>> builtin_combinations()[0], ("iiep", ["wine"]) in builtin_combinations()
    (('iiep', []), True)
    """
    frameworks = [name for name, path in builtin_documents().items() if name not in {m.id for m in builtin_modules()}]
    return [(name, []) for name in frameworks] + [(m.extends.id, [m.id]) for m in builtin_modules()]


def sector_within(code: str, positions: Iterable[str]) -> bool:
    """Whether the NACE Rev. 2 code written ``code`` (as :func:`~innexport.files.classifications.read_code`
    reads it: ``11.02``, ``1102``, ``C1102``) is one of ``positions`` or lies under one of them; an unknown
    code lies nowhere.

    >>> sector_within("10.51", ["10"]), sector_within("C1102", ["11.02"]), sector_within("11", ["11.02"])
    (True, True, False)
    >>> sector_within("28.41", ["28"]), sector_within("25.62", ["28"]), sector_within("not a code", ["28"])
    (True, False, False)
    """
    known = nace_positions()
    found = read_code(code)
    wanted = set(positions)
    while found:
        if found in wanted:
            return True
        found = known[found].parent
    return False


def modules_for_sector(code: str | None, framework: str = "iiep") -> list[str]:
    """The ids of the shipped modules of ``framework`` meant for a firm of NACE Rev. 2 sector ``code``
    (each module's ``sectors``): the one rule of which sector module a firm gets by default. A code
    above a module's sectors (``11`` for wine's ``11.02``), none or an unknown one gets no module.

    >>> modules_for_sector("11.02"), modules_for_sector("10.51"), modules_for_sector("28.22")
    (['wine'], ['agrifood'], ['machinery'])
    >>> modules_for_sector("11"), modules_for_sector(""), modules_for_sector(None), modules_for_sector("62.01")
    ([], [], [], [])
    """
    if not code or not code.strip():
        return []
    return [m.id for m in builtin_modules() if m.extends.id == framework and sector_within(code, m.sectors)]


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
