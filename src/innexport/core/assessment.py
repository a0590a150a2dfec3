"""The diagnostic pipeline: answer sheets → values → scores, classes, FlowSort, priorities → results.

:func:`assess` runs the vectorised core on an ``(n, O)`` array (one firm or a million);
:func:`diagnose` takes answer sheets (what a person filled in), checks them against the
framework and returns one :class:`FirmResult` per firm: everything a report, the JSON output or
the web application shows, with the framework version and content hash it was scored with.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from innexport.core.answers import DONT_KNOW_WORDS, AnswerValue, canonical_on, level_of, off_scale, spellings
from innexport.core.classes import QUADRANTS, classify, profiles, quadrant, quadrant_cut, thresholds
from innexport.core.flowsort import FlowSortResult, PreferenceFunction, flowsort, flowsort_many
from innexport.core.framework import DONT_KNOW, INDICES, Framework, Lang, answers_fit
from innexport.core.priorities import (
    TOLERANCE,
    TOP_PRIORITIES,
    NextClassPlan,
    Priorities,
    next_class_plan,
    prioritise,
)
from innexport.core.scoring import Scores, ScoringModel, score
from innexport.core.uncertainty import DRAWS, LEVEL, Uncertainty, WeightRanges, simulate, weight_ranges

# --- the vectorised pipeline ------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PopulationResult:
    """Everything the core computes for n assessments, as arrays."""

    model: ScoringModel
    scores: Scores
    classes: np.ndarray  # (n, 3) threshold class of IIP, IEP, IIEP (0 = proactive, -1 = missing)
    flowsort: tuple[FlowSortResult, FlowSortResult, FlowSortResult]  # on the activities of IIP, IEP, IIEP
    quadrant: np.ndarray  # (n,) index into classes.QUADRANTS
    priorities: Priorities


def assess(model: ScoringModel, values: np.ndarray, leverage: np.ndarray | None = None) -> PopulationResult:
    """Score, classify (thresholds and FlowSort) and prioritise an ``(n, O)`` array of answers."""
    fw = model.framework
    scores = score(model, values)
    classes = classify(scores.indices, thresholds(fw))
    settings = fw.flowsort
    pref = PreferenceFunction(kind=settings.preference, q=settings.q, p=settings.p)
    class_profiles = profiles(fw)
    prof = np.repeat(class_profiles[:, None], len(model.activity_ids), axis=1)
    # one weight set per index and firm: each firm's effective activity weights in the index (the
    # indices' rule for unassessed activities); the activities outside an index weigh 0 in it
    iip_sort, iep_sort, iiep_sort = flowsort_many(
        scores.activities, prof, model.index_activity_weights, pref,
        weights_for=lambda assessed: model.effective_activity_weights(assessed).transpose(1, 0, 2),
        ties=settings.ties)
    quad = quadrant(scores.iip, scores.iep, quadrant_cut(fw))
    return PopulationResult(model, scores, classes, (iip_sort, iep_sort, iiep_sort), quad,
                            prioritise(model, scores, leverage))


# --- answer sheets ------------------------------------------------------------------------------


FirmSize = Literal["micro", "small", "medium", "large"]
FIRM_SIZES: tuple[str, ...] = get_args(FirmSize)
"""A firm's size classes, smallest first (the one list: answer files, questionnaires, catalogues, collect)."""


class Firm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=120)]
    name: Annotated[str, Field(min_length=1)]
    country: str | None = None
    region: str | None = None
    sector: str | None = None
    size: FirmSize | None = None
    employees: Annotated[int, Field(ge=0)] | None = None
    founded: Annotated[int, Field(ge=1000, le=2100)] | None = None
    export_share: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    rd_intensity: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    contact: str | None = None


RespondentRole = Literal["director", "export_manager", "rd_lead", "advisor", "other"]
RESPONDENT_ROLES: tuple[str, ...] = get_args(RespondentRole)
"""Who can answer a firm's questionnaire (the one list of roles: answer files, the web app, the API)."""


