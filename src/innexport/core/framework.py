"""The capability framework: dimensions → activities (innovation, export or joint) → observables.

A framework is data (a YAML file) validated on load by the pydantic models below. A *module*
(for example the ``wine`` sector module) adds, adapts or removes parts of a framework it extends.
What a user scores with is always a :class:`Framework`: the base framework with its modules
applied, carrying its version, the modules' versions and a content hash so that every score can
be reproduced.

Weights are given at each level either directly (``weight`` on each child, default 1) or as AHP
pairwise comparison matrices on the parent (``ahp``: one matrix per expert, combined by the
geometric mean of judgements). A matrix whose consistency ratio exceeds ``max_cr`` is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, Literal, Protocol

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    field_validator,
    model_validator,
)

from innexport.core import ahp as ahp_mod
from innexport.core.flowsort import Ties
from innexport.core.languages import LANGUAGES as LANGUAGES  # re-exported: the one list lives there
from innexport.core.languages import Lang as Lang

TAGS: tuple[str, ...] = ("innovation", "export", "joint")
INDICES: tuple[str, ...] = ("iip", "iep", "iiep")
"""The three indices and the activity tags each one aggregates."""
INDEX_TAGS: dict[str, frozenset[str]] = {
    "iip": frozenset({"innovation", "joint"}),
    "iep": frozenset({"export", "joint"}),
    "iiep": frozenset(TAGS),
}
"""The tags each index aggregates with the default IIEP scope (``all``); see :data:`IIEP_SCOPES`."""
IIEP_SCOPES: dict[str, frozenset[str]] = {"all": frozenset(TAGS), "common_space": frozenset({"joint"})}
"""The activities the IIEP aggregates, by the framework's ``scoring.iiep_scope``: every activity
(``all``, the default), or the joint activities only (``common_space``: the research's definition,
the practices common to innovation and export, Enjolras, Camargo & Schmitt 2016)."""

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(RootModel[dict[str, str]]):
    """A text in every supported language: ``{fr: ..., es: ..., en: ...}``."""

    model_config = ConfigDict(frozen=True)

    @field_validator("root")
    @classmethod
    def _all_languages(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [lang for lang in LANGUAGES if not str(value.get(lang) or "").strip()]
        if missing:
            raise ValueError(f"missing translation: {', '.join(missing)}")
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown language(s) {', '.join(unknown)}; expected {', '.join(LANGUAGES)}")
        return {lang: str(value[lang]).strip() for lang in LANGUAGES}

    def __getitem__(self, lang: str) -> str:
        return self.root[lang]

    def get(self, lang: str) -> str:
        return self.root.get(lang) or self.root["en"]


class Source(_Strict):
    """A published source that an activity cites."""

    id: Identifier
    citation: str
    url: str | None = None
    note: str | None = None


class Level(_Strict):
    code: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    value: Annotated[float, Field(ge=0.0, le=1.0)]
    label: Text


class Scale(_Strict):
    """An answer scale: yes/no or a verbal scale, each level mapped to a value in [0, 1].

    "Don't know" (answer code ``dk``) is always possible and is never scored.
    """

    id: Identifier
    levels: Annotated[list[Level], Field(min_length=2, max_length=7)]

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        values = [level.value for level in self.levels]
        if any(b <= a for a, b in pairwise(values)):
            raise ValueError(f"scale {self.id}: level values must increase strictly, got {values}")
        codes = [level.code for level in self.levels]
        if len(set(codes)) != len(codes) or DONT_KNOW in codes:
            raise ValueError(f"scale {self.id}: level codes must be unique and not '{DONT_KNOW}'")
        return self

    @property
    def values(self) -> np.ndarray:
        return np.array([level.value for level in self.levels])


DONT_KNOW = "dk"


class AHPJudgements(_Strict):
    """Pairwise comparisons of a parent's children, one matrix per expert."""

    items: Annotated[list[Identifier], Field(min_length=2)]
    experts: Annotated[list[list[list[str | float]]], Field(min_length=1)]
    max_cr: Annotated[float, Field(gt=0.0, le=1.0)] = ahp_mod.ACCEPTABLE_CR

    @model_validator(mode="after")
    def _consistent(self) -> AHPJudgements:
        self.result  # noqa: B018 - computing it validates the matrices and their consistency
        return self

    @cached_property
    def result(self) -> ahp_mod.AHPResult:
        n = len(self.items)
        matrices = []
        for k, matrix in enumerate(self.experts):
            if len(matrix) != n or any(len(row) != n for row in matrix):
                raise ValueError(f"expert {k + 1}: the matrix must be {n}×{n} to match items {self.items}")
            try:
                matrices.append(ahp_mod.as_pairwise(matrix, self.items))
            except ahp_mod.AHPError as exc:
                raise ValueError(f"expert {k + 1}: {exc}") from None
        combined = ahp_mod.combine_judgements(matrices) if len(matrices) > 1 else matrices[0]
        result = ahp_mod.ahp(combined, self.items)
        if result.consistency_ratio > self.max_cr:
            raise ValueError(
                f"AHP matrix over {', '.join(self.items)} is inconsistent: consistency ratio "
                f"CR = {result.consistency_ratio:.3f} > {self.max_cr:.2f}; revise the judgements"
            )
        return result


