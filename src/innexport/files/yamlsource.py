"""The one YAML reader of innexport: a document's data together with where each part of it is.

Frameworks, modules, programme catalogues, survey mappings and answer files are YAML (JSON is
YAML too). Each is read here once, with PyYAML's safe loader, and kept with its node tree so that
a problem found later by validation can be reported at its place: file, line, and a readable path
such as ``dimensions[2] (networks) → activities[0] (net_weak_ties) → name``.

A syntax error is refused here as :class:`YamlError`, naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["Yaml12Loader", "YamlDocument", "YamlError", "parse_yaml"]


class Yaml12Loader(yaml.SafeLoader):
    """The safe loader with YAML 1.2 booleans: only true/false are booleans, so a survey's answer
    label ``No`` stays the text "No" (YAML 1.1 would read it as false)."""


_BOOL = "tag:yaml.org,2002:bool"
Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class YamlError(ValueError):
    """A text that is not valid YAML; ``line`` is 1-based (None when PyYAML gives no mark)."""

    def __init__(self, origin: str, line: int | None, problem: str):
        self.origin, self.line, self.problem = origin, line, problem
        super().__init__(f"{origin}{f':{line}' if line else ''}: YAML: {problem}")


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


def parse_yaml(text: str, origin: str = "<text>", loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> YamlDocument:
    r"""Parse ``text`` (YAML or JSON) with a safe loader; raises :class:`YamlError` at the faulty line.

    >>> parse_yaml("kind: module\n").data
    {'kind': 'module'}
    >>> parse_yaml("a: [1,\n", "bad.yaml")
    Traceback (most recent call last):
    ...
    innexport.files.yamlsource.YamlError: bad.yaml:2: YAML: expected the node content, but found '<stream end>'
    """
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - loader is SafeLoader or a subclass of it
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlError(origin, mark.line + 1 if mark is not None else None,
                        str(getattr(exc, "problem", None) or exc)) from None
    return YamlDocument(data, root, origin)


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
