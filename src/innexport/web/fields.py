"""Form fields shared by the web application's forms (one rule each).

* :class:`CountryField`: a country picked by its name in the screen's language, stored as its ISO
  3166-1 alpha-2 code; the code itself or a name in any of the three languages is accepted too (the
  API posts through the same forms), anything else refused — typing "Chile" never saves ``CH``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _

from innexport.rendering.countries import countries, country_code
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