class _Weighted(_Strict):
    weight: Annotated[float, Field(gt=0.0)] | None = None


class _Child(Protocol):
    """What the weighting needs of a child (an observable, an activity or a dimension)."""

    @property
    def id(self) -> str: ...

    @property
    def weight(self) -> float | None: ...


def _child_weights(children: Sequence[_Child], judgements: AHPJudgements | None, where: str) -> np.ndarray:
    """Weights of a parent's children, normalised to sum to 1 (direct, equal or AHP)."""
    if judgements is None:
        raw = np.array([1.0 if c.weight is None else c.weight for c in children])
        weights: np.ndarray = raw / raw.sum()
        return weights
    ids = [c.id for c in children]
    if sorted(ids) != sorted(judgements.items):
        raise ValueError(
            f"{where}: the AHP items {judgements.items} must be exactly the children {ids}"
        )
    by_id = judgements.result.weights_dict()
    return np.array([by_id[i] for i in ids])


def _check_no_double_weights(children: Sequence[_Child], judgements: AHPJudgements | None, where: str) -> None:
    if judgements is not None:
        given = [c.id for c in children if c.weight is not None]
        if given:
            raise ValueError(f"{where}: weights are given by AHP, so remove `weight` from {', '.join(given)}")
        _child_weights(children, judgements, where)


class Observable(_Weighted):
    """An observable phenomenon: one question of the questionnaire."""

    id: Identifier
    question: Text
    help: Text
    recommendation: Text
    scale: Identifier


class Activity(_Weighted):
    id: Identifier
    tag: Literal["innovation", "export", "joint"]
    name: Text
    description: Text | None = None
    sources: Annotated[list[Identifier], Field(min_length=1)]
    merged_from: list[str] = Field(default_factory=list)
    ahp: AHPJudgements | None = None
    observables: Annotated[list[Observable], Field(min_length=1)]

    @model_validator(mode="after")
    def _weights(self) -> Activity:
        _check_no_double_weights(self.observables, self.ahp, f"activity {self.id}")
        return self


class Dimension(_Weighted):
    id: Identifier
    name: Text
    description: Text | None = None
    ahp: AHPJudgements | None = None
    activities: Annotated[list[Activity], Field(min_length=1)]

    @model_validator(mode="after")
    def _weights(self) -> Dimension:
        _check_no_double_weights(self.activities, self.ahp, f"dimension {self.id}")
        return self


CLASS_IDS: tuple[str, ...] = ("proactive", "preactive", "reactive", "passive")


class ClassDefinition(_Strict):
    """An attitude class (Godet) with its lower threshold on an index and its FlowSort profile."""

    id: Identifier
    label: Text
    description: Text | None = None
    threshold: Annotated[float, Field(ge=0.0, le=1.0)]
    profile: Annotated[float, Field(ge=0.0, le=1.0)]


