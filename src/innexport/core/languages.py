"""The languages of innexport: the one list (frameworks, reports, questionnaires, the web app).

Its own module, with no dependency, so that the command line can offer ``--lang`` without
importing the framework model (numpy, pydantic). :mod:`innexport.core.framework` re-exports both
names, which most callers import from there.

>>> LANGUAGES
('fr', 'es', 'en')
"""

from __future__ import annotations

from typing import Literal, get_args

Lang = Literal["fr", "es", "en"]
"""A supported language (the type of a result's or a plan's ``lang``): the one list of languages."""
LANGUAGES: tuple[Lang, ...] = get_args(Lang)
"""Every text of a framework exists in these languages; a missing one is a validation error."""