class Respondent(BaseModel):
    """Who filled in an answer sheet, when a firm has several respondents (see :mod:`innexport.core.respondents`)."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=120)]
    role: RespondentRole = "director"


class AnswerSheet(BaseModel):
    """What was answered for one firm: the input of a diagnostic."""

    model_config = ConfigDict(extra="forbid")

    framework: str = "iiep"
    version: str | None = None
    modules: list[str] = Field(default_factory=list)
    lang: Lang | None = None
    firm: Firm
    assessed_on: dt.date | None = None
    assessor: str | None = None
    respondent: Respondent | None = None
    """Who answered, when several people answer for the same firm and date (consolidated into one result)."""
    answers: dict[str, AnswerValue] = Field(default_factory=dict)
    comments: dict[str, str] = Field(default_factory=dict)
    _origin: str = PrivateAttr(default="")
    _firm_at: str = PrivateAttr(default="")
    _where: dict[str, str] = PrivateAttr(default_factory=dict)

    def located(self, origin: str, where: dict[str, str], firm_at: str = "") -> AnswerSheet:
        """Attach where this sheet comes from: the file (``origin``), the firm's entry in it
        (``firm_at``, e.g. ``line 3`` or ``row 4``) and each answer (``where[question]``)."""
        self._origin, self._where, self._firm_at = origin, where, firm_at
        return self

    def where(self, question: str | None = None) -> str:
        """``file, line/row, firm ID[, question QID]`` for error messages."""
        at = self._where.get(question, "") if question else self._firm_at
        parts = [p for p in (self._origin, at) if p]
        parts.append(f"firm {self.firm.id}")
        if question:
            parts.append(f"question {question}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class AnswersError(Exception):
    """Answers that cannot be scored; ``problems`` names every one (file, row, firm, question)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        shown = "\n".join(str(p) for p in self.problems[:50])
        more = len(self.problems) - 50
        super().__init__(shown + (f"\n… and {more} more problem(s)" if more > 0 else ""))


_DONT_KNOW_WORDS = DONT_KNOW_WORDS  # the name the tests and older callers import


def encode(framework: Framework, sheets: Sequence[AnswerSheet], model: ScoringModel | None = None) -> np.ndarray:
    """The ``(n, O)`` answer values of the sheets; raises :class:`AnswersError` naming every bad answer.

    What an answer may be is :mod:`innexport.core.answers`'s rule (a level code, a level label in
    any language, the level's value, or "don't know"); unanswered and "don't know" leave a NaN.
    """
    model = model or ScoringModel.from_framework(framework)
    pos = {o: i for i, o in enumerate(model.observable_ids)}
    tables = {scale.id: spellings(scale) for scale in framework.scales}
    values = np.full((len(sheets), len(pos)), np.nan)
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    unknown: dict[tuple[str, str], list[AnswerSheet]] = {}  # (file, question id) → the sheets that answer it
    for r, sheet in enumerate(sheets):
        if sheet.firm.id in seen:
            problems.append(Problem(sheet.where(), f"firm id '{sheet.firm.id}' already used by {seen[sheet.firm.id]}"))
        seen.setdefault(sheet.firm.id, sheet.where())
        for qid, raw in sheet.answers.items():
            if qid not in pos:
                if (sheet._origin, qid) not in unknown:
                    problems.append(Problem("", qid))  # its place in the list; worded once every firm is seen
                    unknown[sheet._origin, qid] = [sheet]
                else:
                    unknown[sheet._origin, qid].append(sheet)
                continue
            scale = framework.scale_by_id[framework.observable_by_id[qid].scale]
            level = level_of(raw, scale, tables[scale.id])
            if level is None:
                continue
            if level < 0:
                problems.append(Problem(sheet.where(qid), off_scale(raw, scale)))
                continue
            values[r, pos[qid]] = scale.values[level]
        problems.extend(Problem(sheet.where(qid), "comment on an unknown question id")
                        for qid in sheet.comments if qid not in pos)
    worded = iter([_unknown_question(framework, qid, found, pos) for (_origin, qid), found in unknown.items()])
    problems = [next(worded) if p.where == "" else p for p in problems]
    if problems:
        raise AnswersError(problems)
    return values


