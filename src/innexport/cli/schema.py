"""``innexport schema answers|framework|catalogue|mapping``: the JSON Schema (draft 2020-12) of a file format.

Which pydantic model each format's documents are is said here, once (:func:`models`, :func:`schema_of`);
how a schema is built and the format version are :mod:`innexport.files.schemas`'s. The documentation
site publishes these schemas (``scripts/docs_hooks.py`` calls :func:`schema_of`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from innexport.cli import app
from innexport.cli._common import STDIO, fail, write_atomic
from innexport.files.schemas import FORMATS

FORMAT_TEXTS: dict[str, tuple[str, str]] = {
    "answers": ("innexport answers file",
                ("One firm's answers (`firm:` and `answers:` at the top; `respondent:` when the firm has several "
                 "respondents) or several firms' (`firms:`, a list of such entries; `framework`, `version`, `modules`, "
                 "`lang`, `assessed_on` and `assessor` at the top apply to all of them). YAML or JSON; tables (CSV, "
                 "XLSX) have the same fields as columns. Read by `innexport diagnose`.")),
    "framework": ("innexport framework or module",
                  ("A capability framework (`kind: framework`: dimensions, activities, observables, scales, sources, "
                   "classes) or a sector module that adds to, adapts or removes from one (`kind: module`). "
                   "See docs/framework-format.md.")),
    "catalogue": ("innexport catalogue of support programmes",
                  ("Public support programmes (`kind: catalogue`), each with its operator, country, activities and "
                   "eligibility, checked against its sources. See docs/support.md.")),
    "mapping": ("innexport survey mapping",
                ("How a survey's columns (e.g. ENDEI II, WMS) give a framework's observables (`kind: mapping`). "
                 "See docs/mappings.md.")),
}
"""Each format's schema title and description."""


def models() -> dict[str, Any]:
    """Each format's model: the pydantic type its documents are (imported when a schema is asked for: the mapping's
    model needs pandas, which ``innexport --help`` does not load)."""
    from innexport.core.assessment import AnswerSheet
    from innexport.core.framework import Framework, Module
    from innexport.population.mapping import Mapping
    from innexport.support.programmes import Catalogue

    return {"answers": AnswerSheet, "framework": Framework | Module, "catalogue": Catalogue, "mapping": Mapping}


def _answers_shape(sheet: dict[str, Any]) -> dict[str, Any]:
    """One firm's sheet, or a ``firms:`` list of sheets with the shared keys at the top (files.answers.SHARED_KEYS)."""
    from innexport.files.answers import SHARED_KEYS

    defs = sheet.pop("$defs", {})
    name = sheet.get("title", "AnswerSheet")
    defs[name] = sheet
    shared = {k: sheet["properties"][k] for k in SHARED_KEYS}
    several = {
        "type": "object", "title": "Several firms", "additionalProperties": False, "required": ["firms"],
        "properties": {**shared, "firms": {"type": "array", "items": {"$ref": f"#/$defs/{name}"}, "minItems": 1}},
    }
    return {"anyOf": [{"$ref": f"#/$defs/{name}"}, several], "$defs": defs}


def schema_of(kind: str) -> dict[str, Any]:
    """The JSON Schema of format ``kind`` (one of :data:`innexport.files.schemas.FORMATS`).

    >>> schema = schema_of("catalogue")
    >>> schema["$id"], schema["properties"]["format_version"]["enum"]
    ('https://innexport.readthedocs.io/schemas/catalogue-1.json', [1])
    """
    from innexport.files.schemas import json_schema

    if kind not in FORMAT_TEXTS:
        raise ValueError(f"unknown file format {kind!r} (one of {', '.join(FORMATS)})")
    title, description = FORMAT_TEXTS[kind]
    return json_schema(kind, models()[kind], title, description, shape=_answers_shape if kind == "answers" else None)


def _parse_kind(value: str) -> str:
    if value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(map(repr, FORMATS))}.")
    return value


@app.command("schema")
def schema(
    kind: Annotated[str, typer.Argument(parser=_parse_kind, metavar="FORMAT",
                                        help=f"The file format: {', '.join(FORMATS)}.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the schema to this file (default: standard output).")]
    = STDIO,
) -> None:
    """Print the JSON Schema (draft 2020-12) of a file format, with its format version.

    Validate a file with any JSON Schema tool, e.g. `check-jsonschema --schemafile answers.json firm.yaml`.
    """
    text = json.dumps(schema_of(kind), indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(out, text.encode("utf-8"))
    except OSError as exc:
        raise fail(f"--out {out}: cannot be written ({exc.strerror or exc})") from None
