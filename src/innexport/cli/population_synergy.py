"""``innexport population synergy``: being built (issue 15)."""

from __future__ import annotations

from innexport.cli._population import population_app  # noqa: F401 - the group this module's commands join
