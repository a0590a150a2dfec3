"""The Python API of innexport, for researchers in a notebook or a script: read answers, diagnose
firms, tabulate the results, write the report. ``import innexport`` offers these names (loaded
lazily, so that importing the package stays cheap); the command line and the web application use
the same functions.

Decisions this module makes (and documents in ``docs/python-api.md``):

* **which framework scores a sheet**: by default the built-in framework its ``framework`` field
  names (``iiep`` when absent) with the built-in modules of its ``modules`` field (e.g. ``wine``);
  sheets naming different frameworks are scored each with its own, every framework loaded once;
* **one result per firm, always a list**: :func:`diagnose` returns a list of
  :class:`~innexport.core.assessment.FirmResult` in the order of the sheets, even for a single
  sheet (``[result] = innexport.diagnose(...)``), and nothing unless every sheet is valid; the
  sheets of a firm's several respondents (same firm id and date, each with a ``respondent``) are
  consolidated into ONE result, at the place of the firm's first sheet, with ``respondents`` and
  ``disagreement`` (:func:`innexport.core.respondents.diagnose_team`, whose rules these are);
* **a result's framework** is found again from its stamp (id, modules, content hash): a report is
  never rendered with a framework other than the one the result was scored with.

The method itself (scores, classes, FlowSort, priorities) is :mod:`innexport.core`; see
``docs/method.md`` and its sources.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from innexport.core.assessment import (
    AnswersError,
    AnswerSheet,
    FirmResult,
    IncompleteError,
    Problem,
    check_framework,
    encode,
    result_json,
)
from innexport.core.framework import LANGUAGES, Framework, FrameworkError, Issue, Module
from innexport.core.respondents import diagnose_team, firm_sheets, team_groups
from innexport.files.answers import read_answers
from innexport.files.frameworks import builtin_documents, load_framework, parse_document

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AnswerSheet",
    "AnswersError",
    "FirmResult",
    "Framework",
    "FrameworkError",
    "IncompleteError",
    "diagnose",
    "framework_of",
    "load_framework",
    "read_answers",
    "render_report",
    "result_json",
    "results_frame",
]

REPORT_FORMATS: tuple[str, ...] = ("html", "pdf")
"""The formats of :func:`render_report`."""

Answers = AnswerSheet | Iterable[AnswerSheet] | str | os.PathLike[str]


# --- which framework -------------------------------------------------------------------------------


def _path(name_or_path: str | os.PathLike[str]) -> str | Path:
    """A name stays a name (``iiep``); any other path-like becomes a :class:`~pathlib.Path`."""
    return name_or_path if isinstance(name_or_path, str) else Path(name_or_path)


def _base_id(module: str) -> str:
    """A module reference without its version: ``wine@1.1.0`` → ``wine``."""
    return module.split("@")[0]


def framework_for(fw_id: str, modules: Sequence[str] = (), framework: str | os.PathLike[str] | None = None,
                  module_files: Sequence[str | os.PathLike[str]] = ()) -> Framework:
    """The framework ``fw_id`` with the modules ``modules`` (ids, maybe ``id@version``): built-in
    ones, unless ``framework`` (an id or YAML path) replaces the framework or ``module_files``
    replace the built-in modules of the same id (what ``--framework`` and ``--module`` do).

    >>> framework_for("iiep", ["wine@1.1.0"]).label
    'iiep 1.1.0 + wine 1.1.0'
    """
    overrides: dict[str, str | Path] = {}
    for path in map(_path, module_files):
        doc = parse_document(path)
        if not isinstance(doc, Module):
            raise FrameworkError([Issue("kind", "--module needs a module file, not a framework", file=str(path))])
        overrides[doc.id] = path
    names = [overrides.get(_base_id(m), _base_id(m)) for m in modules]
    shipped = builtin_documents()
    if framework is None and all(isinstance(n, str) and n in shipped for n in (fw_id, *names)):
        return _builtin(fw_id, tuple(str(n) for n in names))
    return load_framework(_path(framework) if framework is not None else fw_id, names)


@lru_cache(maxsize=16)
def _builtin(fw_id: str, modules: tuple[str, ...]) -> Framework:
    """A built-in framework with built-in modules, loaded once per process (the shipped files do not change)."""
    return load_framework(fw_id, modules)


def framework_of(result: FirmResult, framework: Framework | str | os.PathLike[str] | None = None,
                 modules: Sequence[str | os.PathLike[str]] = ()) -> Framework:
    """The framework ``result`` was scored with: the built-in one its stamp names (or ``framework``,
    a :class:`~innexport.core.framework.Framework`, an id or a YAML path, with ``modules`` files
    replacing built-in modules), checked by content hash.

    Raises :class:`~innexport.core.framework.FrameworkError` when that framework is not the one
    the result was scored with.

    >>> [result] = diagnose(read_answers("examples/cl-vina-cerro-alto.yaml"))
    >>> framework_of(result).label
    'iiep 1.1.0 + wine 1.1.0'
    >>> framework_of(result, load_framework("iiep"))
    Traceback (most recent call last):
    ...
    innexport.core.framework.FrameworkError: firm: cl-vina-cerro-alto was scored with iiep 1.1.0 + wine 1.1.0 ...
    """
    stamp = result.framework
    if isinstance(framework, Framework):
        fw = framework
    else:
        fw = framework_for(stamp.id, [m["id"] for m in stamp.modules], framework, modules)
    if fw.content_hash != stamp.content_hash:
        raise FrameworkError([Issue(
            "firm", f"{result.firm.id} was scored with {stamp.label} ({stamp.content_hash}), not with {fw.label} "
                    f"({fw.content_hash}): give the framework it was scored with")])
    return fw


# --- diagnosing ------------------------------------------------------------------------------------


def _sheets(answers: Answers) -> list[AnswerSheet]:
    if isinstance(answers, AnswerSheet):
        return [answers]
    if isinstance(answers, (str, os.PathLike)):
        return read_answers(_path(answers))
    items: list[object] = list(answers)
    wrong = [type(s).__name__ for s in items if not isinstance(s, AnswerSheet)]
    if wrong:
        raise TypeError(f"diagnose() takes answer sheets (from read_answers) or a file path, not {wrong[0]}")
    return [s for s in items if isinstance(s, AnswerSheet)]


def _leverage_vector(fw: Framework, leverage: Mapping[str, float], origin: str) -> np.ndarray:
    missing = [a.id for a in fw.activities if a.id not in leverage]
    if missing:
        raise AnswersError([Problem(origin, f"no leverage for the activities {', '.join(missing)} of {fw.label}")])
    return np.array([float(leverage[a.id]) for a in fw.activities])


def diagnose_grouped(sheets: Sequence[AnswerSheet], framework: Framework | str | os.PathLike[str] | None = None,
                     module_files: Sequence[str | os.PathLike[str]] = (), *, lang: str | None = None,
                     min_completeness: float | None = None, leverage: Mapping[str, float] | None = None,
                     leverage_origin: str = "leverage", peers: Sequence[AnswerSheet] = (),
                     **uncertainty: Any) -> tuple[list[FirmResult], dict[str, Framework]]:
    """:func:`diagnose`, also returning the frameworks used by content hash (for rendering).

    The sheets are grouped into firms (a firm's respondents together, :func:`~innexport.core.respondents.team_groups`),
    the firms by framework and modules; each framework is loaded once and each group diagnosed at
    once (vectorised). Every sheet is checked before any result is returned. ``peers``: other firms'
    answer sheets, for the unanswered questions' draws (they must fit each group's framework);
    ``uncertainty``: :func:`~innexport.core.assessment.diagnose`'s ``draws``, ``level``, ``seed``,
    ``sensitivity``.
    """
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (use {', '.join(LANGUAGES)})")
    firms = team_groups(sheets)  # a team's sheets agree on framework and modules (else refused, naming both)
    groups: dict[tuple[str, tuple[str, ...]], list[list[int]]] = {}
    for unit in firms:
        first = sheets[unit[0]]
        groups.setdefault((first.framework, tuple(first.modules)), []).append(unit)
    results: dict[int, FirmResult] = {}
    frameworks: dict[str, Framework] = {}
    for (fw_id, mods), units in groups.items():
        fw = framework if isinstance(framework, Framework) else framework_for(fw_id, mods, framework, module_files)
        frameworks[fw.content_hash] = fw
        lev = _leverage_vector(fw, leverage, leverage_origin) if leverage is not None else None
        group = [sheets[i] for unit in units for i in unit]
        if peers:  # a peer firm answered by a team counts once, consolidated
            peer_firms, _ = firm_sheets(fw, peers)
            check_framework(fw, peer_firms)
            uncertainty["peers"] = encode(fw, peer_firms)
        diagnosed = diagnose_team(fw, group, lang=lang, min_completeness=min_completeness, leverage=lev,
                                  **uncertainty)
        results.update(zip((unit[0] for unit in units), diagnosed, strict=True))
    return [results[unit[0]] for unit in firms], frameworks


def diagnose(answers: Answers, framework: Framework | str | os.PathLike[str] | None = None, *,
             lang: str | None = None, min_completeness: float | None = None,
             leverage: Mapping[str, float] | None = None) -> list[FirmResult]:
    """Diagnose firms: one :class:`~innexport.core.assessment.FirmResult` per firm, in the sheets' order.

    ``answers``: the sheets of :func:`read_answers` (or one sheet, or a file path). ``framework``:
    by default each sheet's own (the built-in framework and modules it names, ``iiep`` when it
    names none); a :class:`~innexport.core.framework.Framework` scores every sheet with it as is;
    an id or YAML path replaces the base framework (the sheets' modules still apply). ``lang``
    (``fr``, ``es``, ``en``) the language of the results (default: each sheet's, else ``en``);
    ``min_completeness`` the smallest share of scored answers (default: the framework's);
    ``leverage`` ``{activity id: leverage}`` for the priorities (default: weight in IIP + weight in IEP).

    A firm answered by several respondents (sheets with the same firm id and date, each with a
    ``respondent: {id, role}``) gives ONE result: the respondents' answers consolidated (the median
    level; an advisor's review wins in the web app), with ``respondents`` and ``disagreement``.

    Always a list, even for one sheet. Raises :class:`~innexport.core.assessment.AnswersError`
    (:class:`~innexport.core.assessment.IncompleteError` when too few questions are answered)
    naming the file, line, firm and question of every problem, or
    :class:`~innexport.core.framework.FrameworkError`; nothing is returned unless all sheets are valid.

    >>> import innexport
    >>> [result] = innexport.diagnose(innexport.read_answers("examples/fr-domaine-des-trois-collines.yaml"))
    >>> result.firm.name, result.framework.label, result.quadrant
    ('Domaine des Trois Collines', 'iiep 1.1.0 + wine 1.1.0', 'exporter_not_innovating')
    >>> result.indices["iep"].class_, result.indices["iip"].class_
    ('preactive', 'reactive')
    >>> [p.activity for p in result.top_priorities(3)]  # what to develop first
    ['skills_management', 'strat_global', 'net_strong_ties']
    >>> sheets = [s for f in ("ar-bodega-los-aromos", "cl-vina-cerro-alto") for s in read_answers(f"examples/{f}.yaml")]
    >>> [(r.firm.id, r.lang) for r in diagnose(sheets, lang="en")]
    [('ar-bodega-los-aromos', 'en'), ('cl-vina-cerro-alto', 'en')]

    Three respondents of one firm, one result:

    >>> team = [s for who in ("director", "export-manager", "rd-lead") for s in read_answers(f"examples/team/{who}.yaml")]
    >>> [result] = diagnose(team)
    >>> result.firm.id, [(r.id, r.role) for r in result.respondents]
    ('fr-maison-lacoste', [('helene', 'director'), ('marc', 'export_manager'), ('ines', 'rd_lead')])
    >>> [(q.question, q.answers, q.agreement) for q in result.disagreement.questions
    ...  if q.question == "strat_global_linked"]
    [('strat_global_linked', {'helene': 'high', 'marc': 'partial', 'ines': 'low'}, 0.5)]
    >>> result.answers["strat_global_linked"]  # the median level
    'partial'
    """
    return diagnose_grouped(_sheets(answers), framework, lang=lang, min_completeness=min_completeness,
                            leverage=leverage)[0]


# --- results ---------------------------------------------------------------------------------------


def results_frame(results: Iterable[FirmResult]) -> pd.DataFrame:
    """The results as a pandas DataFrame, one row per firm, in the columns of a population table
    (:mod:`innexport.population.frame`): ``firm_id``, ``weight`` (1), the firm's fields (``country``,
    ``sector``, ``size``…), ``act.<activity>``, ``dim.<dimension>``, ``iip``, ``iep``, ``iiep``,
    ``class.<index>``, ``completeness``, ``quadrant`` and ``framework``, so that the population
    analyses (describe, benchmark, map) apply to them.

    >>> frame = results_frame(diagnose([s for f in ("ar-bodega-los-aromos", "fr-domaine-des-trois-collines")
    ...                                 for s in read_answers(f"examples/{f}.yaml")]))
    >>> print(frame[["firm_id", "country", "class.iip", "class.iep"]].to_string(index=False))
    ... # doctest: +NORMALIZE_WHITESPACE
                          firm_id country class.iip class.iep
             ar-bodega-los-aromos      AR preactive  reactive
    fr-domaine-des-trois-collines      FR  reactive preactive
    >>> bool((frame["iiep"].between(0, 1)).all()), frame.shape[0]
    (True, 2)
    """
    import pandas as pd

    from innexport.population.frame import ACT, CLASS, DIM, FIRM_ID, WEIGHT

    rows: list[dict[str, Any]] = []
    for r in results:
        firm = r.firm.model_dump(exclude={"id"})
        row: dict[str, Any] = {FIRM_ID: r.firm.id, WEIGHT: 1.0, **firm}
        row.update({ACT + a.id: a.score for a in r.activities})
        row.update({DIM + d.id: d.score for d in r.dimensions})
        row.update({name: index.value for name, index in r.indices.items()})
        row.update({CLASS + name: index.class_ for name, index in r.indices.items()})
        row.update({"completeness": r.completeness, "quadrant": r.quadrant, "framework": r.framework.label,
                    "lang": r.lang, "assessed_on": r.assessed_on})
        rows.append(row)
    frame = pd.DataFrame(rows)
    labels = sorted({str(label) for label in frame.get("framework", [])})
    frame.attrs["framework"] = " | ".join(labels)
    return frame


def render_report(result: FirmResult, framework: Framework | str | os.PathLike[str] | None = None,
                  format: Literal["html", "pdf"] = "html", lang: str | None = None,
                  **options: Any) -> str | bytes:
    """One firm's report: an HTML page (``str``, standalone: inline CSS and SVG charts) or an A4 PDF
    (``bytes``, needs WeasyPrint: ``pip install innexport[pdf]``).

    ``framework``: the one the result was scored with (default: found again from the result's
    stamp, see :func:`framework_of`). ``lang``: ``fr``, ``es`` or ``en`` (default: the result's).
    ``options`` go to :func:`innexport.rendering.report.render_html` (``generated_on``, ``plan``).

    >>> [result] = diagnose(read_answers("examples/fr-domaine-des-trois-collines.yaml"))
    >>> page = render_report(result, lang="en")
    >>> page.startswith("<!DOCTYPE html>"), "Domaine des Trois Collines" in page, 'lang="en"' in page
    (True, True, True)
    >>> render_report(result, format="docx")
    Traceback (most recent call last):
    ...
    ValueError: unknown report format 'docx' (use html, pdf)
    """
    if format not in REPORT_FORMATS:
        raise ValueError(f"unknown report format {format!r} (use {', '.join(REPORT_FORMATS)})")
    if lang is not None and lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r} (use {', '.join(LANGUAGES)})")
    fw = framework_of(result, framework)
    if lang is not None and lang != result.lang:
        result = result.model_copy(update={"lang": lang})
    from innexport.rendering import report  # Jinja and the templates: only when rendering

    if format == "pdf":
        return report.render_pdf(result, fw, **options)
    return report.render_html(result, fw, **options)
