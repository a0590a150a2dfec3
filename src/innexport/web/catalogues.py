"""The support programmes an organisation's action plans propose: the shipped catalogue and its own.

Below :mod:`innexport.web.plans` and :mod:`innexport.web.services` (both read it; it reads neither),
so that the plans module never has to call back into the service layer.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from innexport.support.programmes import Catalogue


@lru_cache(maxsize=1)
def builtin_catalogue() -> Catalogue:
    """The catalogue shipped with innexport (``catalogues/programmes.yaml``), loaded once."""
    from innexport.support.programmes import load_catalogue

    return load_catalogue("programmes")


def catalogue_for(organisation: Any) -> Catalogue:
    """The programmes an organisation's plans propose: the shipped catalogue and its own local ones.

    Local programmes are stored validated (see :class:`~innexport.web.models.LocalProgramme`); their
    ids never clash with the shipped ones (refused on save).
    """
    from innexport.support.programmes import Programme

    base = builtin_catalogue()
    local = [Programme.model_validate(p.data) for p in organisation.programmes.all()]
    if not local:
        return base
    return base.model_copy(update={"programmes": [*base.programmes, *local]})