def answer_codes(framework: Framework, sheet: AnswerSheet) -> dict[str, str]:
    """Each answered question's canonical level code (or ``dk``), in framework order
    (:func:`innexport.core.answers.canonical_on`); answers off their scale are left out."""
    tables = {scale.id: spellings(scale) for scale in framework.scales}
    out: dict[str, str] = {}
    for o in framework.observables:
        if o.id not in sheet.answers:
            continue
        scale = framework.scale_by_id[o.scale]
        code = canonical_on(sheet.answers[o.id], scale, tables[scale.id])
        if code:
            out[o.id] = code
    return out


def check_framework(framework: Framework, sheets: Sequence[AnswerSheet]) -> None:
    """Refuse sheets made for another framework, MAJOR version (:func:`answers_fit`) or set of modules."""
    problems = []
    wanted_modules = [m.id for m in framework.modules]
    for sheet in sheets:
        if sheet.framework != framework.id:
            problems.append(Problem(sheet.where(), f"answers are for framework '{sheet.framework}', not '{framework.id}'"))
        if sheet.version is not None and not answers_fit(sheet.version, framework.version):
            problems.append(Problem(sheet.where(), f"answers were made with {sheet.framework} {sheet.version}; "
                                                   f"this framework is {framework.id} {framework.version}"))
        if [m.split("@")[0] for m in sheet.modules] != wanted_modules:
            problems.append(Problem(sheet.where(), f"answers use modules {sheet.modules or 'none'}; "
                                                   f"the framework has {wanted_modules or 'none'}"))
    if problems:
        raise AnswersError(problems)


# --- results --------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class FrameworkStamp(_Out):
    """Which framework a result was scored with: enough to reproduce it."""

    id: str
    version: str
    modules: list[dict[str, str]]
    label: str
    content_hash: str


class FlowSortOut(_Out):
    class_: str | None = Field(alias="class")
    net_flow: float | None
    positive_flow: float | None
    negative_flow: float | None
    profile_net_flows: dict[str, float | None]
    class_by_positive_flow: str | None
    class_by_negative_flow: str | None

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class IntervalOut(_Out):
    """An interval of a result's value (:mod:`innexport.core.uncertainty`): ``level`` of the draws lie in it."""

    low: float
    high: float
    level: float


class IndexOut(_Out):
    value: float | None
    class_: str | None = Field(alias="class")
    flowsort: FlowSortOut
    interval: IntervalOut | None = None
    """Where the index lies in ``level`` of the Monte Carlo draws (None when not computed)."""
    class_stability: float | None = None
    """Share of the draws whose threshold class is ``class`` (1: stable; about 0.5: on a threshold)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)


class ActivityOut(_Out):
    id: str
    dimension: str
    tag: str
    score: float | None
    answered: int
    questions: int
    weight: dict[str, float]  # effective weight in iip, iep, iiep (all answered)


class DimensionOut(_Out):
    id: str
    score: float | None


class RecommendationOut(_Out):
    observable: str
    answer: str | None  # level code, "dk", or None when unanswered
    value: float | None


class PriorityOut(_Out):
    rank: int
    activity: str
    dimension: str
    tag: str
    score: float | None
    target: float | None
    target_class: str | None
    gap: float | None
    leverage: float
    priority: float | None
    reason: str
    """Why the activity stands where it does, as a code the renderers word: ``unassessed``,
    ``reached`` (at or above its target), ``consolidate`` (the target is the top class), ``gap``."""
    top_leverage: bool = False
    """True when this activity has the framework's largest leverage (it counts in IIP and IEP)."""
    recommendations: list[RecommendationOut]
    top_probability: float | None = None
    """Share of the Monte Carlo draws in which this activity is among the first :data:`TOP_PRIORITIES`."""


