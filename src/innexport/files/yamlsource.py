"""The one YAML reader of innexport: a document's data together with where each part of it is.

Frameworks, modules, programme catalogues, survey mappings and answer files are YAML (JSON is
YAML too). Each is read here once, with PyYAML's safe loader (libyaml's parser in C where PyYAML
has it), and kept with its node tree so that a problem found later by validation can be reported
at its place: file, line, and a readable path such as
``dimensions[2] (networks) → activities[0] (net_weak_ties) → name``.

A syntax error is refused here as :class:`YamlError`, naming the file and the line. So is a
document beyond the input limits of :mod:`innexport.files.limits` (size, nesting depth, number of
aliases, size once the aliases are expanded), as :class:`YamlLimitError`: the loader counts while
it composes the node tree, so a "billion laughs" or a catalogue of 120,000 aliases is refused at
its 101st alias, in milliseconds, before anything is built from it (YAML 1.2.2 §3.2.2.2; OWASP,
XML Entity Expansion). The data is constructed from that same node tree: the text is parsed once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from innexport.files.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_NESTING_DEPTH,
    MAX_YAML_ALIASES,
    MAX_YAML_NODES,
    InputRefused,
)

__all__ = ["BoundedLoader", "Yaml12Loader", "YamlDocument", "YamlError", "YamlLimitError", "parse_yaml"]


class _LimitExceeded(Exception):
    """Raised inside the loader at the node beyond a limit (1-based ``line``); becomes :class:`YamlLimitError`."""

    def __init__(self, problem: str, event: yaml.Event):
        self.problem = problem
        self.line = event.start_mark.line + 1 if event.start_mark is not None else None
        super().__init__(problem)


_TOO_DEEP = f"lists or mappings nested deeper than {MAX_NESTING_DEPTH} levels"
_LIBYAML_TOO_DEEP = "exceeded maximum nesting depth"
"""libyaml's own refusal of a deeper nesting than it accepts (1,000 levels), met while it scans ahead."""


