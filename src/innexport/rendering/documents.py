"""What every document innexport prints shares: one Jinja environment and one way to make a PDF.

The templates (``innexport/rendering/templates``) are autoescaped and strict about undefined
names, so a missing value is an error rather than an empty cell; text put in a ``<style>``
element goes through the ``css_string`` filter, where HTML escaping does not apply. PDFs are
printed by WeasyPrint (BSD; an optional dependency, ``pip install innexport[pdf]``, which needs the
system Pango library).

>>> environment().from_string("{{ x }} {{ y|css_string }}").render(x="<b>", y='a"b')
'&lt;b&gt; "a\\\\22 b"'
"""

from __future__ import annotations

from functools import cache

import jinja2
from markupsafe import Markup

__all__ = ["css_string", "environment", "html_to_pdf"]


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


def html_to_pdf(html: str) -> bytes:
    """A standalone HTML page (a report, a plan, a questionnaire, a brief) printed as a PDF.

    Raises :class:`RuntimeError` saying what to install when WeasyPrint or Pango is missing.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint installed but Pango missing
        raise RuntimeError(
            "PDF documents need WeasyPrint: pip install innexport[pdf] (WeasyPrint also needs the system "
            f"Pango library, e.g. apt-get install libpango-1.0-0 libpangoft2-1.0-0). Cause: {exc}"
        ) from exc
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