class StepOut(_Out):
    observable: str
    activity: str
    from_code: str
    to_code: str
    gain_iip: float
    gain_iep: float


class PlanOut(_Out):
    current: dict[str, str | None]  # class on iip, iep
    target: dict[str, str | None]
    needed: dict[str, float | None]
    reachable: bool
    steps: list[StepOut]
    by_activity: dict[str, int]
    after: dict[str, float | None]
    method: Literal["exact", "greedy"] = "exact"
    """How the steps were chosen: "exact" (the fewest possible) or "greedy" (the fallback, or an unreachable target)."""


class RespondentOut(_Out):
    """One respondent of a consolidated result: who, and how much they answered."""

    id: str
    role: str
    answered: int
    """Questions with a scored answer (a level)."""
    dont_know: int


class QuestionDisagreementOut(_Out):
    question: str
    activity: str
    respondents: int
    """Respondents with a scored answer to this question."""
    range: float | None
    """Highest minus lowest answer value (0–1 scale) among them; None under two answers."""
    agreement: float | None
    """Agreement coefficient r_wg (James, Demaree & Wolf 1984): 1 = all agree, 0 = as if at random."""
    answers: dict[str, str] = Field(default_factory=dict)
    """Respondent id → the answer's code: who said what (for the advisor; removed from shared documents)."""


class ActivityDisagreementOut(_Out):
    activity: str
    range: float | None
    """Highest minus lowest activity score among the respondents who scored it."""
    agreement: float | None
    """r_wg(J) over the activity's questions (James, Demaree & Wolf 1984)."""


class DisagreementOut(_Out):
    questions: list[QuestionDisagreementOut]
    activities: list[ActivityDisagreementOut]


class ValidationOut(_Out):
    """How many answers an advisor checked: each is self-assessed, validated or corrected."""

    validated: int
    corrected: int
    self_assessed: int
    by: list[str]
    """Who validated or corrected answers (names, in order of first review)."""
    states: dict[str, Literal["validated", "corrected"]] = Field(default_factory=dict)
    """Question id → its review state (questions not listed are self-assessed)."""


class UncertaintyOut(_Out):
    """How the intervals and stabilities were drawn (:mod:`innexport.core.uncertainty`)."""

    draws: int
    level: float
    seed: int
    sources: list[Literal["unanswered", "respondents", "weights"]]
    """What varied across draws: unanswered and don't-know questions, the respondents, the weights."""
    unanswered_from: Literal["peers", "uniform"]


class WeightRangeOut(_Out):
    """Stability interval of one dimension's weight: within ``[low, high]`` (the other weights scaled to
    keep the sum 1) the firm keeps its classes (``classes``, per index) or its first priority (``priority``)."""

    dimension: str
    weight: float
    classes: dict[str, tuple[float, float] | None]
    priority: tuple[float, float] | None


class FirmResult(_Out):
    """Everything a diagnostic says about one firm (what ``--out result.json`` holds)."""

    firm: Firm
    assessed_on: dt.date | None
    assessor: str | None
    lang: Lang
    framework: FrameworkStamp
    completeness: float
    questions: int
    missing: list[str]
    dont_know: list[str]
    indices: dict[str, IndexOut]
    quadrant: str | None
    dimensions: list[DimensionOut]
    activities: list[ActivityOut]
    priorities: list[PriorityOut]
    next_class: PlanOut
    answers: dict[str, str]
    comments: dict[str, str]
    benchmark: dict[str, Any] | None = None
    """The firm among its peers of a population (see ``population.benchmark.benchmark_firm``), if asked."""
    respondents: list[RespondentOut] = Field(default_factory=list)
    """Who answered, when the result consolidates several respondents (empty for one answer sheet)."""
    disagreement: DisagreementOut | None = None
    """Where the respondents disagree (None for one respondent)."""
    validation: ValidationOut | None = None
    """The advisor's validation of the answers (None when nobody reviewed them)."""
    uncertainty: UncertaintyOut | None = None
    """How the indices' intervals and stabilities were computed (None when not computed)."""
    sensitivity: list[WeightRangeOut] | None = None
    """Stability intervals of the dimension weights (None when not computed)."""

    def top_priorities(self, n: int = TOP_PRIORITIES) -> list[PriorityOut]:
        """The first ``n`` priorities that still have a gap to close (the one rule of "top priorities")."""
        return [p for p in self.priorities if p.gap is not None and p.gap > TOLERANCE][:n]


