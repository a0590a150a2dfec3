"""AHP hierarchy files: a goal, the criteria compared with respect to it, and the alternatives
compared under each criterion; one file per expert, combined into global priorities.

The format (documented with examples in ``docs/ahp.md``)::

    goal: Choose a supplier
    criteria:
      names: [Price, Quality, Delivery]
      matrix:                       # row i, column j: how much more criterion i matters than j
        - [1, 1/3, 5]
        - [3, 1, 7]
        - [1/5, 1/7, 1]
    alternatives:
      names: [North, South, East]
      by_criterion:                 # one matrix per criterion: the alternatives compared under it
        Price: [[1, 2, 4], [1/2, 1, 3], [1/4, 1/3, 1]]
        Quality: [[1, 1/5, 1/2], [5, 1, 3], [2, 1/3, 1]]
        Delivery: [[1, 3, 1], [1/3, 1, 1/2], [1, 2, 1]]

This module decides what such a file may hold and says where it is wrong; the arithmetic (the
geometric mean of the experts' judgements, Aczél & Saaty 1983; the eigenvector and the consistency
ratio, Saaty 1980; the composition into global priorities) is :func:`innexport.core.ahp.hierarchy`.

A judgement is read from its text as written, with :func:`innexport.core.ahp.parse_judgement`
(``3``, ``0.5``, ``1/3``), never from YAML's implicit typing (which reads ``1:3`` as the
sexagesimal number 63). Every refusal is a :class:`HierarchyFileError` naming the file, the line
and the place, a cell by its row and column names: an unknown, missing or repeated criterion under
``by_criterion``, a matrix of the wrong size, a zero, negative or non-reciprocal judgement, and
files of several experts that do not name the same goal, criteria and alternatives in the same
order (the message names the file that differs). The text is bounded by
:mod:`innexport.files.limits` (size, encoding) and :func:`innexport.files.yamlsource.parse_yaml`
(nesting, aliases); a refusal by a limit is raised while handling the
:class:`~innexport.files.limits.InputRefused`, so :func:`~innexport.files.limits.refusal_in` finds it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from innexport.core.ahp import (
    RANDOM_INDEX,
    AHPError,
    AHPResult,
    HierarchyResult,
    ahp,
    as_pairwise,
    combine_judgements,
    hierarchy,
)
from innexport.files.limits import InputRefused, read_text
from innexport.files.yamlsource import Yaml12Loader, YamlDocument, YamlError, parse_yaml

__all__ = [
    "HierarchyFile",
    "HierarchyFileError",
    "HierarchyReading",
    "combine_files",
    "hierarchy_from_files",
    "parse_hierarchy",
    "read_hierarchy",
]

MAX_ITEMS = max(RANDOM_INDEX)
"""Most criteria or alternatives in one comparison: Saaty's random index is published up to 15."""

_TOP_KEYS = ("goal", "criteria", "alternatives")
_CRITERIA_KEYS = ("names", "matrix")
_ALTERNATIVES_KEYS = ("names", "by_criterion")


class HierarchyFileError(AHPError):
    """An AHP hierarchy file that cannot be used; the message names the file, line and place."""


@dataclass(frozen=True)
class HierarchyFile:
    """One expert's hierarchy, read and checked.

    Attributes:
        origin: the file's name as given.
        goal: what the criteria are compared with respect to.
        criteria, alternatives: the names, in the file's order.
        criteria_matrix: the criteria's judgements (a validated reciprocal matrix).
        by_criterion: the alternatives' judgements under each criterion, in the order of ``criteria``.
        lines: the 1-based line of ``goal``, ``criteria`` and ``alternatives`` names (for messages).
    """

    origin: str
    goal: str
    criteria: tuple[str, ...]
    alternatives: tuple[str, ...]
    criteria_matrix: np.ndarray
    by_criterion: tuple[np.ndarray, ...]
    lines: dict[str, int | None]


@dataclass(frozen=True)
class HierarchyReading:
    """The files of one or several experts and their combined result."""

    goal: str
    files: tuple[HierarchyFile, ...]
    result: HierarchyResult


def _refuse(origin: str, line: int | None, place: str, problem: str) -> HierarchyFileError:
    where = f", line {line}" if line else ""
    return HierarchyFileError(f"{origin}{where} ({place}): {problem}" if place else f"{origin}{where}: {problem}")


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