def default_classes() -> list[ClassDefinition]:
    """ERPI's thresholds (proactive 0.61, preactive 0.41, reactive 0.29) and interval mid-points as profiles."""
    labels = {
        "proactive": {"fr": "Proactive", "es": "Proactiva", "en": "Proactive"},
        "preactive": {"fr": "Préactive", "es": "Preactiva", "en": "Preactive"},
        "reactive": {"fr": "Réactive", "es": "Reactiva", "en": "Reactive"},
        "passive": {"fr": "Passive", "es": "Pasiva", "en": "Passive"},
    }
    bounds = [("proactive", 0.61, 1.0), ("preactive", 0.41, 0.61), ("reactive", 0.29, 0.41), ("passive", 0.0, 0.29)]
    return [
        ClassDefinition(id=c, label=Text(labels[c]), threshold=lo, profile=round((lo + hi) / 2, 4))
        for c, lo, hi in bounds
    ]


class FlowSortSettings(_Strict):
    preference: Literal["usual", "linear"] = "linear"
    q: Annotated[float, Field(ge=0.0)] = 0.0
    p: Annotated[float, Field(gt=0.0)] = 0.25
    ties: Ties = "better"
    """A firm exactly between two classes' profile flows goes to the better class (our default) or
    the worse one (the method authors' reference rule); see :mod:`innexport.core.flowsort`."""

    @model_validator(mode="after")
    def _thresholds(self) -> FlowSortSettings:
        if self.preference == "linear" and self.p <= self.q:
            raise ValueError(f"flowsort: p ({self.p}) must be greater than q ({self.q})")
        return self


class ScoringSettings(_Strict):
    min_completeness: Annotated[float, Field(ge=0.0, le=1.0)] = 0.7
    """Share of questions that must have a scored answer; below it the diagnostic is refused."""
    dimension_weights: Literal["given", "activity_count"] = "given"
    """``given``: each dimension's ``weight`` (default 1) or the framework's ``ahp`` judgements;
    ``activity_count``: each dimension weighs its number of activities (modules included), so that
    activities weighted equally within their dimension count the same in an IIEP over all activities."""
    iiep_scope: Literal["all", "common_space"] = "all"
    """The activities the IIEP aggregates: see :data:`IIEP_SCOPES` and docs/method.md."""


class ModuleRef(_Strict):
    id: Identifier
    version: str


VERSION_PATTERN = r"^\d+\.\d+\.\d+$"


def answers_fit(answers_version: str, framework_version: str) -> bool:
    """Whether answers made with one version of a framework can be scored with another: the same
    MAJOR (questions and their meaning change only with a MAJOR, docs/framework-format.md); before
    1.0.0, the same MAJOR.MINOR (semantic versioning: anything may change in 0.y).

    >>> answers_fit("1.0.0", "1.1.0"), answers_fit("1.1.0", "2.0.0"), answers_fit("0.1.0", "0.2.0")
    (True, False, False)
    """
    def line(version: str) -> list[str]:
        parts = version.split(".")
        return parts[:2] if parts[0] == "0" else parts[:1]

    return line(answers_version) == line(framework_version)