class IncompleteError(AnswersError):
    """Too few questions answered for a meaningful diagnostic."""


def stamp(framework: Framework) -> FrameworkStamp:
    return FrameworkStamp(
        id=framework.id,
        version=framework.version,
        modules=[m.model_dump() for m in framework.modules],
        label=framework.label,
        content_hash=framework.content_hash,
    )


def _num(v: float) -> float | None:
    return round(float(v), 6) if np.isfinite(v) else None


def diagnose(
    framework: Framework,
    sheets: Sequence[AnswerSheet],
    lang: Lang | None = None,
    min_completeness: float | None = None,
    leverage: np.ndarray | None = None,
    *,
    draws: int = DRAWS,
    level: float = LEVEL,
    seed: int | None = None,
    peers: np.ndarray | None = None,
    respondent_values: Sequence[np.ndarray | None] | None = None,
    sensitivity: bool = True,
    fixed: np.ndarray | None = None,
) -> list[FirmResult]:
    """Diagnose each answer sheet; all sheets are checked before any result is returned.

    Each result also says how far it can be trusted (:mod:`innexport.core.uncertainty`): with
    ``draws`` > 0 (0 disables them), the indices' ``interval`` (``level`` of the Monte Carlo draws)
    and ``class_stability``, and the first priorities' ``top_probability``; the draws fill the
    unanswered questions from ``peers`` ((m, O) answer values of other firms, see :func:`encode`) or
    uniformly, resample a team's respondents (``respondent_values[i]``: firm i's (R, O) values, None
    for one respondent; ``fixed`` (n, O): the questions an advisor reviewed, which do not vary) and
    the AHP experts; ``seed`` (default: one per firm from its id and the framework) makes them
    reproducible. With ``sensitivity``, the dimension weights' stability intervals.
    """
    check_framework(framework, sheets)
    model = ScoringModel.from_framework(framework)
    values = encode(framework, sheets, model)
    population = assess(model, values, leverage)
    floor = framework.scoring.min_completeness if min_completeness is None else min_completeness
    incomplete = [
        Problem(sheet.where(), f"only {share_below(population.scores.completeness[i], floor)} of the questions have a "
                               f"scored answer (at least {floor_percent(floor)} needed); missing: "
                               + ", ".join(np.array(model.observable_ids)[np.isnan(values[i])]))
        for i, sheet in enumerate(sheets)
        if not meets_floor(float(population.scores.completeness[i]), floor)
    ]
    if incomplete:
        raise IncompleteError(incomplete)
    ids = [sheet.firm.id for sheet in sheets]
    drawn = (simulate(model, values, ids, draws=draws, level=level, seed=seed, peers=peers,
                      respondent_values=respondent_values, fixed=fixed, leverage=leverage) if draws else None)
    ranges = weight_ranges(model, values, leverage) if sensitivity else None
    return [firm_result(population, i, sheet, lang or sheet.lang or "en", drawn, ranges)
            for i, sheet in enumerate(sheets)]


DIVERGENCES: tuple[str, ...] = ("boundary", "spread")
"""Why FlowSort's class of an index can differ from its class by thresholds (:func:`flowsort_divergence`)."""


