"""Template filters of the web application: ``{% load innexport_tags %}``.

* ``country_name``: a country's ISO code as its name in the screen's language (``CL`` → *Chili*
  on a French screen), :func:`innexport.rendering.countries.country_name`.
"""

from __future__ import annotations

from django import template

from innexport.rendering.countries import country_name as _country_name
from innexport.web.language import interface_language

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """The name of the country ``code`` in the interface language (the code itself if unknown)."""
    return _country_name(code, interface_language()) if code else ""