class Framework(_Strict):
    """A capability framework (possibly with sector modules applied)."""

    kind: Literal["framework"] = "framework"
    id: Identifier
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    title: Text
    description: Text
    sources: Annotated[list[Source], Field(min_length=1)]
    scales: Annotated[list[Scale], Field(min_length=1)]
    classes: list[ClassDefinition] = Field(default_factory=default_classes)
    flowsort: FlowSortSettings = FlowSortSettings()
    scoring: ScoringSettings = ScoringSettings()
    ahp: AHPJudgements | None = None
    dimensions: Annotated[list[Dimension], Field(min_length=1)]
    modules: list[ModuleRef] = Field(default_factory=list)
    """Modules applied to the base framework (filled in by :func:`apply_module`)."""

    @model_validator(mode="after")
    def _coherent(self) -> Framework:
        _check_no_double_weights(self.dimensions, self.ahp, f"framework {self.id}")
        _check_unique("source", [s.id for s in self.sources])
        _check_unique("scale", [s.id for s in self.scales])
        _check_unique("dimension", [d.id for d in self.dimensions])
        _check_unique("activity", [a.id for a in self.activities])
        _check_unique("observable", [o.id for o in self.observables])
        sources = {s.id for s in self.sources}
        scales = {s.id for s in self.scales}
        for act in self.activities:
            for src in act.sources:
                if src not in sources:
                    raise ValueError(f"activity {act.id} cites unknown source '{src}'")
            for obs in act.observables:
                if obs.scale not in scales:
                    raise ValueError(f"observable {obs.id} uses unknown scale '{obs.scale}'")
        _check_classes(self.classes)
        gaps = np.diff([c.profile for c in self.classes])
        if self.flowsort.preference == "linear" and np.any(-gaps <= self.flowsort.q):
            raise ValueError(f"flowsort: consecutive class profiles must be more than q = {self.flowsort.q} apart, "
                             "or FlowSort cannot tell their classes apart")
        if self.scoring.dimension_weights == "activity_count":
            given = [d.id for d in self.dimensions if d.weight is not None]
            if given or self.ahp is not None:
                what = f"`weight` from {', '.join(given)}" if given else "the framework's `ahp`"
                raise ValueError(f"scoring.dimension_weights is activity_count: remove {what}")
        for index in INDICES:
            if not any(a.tag in self.index_tags[index] for a in self.activities):
                raise ValueError(f"no activity feeds the {index.upper()} index")
        return self

    @property
    def index_tags(self) -> dict[str, frozenset[str]]:
        """The activity tags each index aggregates (the IIEP's by ``scoring.iiep_scope``).

        >>> from innexport.files.frameworks import load_framework
        >>> fw = load_framework("iiep")
        >>> fw = fw.model_copy(update={"scoring": ScoringSettings(iiep_scope="common_space")})
        >>> sorted(fw.index_tags["iiep"]), sorted(fw.index_tags["iip"])
        (['joint'], ['innovation', 'joint'])
        """
        return INDEX_TAGS | {"iiep": IIEP_SCOPES[self.scoring.iiep_scope]}

    # --- navigation -------------------------------------------------------------------------
    @property
    def activities(self) -> list[Activity]:
        return [a for d in self.dimensions for a in d.activities]

    @property
    def observables(self) -> list[Observable]:
        return [o for a in self.activities for o in a.observables]

    @cached_property
    def scale_by_id(self) -> dict[str, Scale]:
        return {s.id: s for s in self.scales}

    @cached_property
    def observable_by_id(self) -> dict[str, Observable]:
        return {o.id: o for o in self.observables}

    @cached_property
    def activity_by_id(self) -> dict[str, Activity]:
        return {a.id: a for a in self.activities}

    @cached_property
    def activity_of(self) -> dict[str, Activity]:
        """The activity each observable belongs to."""
        return {o.id: a for a in self.activities for o in a.observables}

    @cached_property
    def dimension_of(self) -> dict[str, Dimension]:
        """The dimension each activity belongs to."""
        return {a.id: d for d in self.dimensions for a in d.activities}

    @cached_property
    def source_by_id(self) -> dict[str, Source]:
        return {s.id: s for s in self.sources}

    @property
    def class_ids(self) -> list[str]:
        return [c.id for c in self.classes]

    # --- weights ----------------------------------------------------------------------------
    def dimension_weights(self) -> np.ndarray:
        if self.scoring.dimension_weights == "activity_count":
            counts = np.array([len(d.activities) for d in self.dimensions], dtype=float)
            weights: np.ndarray = counts / counts.sum()
            return weights
        return _child_weights(self.dimensions, self.ahp, f"framework {self.id}")

    def activity_weights(self, dimension: Dimension) -> np.ndarray:
        return _child_weights(dimension.activities, dimension.ahp, f"dimension {dimension.id}")

    def observable_weights(self, activity: Activity) -> np.ndarray:
        return _child_weights(activity.observables, activity.ahp, f"activity {activity.id}")

    # --- identity ---------------------------------------------------------------------------
    @property
    def label(self) -> str:
        """Human-readable identity, e.g. ``iiep 1.1.0 + wine 1.1.0``."""
        return " + ".join([f"{self.id} {self.version}"] + [f"{m.id} {m.version}" for m in self.modules])

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form of the (merged) framework content."""
        return _content_hash(self)


def _content_hash(model: BaseModel) -> str:
    """``sha256:`` and the SHA-256 of a model's canonical JSON form (keys sorted, no spaces, UTF-8)."""
    canonical = json.dumps(model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_unique(what: str, ids: list[str]) -> None:
    dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
    if dupes:
        raise ValueError(f"duplicated {what} id(s): {', '.join(dupes)}")


def _check_classes(classes: list[ClassDefinition]) -> None:
    if [c.id for c in classes] != list(CLASS_IDS):
        raise ValueError(f"classes must be, best first: {', '.join(CLASS_IDS)}")
    thresholds = [c.threshold for c in classes]
    if any(b >= a for a, b in pairwise(thresholds)) or thresholds[-1] != 0.0:
        raise ValueError(f"class thresholds must decrease strictly to 0 (best first), got {thresholds}")
    for c, upper in zip(classes, [1.0, *thresholds[:-1]], strict=True):
        if not (c.threshold <= c.profile <= upper):
            raise ValueError(
                f"class {c.id}: its FlowSort profile {c.profile} must lie in its interval [{c.threshold}, {upper}]"
            )


# --- modules ----------------------------------------------------------------------------------


class Extends(_Strict):
    id: Identifier
    version: Annotated[str, Field(pattern=r"^\d+(\.\d+){0,2}$")]
    """A version prefix: ``1`` accepts every 1.x.y, ``1.2`` every 1.2.y."""

    def accepts(self, version: str) -> bool:
        return version.split(".")[: len(self.version.split("."))] == self.version.split(".")


class AddedActivity(Activity):
    dimension: Identifier


class AddedObservable(Observable):
    activity: Identifier


class AdaptedObservable(_Strict):
    id: Identifier
    question: Text | None = None
    help: Text | None = None
    recommendation: Text | None = None
    scale: Identifier | None = None


class AdaptedActivity(_Strict):
    """Sources a module adds to an activity of the framework (its sector evidence)."""

    id: Identifier
    add_sources: Annotated[list[Identifier], Field(min_length=1)]


SectorCode = Annotated[str, Field(pattern=r"^\d{2}(\.\d{1,2})?$")]
"""A NACE Rev. 2 division (``10``), group (``10.5``) or class (``11.02``), written as NACE writes it."""


class Module(_Strict):
    """A sector module: observables and activities added to, adapted in or removed from a framework.

    ``sectors`` are the NACE Rev. 2 positions of the firms the module is meant for (a firm's code in
    one of them, or under one of them, gets the module: :func:`innexport.files.frameworks.modules_for_sector`);
    empty, the module is only applied on request.
    """

    kind: Literal["module"]
    id: Identifier
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    extends: Extends
    title: Text
    description: Text
    sectors: list[SectorCode] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    scales: list[Scale] = Field(default_factory=list)
    add_activities: list[AddedActivity] = Field(default_factory=list)
    add_observables: list[AddedObservable] = Field(default_factory=list)
    adapt_observables: list[AdaptedObservable] = Field(default_factory=list)
    adapt_activities: list[AdaptedActivity] = Field(default_factory=list)
    remove_observables: list[Identifier] = Field(default_factory=list)

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form of the module's content (as :attr:`Framework.content_hash`)."""
        return _content_hash(self)


def apply_module(framework: Framework, module: Module) -> Framework:
    """The framework with ``module`` applied; raises :class:`FrameworkError` on a mismatch."""
    if module.extends.id != framework.id or not module.extends.accepts(framework.version):
        raise FrameworkError(
            [Issue(f"module {module.id}", f"extends {module.extends.id} {module.extends.version}.*, "
                   f"not {framework.id} {framework.version}")]
        )
    data = framework.model_dump(mode="python", exclude_none=True)
    data["sources"] += [s.model_dump(exclude_none=True) for s in module.sources]
    data["scales"] += [s.model_dump(exclude_none=True) for s in module.scales]
    problems: list[Issue] = []
    dims = {d["id"]: d for d in data["dimensions"]}
    acts = {a["id"]: a for d in data["dimensions"] for a in d["activities"]}
    obs = {o["id"]: (a, o) for a in acts.values() for o in a["observables"]}
    where = f"module {module.id}"

    def touch_parent(parent: dict[str, Any], what: str) -> None:
        if parent.get("ahp") is not None:
            problems.append(Issue(where, f"{what}: its parent {parent['id']} is weighted by AHP; "
                                         "a module can only change children weighted directly"))

    for added in module.add_activities:
        if added.dimension not in dims:
            problems.append(Issue(where, f"add_activities {added.id}: unknown dimension '{added.dimension}'"))
            continue
        touch_parent(dims[added.dimension], f"add_activities {added.id}")
        dims[added.dimension]["activities"].append(added.model_dump(exclude={"dimension"}, exclude_none=True))
    acts = {a["id"]: a for d in data["dimensions"] for a in d["activities"]}
    for added_obs in module.add_observables:
        if added_obs.activity not in acts:
            problems.append(Issue(where, f"add_observables {added_obs.id}: unknown activity '{added_obs.activity}'"))
            continue
        touch_parent(acts[added_obs.activity], f"add_observables {added_obs.id}")
        acts[added_obs.activity]["observables"].append(added_obs.model_dump(exclude={"activity"}, exclude_none=True))
    for adapted in module.adapt_observables:
        if adapted.id not in obs:
            problems.append(Issue(where, f"adapt_observables: unknown observable '{adapted.id}'"))
            continue
        obs[adapted.id][1].update(adapted.model_dump(exclude={"id"}, exclude_none=True))
    for adapted_act in module.adapt_activities:
        if adapted_act.id not in acts:
            problems.append(Issue(where, f"adapt_activities: unknown activity '{adapted_act.id}'"))
            continue
        acts[adapted_act.id]["sources"] += [src for src in adapted_act.add_sources
                                            if src not in acts[adapted_act.id]["sources"]]
    for removed in module.remove_observables:
        if removed not in obs:
            problems.append(Issue(where, f"remove_observables: unknown observable '{removed}'"))
            continue
        act = obs[removed][0]
        touch_parent(act, f"remove_observables {removed}")
        act["observables"] = [o for o in act["observables"] if o["id"] != removed]
    if problems:
        raise FrameworkError(problems)
    data["modules"] = [*data.get("modules", []), {"id": module.id, "version": module.version}]
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(issues_from_validation(exc, prefix=f"after applying module {module.id}: ")) from None


# --- validation problems ------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One problem found in a framework or module file."""

    location: str
    message: str
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}" if where else f"line {self.line}"
        return f"{where + ': ' if where else ''}{self.location}: {self.message}"