def flowsort_divergence(framework: Framework, result: FirmResult, index: str) -> str | None:
    """Why FlowSort gives index ``index`` another class than the thresholds: ``None`` when they agree
    (or the index is not scored), else one of :data:`DIVERGENCES`, told apart with FlowSort itself:

    * ``boundary``: a firm scoring the index's value on every activity gets FlowSort's class too
      (FlowSort's limits lie half-way between the classes' central profiles, not at the thresholds:
      near a threshold it can give the neighbouring class to even activities);
    * ``spread``: it would not: the activities are uneven (the index is their weighted mean, while
      FlowSort compares each activity with the profiles, a gap counting at most up to ``p``).

    Two classes apart is always ``spread`` (no boundary effect spans a whole class).
    """
    out = result.indices[index]
    if out.value is None or out.class_ is None or out.flowsort.class_ is None or out.class_ == out.flowsort.class_:
        return None
    ids = [c.id for c in framework.classes]
    if abs(ids.index(out.class_) - ids.index(out.flowsort.class_)) == 1:
        settings = framework.flowsort
        even = flowsort(np.array([out.value]), profiles(framework)[:, None], np.array([1.0]),
                        PreferenceFunction(kind=settings.preference, q=settings.q, p=settings.p), ties=settings.ties)
        if ids[int(even.classes[0])] == out.flowsort.class_:
            return "boundary"
    return "spread"


FLOOR_SLACK = 1e-12
"""A share of scored answers below the completeness floor by no more than this meets it (the
floating-point error of a share such as 7 / 10 against a floor such as 0.7)."""


def meets_floor(share: float, floor: float) -> bool:
    """Whether a share of scored answers meets the completeness floor (the one test of :func:`diagnose`).

    >>> meets_floor(7 / 10, 0.7), meets_floor(0.69, 0.7), meets_floor(0.0, 0.0)
    (True, False, True)
    """
    return share + FLOOR_SLACK >= floor


def scored_needed(total: int, floor: float) -> int:
    """The fewest scored answers (a level, not "don't know") out of ``total`` questions that meet
    the completeness ``floor`` (:func:`meets_floor`): what a questionnaire tells its respondent.

    >>> scored_needed(40, 0.7), scored_needed(10, 0.7), scored_needed(41, 0.7), scored_needed(93, 0.7)
    (28, 7, 29, 66)
    >>> scored_needed(3, 0.0), scored_needed(7, 1.0), scored_needed(0, 0.7)
    (0, 7, 0)
    """
    n = max(math.ceil(floor * total) - 1, 0)  # where to start looking (no division: nothing when total ≤ 0)
    while n < total and not meets_floor(n / total, floor):
        n += 1
    return n


def _unknown_question(framework: Framework, qid: str, sheets: list[AnswerSheet], known: dict[str, int]) -> Problem:
    """One problem for a question id the framework does not have, however many firms of one file
    answer it (a misspelt column of a table): where it is (the parts of the place every firm shares,
    e.g. the column) and which firms, with the closest known id."""
    close = difflib.get_close_matches(qid, known, n=1, cutoff=0.8)
    message = f"unknown question id (not in {framework.label})" + (f"; did you mean {close[0]}?" if close else "")
    if len(sheets) == 1:
        return Problem(sheets[0].where(qid), message)
    places = [sheet._where.get(qid, "").split(", ") for sheet in sheets]
    shared = [part for part in places[0] if part and all(part in other for other in places[1:])]
    firms = [sheet.firm.id for sheet in sheets]
    listed = ", ".join(firms[:5]) + (f" and {len(firms) - 5} more" if len(firms) > 5 else "")
    where = ", ".join([p for p in (sheets[0]._origin, *shared) if p] + [f"question {qid}"])
    return Problem(where, f"{message} ({len(firms)} firms: {listed})")


def share_below(share: float, floor: float) -> str:
    """``share`` as a percentage that never reads as much as ``floor`` when it is below it (69.9 %, not 70 %).

    >>> share_below(0.9677, 0.7), share_below(0.699, 0.7), share_below(0.6999, 0.7)
    ('97%', '69.9%', '69.9%')
    """
    text = f"{share:.0%}"
    if share < floor and round(share * 100) >= round(floor * 100):
        text = f"{math.floor(share * 1000) / 10:.1f}%"
    return text


