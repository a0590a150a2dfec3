"""Template filters of the web application: ``{% load innexport_tags %}``.

* ``country_name``: a country's ISO code as its name in the screen's language (``CL`` → *Chili*
  on a French screen), :func:`innexport.rendering.countries.country_name`.
* ``sector_name``: a sector's NACE code with its name in the screen's language (``11.02`` →
  *11.02 — Production de vin (de raisin)* on a French screen), :func:`innexport.rendering.sectors.sector_label`;
  a value that is not a code (saved before sectors were checked) is shown as it is.
"""

from __future__ import annotations

from django import template

from innexport.rendering.countries import country_name as _country_name
from innexport.rendering.sectors import sector_label
from innexport.web.language import interface_language

register = template.Library()


@register.filter
def country_name(code: str | None) -> str:
    """The name of the country ``code`` in the interface language (the code itself if unknown)."""
    return _country_name(code, interface_language()) if code else ""


@register.filter
def sector_name(code: str | None) -> str:
    """``code — name`` of the sector ``code`` in the interface language (the value itself if unknown)."""
    return sector_label(code, interface_language()) if code else ""
