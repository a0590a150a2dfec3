"""innexport: which capabilities an SME should develop first to improve its innovation and
its export performance at the same time.

The Python API (see ``docs/python-api.md``)::

    >>> import innexport
    >>> [result] = innexport.diagnose(innexport.read_answers("examples/cl-vina-cerro-alto.yaml"))
    >>> result.quadrant
    'innovative_exporter'

:func:`read_answers`, :func:`diagnose`, :func:`results_frame`, :func:`render_report`,
:func:`load_framework` and the types and errors they use are listed in :data:`__all__`; they live
in :mod:`innexport.api` and are imported on first use (PEP 562), so that ``import innexport``
stays cheap (no NumPy, pandas, Jinja or Django).

The package is in layers, each a folder (an import only goes down; ``docs/architecture.md`` says
where each rule lives): :mod:`innexport.core` (the pure diagnostic: framework model, answers,
AHP, scoring, classes, FlowSort, priorities, assessment), :mod:`innexport.files` (reading
frameworks and answers), :mod:`innexport.support` (action plans, programmes, follow-up),
:mod:`innexport.portfolio`, :mod:`innexport.population` (survey analytics),
:mod:`innexport.rendering` (every document, in French, Spanish or English), then
:mod:`innexport.cli` and :mod:`innexport.web` at the edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from innexport._version import __version__

if TYPE_CHECKING:
    from innexport.api import (
        AnswersError,
        AnswerSheet,
        FirmResult,
        Framework,
        FrameworkError,
        IncompleteError,
        diagnose,
        framework_of,
        load_framework,
        read_answers,
        render_report,
        result_json,
        results_frame,
    )

__all__ = [
    "AnswerSheet",
    "AnswersError",
    "FirmResult",
    "Framework",
    "FrameworkError",
    "IncompleteError",
    "__version__",
    "diagnose",
    "framework_of",
    "load_framework",
    "read_answers",
    "render_report",
    "result_json",
    "results_frame",
]


def __getattr__(name: str) -> Any:
    """The public API, imported from :mod:`innexport.api` on first use (PEP 562)."""
    if name in __all__ and name != "__version__":
        from innexport import api

        value = getattr(api, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'innexport' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