def floor_percent(floor: float) -> str:
    """A completeness floor as a percentage, with a decimal when it is not a whole percent.

    >>> floor_percent(0.7), floor_percent(0.605)
    ('70%', '60.5%')
    """
    return f"{floor:.0%}" if abs(floor * 100 - round(floor * 100)) < 1e-9 else f"{floor:.1%}"


REASONS: tuple[str, ...] = ("unassessed", "reached", "consolidate", "gap")
"""The codes of :attr:`PriorityOut.reason`."""


def reason_code(score: float, target: float) -> str:
    """Why an activity of score ``score`` stands where it does against its class target ``target``.

    >>> reason_code(0.2, 0.45), reason_code(0.5, 0.45), reason_code(0.8, 1.0), reason_code(float("nan"), 0.45)
    ('gap', 'reached', 'consolidate', 'unassessed')
    """
    if score != score or target != target:
        return "unassessed"
    if score >= target - 1e-9:
        return "reached"
    if target >= 1.0 - 1e-9:
        return "consolidate"
    return "gap"


def _interval(drawn: Uncertainty | None, i: int, k: int) -> IntervalOut | None:
    if drawn is None or not np.isfinite(drawn.low[i, k]):
        return None
    return IntervalOut(low=round(float(drawn.low[i, k]), 6), high=round(float(drawn.high[i, k]), 6), level=drawn.level)


def _share(x: float) -> float | None:
    return round(float(x), 6) if np.isfinite(x) else None


def _sensitivity(model: ScoringModel, ranges: WeightRanges, i: int) -> list[WeightRangeOut]:
    def bounds(pair: np.ndarray) -> tuple[float, float] | None:
        return (round(float(pair[0]), 6), round(float(pair[1]), 6)) if np.isfinite(pair).all() else None

    return [WeightRangeOut(dimension=d, weight=round(float(ranges.weights[k]), 6),
                           classes={name: bounds(ranges.classes[i, k, j]) for j, name in enumerate(INDICES)},
                           priority=bounds(ranges.priority[i, k]))
            for k, d in enumerate(model.dimension_ids)]