class _Reader:
    """Reads one parsed document, refusing at the first problem with its place."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.origin = doc.origin

    def refuse(self, loc: Sequence[str | int], place: str, problem: str) -> HierarchyFileError:
        """A refusal at the line of the key that holds ``loc`` (where its value starts if no key)."""
        return _refuse(self.origin, self.doc.key_line(loc) or self.doc.line(loc), place, problem)

    def mapping(self, loc: list[str | int], keys: tuple[str, ...], place: str) -> dict[str, Any]:
        """The mapping at ``loc`` with exactly ``keys`` (each once), or a refusal at its line."""
        node = self.doc.node(loc)
        if not isinstance(node, yaml.MappingNode):
            raise self.refuse(loc, place, f"expected a mapping with {', '.join(keys)}")
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = str(key_node.value)
            if key not in keys:
                raise _refuse(self.origin, _line(key_node), place,
                              f"unknown key {key!r}; expected {', '.join(keys)}")
            if key in seen:
                raise _refuse(self.origin, _line(key_node), place, f"{key!r} is written twice")
            seen.add(key)
        missing = [key for key in keys if key not in seen]
        if missing:
            raise self.refuse(loc, place, f"{', '.join(missing)} missing; expected {', '.join(keys)}")
        data = self.doc.data
        for part in loc:
            data = data[part]
        return dict(data)

    def names(self, loc: list[str | int], what: str) -> tuple[str, ...]:
        """A list of 2 to :data:`MAX_ITEMS` different, non-empty texts."""
        node = self.doc.node(loc)
        place = " → ".join(str(p) for p in loc)
        if not isinstance(node, yaml.SequenceNode):
            raise self.refuse(loc, place, f"expected a list of the {what}' names, such as [A, B, C]")
        names: list[str] = []
        for k, item in enumerate(node.value):
            text = item.value.strip() if isinstance(item, yaml.ScalarNode) else ""
            if not text:
                raise _refuse(self.origin, _line(item), place, f"item {k + 1}: expected a name (a text)")
            if text in names:
                raise _refuse(self.origin, _line(item), place, f"{text!r} is named twice")
            names.append(text)
        if not 2 <= len(names) <= MAX_ITEMS:
            raise self.refuse(loc, place, f"{len(names)} {what}; a comparison needs 2 to {MAX_ITEMS} "
                              "(split a longer list into a deeper hierarchy)")
        return tuple(names)

    def matrix(self, loc: list[str | int], names: tuple[str, ...], place: str) -> np.ndarray:
        """The reciprocal matrix at ``loc`` comparing ``names``; each cell read from its text."""
        node = self.doc.node(loc)
        n = len(names)
        shape = f"{n} rows of {n} judgements, in the order {', '.join(names)}"
        if not isinstance(node, yaml.SequenceNode):
            raise self.refuse(loc, place, f"expected a matrix: {shape}")
        if len(node.value) != n:
            raise self.refuse(loc, place, f"{len(node.value)} rows; expected {shape}")
        texts: list[list[str]] = []
        lines: list[list[int | None]] = []
        for i, row in enumerate(node.value):
            if not isinstance(row, yaml.SequenceNode) or len(row.value) != n:
                size = len(row.value) if isinstance(row, yaml.SequenceNode) else "not a list of"
                raise _refuse(self.origin, _line(row), f"{place}: row {names[i]}",
                              f"{size} judgements; expected {n}, one per column {', '.join(names)}")
            row_texts: list[str] = []
            for j, cell in enumerate(row.value):
                if not isinstance(cell, yaml.ScalarNode):
                    raise _refuse(self.origin, _line(cell), f"{place}: row {names[i]}, column {names[j]}",
                                  "expected one judgement such as 3 or 1/3")
                row_texts.append(str(cell.value))
            texts.append(row_texts)
            lines.append([_line(cell) for cell in row.value])

        def where(i: int, j: int) -> str:
            return f"line {lines[i][j]} ({place}: row {names[i]}, column {names[j]})"

        try:
            return as_pairwise(texts, names, where)
        except AHPError as exc:
            raise HierarchyFileError(f"{self.origin}, {exc}") from None


def parse_hierarchy(text: str, origin: str = "<text>") -> HierarchyFile:
    r"""Read one expert's hierarchy from YAML text (``origin`` names it in messages).

    >>> h = parse_hierarchy('''
    ... goal: Choose a supplier
    ... criteria: {names: [Price, Quality], matrix: [[1, 1/3], [3, 1]]}
    ... alternatives:
    ...   names: [North, South]
    ...   by_criterion: {Price: [[1, 2], [1/2, 1]], Quality: [[1, 1/5], [5, 1]]}
    ... ''', "a.yaml")
    >>> h.criteria, h.by_criterion[1].tolist()
    (('Price', 'Quality'), [[1.0, 0.2], [5.0, 1.0]])
    >>> parse_hierarchy('''
    ... goal: Choose a supplier
    ... criteria: {names: [Price, Quality], matrix: [[1, 1/3], [3, 1]]}
    ... alternatives:
    ...   names: [North, South]
    ...   by_criterion: {Price: [[1, 2], [2, 1]], Quality: [[1, 1/5], [5, 1]]}
    ... ''', "b.yaml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.files.ahp.HierarchyFileError: b.yaml, line 6 (by_criterion → Price: row South, column North): 2 is not ...
    """
    try:
        doc = parse_yaml(text, origin, Yaml12Loader)
    except YamlError as exc:  # a YamlLimitError stays the cause: a refusal by a limit
        raise HierarchyFileError(str(exc)) from exc if isinstance(exc, InputRefused) else None
    reader = _Reader(doc)
    top = reader.mapping([], _TOP_KEYS, "")
    goal = top["goal"]
    if not isinstance(goal, str) or not goal.strip():
        raise reader.refuse(["goal"], "goal", "expected the decision's goal as a text, e.g. Choose a supplier")
    reader.mapping(["criteria"], _CRITERIA_KEYS, "criteria")
    criteria = reader.names(["criteria", "names"], "criteria")
    criteria_matrix = reader.matrix(["criteria", "matrix"], criteria, "criteria")
    reader.mapping(["alternatives"], _ALTERNATIVES_KEYS, "alternatives")
    alternatives = reader.names(["alternatives", "names"], "alternatives")
    loc: list[str | int] = ["alternatives", "by_criterion"]
    node = doc.node(loc)
    if not isinstance(node, yaml.MappingNode):
        raise reader.refuse(loc, "by_criterion", "expected one matrix per criterion: "
                            f"{', '.join(f'{c}: [[...]]' for c in criteria)}")
    written: dict[str, int | None] = {}
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key not in criteria:
            raise _refuse(origin, _line(key_node), "by_criterion",
                          f"{key!r} is not a criterion; the criteria are {', '.join(criteria)}")
        if key in written:
            raise _refuse(origin, _line(key_node), "by_criterion",
                          f"{key!r} is written twice (first at line {written[key]})")
        written[key] = _line(key_node)
    missing = [c for c in criteria if c not in written]
    if missing:
        raise reader.refuse(loc, "by_criterion", f"no matrix for the criteria {', '.join(missing)}; "
                            "the alternatives must be compared under every criterion")
    by_criterion = tuple(
        reader.matrix([*loc, c], alternatives, f"by_criterion → {c}") for c in criteria
    )
    lines = {"goal": doc.line(["goal"]), "criteria": doc.line(["criteria", "names"]),
             "alternatives": doc.line(["alternatives", "names"])}
    return HierarchyFile(origin, goal.strip(), criteria, alternatives, criteria_matrix, by_criterion, lines)


def read_hierarchy(path: str | os.PathLike[str]) -> HierarchyFile:
    """Read one expert's hierarchy file (UTF-8, or as its byte-order mark says; at most
    :data:`~innexport.files.limits.MAX_DOCUMENT_BYTES`)."""
    origin = os.fspath(path)
    try:
        text = read_text(origin)
    except InputRefused as exc:
        raise HierarchyFileError(str(exc)) from exc
    except OSError as exc:
        raise HierarchyFileError(f"{origin}: cannot read the file ({exc.strerror or exc})") from None
    return parse_hierarchy(text, origin)


def _shown(value: str | tuple[str, ...]) -> str:
    return repr(value) if isinstance(value, str) else "[" + ", ".join(value) + "]"


def combine_files(files: Sequence[HierarchyFile]) -> HierarchyReading:
    """Combine the hierarchies of several experts (one is used as is) into global priorities.

    Every file must name the same goal, criteria and alternatives, in the same order; otherwise the
    refusal names the file that differs from the first, and the line.
    """
    if not files:
        raise HierarchyFileError("no hierarchy file given")
    first = files[0]
    for other in files[1:]:
        for key in ("goal", "criteria", "alternatives"):
            mine, theirs = getattr(other, key), getattr(first, key)
            if mine != theirs:
                what = "goal" if key == "goal" else f"{key} (names and order)"
                raise _refuse(other.origin, other.lines[key], key,
                              f"{_shown(mine)} differs from {_shown(theirs)} in {first.origin}: every "
                              f"expert's file must have the same {what}")
    try:
        result = hierarchy(
            [f.criteria_matrix for f in files],
            [[f.by_criterion[c] for f in files] for c in range(len(first.criteria))],
            first.criteria,
            first.alternatives,
        )
    except AHPError as exc:  # not expected: every file was checked above
        raise HierarchyFileError(f"{', '.join(f.origin for f in files)}: {exc}") from None
    return HierarchyReading(first.goal, tuple(files), result)


def hierarchy_from_files(paths: Sequence[str | os.PathLike[str]]) -> HierarchyReading:
    """Read one hierarchy file per expert and combine them (:func:`combine_files`).

    >>> hierarchy_from_files(["no-such-expert.yaml"])
    Traceback (most recent call last):
    ...
    innexport.files.ahp.HierarchyFileError: no-such-expert.yaml: cannot read the file (No such file or directory)
    """
    if not paths:
        raise HierarchyFileError("no hierarchy file given")
    return combine_files([read_hierarchy(path) for path in paths])


# --- one matrix per expert, as CSV -------------------------------------------------------------


def read_pairwise_csv(path: str | os.PathLike[str]) -> tuple[list[str], np.ndarray]:
    """Read one expert's pairwise-comparison matrix from a CSV file.

    Format: the header row holds the item names (its first cell, the corner, is ignored);
    each following row starts with an item name, in the same order as the header, and then
    holds the judgements, as numbers or fractions such as ``1/3``. The separator is ``;``
    if the header line contains one, else ``,``. UTF-8, with or without a byte-order mark.
    Blank lines and trailing empty cells (as spreadsheets export them) are ignored.

    Returns:
        The item names and the validated matrix (see :func:`~innexport.core.ahp.as_pairwise`).

    Raises:
        AHPError: naming the file and, for a bad cell, its 1-based line and column and the
            two items, e.g. ``weights.csv, line 3, column 4 (networks vs culture): '1/0' is
            not a positive number``.
    """
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8-sig", newline="") as handle:
            lines = handle.read().splitlines(keepends=True)
    except UnicodeDecodeError as exc:
        raise AHPError(f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise AHPError(f"{source}: cannot read the file ({exc.strerror or exc})") from None

    header_line = next((line for line in lines if line.strip()), "")
    reader = csv.reader(lines, delimiter=";" if ";" in header_line else ",")
    rows: list[tuple[int, list[str]]] = []  # (1-based line number, cells)
    for cells in reader:
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            rows.append((reader.line_num, cells))
    if not rows:
        raise AHPError(f"{source}: empty file; expected a header row of item names")

    (header_at, header), body = rows[0], rows[1:]
    items = [name.strip() for name in header[1:]]
    n = len(items)
    if n == 0:
        raise AHPError(f"{source}, line {header_at}: the header row names no items")
    for column, name in enumerate(items, start=2):
        if not name:
            raise AHPError(f"{source}, line {header_at}, column {column}: empty item name")
        if items.index(name) != column - 2:
            raise AHPError(
                f"{source}, line {header_at}, column {column}: item {name!r} appears twice"
            )
    if len(body) != n:
        raise AHPError(
            f"{source}: the header names {n} items ({', '.join(items)}) but {len(body)} "
            f"rows of judgements follow; expected {n}"
        )
    for i, (line, cells) in enumerate(body):
        if cells[0].strip() != items[i]:
            raise AHPError(
                f"{source}, line {line}, column 1: row name {cells[0].strip()!r} should be "
                f"{items[i]!r}; rows must list the items in the same order as the header"
            )
        if len(cells) - 1 != n:
            raise AHPError(
                f"{source}, line {line} ({items[i]}): {len(cells) - 1} judgements, expected {n}"
            )

    def where(i: int, j: int) -> str:
        return f"line {body[i][0]}, column {j + 2} ({items[i]} vs {items[j]})"

    try:
        values = as_pairwise([cells[1:] for _, cells in body], where=where)
    except AHPError as exc:
        raise AHPError(f"{source}, {exc}") from None
    return items, values


def ahp_from_files(paths: Sequence[str | os.PathLike[str]]) -> AHPResult:
    """AHP weights from one CSV file per expert, combined by the geometric mean.

    Every file must compare the same items; a file listing them in another order is
    reordered to the order of the first file (Aczél & Saaty 1983 for the combination).

    Raises:
        AHPError: for no file, an unreadable or invalid file, or a file whose items differ
            from the first file's (the message names the file and the differing items).
    """
    if len(paths) == 0:
        raise AHPError("no pairwise-comparison file given")
    first = os.fspath(paths[0])
    items, matrix = read_pairwise_csv(first)
    matrices = [matrix]
    for path in paths[1:]:
        other_items, other = read_pairwise_csv(path)
        if set(other_items) != set(items):
            missing = [name for name in items if name not in other_items]
            extra = [name for name in other_items if name not in items]
            raise AHPError(
                f"{os.fspath(path)}: compares other items than {first}"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; not in {first}: {', '.join(extra)}" if extra else "")
            )
        order = [other_items.index(name) for name in items]
        matrices.append(other[np.ix_(order, order)])
    return ahp(combine_judgements(matrices), items)
