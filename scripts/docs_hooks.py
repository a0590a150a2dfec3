"""MkDocs hooks of the documentation site (``make docs``; mkdocs.yml lists this file under ``hooks``).

The pages that the code already knows are generated at build time, never copied by hand, so the site
cannot drift from the code (MkDocs hooks: https://www.mkdocs.org/user-guide/configuration/#hooks):

* ``formats/<format>.md`` and ``schemas/<format>-<version>.json``: each file format's JSON Schema,
  as ``innexport schema <format>`` prints it (:func:`innexport.cli.schema.schema_of`);
* ``reference/cli.md``: every command and option of ``innexport``, from the Typer application
  (:func:`typer.cli.get_docs_for_click`, what ``typer … utils docs`` writes);
* ``reference/http-api.md`` and ``api/openapi.json``: the web application's OpenAPI document, from the
  django-ninja API object (no server is started; Django is set up on a throwaway data folder).

The Python API reference (``reference/python.md``) is mkdocstrings reading the docstrings.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

FORMAT_DOCS = {
    "answers": ("answers files", "../framework-format.md#9-answers-files"),
    "framework": ("frameworks and modules", "../framework-format.md"),
    "catalogue": ("the catalogue of support programmes", "../support.md"),
    "mapping": ("survey mappings", "../mappings.md"),
}
"""Each format's page in the hand-written documentation (relative to ``formats/``)."""


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    """Add the pages of ``docs/`` that the navigation of mkdocs.yml does not list under "More" (a page added
    by someone who did not edit mkdocs.yml is still reachable; the strict build then has nothing to omit)."""
    listed: set[str] = set()

    def collect(item: Any) -> None:
        if isinstance(item, str):
            listed.add(item)
        elif isinstance(item, dict):
            for value in item.values():
                collect(value)
        elif isinstance(item, list):
            for value in item:
                collect(value)

    collect(config.nav or [])
    docs = Path(config.docs_dir)
    missing = sorted(p.relative_to(docs).as_posix() for p in docs.rglob("*.md"))
    missing = [page for page in missing if page not in listed]
    if missing and config.nav is not None:
        config.nav.append({"More": missing})
    return config


def on_files(files: Files, config: MkDocsConfig, **_: Any) -> Files:
    """Add the generated pages and files to the site."""
    for path, content in generated().items():
        files.append(File.generated(config, path, content=content))
    return files


def generated() -> dict[str, str]:
    """The generated files, by path in the site's source (``docs/``)."""
    out = _formats()
    out["reference/cli.md"] = _cli()
    out.update(_http_api())
    return out


def _formats() -> dict[str, str]:
    from innexport.cli.schema import schema_of
    from innexport.files.schemas import FORMAT_VERSION, FORMAT_VERSION_KEY, FORMATS, SUPPORTED_FORMAT_VERSIONS

    out: dict[str, str] = {}
    for kind in FORMATS:
        schema = schema_of(kind)
        name = f"{kind}-{FORMAT_VERSION}.json"
        text = json.dumps(schema, indent=2, ensure_ascii=False)
        out[f"schemas/{name}"] = text + "\n"
        what, page = FORMAT_DOCS[kind]
        out[f"formats/{kind}.md"] = (
            f"# {schema['title'][0].upper()}{schema['title'][1:]}\n\n"
            f"{schema['description']}\n\n"
            f"How to write one: [{what}]({page}). The JSON Schema below (draft 2020-12) is what "
            f"`innexport schema {kind}` prints; download it as [{name}](../schemas/{name}) "
            f"(its `$id`: `{schema['$id']}`).\n\n"
            f"**Format version {FORMAT_VERSION}.** A file may say `{FORMAT_VERSION_KEY}: {FORMAT_VERSION}` at its top "
            f"(absent, it is read as {FORMAT_VERSION}); a version other than "
            f"{', '.join(map(str, SUPPORTED_FORMAT_VERSIONS))} is refused with the file and the line. "
            f"The schema describes the file's data as JSON has it: a YAML date is its ISO text.\n\n"
            f"```json\n{text}\n```\n"
        )
    return out