def firm_result(pop: PopulationResult, i: int, sheet: AnswerSheet, lang: Lang,
                drawn: Uncertainty | None = None, ranges: WeightRanges | None = None) -> FirmResult:
    """Firm ``i`` of a :class:`PopulationResult` as the :class:`FirmResult` a report shows (``sheet``
    its answers, ``lang`` its language), with its intervals (``drawn``) and weight ranges (``ranges``)
    when computed: what :func:`diagnose` returns per sheet, and the "what if" page for other weights."""
    model, fw, s = pop.model, pop.model.framework, pop.scores
    cls_ids = fw.class_ids

    def cls(k: int) -> str | None:
        return cls_ids[k] if k >= 0 else None

    indices = {}
    for k, name in enumerate(INDICES):
        fs = pop.flowsort[k]
        indices[name] = IndexOut(
            value=_num(s.indices[i, k]),
            class_=cls(int(pop.classes[i, k])),
            flowsort=FlowSortOut(
                class_=cls(int(fs.classes[i])),
                net_flow=_num(fs.net_flow[i]),
                positive_flow=_num(fs.positive_flow[i]),
                negative_flow=_num(fs.negative_flow[i]),
                profile_net_flows={c: _num(v) for c, v in zip(cls_ids, fs.profile_net_flows[i], strict=True)},
                class_by_positive_flow=cls(int(fs.classes_positive[i])),
                class_by_negative_flow=cls(int(fs.classes_negative[i])),
            ),
            interval=_interval(drawn, i, k),
            class_stability=_share(drawn.stability[i, k]) if drawn is not None else None,
        )
    answered = ~np.isnan(s.observables[i])
    codes = answer_codes(fw, sheet)
    obs_pos = {o: j for j, o in enumerate(model.observable_ids)}
    activities = []
    for j, a in enumerate(fw.activities):
        rows = [obs_pos[o.id] for o in a.observables]
        activities.append(ActivityOut(
            id=a.id, dimension=fw.dimension_of[a.id].id, tag=a.tag, score=_num(s.activities[i, j]),
            answered=int(answered[rows].sum()), questions=len(rows),
            weight={name: round(float(model.index_activity_weights[k, j]), 6) for k, name in enumerate(INDICES)},
        ))
    pr = pop.priorities
    target_class = cls(int(pr.target_class[i]))
    priorities = []
    for rank, j in enumerate(pr.order[i], start=1):
        a = fw.activities[j]
        target = float(pr.target[i])
        weak = [
            RecommendationOut(observable=o.id, answer=codes.get(o.id), value=_num(s.observables[i, obs_pos[o.id]]))
            for o in a.observables
            if not (s.observables[i, obs_pos[o.id]] >= target - 1e-9)
        ]
        weak.sort(key=lambda r: -1.0 if r.value is None else r.value)
        priorities.append(PriorityOut(
            rank=rank, activity=a.id, dimension=fw.dimension_of[a.id].id, tag=a.tag,
            score=_num(s.activities[i, j]), target=_num(target), target_class=target_class,
            gap=_num(pr.gap[i, j]), leverage=round(float(pr.leverage[j]), 6), priority=_num(pr.priority[i, j]),
            reason=reason_code(float(s.activities[i, j]), target),
            top_leverage=bool(pr.leverage[j] >= pr.leverage.max() - 1e-12),
            recommendations=weak,
            top_probability=(_share(drawn.top_probability[i, j])
                             if drawn is not None and rank <= TOP_PRIORITIES else None),
        ))
    plan = next_class_plan(model, s, i)
    missing = [o.id for o in fw.observables if o.id not in codes]
    dont_know = [o for o, c in codes.items() if c == DONT_KNOW]
    q = int(pop.quadrant[i])
    return FirmResult(
        firm=sheet.firm, assessed_on=sheet.assessed_on, assessor=sheet.assessor, lang=lang, framework=stamp(fw),
        completeness=round(float(s.completeness[i]), 6), questions=len(model.observable_ids),
        missing=missing, dont_know=dont_know, indices=indices,
        quadrant=QUADRANTS[q] if q >= 0 else None,
        dimensions=[DimensionOut(id=d, score=_num(s.dimensions[i, k])) for k, d in enumerate(model.dimension_ids)],
        activities=activities, priorities=priorities, next_class=_plan_out(fw, plan), answers=codes,
        comments=dict(sheet.comments),
        uncertainty=None if drawn is None else UncertaintyOut(
            draws=drawn.draws, level=drawn.level, seed=drawn.seeds[i], sources=drawn.sources[i],
            unanswered_from=drawn.unanswered_from[i]),
        sensitivity=None if ranges is None else _sensitivity(model, ranges, i),
    )


def _plan_out(fw: Framework, plan: NextClassPlan) -> PlanOut:
    ids = fw.class_ids

    def cls(k: int) -> str | None:
        return ids[k] if k >= 0 else None

    def code(oid: str, level: int) -> str:
        return fw.scale_by_id[fw.observable_by_id[oid].scale].levels[level].code

    return PlanOut(
        current={"iip": cls(plan.current[0]), "iep": cls(plan.current[1])},
        target={"iip": cls(plan.target[0]), "iep": cls(plan.target[1])},
        needed={"iip": _num(plan.needed[0]), "iep": _num(plan.needed[1])},
        reachable=plan.reachable,
        steps=[StepOut(observable=st.observable, activity=st.activity, from_code=code(st.observable, st.from_level),
                       to_code=code(st.observable, st.to_level), gain_iip=round(st.gain[0], 6),
                       gain_iep=round(st.gain[1], 6)) for st in plan.steps],
        by_activity=plan.by_activity,
        after={"iip": _num(plan.after[0]), "iep": _num(plan.after[1])},
        method=plan.method,
    )


def result_json(results: Sequence[FirmResult]) -> dict[str, Any]:
    """The ``--out result.json`` document: one entry per firm."""
    return {"firms": [r.model_dump(mode="json", by_alias=True) for r in results]}
