"""Several respondents per firm: consolidating their answers, measuring where they disagree, and
removing who said what from documents shared outside the advisors.

A firm may be answered by several people (the director, the export manager, the R&D lead, an
advisor…), each filling in the same questionnaire: answer sheets with the same firm id and date and
a ``respondent`` (:class:`~innexport.core.assessment.Respondent`). This module decides

* **which sheets form one firm's team** (:func:`team_groups`): the sheets with a respondent that
  share firm id and ``assessed_on``; they must agree on the firm's fields and on the framework,
  version and modules, and their respondent ids are unique. A sheet *without* respondent for the
  same firm and date is refused (naming both places): one firm is either one sheet or a team. A
  firm id repeated *without* respondents stays refused by :func:`innexport.core.assessment.encode`
  (the one home of that rule), as before.
* **the consolidated answer to each question** (:func:`consolidate`):

  1. an advisor's reviewed answer (validated or corrected, ``reviews``) wins;
  2. else the **median level** of the respondents' scored answers; with an even number of them,
     the **lower** of the two middle levels. The median is the usual consensus of ordinal ratings
     (it needs no distance between levels and one outlier cannot move it); taking the lower
     middle is deliberately conservative: a diagnostic must not overstate a capability that half
     of the team does not see (the advisor can still validate a higher level);
  3. a "don't know" never hides another respondent's scored answer: only when every answer is
     "don't know" is the consolidated answer ``dk``; nobody answered → unanswered;
  4. comments are merged as ``<respondent id>: <comment>`` lines, in the respondents' order.

* **disagreement** (:class:`~innexport.core.assessment.DisagreementOut`), vectorised over questions:

  - per question: the number of scored answers, their ``range`` (highest minus lowest answer value
    on the 0–1 scale) and the agreement coefficient ``r_wg = 1 − s² / σ²_EU`` of James, Demaree &
    Wolf (1984), with ``s²`` the sample variance (n − 1) of the answers' level positions and
    ``σ²_EU = (A² − 1) / 12`` the variance of a uniform ("random") answer over the scale's ``A``
    levels (2 for five levels); truncated to [0, 1] (a variance above the random one reads as no
    agreement, as James et al. recommend); None under two scored answers;
  - per activity: the ``range`` of the respondents' activity scores (each respondent's sheet scored
    by :func:`innexport.core.scoring.score`, all respondents in one matrix product) and
    ``r_wg(J) = J(1 − s̄²/σ²_EU) / (J(1 − s̄²/σ²_EU) + s̄²/σ²_EU)`` over the activity's ``J``
    questions with at least two scored answers, ``s̄²/σ²_EU`` the mean of the items' ratios
    ``s²/σ²_EU`` (each item with its own scale's ``σ²_EU``); 0 when that mean reaches 1.

* **attribution** (:func:`without_attribution`): the one rule that strips who said what from a
  result before it leaves the advisors (a shared brief, a portfolio, a benchmark).

Sources: James, L. R., Demaree, R. G. & Wolf, G. (1984), "Estimating within-group interrater
reliability with and without response bias", *Journal of Applied Psychology* 69(1), 85–98 (r_wg,
r_wg(J), σ²_EU, truncation); LeBreton, J. M. & Senter, J. L. (2008), "Answers to 20 questions about
interrater reliability and interrater agreement", *Organizational Research Methods* 11(4), 815–852
(the uniform null among other null distributions; 0.70 and above read as strong agreement); Bliese,
P. D., R package ``multilevel`` (``rwg``, ``rwg.j``: σ²_EU = 2 for five levels, the truncation).
``docs/framework-format.md`` (*Several respondents*) and ``docs/python-api.md`` describe the rule
for users.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from innexport.core.answers import AnswerRefused, AnswerValue, canonical
from innexport.core.assessment import (
    ActivityDisagreementOut,
    AnswersError,
    AnswerSheet,
    DisagreementOut,
    FirmResult,
    Problem,
    QuestionDisagreementOut,
    RespondentOut,
    answer_codes,
    check_framework,
    diagnose,
    encode,
)
from innexport.core.framework import DONT_KNOW, Framework
from innexport.core.scoring import ScoringModel, score

TEAM_FIELDS: tuple[str, ...] = ("framework", "version", "modules")
"""Sheet fields the respondents of one firm must agree on (besides the firm's own fields)."""


# --- which sheets form a team ----------------------------------------------------------------------


def _key(sheet: AnswerSheet) -> tuple[str, Any]:
    return sheet.firm.id, sheet.assessed_on


def _on(sheet: AnswerSheet) -> str:
    return f"firm {sheet.firm.id}" + (f" on {sheet.assessed_on}" if sheet.assessed_on else "")


def _given(value: Any) -> bool:
    return value is not None and value != []


def _team_problems(team: Sequence[AnswerSheet]) -> list[Problem]:
    """What keeps the sheets of one team from being consolidated: a respondent id used twice, a firm
    or sheet field on which two respondents differ (each named with both places)."""
    problems: list[Problem] = []
    first_of: dict[str, AnswerSheet] = {}
    for sheet in team:
        rid = sheet.respondent.id if sheet.respondent is not None else ""
        if rid in first_of:
            problems.append(Problem(sheet.where(), f"respondent id '{rid}' already used for {_on(sheet)} "
                                                   f"by {first_of[rid].where()}"))
        first_of.setdefault(rid, sheet)
    for field in type(team[0].firm).model_fields:
        values = [(getattr(s.firm, field), s) for s in team if _given(getattr(s.firm, field))]
        problems.extend(Problem(s.where(), f"field firm.{field} is {v!r} here but {values[0][0]!r} in "
                                           f"{values[0][1].where()}: the respondents of one firm must agree on it")
                        for v, s in values[1:] if v != values[0][0])
    for field in TEAM_FIELDS:
        values = [(getattr(s, field), s) for s in team if _given(getattr(s, field))]
        problems.extend(Problem(s.where(), f"field {field} is {v!r} here but {values[0][0]!r} in "
                                           f"{values[0][1].where()}: the respondents of one firm must agree on it")
                        for v, s in values[1:] if v != values[0][0])
    return problems


def team_groups(sheets: Sequence[AnswerSheet]) -> list[list[int]]:
    """The sheets as firms: positions of each firm's sheets, in the order of each firm's first sheet.

    A sheet without respondent is a firm of its own (``[i]``); the sheets with a respondent are
    grouped by firm id and date. Raises :class:`~innexport.core.assessment.AnswersError` naming both
    places when a team mixes sheets with and without respondent, repeats a respondent id or
    disagrees on a firm field, framework, version or modules.

    >>> from innexport.core.assessment import Firm, Respondent
    >>> def sheet(firm, who=None):
    ...     return AnswerSheet(firm=Firm(id=firm, name=firm), respondent=who and Respondent(id=who))
    >>> team_groups([sheet("a", "ana"), sheet("b"), sheet("a", "ben")])
    [[0, 2], [1]]
    >>> team_groups([sheet("a", "ana"), sheet("a", "ana")])
    Traceback (most recent call last):
    ...
    innexport.core.assessment.AnswersError: firm a: respondent id 'ana' already used for firm a by firm a
    """
    units: dict[tuple[str, Any], list[int]] = {}
    lone: dict[tuple[str, Any], int] = {}
    order: list[tuple[str, Any] | int] = []
    problems: list[Problem] = []
    for i, sheet in enumerate(sheets):
        key = _key(sheet)
        if sheet.respondent is None:
            if key in units:
                other = sheets[units[key][0]]
                problems.append(Problem(sheet.where(), f"{_on(sheet)} is answered here without a respondent and by "
                                                       f"respondent '{other.respondent.id if other.respondent else ''}' "
                                                       f"in {other.where()}: give every sheet of the firm a `respondent`"))
            lone.setdefault(key, i)
            order.append(i)
            continue
        if key in lone:
            other = sheets[lone[key]]
            problems.append(Problem(sheet.where(), f"{_on(sheet)} is answered here by respondent "
                                                   f"'{sheet.respondent.id}' and without a respondent in "
                                                   f"{other.where()}: give every sheet of the firm a `respondent`"))
        if key not in units:
            units[key] = []
            order.append(key)
        units[key].append(i)
    for rows in units.values():
        problems.extend(_team_problems([sheets[i] for i in rows]))
    if problems:
        raise AnswersError(problems)
    return [[item] if isinstance(item, int) else units[item] for item in order]


# --- consolidation ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Consolidated:
    """One firm's team consolidated: what :func:`consolidate` returns."""

    sheet: AnswerSheet
    """The consolidated answers (``respondent`` None), as one answer sheet to diagnose."""
    respondents: list[RespondentOut]
    disagreement: DisagreementOut
    values: np.ndarray
    """(R, O) the respondents' answer values in the :class:`~innexport.core.scoring.ScoringModel`'s
    observable order; NaN where a respondent left the question unanswered or did not know."""
    fixed: np.ndarray
    """(O,) True where an advisor's review decided the answer: the intervals keep it in every draw
    (:func:`innexport.core.uncertainty.simulate`, ``fixed``)."""


def lower_median(levels: np.ndarray) -> np.ndarray:
    """Per column of ``levels`` (R, O), the median of the non-NaN entries; the lower of the two
    middle ones for an even count; NaN for a column without any. The consolidation's rule.

    >>> lower_median(np.array([[0, 1, 3, np.nan], [2, 2, np.nan, np.nan], [1, 3, np.nan, np.nan], [np.nan, 0, 0, np.nan]]))
    array([ 1.,  1.,  0., nan])
    """
    ordered = np.sort(np.asarray(levels, dtype=float), axis=0)  # NaN last
    count = np.sum(~np.isnan(ordered), axis=0)
    middle = np.maximum(count - 1, 0) // 2
    median: np.ndarray = np.take_along_axis(ordered, middle[None, :], axis=0)[0]
    return np.where(count > 0, median, np.nan)


def agreement(levels: np.ndarray, scale_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """James, Demaree & Wolf's r_wg per column of ``levels`` (R, O: level positions, NaN when not
    scored) on scales of ``scale_levels`` (O,) levels: ``(r_wg, ratio, count)``, with ``ratio`` the
    item's ``s² / σ²_EU`` (NaN under two answers) and r_wg truncated to [0, 1] (NaN under two).

    Five raters answering 2, 3, 3, 4, 4 on a five-level scale: s² = 0.7, σ²_EU = (25 − 1) / 12 = 2,
    r_wg = 1 − 0.7 / 2 = 0.65; answers 0 and 4 (s² = 8) read as no agreement (0, not −3):

    >>> r, ratio, n = agreement(np.array([[1, 0], [2, 4], [2, np.nan], [3, np.nan], [3, np.nan]]), np.array([5, 5]))
    >>> [round(float(x), 6) for x in r], [round(float(x), 6) for x in ratio], n.tolist()
    ([0.65, 0.0], [0.35, 4.0], [5, 2])
    """
    levels = np.asarray(levels, dtype=float)
    count = np.sum(~np.isnan(levels), axis=0)
    safe = np.where(count >= 2, count, 2)
    mean = np.nansum(levels, axis=0) / np.maximum(count, 1)
    s2 = np.nansum((levels - mean) ** 2, axis=0) / (safe - 1)
    expected = (np.asarray(scale_levels, dtype=float) ** 2 - 1) / 12
    ratio = np.where(count >= 2, s2 / expected, np.nan)
    r_wg = np.where(count >= 2, np.clip(1 - ratio, 0.0, 1.0), np.nan)
    return r_wg, ratio, count


def agreement_multi(ratio: np.ndarray, members: np.ndarray) -> np.ndarray:
    """r_wg(J) of James, Demaree & Wolf (1984) per group of items: ``members`` (O, G) marks each
    group's items, ``ratio`` (O,) each item's ``s² / σ²_EU`` (NaN: fewer than two answers, left out).
    ``J`` is the number of a group's items with a ratio and ``s̄²/σ²_EU`` their mean ratio; NaN for a
    group without any; 0 when the mean ratio reaches 1 (James et al.'s truncation).

    Ten items whose mean variance is half the random one (each item's r_wg = 0.5):
    r_wg(J) = 10 · 0.5 / (10 · 0.5 + 0.5) = 10 / 11:

    >>> float(agreement_multi(np.full(10, 0.5), np.ones((10, 1), dtype=bool))[0]) == 10 / 11
    True
    """
    has = ~np.isnan(ratio)
    weights = np.asarray(members, dtype=float) * has[:, None]
    j = weights.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ratio = (np.where(has, ratio, 0.0) @ weights) / j
        r_wgj = j * (1 - mean_ratio) / (j * (1 - mean_ratio) + mean_ratio)
    out: np.ndarray = np.where(j == 0, np.nan, np.where(mean_ratio >= 1, 0.0, r_wgj))
    return out


def _round(x: float) -> float | None:
    return round(float(x), 6) if math.isfinite(x) else None


def _level_positions(framework: Framework, model: ScoringModel,
                     codes: Sequence[Mapping[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(R, O) level positions of the respondents' answer codes (NaN: unanswered or don't know) and
    (R, O) booleans "don't know"."""
    pos = {o: j for j, o in enumerate(model.observable_ids)}
    levels = np.full((len(codes), len(pos)), np.nan)
    dont_know = np.zeros((len(codes), len(pos)), dtype=bool)
    index = {s.id: {lv.code: k for k, lv in enumerate(s.levels)} for s in framework.scales}
    for r, answered in enumerate(codes):
        for qid, code in answered.items():
            if code == DONT_KNOW:
                dont_know[r, pos[qid]] = True
            else:
                levels[r, pos[qid]] = index[framework.observable_by_id[qid].scale][code]
    return levels, dont_know


def _reviewed(framework: Framework, reviews: Mapping[str, AnswerValue] | None) -> tuple[dict[str, str], list[Problem]]:
    """The advisor's reviewed answers as canonical codes (blank ones ignored), or the refusals."""
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for qid, raw in (reviews or {}).items():
        try:
            code = canonical(framework, qid, raw)
        except AnswerRefused as exc:
            problems.append(Problem(f"advisor's review, question {qid}", str(exc)))
            continue
        if code:
            out[qid] = code
    return out, problems


def consolidate(framework: Framework, sheets: Sequence[AnswerSheet],
                reviews: Mapping[str, AnswerValue] | None = None,
                model: ScoringModel | None = None) -> Consolidated:
    """Consolidate the sheets of ONE firm's respondents (same firm id and date, each with a
    ``respondent``) into one answer sheet, with the respondents and their disagreement.

    ``reviews``: question id → the advisor's validated or corrected answer (a level code or ``dk``),
    which wins over the respondents'. The rules are the module's (median level, the lower middle for
    an even count; "don't know" never hides a scored answer). Raises
    :class:`~innexport.core.assessment.AnswersError` naming every problem (the respondent's file,
    line and question).

    >>> from innexport.files.answers import read_answers
    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep", ["wine"])
    >>> team = [s for name in ("director", "export-manager", "rd-lead") for s in read_answers(f"examples/team/{name}.yaml")]
    >>> c = consolidate(fw, team)
    >>> [team[r].answers["strat_global_linked"] for r in range(3)], c.sheet.answers["strat_global_linked"]
    (['high', 'partial', 'low'], 'partial')
    >>> [(r.id, r.role) for r in c.respondents]
    [('helene', 'director'), ('marc', 'export_manager'), ('ines', 'rd_lead')]
    >>> c.values.shape == (3, len(fw.observables)), c.sheet.respondent is None, bool(c.fixed.any())
    (True, True, False)
    """
    if not sheets:
        raise ValueError("consolidate() needs the answer sheets of at least one respondent")
    problems = [Problem(s.where(), "this sheet has no `respondent`: only respondents' sheets are consolidated")
                for s in sheets if s.respondent is None]
    problems += [Problem(s.where(), f"not the same firm and date as {sheets[0].where()}")
                 for s in sheets[1:] if _key(s) != _key(sheets[0])]
    if problems:
        raise AnswersError(problems)
    team_groups(sheets)  # respondent ids unique, fields agreed (raises naming both places)
    check_framework(framework, sheets)
    model = model or ScoringModel.from_framework(framework)
    rows: list[np.ndarray] = []
    for sheet in sheets:  # one sheet at a time: every respondent's answers are checked where they are written
        try:
            rows.append(encode(framework, [sheet], model)[0])
        except AnswersError as exc:
            problems.extend(exc.problems)
    reviewed, refused = _reviewed(framework, reviews)
    problems.extend(refused)
    if problems:
        raise AnswersError(problems)
    values = np.vstack(rows)
    codes = [answer_codes(framework, s) for s in sheets]
    levels, dont_know = _level_positions(framework, model, codes)
    median = lower_median(levels)
    answers: dict[str, str] = {}
    for j, o in enumerate(framework.observables):
        if o.id in reviewed:
            answers[o.id] = reviewed[o.id]
        elif not math.isnan(median[j]):
            answers[o.id] = framework.scale_by_id[o.scale].levels[int(median[j])].code
        elif dont_know[:, j].any():
            answers[o.id] = DONT_KNOW
    ids = [s.respondent.id for s in sheets if s.respondent is not None]
    comments: dict[str, str] = {}
    for o in framework.observables:
        said = [f"{rid}: {s.comments[o.id]}" for rid, s in zip(ids, sheets, strict=True) if s.comments.get(o.id)]
        if said:
            comments[o.id] = "\n".join(said)
    first = sheets[0]
    firm = {f: next((getattr(s.firm, f) for s in sheets if getattr(s.firm, f) is not None), None)
            for f in type(first.firm).model_fields}

    def first_given(field: str) -> Any:
        return next((getattr(s, field) for s in sheets if _given(getattr(s, field))), None)

    sheet = AnswerSheet.model_validate({
        "framework": first.framework, "version": first_given("version"), "modules": first_given("modules") or [],
        "lang": first_given("lang"), "firm": firm, "assessed_on": first.assessed_on,
        "assessor": first_given("assessor"), "answers": answers, "comments": comments,
    })
    origins = list(dict.fromkeys(s._origin for s in sheets if s._origin))
    sheet.located(" + ".join(origins), {})
    respondents = [RespondentOut(id=s.respondent.id, role=s.respondent.role, answered=int((~np.isnan(levels[r])).sum()),
                                 dont_know=int(dont_know[r].sum()))
                   for r, s in enumerate(sheets) if s.respondent is not None]
    return Consolidated(sheet=sheet, respondents=respondents,
                        disagreement=disagreement(framework, model, ids, codes, values, levels), values=values,
                        fixed=np.array([o.id in reviewed for o in framework.observables]))


def disagreement(framework: Framework, model: ScoringModel, ids: Sequence[str], codes: Sequence[Mapping[str, str]],
                 values: np.ndarray, levels: np.ndarray) -> DisagreementOut:
    """Where the respondents ``ids`` disagree, per question and per activity (the module's rules):
    ``codes`` are their answer codes, ``values`` (R, O) their answer values and ``levels`` (R, O)
    their level positions, NaN where not scored. Questions nobody answered and activities nobody
    scored are left out."""
    nlev = np.array([len(framework.scale_by_id[framework.observable_by_id[o].scale].levels)
                     for o in model.observable_ids])
    r_wg, ratio, count = agreement(levels, nlev)
    with np.errstate(invalid="ignore"):
        spread = np.where(count >= 2, np.max(np.where(np.isnan(values), -np.inf, values), axis=0)
                          - np.min(np.where(np.isnan(values), np.inf, values), axis=0), np.nan)
    activity_of = {o.id: a.id for a in framework.activities for o in a.observables}
    questions = []
    for j, qid in enumerate(model.observable_ids):
        said = {rid: c[qid] for rid, c in zip(ids, codes, strict=True) if qid in c}
        if said:
            questions.append(QuestionDisagreementOut(
                question=qid, activity=activity_of[qid], respondents=int(count[j]), range=_round(spread[j]),
                agreement=_round(r_wg[j]), answers=said))
    scores = score(model, values).activities  # (R, A): every respondent in one matrix product
    scored = ~np.isnan(scores)
    n_scored = scored.sum(axis=0)
    with np.errstate(invalid="ignore"):
        act_range = np.where(n_scored >= 2, np.max(np.where(scored, scores, -np.inf), axis=0)
                             - np.min(np.where(scored, scores, np.inf), axis=0), np.nan)
    act_agreement = agreement_multi(ratio, model.observable_weights > 0)
    activities = [ActivityDisagreementOut(activity=a, range=_round(act_range[k]), agreement=_round(act_agreement[k]))
                  for k, a in enumerate(model.activity_ids) if n_scored[k] > 0]
    return DisagreementOut(questions=questions, activities=activities)


# --- attribution -----------------------------------------------------------------------------------


RowT = TypeVar("RowT", QuestionDisagreementOut, ActivityDisagreementOut)
_NO_RANGE = 1e-9
"""A range at most this is no difference (the rounding of equal answer values)."""


def least_agreed(rows: Sequence[RowT], limit: int) -> list[RowT]:
    """The disagreement rows (questions or activities) whose answers differ (a range above 0), the
    least agreed first (the lowest r_wg, then the largest range), at most ``limit``: the one order of
    "where your team disagrees" on the results page and in the report.

    >>> rows = [ActivityDisagreementOut(activity="a", range=0.5, agreement=0.8),
    ...         ActivityDisagreementOut(activity="b", range=0.0, agreement=1.0),
    ...         ActivityDisagreementOut(activity="c", range=0.75, agreement=0.8),
    ...         ActivityDisagreementOut(activity="d", range=0.25, agreement=0.2)]
    >>> [r.activity for r in least_agreed(rows, 2)]
    ['d', 'c']
    """
    differing = [r for r in rows if r.range is not None and r.range > _NO_RANGE]
    differing.sort(key=lambda r: (2.0 if r.agreement is None else r.agreement, -(r.range or 0.0)))
    return differing[:limit]


def numbered_role(role: str, n: int, of: int) -> str:
    """The default name of a respondent in a shared document: the role's code and its number
    among the respondents of that role (``director 1``), whatever their count ``of``.

    >>> numbered_role("director", 2, 2), numbered_role("rd_lead", 1, 1)
    ('director 2', 'rd_lead 1')
    """
    return f"{role} {n}"


def without_attribution(result: FirmResult, name_of: Callable[[str, int, int], str] = numbered_role,
                        colon: str = ":") -> FirmResult:
    """``result`` as it may leave the advisors: nobody's answers (each question's ``answers``
    emptied) and no respondent ids, replaced by their roles numbered in order (``director 1``,
    ``export_manager 1``, ``director 2``…), also where a merged comment starts with one. The one rule
    for every document shared outside the advisors (a brief, a portfolio, a benchmark).

    A document in one language names the respondents its own way: ``name_of(role, n, of)`` gives the
    name of the ``n``-th respondent of ``role`` among ``of`` (default :func:`numbered_role`), and
    ``colon`` what follows it in a comment (French puts a space before it: ``" :"``).

    >>> from innexport.core.assessment import DisagreementOut, QuestionDisagreementOut, RespondentOut
    >>> from innexport.files.answers import read_answers
    >>> from innexport.files.frameworks import load_framework
    >>> [result] = diagnose(load_framework("iiep", ["wine"]), read_answers("examples/cl-vina-cerro-alto.yaml"))
    >>> team = result.model_copy(update={
    ...     "respondents": [RespondentOut(id="ana", role="director", answered=3, dont_know=0),
    ...                     RespondentOut(id="ben", role="director", answered=2, dont_know=1)],
    ...     "disagreement": DisagreementOut(questions=[QuestionDisagreementOut(
    ...         question="q", activity="a", respondents=2, range=0.5, agreement=0.0,
    ...         answers={"ana": "yes", "ben": "no"})], activities=[]),
    ...     "comments": {"q": "ana: we export\\nben: not yet"}})
    >>> shared = without_attribution(team)
    >>> [r.id for r in shared.respondents], shared.disagreement.questions[0].answers, shared.comments["q"]
    (['director 1', 'director 2'], {}, 'director 1: we export\\ndirector 2: not yet')
    >>> without_attribution(result) == result  # one respondent's sheet: nothing to strip
    True
    >>> words = {"director": "Dirigeant"}
    >>> french = without_attribution(team, lambda role, n, of: f"{words[role]} {n}" if of > 1 else words[role], " :")
    >>> [r.id for r in french.respondents], french.comments["q"]
    (['Dirigeant 1', 'Dirigeant 2'], 'Dirigeant 1 : we export\\nDirigeant 2 : not yet')
    """
    if not result.respondents and result.disagreement is None:
        return result
    roles = [r.role for r in result.respondents]
    numbered: dict[str, int] = {}
    names: dict[str, str] = {}
    for r in result.respondents:
        numbered[r.role] = numbered.get(r.role, 0) + 1
        names[r.id] = name_of(r.role, numbered[r.role], roles.count(r.role))

    def renamed(comment: str) -> str:
        lines = []
        for line in comment.split("\n"):
            rid, sep, rest = line.partition(": ")
            lines.append(f"{names[rid]}{colon} {rest}" if sep and rid in names else line)
        return "\n".join(lines)

    update: dict[str, Any] = {
        "respondents": [r.model_copy(update={"id": names[r.id]}) for r in result.respondents],
        "comments": {q: renamed(c) for q, c in result.comments.items()},
    }
    if result.disagreement is not None:
        update["disagreement"] = result.disagreement.model_copy(update={
            "questions": [q.model_copy(update={"answers": {}}) for q in result.disagreement.questions]})
    return result.model_copy(update=update)


# --- diagnosing teams ------------------------------------------------------------------------------


def firm_sheets(framework: Framework, sheets: Sequence[AnswerSheet]) -> tuple[list[AnswerSheet], list[Consolidated | None]]:
    """One answer sheet per firm, in the order of each firm's first sheet: a sheet without respondent
    as it is, a team's sheets consolidated (:func:`consolidate`); with each firm's
    :class:`Consolidated` (None for a sheet without respondent). What :func:`diagnose_team` scores,
    and how other firms' answers become peers for the intervals. Raises
    :class:`~innexport.core.assessment.AnswersError` naming every problem.

    >>> from innexport.files.answers import read_answers
    >>> from innexport.files.frameworks import load_framework
    >>> sheets = [s for name in ("team/director", "cl-vina-cerro-alto", "team/export-manager")
    ...           for s in read_answers(f"examples/{name}.yaml")]
    >>> firms, teams = firm_sheets(load_framework("iiep", ["wine"]), sheets)
    >>> [(s.firm.id, t is not None) for s, t in zip(firms, teams)]
    [('fr-maison-lacoste', True), ('cl-vina-cerro-alto', False)]
    """
    model = ScoringModel.from_framework(framework)
    prepared: list[AnswerSheet] = []
    teams: list[Consolidated | None] = []
    problems: list[Problem] = []
    for unit in team_groups(sheets):
        if sheets[unit[0]].respondent is None:
            prepared.append(sheets[unit[0]])
            teams.append(None)
            continue
        try:
            team = consolidate(framework, [sheets[i] for i in unit], model=model)
        except AnswersError as exc:
            problems.extend(exc.problems)
            continue
        prepared.append(team.sheet)
        teams.append(team)
    if problems:
        raise AnswersError(problems)
    return prepared, teams


def diagnose_team(framework: Framework, sheets: Sequence[AnswerSheet], **diagnose_kwargs: Any) -> list[FirmResult]:
    """:func:`innexport.core.assessment.diagnose` for sheets of which some are respondents' of a team:
    one result per firm, in the order of each firm's first sheet.

    A sheet without respondent is diagnosed as it is; the sheets with a respondent are grouped by
    firm id and date (:func:`team_groups`) and each group consolidated (:func:`consolidate`) into
    one result with ``respondents`` (one entry each) and ``disagreement`` (None for a team of one).
    ``diagnose_kwargs`` go to :func:`~innexport.core.assessment.diagnose`, with each team's
    respondents' answers as ``respondent_values`` (the intervals draw over the respondents).

    >>> from innexport.files.answers import read_answers
    >>> from innexport.files.frameworks import load_framework
    >>> sheets = [s for name in ("team/director", "cl-vina-cerro-alto", "team/export-manager", "team/rd-lead")
    ...           for s in read_answers(f"examples/{name}.yaml")]
    >>> results = diagnose_team(load_framework("iiep", ["wine"]), sheets)
    >>> [(r.firm.id, len(r.respondents)) for r in results]
    [('fr-maison-lacoste', 3), ('cl-vina-cerro-alto', 0)]
    >>> q = next(q for q in results[0].disagreement.questions if q.question == "strat_global_linked")
    >>> q.answers, q.range, q.agreement  # high, partial, low on five levels: s² = 1, r_wg = 1 − 1/2
    ({'helene': 'high', 'marc': 'partial', 'ines': 'low'}, 0.5, 0.5)
    """
    prepared, teams = firm_sheets(framework, sheets)
    if any(teams):  # the intervals draw over each team's respondents (core.uncertainty)
        diagnose_kwargs["respondent_values"] = [t.values if t is not None else None for t in teams]
    results = diagnose(framework, prepared, **diagnose_kwargs)
    return [r if t is None else r.model_copy(update={
        "respondents": t.respondents, "disagreement": t.disagreement if len(t.respondents) > 1 else None})
        for r, t in zip(results, teams, strict=True)]
