"""The file formats' version and their published JSON Schemas.

Four formats are read by innexport from files people write: **answers** (one firm or several),
**framework** (a framework or a sector module), **catalogue** (support programmes) and **mapping**
(a survey mapped onto a framework). Each has a *format version*, the ``format_version`` field at the
top of a file, decided here once:

* absent: the current version (:data:`FORMAT_VERSION`), so every file written before the field
  existed still reads;
* one of :data:`SUPPORTED_FORMAT_VERSIONS`: read as that version;
* anything else: refused, naming the file, the line and the supported versions
  (:func:`format_version_problem`, called by each reader before it validates the document).

The field is the file's, not the model's: the readers take it away (:func:`without_format_version`)
before validation, so a framework's ``content_hash`` does not depend on it, and every writer puts
it first (:func:`with_format_version`). A format version changes only when a file valid for the old
version would be read differently or refused; a framework's own ``version`` (semantic versioning of
its questions, docs/framework-format.md) is another thing.

:func:`json_schema` turns a format's pydantic model into a JSON Schema, draft 2020-12
(https://json-schema.org/draft/2020-12/schema), with its ``$id``, title, description and the
``format_version`` property; pydantic's :meth:`~pydantic.BaseModel.model_json_schema` in validation
mode writes the rest (https://docs.pydantic.dev/latest/concepts/json_schema/). Which model each format
has is the command line's business (``innexport schema``, :mod:`innexport.cli.schema`): the catalogue's
and the mapping's models live in layers above this one. The schema describes a file's data as JSON
has it (:func:`as_json`: a YAML date is its ISO text); the readers are a little more tolerant (a
share written ``45 %``, a percentage, is read as 0.45).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import TypeAdapter

__all__ = [
    "FORMATS", "FORMAT_VERSION", "FORMAT_VERSION_KEY", "SCHEMA_BASE_URL", "SCHEMA_DIALECT",
    "SUPPORTED_FORMAT_VERSIONS", "as_json", "format_version_problem", "json_schema", "schema_id",
    "with_format_version", "without_format_version",
]

FORMATS: tuple[str, ...] = ("answers", "framework", "catalogue", "mapping")
"""The file formats with a published schema (``innexport schema FORMAT``)."""
FORMAT_VERSION_KEY = "format_version"
"""The top-level field of a file that holds its format version."""
FORMAT_VERSION = 1
"""The current version of every format: what the writers write and what a file without the field is read as."""
SUPPORTED_FORMAT_VERSIONS: tuple[int, ...] = (1,)
"""The format versions the readers accept."""
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_BASE_URL = "https://innexport.readthedocs.io/schemas/"
"""Where the schemas are published (the documentation site's ``schemas/`` folder); part of each ``$id``."""


def schema_id(kind: str, version: int = FORMAT_VERSION) -> str:
    """The ``$id`` of a format's schema: one per format and format version.

    >>> schema_id("answers")
    'https://innexport.readthedocs.io/schemas/answers-1.json'
    """
    return f"{SCHEMA_BASE_URL}{kind}-{version}.json"


def format_version_problem(data: object) -> str | None:
    """Why a document's ``format_version`` cannot be read (``None``: absent or supported).

    The caller names the file, the line (that of the ``format_version`` key: ``YamlDocument.key_line``) and the
    field with its own error type.

    >>> format_version_problem({"kind": "framework"}) is None, format_version_problem({"format_version": 1}) is None
    (True, True)
    >>> print(format_version_problem({"format_version": 7}))
    unknown format version 7 (this innexport reads version 1; a newer innexport may read it)
    >>> print(format_version_problem({"format_version": "1"}))
    unknown format version '1' (this innexport reads version 1; write it as a whole number)
    """
    if not isinstance(data, Mapping) or FORMAT_VERSION_KEY not in data:
        return None
    value = data[FORMAT_VERSION_KEY]
    if type(value) is int and value in SUPPORTED_FORMAT_VERSIONS:
        return None
    supported = ", ".join(str(v) for v in SUPPORTED_FORMAT_VERSIONS)
    hint = "a newer innexport may read it" if type(value) is int and value > FORMAT_VERSION else "write it as a whole number"
    return (f"unknown format version {value!r} "
            f"(this innexport reads version{'s' if len(SUPPORTED_FORMAT_VERSIONS) > 1 else ''} {supported}; {hint})")


def without_format_version(data: Any) -> Any:
    """The document without its ``format_version`` (a copy; anything but a mapping unchanged).

    >>> without_format_version({"format_version": 1, "kind": "catalogue"})
    {'kind': 'catalogue'}
    """
    if isinstance(data, Mapping) and FORMAT_VERSION_KEY in data:
        return {k: v for k, v in data.items() if k != FORMAT_VERSION_KEY}
    return data


def with_format_version(data: Mapping[str, Any]) -> dict[str, Any]:
    """The document as a writer writes it: ``format_version`` first, then the rest in order.

    >>> with_format_version({"kind": "catalogue", "format_version": 1, "id": "x"})
    {'format_version': 1, 'kind': 'catalogue', 'id': 'x'}
    """
    return {FORMAT_VERSION_KEY: FORMAT_VERSION, **{k: v for k, v in data.items() if k != FORMAT_VERSION_KEY}}


def as_json(data: Any) -> Any:
    """A document read from YAML as JSON has it (dates and times as ISO text), to validate it against its schema.

    >>> as_json({"as_of": dt.date(2026, 1, 31), "n": [1, 2.5, None]})
    {'as_of': '2026-01-31', 'n': [1, 2.5, None]}
    """
    def encode(value: object) -> str:
        if isinstance(value, dt.date | dt.datetime | dt.time):
            return value.isoformat()
        raise TypeError(f"not JSON data: {type(value).__name__}")

    return json.loads(json.dumps(data, default=encode))


def _format_version_property() -> dict[str, Any]:
    return {
        "title": "Format version",
        "description": (f"The version of this file format; absent: {FORMAT_VERSION} (the current one). "
                        f"A reader refuses a version it does not know."),
        "type": "integer",
        "enum": list(SUPPORTED_FORMAT_VERSIONS),
        "default": FORMAT_VERSION,
    }


def json_schema(kind: str, model: Any, title: str, description: str,
                shape: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of format ``kind`` whose documents are ``model`` (a pydantic model or a
    type such as ``Framework | Module``), with ``format_version`` added to each top-level object.

    ``shape``, when given, rewrites pydantic's schema of ``model`` into the file's (e.g. the answers
    format: one firm's sheet or a ``firms:`` list of them) before the top-level keys are added.

    >>> from pydantic import BaseModel
    >>> class Point(BaseModel):
    ...     x: int
    >>> schema = json_schema("point", Point, "A point", "Where.")
    >>> schema["$id"], schema["required"], sorted(schema["properties"])
    ('https://innexport.readthedocs.io/schemas/point-1.json', ['x'], ['format_version', 'x'])
    """
    body = TypeAdapter(model).json_schema(mode="validation", ref_template="#/$defs/{model}")
    if shape is not None:
        body = shape(body)
    defs = body.pop("$defs", {})
    _add_format_version(body, defs)
    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": schema_id(kind),
        "title": title,
        "description": description,
        "x-format-version": FORMAT_VERSION,
    }
    schema.update({k: v for k, v in body.items() if k not in {"title", "description"}})
    if defs:
        schema["$defs"] = defs
    return schema


def _add_format_version(body: dict[str, Any], defs: dict[str, Any]) -> None:
    """Add ``format_version`` to the top-level object(s) of ``body``: itself, or each alternative of an anyOf/oneOf."""
    alternatives = body.get("anyOf") or body.get("oneOf")
    targets: list[dict[str, Any]] = []
    if alternatives is None:
        targets.append(body)
    else:
        for alt in alternatives:
            ref = alt.get("$ref", "")
            if ref.startswith("#/$defs/"):  # a model used as the top: inline a copy so that nested uses stay as they are
                name = ref.removeprefix("#/$defs/")
                alt.clear()
                alt.update(json.loads(json.dumps(defs[name])))
            targets.append(alt)
    for target in targets:
        if "properties" in target:
            target["properties"] = {FORMAT_VERSION_KEY: _format_version_property(), **target["properties"]}