def _safe_loader() -> type:
    """PyYAML's safe loader, with libyaml reading the text when PyYAML was built with it (its wheels
    are): the events come from C (a framework's text is parsed about 5 times faster), the node
    tree is composed in Python (Composer comes before CParser), so that :class:`BoundedLoader`
    counts each node as it is made. Without libyaml, the pure-Python SafeLoader reads the same."""
    try:
        from yaml.cyaml import CParser  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover
        return yaml.SafeLoader

    class LibYamlSafeLoader(yaml.composer.Composer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    return LibYamlSafeLoader


_SafeLoader: Any = _safe_loader()


class _Counting:
    """What makes a loader bounded: counts kept while the node tree is composed (see BoundedLoader)."""

    peek_event: Callable[[], yaml.Event]

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        self._depth = 0
        self._aliases = 0
        self._expanded = 0  # nodes composed so far, each alias counted as the whole subtree it names
        self._sizes: dict[int, int] = {}  # id(node) -> expanded size, once the node is complete

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                raise _LimitExceeded(f"more than {MAX_YAML_ALIASES} aliases (*{event.anchor}): "
                                     "refused as a possible amplification attack", event)
            node: yaml.Node | None = super().compose_node(parent, index)  # type: ignore[misc]
            size = self._sizes.get(id(node))
            if size is None:
                raise _LimitExceeded(f"alias *{event.anchor} is inside the node it names (a recursive structure)", event)
            self._add(size, event)
            return node
        self._depth += 1
        if self._depth > MAX_NESTING_DEPTH:
            raise _LimitExceeded(_TOO_DEEP, event)
        before = self._expanded
        self._add(1, event)
        try:
            node = super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1
        if node is not None:
            self._sizes[id(node)] = self._expanded - before
        return node

    def _add(self, nodes: int, event: yaml.Event) -> None:
        self._expanded += nodes
        if self._expanded > MAX_YAML_NODES:
            raise _LimitExceeded(f"more than {MAX_YAML_NODES:,} nodes once its aliases are expanded", event)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """PyYAML's construction, with a value it cannot build (a date ``2026-13-01``, an integer of
        more than 4,300 digits) reported at its node's line instead of escaping as a bare ValueError."""
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(None, None, f"cannot read the value: {exc}", node.start_mark) from None


class BoundedLoader(_Counting, _SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (reading with libyaml where PyYAML has it), counting as it composes:
    nesting depth (:data:`MAX_NESTING_DEPTH`), aliases (:data:`MAX_YAML_ALIASES`) and nodes with
    every alias expanded (:data:`MAX_YAML_NODES`); an alias to a node that contains it (a recursive
    structure) is refused too."""


class Yaml12Loader(BoundedLoader):
    """The safe loader with YAML 1.2 booleans: only true/false are booleans, so a survey's answer
    label ``No`` stays the text "No" (YAML 1.1 would read it as false)."""


_BOOL = "tag:yaml.org,2002:bool"
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class YamlError(ValueError):
    """A text that is not valid YAML; ``line`` is 1-based (None when PyYAML gives no mark)."""

    def __init__(self, origin: str, line: int | None, problem: str):
        self.origin, self.line, self.problem = origin, line, problem
        ValueError.__init__(self, f"{origin}{f':{line}' if line else ''}: YAML: {problem}")


class YamlLimitError(YamlError, InputRefused):
    """A YAML text refused by a limit of :mod:`innexport.files.limits` (an :class:`InputRefused`)."""

    def __init__(self, origin: str, line: int | None, problem: str):
        YamlError.__init__(self, origin, line, problem)
        self.where = f"line {line}" if line else ""


@dataclass(frozen=True)
class YamlDocument:
    """Parsed data (``data``) and its node tree (``root``) from the text named ``origin``."""

    data: Any
    root: yaml.Node | None
    origin: str

    def node(self, loc: Sequence[str | int]) -> yaml.Node | None:
        """The node at ``loc`` (mapping keys and list indices), or None where the path leaves the tree."""
        node = self.root
        for p in loc:
            node = _child(node, p)
        return node

    def line(self, loc: Sequence[str | int] = ()) -> int | None:
        r"""1-based line of the deepest node that exists along ``loc``.

        >>> doc = parse_yaml("a:\n  b: [1, 2]\n", "x.yaml")
        >>> doc.line(["a", "b", 1]), doc.line(["a", "zzz"])
        (2, 2)
        """
        node, line = self.root, None
        for p in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, p)
        if node is not None:
            line = node.start_mark.line + 1
        return line

    def describe(self, loc: Sequence[str | int]) -> str:
        r"""``dimensions[2] (networks) → name`` for a location, with each list item's ``id`` where it has one.

        >>> parse_yaml("items:\n  - id: q1\n    x: 1\n", "f").describe(["items", 0, "x"])
        'items[0] (q1) → x'
        """
        parts: list[str] = []
        node = self.root
        for p in loc:
            node = _child(node, p)
            if isinstance(p, int):
                ident = _scalar(_child(node, "id"))
                parts[-1:] = [f"{parts[-1] if parts else ''}[{p}]" + (f" ({ident})" if ident else "")]
            else:
                parts.append(str(p))
        return " → ".join(parts) or "file"

    def locate(self, loc: Sequence[str | int]) -> tuple[str, int | None]:
        """(description, line) of a location: the locator that validation errors take."""
        return self.describe(loc), self.line(loc)

    def key_line(self, loc: Sequence[str | int]) -> int | None:
        r"""1-based line of the deepest *key* (or list item) along ``loc`` that exists.

        >>> parse_yaml("a:\n  b:\n    - 1\n", "f").key_line(["a", "b", "c"])
        2
        """
        node, line = self.root, None
        for part in loc:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                pair = next(((k, v) for k, v in node.value if k.value == part), None)
                if pair is None:
                    break
                line, node = pair[0].start_mark.line + 1, pair[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def key_lines(self, loc: Sequence[str | int] = ()) -> dict[str, int]:
        """For the mapping at ``loc``: each key → the 1-based line where it is written."""
        node = self.node(loc)
        if not isinstance(node, yaml.MappingNode):
            return {}
        return {str(k.value): k.start_mark.line + 1 for k, _ in node.value}


def parse_yaml(text: str, origin: str = "<text>",
               loader: type[BoundedLoader] | type[yaml.SafeLoader] = BoundedLoader) -> YamlDocument:
    r"""Parse ``text`` (YAML or JSON) with a safe, bounded loader; raises :class:`YamlError` at the
    faulty line, :class:`YamlLimitError` for a text beyond the input limits (any ``loader`` given is
    bounded: a plain PyYAML loader gets the counts of :class:`BoundedLoader`).

    >>> parse_yaml("kind: module\n").data
    {'kind': 'module'}
    >>> parse_yaml("a: [1,\n", "bad.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.files.yamlsource.YamlError: bad.yaml:2: YAML: ...
    >>> parse_yaml("- &e {id: x}\n" + "- *e\n" * 120_000, "bomb.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.files.yamlsource.YamlLimitError: bomb.yaml:102: YAML: more than 100 aliases (*e): refused as a ...
    """
    if len(text) > MAX_DOCUMENT_BYTES:
        raise YamlLimitError(origin, None, f"{len(text):,} characters: larger than the {MAX_DOCUMENT_BYTES:,} accepted")
    bounded = loader if issubclass(loader, _Counting) else _BOUNDED.get(loader) or _bounded(loader)
    reader = bounded(text)
    try:
        root = reader.get_single_node()
        data = reader.construct_document(root) if root is not None else None
    except _LimitExceeded as exc:
        raise YamlLimitError(origin, exc.line, exc.problem) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if getattr(exc, "problem", None) == _LIBYAML_TOO_DEEP:  # libyaml's limit (1,000) is beyond ours
            raise YamlLimitError(origin, mark.line + 1 if mark is not None else None, _TOO_DEEP) from None
        raise YamlError(origin, mark.line + 1 if mark is not None else None,
                        str(getattr(exc, "problem", None) or exc)) from None
    except RecursionError:  # not expected within the depth limit; never a traceback all the same
        raise YamlLimitError(origin, None, "nested too deeply to be read") from None
    finally:
        reader.dispose()
    return YamlDocument(data, root, origin)


_BOUNDED: dict[type[yaml.SafeLoader], type[yaml.SafeLoader]] = {}


def _bounded(loader: type[yaml.SafeLoader]) -> type[yaml.SafeLoader]:
    """``loader`` with the counts of :class:`BoundedLoader` (its own reader, resolvers and constructors kept)."""
    bounded: type[yaml.SafeLoader] = type(f"Bounded{loader.__name__}", (_Counting, loader), {})
    _BOUNDED[loader] = bounded
    return bounded


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if k.value == key and isinstance(v, yaml.Node):
                return v
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        child = node.value[key]
        return child if isinstance(child, yaml.Node) else None
    return None


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None
