"""Form fields shared by the web application's forms (one rule each).

* :class:`CountryField`: a country picked by its name in the screen's language, stored as its ISO
  3166-1 alpha-2 code; the code itself or a name in any of the three languages is accepted too (the
  API posts through the same forms), anything else refused — typing "Chile" never saves ``CH``.
* :class:`SectorField`: a sector typed as its NACE Rev. 2 code (``11.02``, ``C11``, ``A``) or its name in
  any of the three languages (accents and case aside), offered in a list of ``code — name`` in the
  screen's language, stored as its code (:mod:`innexport.rendering.sectors`); anything else refused
  with "did you mean" suggestions — typing "vino tinto" never saves it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from innexport.rendering.countries import countries, country_code
from innexport.rendering.sectors import sector_choices, sector_code, sector_label, suggestions
from innexport.web.language import interface_language


class CountrySelect(forms.Select):
    """A drop-down of the countries, named and sorted in the language of the screen being rendered."""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        self.choices = [("", "—"), *countries(interface_language())]
        return super().get_context(name, value, attrs)


class CountryField(forms.CharField):
    """A firm's or a programme's country: its ISO 3166-1 alpha-2 code."""

    widget = CountrySelect

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 60)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return text
        code = country_code(text)
        if code is None:
            raise forms.ValidationError(_("Unknown country “%(country)s”: pick it in the list, or give its "
                                          "two-letter ISO code (e.g. FR, CL or AR).") % {"country": text.strip()})
        return code


class SectorInput(forms.TextInput):
    """A text box with the sectors as suggestions (``<datalist>``: ``code — name`` in the screen's
    language); a stored code is shown as ``code — name`` too."""

    def format_value(self, value: Any) -> str | None:
        text = super().format_value(value)
        return sector_label(text, interface_language()) if text else text

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        list_id = f"{(attrs or {}).get('id') or 'id_' + name}-choices"
        attrs = {**(attrs or {}), "list": list_id, "autocomplete": "off"}
        options = format_html_join("", '<option value="{}"></option>',
                                   ((label,) for _code, label in sector_choices(interface_language())))
        return format_html('{}<datalist id="{}">{}</datalist>', super().render(name, value, attrs, renderer),
                           list_id, options)


class SectorField(forms.CharField):
    """A firm's sector: its NACE Rev. 2 code (ISIC Rev. 4 shares its sections and divisions).

    ``legacy``: a value saved before sectors were checked (free text), kept as it is while it is
    not changed, so that editing another field of the firm is not refused because of it.
    """

    widget = SectorInput

    def __init__(self, *, legacy: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 300)
        super().__init__(**kwargs)
        self.legacy = legacy

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return text
        if self.legacy and text == self.legacy:
            return text
        code = sector_code(text)
        if code is None:
            lang = interface_language()
            close = [sector_label(c, lang) for c in suggestions(text)]
            message = _("Unknown sector “%(sector)s”: pick it in the list, or give its NACE code (e.g. 11.02, C11 "
                        "or A).") % {"sector": text.strip()}
            if close:
                message += " " + _("Did you mean: %(suggestions)s?") % {"suggestions": "; ".join(close)}
            raise forms.ValidationError(message, code="unknown_sector")
        return code