def _cli() -> str:
    import typer
    from typer.cli import get_docs_for_click

    from innexport.cli import _register, app

    _register()
    command = typer.main.get_command(app)
    return get_docs_for_click(obj=command, ctx=typer.Context(command), name="innexport",
                              title="The innexport command line")


def _http_api() -> dict[str, str]:
    folder = tempfile.mkdtemp(prefix="innexport-docs-")
    before = os.environ.get("INNEXPORT_DATA_DIR")
    os.environ["INNEXPORT_DATA_DIR"] = folder  # the settings make a data folder and a secret key: a throwaway one
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "innexport.web.settings")
    try:
        import django

        django.setup()
        from innexport.web.api import api

        document = api.get_openapi_schema(path_prefix="/api")
    finally:
        if before is None:
            os.environ.pop("INNEXPORT_DATA_DIR", None)
        else:
            os.environ["INNEXPORT_DATA_DIR"] = before
        shutil.rmtree(folder, ignore_errors=True)
    info = document["info"]
    lines = [
        "# The HTTP API", "",
        f"**{info['title']}** {info.get('version', '')}. {info.get('description', '')}", "",
        ("A running server describes it at `/api/openapi.json` and shows it at `/api/docs`; the same OpenAPI "
         "document, generated from the code when this site was built: [openapi.json](../api/openapi.json)."), "",
        "| method | path | what | tags |", "|---|---|---|---|",
    ]
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            summary = (op.get("summary") or op.get("description") or "").replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {method.upper()} | `{path}` | {summary} | {', '.join(op.get('tags', []))} |")
    return {"reference/http-api.md": "\n".join(lines) + "\n",
            "api/openapi.json": json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"}


# --- docstrings -------------------------------------------------------------------------------------------

try:
    from griffe import Extension as _GriffeExtension
except ImportError:  # pragma: no cover - griffe comes with mkdocstrings-python
    _GriffeExtension = object  # type: ignore[assignment,misc]


def fence_doctests(text: str) -> str:
    """Put each doctest of a docstring (``>>>`` lines, their continuation and their output, up to a blank line)
    in a ``pycon`` code block, so that Markdown shows it as code (its ``[...]`` are no link references).

    >>> fence_doctests("Sum.\\n\\n>>> [1] + [2]\\n[1, 2]\\n\\nDone.").split("\\n")
    ['Sum.', '', '```pycon', '>>> [1] + [2]', '[1, 2]', '```', '', 'Done.']
    """
    out: list[str] = []
    inside = False
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(">>>") and not inside:
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}```pycon")
            inside = True
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|exc|obj|const):`(~?)([^`<]+?)(?:\s*<([^`>]+)>)?`")


def plain_roles(text: str) -> str:
    """Sphinx cross-reference roles of a docstring as Markdown code (``~`` keeps the last name, as Sphinx shows it).

    >>> plain_roles("See :func:`~innexport.files.schemas.as_json` and :class:`innexport.api.Framework`.")
    'See `as_json` and `innexport.api.Framework`.'
    """
    def code(match: re.Match[str]) -> str:
        short, target = match.group(1), match.group(2).strip()
        return f"`{target.rsplit('.', 1)[-1] if short else target}`"

    return _ROLE.sub(code, text)


class DoctestFences(_GriffeExtension):  # type: ignore[misc]
    """A griffe extension (mkdocs.yml: mkdocstrings' python handler ``extensions``) that makes the docstrings,
    written for Sphinx and doctest, read well as Markdown: :func:`plain_roles`, and :func:`fence_doctests` unless a
    docstring already has code fences."""

    def on_instance(self, *, obj: Any, **_: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is None:
            return
        value = plain_roles(docstring.value)
        if ">>>" in value and "```" not in value:
            value = fence_doctests(value)
        docstring.value = value
