"""The languages of the screens: the one rule every view asks for the screen being served
(Django's active language, one of the supported :data:`~innexport.core.languages.LANGUAGES`), and
the language a new questionnaire is proposed in (the firm's country's, through
:func:`innexport.rendering.countries.country_language`, else the screen's).

A questionnaire (the advisor's pages and the director's private link) then speaks its assessment's
own language, whatever the screen's: :func:`questionnaire_language` proposes it, the views render
its pages under ``translation.override(assessment.lang)``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from innexport.core.languages import LANGUAGES, Lang
from innexport.rendering.countries import country_language


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


def questionnaire_language(country: str | None) -> Lang:
    """The language proposed for a questionnaire of a firm of ``country`` (ISO 3166-1 code): the
    country's own (FR → fr; CL, AR, ES, MX… → es), else the language of the screen.

    >>> from django.utils import translation
    >>> with translation.override("en"):
    ...     questionnaire_language("CL"), questionnaire_language("FR"), questionnaire_language("DE")
    ('es', 'fr', 'en')
    >>> with translation.override("fr"):
    ...     questionnaire_language("BR"), questionnaire_language(None)
    ('fr', 'fr')
    """
    return (country_language(country) if country else None) or interface_language()


def user_language(user: Any) -> Lang:
    """The language of ``user``'s screens outside a request (an e-mail to them): their profile's,
    else the site's default."""
    from innexport.web.models import Membership

    membership = Membership.objects.filter(user=user).first()
    lang = membership.language if membership is not None else settings.LANGUAGE_CODE
    return next((supported for supported in LANGUAGES if supported == lang[:2]), "en")

