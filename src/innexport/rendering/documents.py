"""What every document innexport prints shares: one Jinja environment and one way to make a PDF.

The templates (``innexport/rendering/templates``) are autoescaped and strict about undefined
names, so a missing value is an error rather than an empty cell; text put in a ``<style>``
element goes through the ``css_string`` filter, where HTML escaping does not apply. PDFs are
printed by WeasyPrint (BSD; an optional dependency, ``pip install innexport[pdf]``, which needs the
system Pango library).

Every PDF is *tagged* (ISO 14289-1, PDF/UA-1): WeasyPrint's ``pdf/ua-1`` variant writes the
structure tree of the HTML (headings, paragraphs, tables with their header cells, lists, figures),
``/MarkInfo /Marked true``, the document's language and title (shown instead of the file name) and
the XMP metadata that claims PDF/UA, so that a screen reader reads the document in order and a
reader can reflow it (WCAG 2.1 for PDF documents: PDF techniques PDF1–PDF21,
https://www.w3.org/WAI/WCAG21/Techniques/#pdf). A WeasyPrint without that variant tags the
structure only (``pdf_tags``). The templates provide what the tags need: a ``lang`` and a
``<title>`` on ``<html>``, one ``<main>``, headings in order, ``<th>`` for header cells.

>>> environment().from_string("{{ x }} {{ y|css_string }}").render(x="<b>", y='a"b')
'&lt;b&gt; "a\\\\22 b"'
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

__all__ = ["PDF_VARIANT", "css_string", "environment", "html_to_pdf", "pdf_options"]

PDF_VARIANT = "pdf/ua-1"
"""The PDF variant of every document: PDF/UA-1, a tagged and accessible PDF (ISO 14289-1)."""


def css_string(value: object) -> Markup:
    """A CSS string literal: every character that could end it or the style element is hex-escaped.

    >>> str(css_string("Vins & Co </style>"))
    '"Vins \\\\26  Co \\\\3c /style\\\\3e "'
    """
    literal = "".join(ch if ch.isalnum() or ch in " .,-_:/()" else f"\\{ord(ch):x} " for ch in str(value))
    return Markup(f'"{literal}"')  # noqa: S704 - every character that is not alphanumeric or in " .,-_:/()" is hex-escaped


@cache
def environment() -> jinja2.Environment:
    """The documents' Jinja environment (templates of ``innexport/rendering/templates``, autoescaped,
    strict about undefined names), built once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("innexport.rendering", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["css_string"] = css_string
    return env


def pdf_options(variants: Any, default_options: Any) -> dict[str, Any]:
    """WeasyPrint's options for a tagged PDF, given the variants and options the installed version knows.

    >>> pdf_options(["pdf/a-3b", "pdf/ua-1"], {"pdf_tags": False})
    {'pdf_variant': 'pdf/ua-1'}
    >>> pdf_options(["pdf/a-3b"], {"pdf_tags": False})
    {'pdf_tags': True}
    >>> pdf_options(["pdf/a-3b"], {})
    {}
    """
    if PDF_VARIANT in variants:
        return {"pdf_variant": PDF_VARIANT}
    if "pdf_tags" in default_options:
        return {"pdf_tags": True}
    return {}


def html_to_pdf(html: str) -> bytes:
    """A standalone HTML page (a report, a plan, a questionnaire, a brief) printed as a tagged PDF
    (PDF/UA-1, see the module's description).

    Raises :class:`RuntimeError` saying what to install when WeasyPrint or Pango is missing.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed but Pango missing
        raise RuntimeError(
            "PDF documents need WeasyPrint: pip install innexport[pdf] (WeasyPrint also needs the system "
            f"Pango library, e.g. apt-get install libpango-1.0-0 libpangoft2-1.0-0). Cause: {exc}"
        ) from exc
    from weasyprint.pdf import VARIANTS

    pdf: bytes = weasyprint.HTML(string=html).write_pdf(**pdf_options(VARIANTS, weasyprint.DEFAULT_OPTIONS))
    return pdf