class FrameworkError(Exception):
    """A framework or module that cannot be loaded; ``issues`` lists every problem found."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def issues_from_validation(exc: ValidationError, locate: Locator | None = None, file: str | None = None,
                           prefix: str = "") -> list[Issue]:
    """One :class:`Issue` per pydantic error; ``locate`` turns a location into (description, line).

    Without ``locate`` (a document that is not a file) the location is the dotted path.
    """
    issues = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS))]
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = f"required field '{loc[-1]}' is missing"
        elif err["type"] == "extra_forbidden":
            message = f"unknown field '{loc[-1]}'"
        elif err["type"] == "string_type" and isinstance(err.get("input"), bool):
            message += " (YAML reads an unquoted yes/no/on/off as true/false: quote it, e.g. \"no\")"
        where, line = locate(loc) if locate is not None else (_plain(loc), None)
        issues.append(Issue(prefix + where, message, line, file))
    return issues


Locator = Callable[[Sequence[str | int]], tuple[str, int | None]]
"""Turns a pydantic location into its description and 1-based line (see :mod:`innexport.files.yamlsource`)."""

_UNION_TAGS = {"str", "float", "int", "function-after", "constrained-float"}


def _plain(loc: Sequence[str | int]) -> str:
    parts: list[str] = []
    for p in loc:
        if isinstance(p, int) and parts:
            parts[-1] += f"[{p}]"
        else:
            parts.append(str(p))
    return " → ".join(parts) or "document"


def parse_data(data: Any, locate: Locator | None = None, origin: str | None = None) -> Framework | Module:
    """Validate a framework or module document given as plain data (a module is not applied here).

    >>> try:
    ...     parse_data({"kind": "framework", "id": "x"})
    ... except FrameworkError as exc:
    ...     print(exc.issues[0])
    version: required field 'version' is missing
    """
    if not isinstance(data, dict):
        raise FrameworkError([Issue("file", "expected a mapping with a `kind: framework` or `kind: module` document",
                                    1, origin)])
    model: type[Framework] | type[Module] = Module if data.get("kind") == "module" else Framework
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FrameworkError(issues_from_validation(exc, locate, origin)) from None
