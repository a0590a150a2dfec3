"""The language of the screen being served: the one rule every view asks (Django's active
language, one of the supported :data:`~innexport.core.languages.LANGUAGES`)."""

from __future__ import annotations

from django.utils import translation

from innexport.core.languages import LANGUAGES, Lang


def interface_language(fallback: str = "en") -> Lang:
    """The active language if innexport supports it, else ``fallback`` (itself one of them, else ``en``).

    >>> from django.utils import translation
    >>> with translation.override("es-cl"):
    ...     interface_language()
    'es'
    """
    lang = (translation.get_language() or "")[:2]
    return next((supported for supported in LANGUAGES if supported == lang),
                next((supported for supported in LANGUAGES if supported == fallback), "en"))
