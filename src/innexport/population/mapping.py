"""Instrument mappings: an existing survey's variables read as the framework's observables.

A survey not designed for innexport (a national innovation survey, say) can still give every firm
capability scores and the IIP, IEP and IIEP indices if each observable it informs is computed from
its variables. A *mapping* (a YAML file, ``kind: mapping``) says how: for each observable, which
column or columns, how their answers become values in [0, 1], and why (``note``); which activities
the survey cannot inform (``not_covered``, with the reason); the firm id, the survey weight and the
missing-value codes; the grouping columns (country, sector, size…: a column as it is, recoded, or a
number such as a head count banded into classes) and outcome columns (innovates, exports…) to carry
along; each observable's ``fidelity`` (``direct``, ``partial`` or ``proxy``). The format is described in
``docs/mappings.md``; the shipped mappings are ``endei2`` (ENDEI II, Argentina), ``mip2021`` (the
Mannheim Innovation Panel 2021, Germany), ``cis`` (the Community Innovation Survey's harmonised
variables, any country) and ``wms`` (the World Management Survey).

How one observable's value is computed, for each firm:

1. each source column's answer is turned into a number: ``recode`` (answer → value, ``null`` for
   "not observed"), or ``order`` (ordered answers spread evenly over 0..1), or ``bands``
   (numeric thresholds → value), or ``scale`` (a rating such as 1-5 mapped linearly onto 0..1),
   or, with none of them, the column's own number;
2. several columns are combined: ``any_of`` (1 if any is 1, else 0), ``all_of`` (0 if any is 0,
   else 1), ``mean_of``, ``max_of``, ``min_of`` (over the answered columns) or ``sum_of`` (whose
   total then goes through ``bands``); a firm with none of the columns answered is not observed;
3. ``reverse: true`` takes ``1 - value``; ``only_when`` leaves the firms outside a sub-population
   (a survey's skip pattern) unobserved, or gives them the value ``otherwise`` when they answered the
   condition's column (a firm that cooperated with nobody cooperated with no university: 0).

Every answer must be foreseen: a value that a recode or an order does not list is an error naming
the column, the value and the rows, never a silent NaN. A column's answers are looked up once per
DISTINCT answer (:func:`pandas.factorize`: ``1``, ``1.0`` and ``True`` are one answer, as for
:func:`pandas.unique`; ``"1"`` is another, matched by the same rule) and every row takes its
answer's value, so that importing a million firms costs what their few hundred distinct answers
cost, not a Python call per firm and per column (issue 14).

:func:`load_mapping` reads and validates a mapping (built-in name or path); :func:`apply_mapping`
scores a :class:`~innexport.population.io.Survey` into the population table of
:mod:`innexport.population.frame`; :func:`coverage` says which activities and questions the survey
informs.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel as _BaseModel
from pydantic import ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from innexport.core.framework import (
    INDICES,
    Extends,
    Framework,
    FrameworkError,
    Identifier,
    Issue,
    Text,
    issues_from_validation,
)
from innexport.files import builtin
from innexport.files.frameworks import builtin_documents, load_framework
from innexport.files.schemas import FORMAT_VERSION_KEY, format_version_problem, without_format_version
from innexport.files.yamlsource import Yaml12Loader, YamlDocument, YamlError, parse_yaml
from innexport.population.frame import ACT, CLASS, COMPLETENESS, DIM, FIRM_ID, OBS, WEIGHT, score_population
from innexport.population.io import (
    Survey,
    SurveyError,
    apply_missing_codes,
    check_ids,
    check_weights,
    format_rows,
    read_survey,
)

COMBINATIONS: tuple[str, ...] = ("column", "any_of", "all_of", "mean_of", "max_of", "min_of", "sum_of")
"""How a mapping names its source: one column, or a combination of several."""

RESERVED_COLUMNS = frozenset({FIRM_ID, WEIGHT, *INDICES, COMPLETENESS})
RESERVED_PREFIXES = (OBS, ACT, DIM, CLASS)

Key = str | float
"""An answer as a recode, an order or a condition lists it: a text or a number."""


class MappingError(ValueError):
    """A mapping that is invalid, or that does not fit a framework or a survey; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class _Strict(_BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Condition(_Strict):
    """Rows to keep: those whose ``column`` holds one of the answers ``in``."""

    column: str
    in_: Annotated[list[Key], Field(alias="in", min_length=1)]

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(_Strict):
    """Where a value comes from (one column or a combination) and how answers become numbers."""

    column: str | None = None
    any_of: Annotated[list[str], Field(min_length=1)] | None = None
    all_of: Annotated[list[str], Field(min_length=1)] | None = None
    mean_of: Annotated[list[str], Field(min_length=1)] | None = None
    max_of: Annotated[list[str], Field(min_length=1)] | None = None
    min_of: Annotated[list[str], Field(min_length=1)] | None = None
    sum_of: Annotated[list[str], Field(min_length=1)] | None = None
    recode: dict[Key, float | None] | None = None
    """Answer (code or label) → number; ``null``: the answer means "not observed"."""
    order: Annotated[list[Key], Field(min_length=2)] | None = None
    """Answers from lowest to highest, spread evenly over 0..1."""
    bands: Annotated[list[tuple[float, float]], Field(min_length=1)] | None = None
    """``[threshold, value]`` pairs, thresholds increasing: a number takes the value of the last threshold it reaches.
    Applied to each column's number, or for ``sum_of`` to the sum."""
    scale: tuple[float, float] | None = None
    """``[low, high]``: each column's number mapped linearly onto 0..1, ``(x - low) / (high - low)``
    (a 1-5 rating: ``[1, 5]``); a number outside the scale is refused."""
    reverse: bool = False
    only_when: Condition | None = None
    otherwise: float | None = None
    """With ``only_when``: the value of the firms that answered the condition's column outside its list
    (a survey's routing: a firm that did not cooperate at all cooperated with no university, 0) instead
    of "not observed"; firms that did not answer the condition's column stay not observed."""
    note: str | None = None

    @model_validator(mode="after")
    def _coherent(self) -> Source:
        given = [name for name in COMBINATIONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(COMBINATIONS)}" + (f" (got {', '.join(given)})" if given else ""))
        transforms = [name for name in ("recode", "order") if getattr(self, name) is not None]
        if len(transforms) > 1:
            raise ValueError("give `recode` or `order`, not both")
        if self.sum_of is not None and self.bands is None:
            raise ValueError("`sum_of` needs `bands` to turn the sum into a value")
        if self.bands is not None and self.sum_of is None and transforms:
            raise ValueError(f"`bands` turn a number into a value: give `bands` or `{transforms[0]}`, not both "
                             "(with `sum_of`, `bands` apply to the sum)")
        if self.scale is not None:
            others = [name for name in ("recode", "order", "bands") if getattr(self, name) is not None]
            if others or self.sum_of is not None:
                raise ValueError(f"`scale` turns a number into a value: give `scale` or `{(others or ['sum_of'])[0]}`, "
                                 "not both")
            low, high = self.scale
            if not (_finite(low) and _finite(high) and low < high):
                raise ValueError(f"`scale` needs [low, high], finite numbers with low < high; got {list(self.scale)}")
        if self.bands is not None:
            thresholds = [t for t, _ in self.bands]
            if not all(_finite(t) for t in thresholds) or any(b <= a for a, b in itertools.pairwise(thresholds)):
                raise ValueError(f"band thresholds must be finite numbers in increasing order, got {thresholds}")
        if self.order is not None and len({_norm_text(k) if isinstance(k, str) else float(k)
                                           for k in self.order}) != len(self.order):
            raise ValueError("`order` lists an answer twice")
        if self.otherwise is not None and (self.only_when is None or not _finite(self.otherwise)):
            raise ValueError("`otherwise` is a finite number given with `only_when` (the value outside the "
                             "sub-population)")
        return self

    @property
    def combination(self) -> str:
        return next(name for name in COMBINATIONS if getattr(self, name) is not None)

    @property
    def columns(self) -> list[str]:
        value = getattr(self, self.combination)
        return [value] if isinstance(value, str) else list(value)

    def describe(self) -> str:
        """``any_of(p.9.2.b, p.9.4.b)``, ``p.2.3.5``…"""
        cols = self.columns
        return cols[0] if self.combination == "column" else f"{self.combination}({', '.join(cols)})"


class ObservableMap(Source):
    """How a survey informs one observable (values in [0, 1])."""

    fidelity: Literal["direct", "partial", "proxy"] | None = None
    """``direct``: the survey asks about the same practice; ``partial``: it asks about the same practice
    but only part of it (one of the kinds the question names, or whether rather than how often or how
    well); ``proxy``: a related practice stands for it."""

    @model_validator(mode="after")
    def _unit_values(self) -> ObservableMap:
        bad = []
        if self.recode is not None:
            bad += [f"{k!r} → {v}" for k, v in self.recode.items() if v is not None and not (0.0 <= v <= 1.0)]
        if self.bands is not None:
            bad += [f"band {t} → {v}" for t, v in self.bands if not (0.0 <= v <= 1.0)]
        if self.otherwise is not None and not (0.0 <= self.otherwise <= 1.0):
            bad.append(f"otherwise → {self.otherwise}")
        if bad:
            raise ValueError(f"observable values must lie in [0, 1]: {', '.join(bad)}")
        return self


class OutcomeMap(Source):
    """An outcome column (innovates, exports…): numbers, or an ordered category with ``order``."""

    # wider than a Source's on purpose: an outcome may recode or band to the labels of an ordered category
    recode: dict[Key, float | str | None] | None = None  # type: ignore[assignment]
    bands: Annotated[list[tuple[float, float | str]], Field(min_length=1)] | None = None  # type: ignore[assignment]


class GroupMap(_Strict):
    """A grouping column: a constant ``value`` or a survey ``column``, optionally recoded, or banded
    (a number such as a head count turned into a class: ``bands: [[0, micro], [10, small], [50, medium],
    [250, large]]``)."""

    value: str | float | None = None
    column: str | None = None
    recode: dict[Key, str | float | None] | None = None
    bands: Annotated[list[tuple[float, str]], Field(min_length=1)] | None = None
    """``[threshold, group]`` pairs, thresholds increasing: a number takes the group of the last threshold it reaches."""
    note: str | None = None

    @model_validator(mode="after")
    def _one(self) -> GroupMap:
        if (self.value is None) == (self.column is None):
            raise ValueError("give exactly one of `value` (the same for every firm) or `column`")
        for name in ("recode", "bands"):
            if getattr(self, name) is not None and self.column is None:
                raise ValueError(f"`{name}` needs a `column`")
        if self.recode is not None and self.bands is not None:
            raise ValueError("give `recode` or `bands`, not both")
        if self.bands is not None:
            thresholds = [t for t, _ in self.bands]
            if not all(_finite(t) for t in thresholds) or any(b <= a for a, b in itertools.pairwise(thresholds)):
                raise ValueError(f"band thresholds must be finite numbers in increasing order, got {thresholds}")
        return self


class NotCovered(_Strict):
    """An activity (or one observable) the survey cannot inform, with the reason."""

    activity: Identifier | None = None
    observable: Identifier | None = None
    reason: Annotated[str, Field(min_length=3)]

    @model_validator(mode="after")
    def _one(self) -> NotCovered:
        if (self.activity is None) == (self.observable is None):
            raise ValueError("give exactly one of `activity` or `observable`")
        return self


class Mapping(_Strict):
    """A survey instrument mapped onto a framework's observables."""

    kind: Literal["mapping"]
    id: Identifier
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")] = "1.0.0"
    title: Text
    survey: Annotated[str, Field(min_length=3)]
    """The survey, cited."""
    url: str | None = None
    description: str | None = None
    framework: Extends
    id_column: str | None = None
    weight: str | None = None
    missing_codes: list[Key] | dict[str, list[Key]] | None = None
    groups: dict[str, GroupMap] = Field(default_factory=dict)
    outcomes: dict[str, OutcomeMap] = Field(default_factory=dict)
    observables: Annotated[dict[Identifier, ObservableMap], Field(min_length=1)]
    not_covered: list[NotCovered] = Field(default_factory=list)

    _file: str | None = PrivateAttr(default=None)
    _doc: YamlDocument | None = PrivateAttr(default=None)

    @field_validator("groups", "outcomes")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if name in RESERVED_COLUMNS or name.startswith(RESERVED_PREFIXES):
                raise ValueError(f"'{name}' is a column of the population table; choose another name")
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Mapping:
        clash = sorted(set(self.groups) & set(self.outcomes))
        if clash:
            raise ValueError(f"{', '.join(clash)}: both a group and an outcome")
        seen: set[tuple[str, str | None]] = set()
        for entry in self.not_covered:
            key = ("activity", entry.activity) if entry.activity else ("observable", entry.observable)
            if key in seen:
                raise ValueError(f"not_covered lists {key[0]} {key[1]} twice")
            seen.add(key)
        both = sorted(o for kind, o in seen if kind == "observable" and o is not None and o in self.observables)
        if both:
            raise ValueError(f"{', '.join(both)}: both mapped and listed in not_covered")
        return self

    # --- where things are ---------------------------------------------------------------------
    @property
    def file(self) -> str | None:
        """The file the mapping was read from (for messages)."""
        return self._file

    def line(self, *loc: str | int) -> int | None:
        """1-based line of ``loc`` (e.g. ``("observables", "x")``) in the mapping file, if known."""
        return self._doc.key_line(loc) if self._doc is not None else None

    def issue(self, loc: Sequence[str | int], message: str) -> Issue:
        return Issue(" → ".join(str(p) for p in loc) or "file", message, self.line(*loc), self._file)

    @property
    def not_covered_activities(self) -> dict[str, str]:
        return {e.activity: e.reason for e in self.not_covered if e.activity}

    @property
    def not_covered_observables(self) -> dict[str, str]:
        return {e.observable: e.reason for e in self.not_covered if e.observable}

    def columns_used(self) -> dict[str, list[tuple[str, ...]]]:
        """Every survey column the mapping reads → the places (``("observables", id)``…) that read it."""
        used: dict[str, list[tuple[str, ...]]] = {}

        def add(col: str | None, *where: str) -> None:
            if col is not None:
                used.setdefault(col, []).append(tuple(where))

        add(self.id_column, "id_column")
        add(self.weight, "weight")
        for section in ("observables", "outcomes"):
            for name, spec in getattr(self, section).items():
                for col in spec.columns:
                    add(col, section, name)
                if spec.only_when is not None:
                    add(spec.only_when.column, section, name, "only_when")
        for name, group in self.groups.items():
            add(group.column, "groups", name)
        if isinstance(self.missing_codes, dict):
            for col in self.missing_codes:
                add(col, "missing_codes")
        return used


# --- loading ----------------------------------------------------------------------------------


def builtin_mappings() -> dict[str, Path]:
    """The mappings shipped with innexport, by name (file stem)."""
    return builtin.files("mappings")


def parse_mapping(text: str, origin: str = "<text>") -> Mapping:
    """Parse and validate a mapping given as YAML text (``origin`` names it in messages)."""
    try:
        doc = parse_yaml(text, origin, loader=Yaml12Loader)
    except YamlError as exc:
        raise MappingError([Issue("YAML", exc.problem, exc.line, origin)]) from None
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "mapping":
        raise MappingError([Issue("kind", "expected a mapping document with `kind: mapping`", 1, origin)])
    problem = format_version_problem(data)
    if problem is not None:
        raise MappingError([Issue(FORMAT_VERSION_KEY, problem, doc.key_line([FORMAT_VERSION_KEY]), origin)])
    try:
        mapping = Mapping.model_validate(without_format_version(data))
    except ValidationError as exc:
        raise MappingError(issues_from_validation(exc, doc.locate, origin)) from None
    mapping._file = origin
    mapping._doc = doc
    return mapping


def load_mapping(name_or_path: str | Path, framework: Framework | None = None) -> Mapping:
    """Load and validate a mapping: a built-in name (``endei2``) or a YAML path.

    The mapping is checked against ``framework`` or, by default, the built-in framework it names
    (observable and activity ids, version); raises :class:`MappingError` listing every problem by
    file, line and place. Survey columns are checked when the mapping is applied.
    """
    path = builtin.resolve(name_or_path, "mappings", "mapping", MappingError)
    text = builtin.read_document(path, MappingError)  # bounded in size, UTF-8 or as its byte-order mark says
    mapping = parse_mapping(text, str(path))
    if framework is None and mapping.framework.id in builtin_documents():
        try:
            framework = load_framework(mapping.framework.id)
        except FrameworkError as exc:
            raise MappingError([mapping.issue(["framework"], f"cannot load framework '{mapping.framework.id}': {exc}")]) from None
    if framework is not None:
        problems = check_mapping(mapping, framework)
        if problems:
            raise MappingError(problems)
    return mapping


def check_mapping(mapping: Mapping, framework: Framework, explain_uncovered: bool = True) -> list[Issue]:
    """Every problem between ``mapping`` and ``framework``: version, unknown ids, uncovered activities.

    With ``explain_uncovered``, an activity with no mapped observable must be listed in
    ``not_covered`` (not asked of a framework with sector modules, whose added activities a
    mapping of the base framework cannot know).
    """
    problems: list[Issue] = []
    if mapping.framework.id != framework.id or not mapping.framework.accepts(framework.version):
        problems.append(mapping.issue(["framework"], f"the mapping is for {mapping.framework.id} "
                                      f"{mapping.framework.version}.*, not {framework.id} {framework.version}"))
        return problems
    known_obs = framework.observable_by_id
    problems.extend(mapping.issue(["observables", obs_id], f"unknown observable '{obs_id}' in framework "
                                  f"{framework.id} {framework.version}")
                    for obs_id in mapping.observables if obs_id not in known_obs)
    for k, entry in enumerate(mapping.not_covered):
        if entry.activity and entry.activity not in framework.activity_by_id:
            problems.append(mapping.issue(["not_covered", k], f"unknown activity '{entry.activity}'"))
        if entry.observable and entry.observable not in known_obs:
            problems.append(mapping.issue(["not_covered", k], f"unknown observable '{entry.observable}'"))
    uncovered = mapping.not_covered_activities
    for k, entry in enumerate(mapping.not_covered):
        act = framework.activity_by_id.get(entry.activity or "")
        if act is not None:
            mapped = [o.id for o in act.observables if o.id in mapping.observables]
            if mapped:
                problems.append(mapping.issue(["not_covered", k], f"activity {act.id} is listed as not covered but "
                                              f"{', '.join(mapped)} {'is' if len(mapped) == 1 else 'are'} mapped"))
    problems.extend(mapping.issue(["not_covered"], f"activity {act.id} has no mapped observable: "
                                  "list it in not_covered with the reason")
                    for act in (framework.activities if explain_uncovered else [])
                    if not any(o.id in mapping.observables for o in act.observables) and act.id not in uncovered)
    return problems


# --- applying ---------------------------------------------------------------------------------


def read_for_mapping(path: str | Path, mapping: Mapping | str | Path) -> Survey:
    """Read a survey file with the id column, weight and missing codes that ``mapping`` declares."""
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping)
    return read_survey(path, weight=mapping.weight, missing_codes=mapping.missing_codes, id_column=mapping.id_column)


def _same_codes(applied: Any, wanted: Any) -> bool:
    """Whether the missing codes a reader ``applied`` are those the mapping ``wanted`` (then applying them
    again would find none: a code already missing is not found again).

    >>> _same_codes(["Ns/Nc", -9], ["Ns/Nc", -9]), _same_codes(None, [-9]), _same_codes({"a": [1]}, {"a": [2]})
    (True, False, False)
    """
    return applied is not None and wanted is not None and applied == wanted


def apply_mapping(survey: Survey, mapping: Mapping | str | Path, framework: Framework | None = None) -> pd.DataFrame:
    """The population table of ``survey`` read through ``mapping`` (see :mod:`innexport.population.frame`).

    One row per firm: ``firm_id`` (the mapping's id column, else the row number), the groups and
    outcomes the mapping declares, ``weight``, the observables (NaN where the survey says nothing)
    and the scores, indices and classes the core computes. ``framework`` defaults to the built-in
    framework the mapping names. Raises :class:`MappingError` (columns the survey lacks, answers a
    recode does not foresee, values outside [0, 1]: every problem, by observable, column, value and
    rows) or :class:`~innexport.population.io.SurveyError` (weights, ids).
    """
    if not isinstance(mapping, Mapping):
        mapping = load_mapping(mapping, framework)
    if framework is None:
        framework = framework_named(mapping)
    problems = check_mapping(mapping, framework, explain_uncovered=not framework.modules)
    if problems:
        raise MappingError(problems)
    source = survey.source or "the survey"
    used = mapping.columns_used()
    unknown = {col: places for col, places in used.items() if col not in survey.data.columns}
    if unknown:
        raise MappingError([mapping.issue(list(places[0]), f"unknown column '{col}' in {source}"
                                          + (f" (also used by {', '.join(' → '.join(p) for p in places[1:])})"
                                             if len(places) > 1 else ""))
                            for col, places in unknown.items()])
    # only the columns the mapping reads, with the mapping's missing codes (unless the reader applied them)
    codes = None if _same_codes(survey.codes_applied, mapping.missing_codes) else mapping.missing_codes
    data = apply_missing_codes(survey.data[list(used)], codes, survey.source).reset_index(drop=True)

    weight_col = survey.weight or mapping.weight
    if weight_col is not None:
        check_weights(data, weight_col, survey.source)
        weights = pd.to_numeric(data[weight_col], errors="coerce").to_numpy(dtype=float)
    else:
        weights = None
    id_col = mapping.id_column or survey.id_column
    if id_col is not None:
        check_ids(data, id_col, survey.source)
        firm_ids = id_texts(data[id_col])
    else:
        firm_ids = [str(k + 1) for k in range(len(data))]

    issues: list[Issue] = []
    values = np.full((len(data), len(framework.observables)), np.nan)
    for j, obs in enumerate(framework.observables):
        spec = mapping.observables.get(obs.id)
        if spec is not None:
            result = _evaluate(data, spec, mapping, ("observables", obs.id), source, issues, unit=True)
            if result is not None:
                values[:, j] = result
    meta = pd.DataFrame({FIRM_ID: firm_ids})
    for name, group in mapping.groups.items():
        meta[name] = _group(data, group, mapping, name, source, issues)
    for name, outcome in mapping.outcomes.items():
        result = _evaluate(data, outcome, mapping, ("outcomes", name), source, issues, unit=False)
        meta[name] = result if result is not None else np.nan
    if issues:
        raise MappingError(issues)
    frame = score_population(framework, values, meta, weights)
    frame.attrs.update(mapping=mapping.id, mapping_version=mapping.version, survey=survey.source)
    return frame


def framework_named(mapping: Mapping) -> Framework:
    """The framework ``mapping`` names (its ``framework.id``), as :func:`apply_mapping` loads it when it is
    given none; refused with a :class:`MappingError` naming the mapping's ``framework`` line.

    >>> framework_named(load_mapping("endei2")).id
    'iiep'
    """
    try:
        return load_framework(mapping.framework.id)
    except FrameworkError as exc:
        raise MappingError([mapping.issue(["framework"], f"cannot load framework '{mapping.framework.id}': {exc}; "
                                                         "pass the framework")]) from None


def id_text(value: Any) -> str:
    """A firm id as text, the same whatever the reader typed it as (a code read as ``12.0`` is ``12``).

    >>> id_text(12.0), id_text(np.int64(7)), id_text("AR-001"), id_text(2.5)
    ('12', '7', 'AR-001', '2.5')
    """
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def id_texts(column: pd.Series) -> list[str]:
    """:func:`id_text` of every value of ``column``; a column of whole numbers converted at once.

    >>> id_texts(pd.Series([12.0, -3.0])), id_texts(pd.Series([7, 8])), id_texts(pd.Series(["AR-001", 2.5]))
    (['12', '-3'], ['7', '8'], ['AR-001', '2.5'])
    >>> id_texts(pd.Series(["AR-001", "AR-002"]))
    ['AR-001', 'AR-002']
    """
    values = column.to_numpy()
    if values.dtype.kind in "iu":
        return values.astype(str).tolist()
    if values.dtype.kind == "f" and len(values):
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(values) & (np.abs(values) < 2.0**63) & (values == np.trunc(values))
        if whole.all():
            return values.astype(np.int64).astype(str).tolist()
    if not column.isna().any() and pd.api.types.infer_dtype(column, skipna=False) == "string":
        return [str(v) for v in column.tolist()] if column.dtype == object else column.tolist()  # texts as they are
    return [id_text(v) for v in column]


def _norm_text(value: str) -> str:
    """Answers match after stripping and collapsing blanks (``"a  b "`` is ``"a b"``)."""
    return " ".join(value.split())


class _Lookup:
    """Answer → entry, matching texts (blanks collapsed) and numbers (``1`` is ``1.0`` is ``"1"``)."""

    def __init__(self, table: dict[Any, Any]):
        self.texts: dict[str, Any] = {}
        self.numbers: dict[float, Any] = {}
        for key, value in table.items():
            if isinstance(key, str):
                self.texts[_norm_text(key)] = value
            else:
                self.numbers[float(key)] = value

    _MISSING = object()

    def get(self, answer: Any) -> Any:
        if isinstance(answer, np.generic):
            answer = answer.item()
        if isinstance(answer, str):
            text = _norm_text(answer)
            if text in self.texts:
                return self.texts[text]
            try:
                number = float(text)
            except ValueError:
                return self._MISSING
            return self.numbers.get(number, self._MISSING)
        if isinstance(answer, (bool, int, float)):
            number = float(answer)
            if number in self.numbers:
                return self.numbers[number]
            for text in {repr(number), str(answer)} | ({str(int(number))} if number.is_integer() else set()):
                if text in self.texts:
                    return self.texts[text]
        return self._MISSING


def _answers(series: pd.Series) -> pd.Series:
    """A column as plain Python answers (labels for categoricals), missing as NaN."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.astype(object).where(series.notna(), np.nan)
    return series


def _distinct(series: pd.Series) -> tuple[np.ndarray, pd.Series, int]:
    """A column's distinct answers, so that each is looked at once rather than once per row.

    Returns ``(codes, sample, k)``: ``sample`` holds the first row of each of the ``k`` distinct
    answers, in order of first appearance (as :func:`_answers` gives them), then one missing row if
    the column has any; ``codes`` gives each row's position in ``sample`` (a missing answer: ``k``).
    Answers are told apart as :func:`pandas.unique` does (``1``, ``1.0`` and ``True`` are one
    answer, ``"1"`` another), categoricals by their codes.

    >>> codes, sample, k = _distinct(pd.Series(["b", "a", None, "b", 1, 1.0]))
    >>> codes.tolist(), sample.tolist(), k
    ([0, 1, 3, 0, 2, 2], ['b', 'a', 1, None], 3)
    """
    codes, _ = pd.factorize(series, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.intp)
    n = len(codes)
    missing = codes < 0
    k = int(codes.max()) + 1 if n else 0
    present = np.flatnonzero(~missing)
    first = np.full(k, n, dtype=np.intp)
    np.minimum.at(first, codes[present], present)
    if k > 1 and (np.diff(first) < 0).any():  # codes not in order of first appearance: renumber them
        order = np.argsort(first, kind="stable")
        rank = np.empty(k, dtype=np.intp)
        rank[order] = np.arange(k, dtype=np.intp)
        codes = np.where(missing, -1, rank[np.clip(codes, 0, None)])
        first = first[order]
    rows = first
    if missing.any():
        codes = np.where(missing, k, codes)
        rows = np.append(first, np.flatnonzero(missing)[0])
    return codes, _answers(series.iloc[rows]), k


def _rows_by_code(codes: np.ndarray, wanted: Sequence[int], positions: np.ndarray | None = None) -> list[np.ndarray]:
    """For each code in ``wanted`` (increasing), the rows whose code it is, in increasing order: one pass for all.

    ``positions`` renames the rows (the rows of a subset in the whole column).

    >>> [r.tolist() for r in _rows_by_code(np.array([0, 2, 1, 2, 0, 3]), [0, 2])]
    [[0, 4], [1, 3]]
    """
    if not len(wanted):
        return []
    if len(wanted) == 1:
        rows = np.flatnonzero(codes == wanted[0])
        return [rows if positions is None else positions[rows]]
    chosen = np.zeros(int(codes.max()) + 1, dtype=bool)
    chosen[list(wanted)] = True
    rows = np.flatnonzero(chosen[codes])
    by_code = codes[rows]
    order = np.argsort(by_code, kind="stable")  # stable: each code's rows stay increasing
    rows = rows[order]
    if positions is not None:
        rows = positions[rows]
    counts = np.bincount(by_code, minlength=len(chosen))[list(wanted)]
    return np.split(rows, np.cumsum(counts)[:-1])


def _translate(series: pd.Series, table: dict[Any, Any]) -> tuple[pd.Series, dict[Any, np.ndarray]]:
    """``series`` through ``table`` (answers matched by :class:`_Lookup`); unforeseen answers → their rows.

    Each distinct answer is looked up once (:func:`_distinct`) and the rows take their answer's
    value; ``Series.map`` runs on one row per distinct answer only, so that the result has the type
    it gives (floats with NaN, texts, or objects with ``None`` for missing and unforeseen answers).
    Unforeseen answers come in order of first appearance, each with all its rows.

    >>> out, unforeseen = _translate(pd.Series(["yes", " no", None, "maybe", 1, "yes"]), {"yes": 1.0, "no": 0.0, 1: 0.5})
    >>> out.tolist(), {answer: rows.tolist() for answer, rows in unforeseen.items()}
    ([1.0, 0.0, nan, nan, 0.5, 1.0], {'maybe': [3]})
    """
    lookup = _Lookup(table)
    codes, sample, k = _distinct(series)
    translation: dict[Any, Any] = {}
    unforeseen_codes: list[int] = []
    unforeseen_answers: list[Any] = []
    # the k answers are distinct: pd.unique keeps each, in order, typed as the column gives them
    for j, answer in enumerate(pd.unique(sample.iloc[:k])):
        found = lookup.get(answer)
        if found is _Lookup._MISSING:
            unforeseen_codes.append(j)
            unforeseen_answers.append(answer)
        else:
            translation[answer] = found
    values = sample.map(lambda a: translation.get(a) if pd.notna(a) else None)
    out = values.take(codes).set_axis(series.index)
    out.name = series.name
    unforeseen = dict(zip(unforeseen_answers, _rows_by_code(codes, unforeseen_codes), strict=True))
    return out, unforeseen


def _unforeseen_message(col: str, what: str, unforeseen: dict[Any, np.ndarray], source: str) -> str:
    parts = [f"{_show(v)} ({format_rows(rows)})" for v, rows in list(unforeseen.items())[:5]]
    more = f"; and {len(unforeseen) - 5} more answers" if len(unforeseen) > 5 else ""
    return f"column '{col}' of {source} has answers that the {what} does not list: {'; '.join(parts)}{more}"


def _show(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return repr(value)


def _numbers(series: pd.Series) -> tuple[np.ndarray, dict[Any, np.ndarray]]:
    """A column as floats; non-numeric answers → their rows."""
    answers = _answers(series)
    if pd.api.types.is_bool_dtype(answers.dtype):
        return answers.astype(float).to_numpy(), {}
    numbers = pd.to_numeric(answers, errors="coerce")
    bad = np.flatnonzero(answers.notna().to_numpy() & numbers.isna().to_numpy())
    if not len(bad):
        return numbers.to_numpy(dtype=float), {}
    codes, texts = pd.factorize(answers.iloc[bad])
    rows = _rows_by_code(np.asarray(codes, dtype=np.intp), range(len(texts)), bad)
    return numbers.to_numpy(dtype=float), dict(zip(pd.unique(answers.iloc[bad]), rows, strict=True))


def _band(x: np.ndarray, bands: Sequence[tuple[float, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``x`` through ``bands``; also the mask of numbers below the first threshold."""
    thresholds = np.array([t for t, _ in bands], dtype=float)
    idx = np.searchsorted(thresholds, x, side="right") - 1
    below = (idx < 0) & ~np.isnan(x)
    labels = [v for _, v in bands]
    if all(isinstance(v, (int, float)) for v in labels):
        out = np.array(labels, dtype=float)[np.clip(idx, 0, None)]
        out[np.isnan(x) | below] = np.nan
        return out, below
    out_obj = np.array(labels, dtype=object)[np.clip(idx, 0, None)]
    out_obj[np.isnan(x) | below] = None
    return out_obj, below


def _has_text(values: pd.Series) -> bool:
    """Whether a translated column holds a text (looking at each distinct value once).

    >>> _has_text(pd.Series([1.0, None])), _has_text(pd.Series([None, "small"]))
    (False, True)
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return False
    return any(isinstance(v, str) for v in pd.unique(values.dropna()))


def _evaluate(data: pd.DataFrame, spec: Source, mapping: Mapping, loc: tuple[str, str], source: str,
              issues: list[Issue], unit: bool) -> np.ndarray | pd.Categorical | None:
    """One observable's (``unit``) or outcome's values for every row; problems go to ``issues``."""
    n = len(data)
    before = len(issues)
    per_column: list[np.ndarray] = []
    categorical = spec.order is not None and not unit
    text_values = False
    for col in spec.columns:
        series = data[col]
        if spec.recode is not None:
            translated, unforeseen = _translate(series, spec.recode)
            if unforeseen:
                issues.append(mapping.issue([*loc, "recode"], _unforeseen_message(col, "recode", unforeseen, source)))
                continue
            if _has_text(translated):
                text_values = True
                per_column.append(translated.to_numpy(dtype=object))
            else:
                per_column.append(pd.to_numeric(translated, errors="coerce").to_numpy(dtype=float))
        elif spec.order is not None:
            k = len(spec.order)
            table = {a: (i / (k - 1)) for i, a in enumerate(spec.order)}
            translated, unforeseen = _translate(series, table)
            if unforeseen:
                issues.append(mapping.issue([*loc, "order"], _unforeseen_message(col, "order", unforeseen, source)))
                continue
            per_column.append(pd.to_numeric(translated, errors="coerce").to_numpy(dtype=float))
        else:
            numbers, unforeseen = _numbers(series)
            if unforeseen:
                issues.append(mapping.issue(list(loc), _unforeseen_message(
                    col, "mapping (no recode or order: numbers expected)", unforeseen, source)))
                continue
            if spec.scale is not None:
                low, high = spec.scale
                outside = ~np.isnan(numbers) & ((numbers < low) | (numbers > high))
                if outside.any():
                    issues.append(mapping.issue([*loc, "scale"], f"column '{col}' of {source} has numbers outside the "
                                                f"scale [{_show(low)}, {_show(high)}] ({_show(numbers[outside][0])}…) "
                                                f"in {format_rows(np.flatnonzero(outside))}"))
                    continue
                numbers = (numbers - low) / (high - low)
            if spec.bands is not None and spec.sum_of is None:
                banded, below = _band(numbers, spec.bands)
                if below.any():
                    issues.append(mapping.issue([*loc, "bands"], f"column '{col}' of {source} has numbers below the "
                                                f"first band ({spec.bands[0][0]}) in {format_rows(np.flatnonzero(below))}"))
                    continue
                if banded.dtype == object:
                    text_values = True
                numbers = banded
            per_column.append(numbers)
    if len(issues) > before:
        return None
    if text_values:
        if spec.combination != "column":
            issues.append(mapping.issue(list(loc), f"{spec.combination} combines numbers, but the recode gives texts"))
            return None
        result_obj = per_column[0]
        return _only_when(pd.Series(result_obj, dtype=object), data, spec, mapping, loc, source, issues)
    stack = np.column_stack(per_column) if per_column else np.full((n, 1), np.nan)
    observed = ~np.isnan(stack)
    any_observed = observed.any(axis=1)
    combination = spec.combination
    if combination in ("any_of", "all_of"):
        not_binary = observed & (stack != 0) & (stack != 1)
        if not_binary.any():
            rows, cols = np.nonzero(not_binary)
            names = sorted({spec.columns[c] for c in cols})
            issues.append(mapping.issue(list(loc), f"{combination} needs answers worth 0 or 1; column(s) {', '.join(names)} "
                                        f"of {source} give other values in {format_rows(np.unique(rows))}"))
            return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if combination == "column":
            result = stack[:, 0]
        elif combination == "any_of":
            result = np.where((stack == 1).any(axis=1), 1.0, np.where(any_observed, 0.0, np.nan))
        elif combination == "all_of":
            result = np.where((stack == 0).any(axis=1), 0.0, np.where(any_observed, 1.0, np.nan))
        elif combination == "mean_of":
            result = np.nanmean(stack, axis=1)
        elif combination == "max_of":
            result = np.nanmax(stack, axis=1)
        elif combination == "min_of":
            result = np.nanmin(stack, axis=1)
        else:  # sum_of, then bands
            total = np.where(any_observed, np.nansum(stack, axis=1), np.nan)
            result, below = _band(total, spec.bands or [])
            if below.any():
                first = spec.bands[0][0] if spec.bands else 0
                issues.append(mapping.issue([*loc, "bands"], f"sums below the first band ({first}) "
                                            f"in {format_rows(np.flatnonzero(below))}"))
                return None
            if result.dtype == object:
                return _only_when(pd.Series(result, dtype=object), data, spec, mapping, loc, source, issues)
    result = np.asarray(result, dtype=float)
    if spec.reverse:
        result = 1.0 - result
    if unit:
        outside = ~np.isnan(result) & ((result < 0.0) | (result > 1.0))
        if outside.any():
            issues.append(mapping.issue(list(loc), f"values must lie in [0, 1]; got {_show(result[outside][0])} … "
                                        f"from {spec.describe()} of {source} in {format_rows(np.flatnonzero(outside))} "
                                        "(add a recode, an order or bands)"))
            return None
    kept = _only_when(result, data, spec, mapping, loc, source, issues)
    if kept is None or not categorical:
        return kept
    cats = [str(a) if not isinstance(a, str) else a for a in spec.order or []]
    codes = np.where(np.isnan(kept), -1, np.rint(kept * (len(cats) - 1))).astype(int)
    return pd.Categorical.from_codes(codes, categories=cats, ordered=True)


def _only_when(result: Any, data: pd.DataFrame, spec: Source, mapping: Mapping, loc: tuple[str, str],
               source: str, issues: list[Issue]) -> Any:
    if spec.only_when is None:
        return result
    cond = spec.only_when
    keep = _rows_in(data[cond.column], cond.in_)
    outside = np.nan if spec.otherwise is None else spec.otherwise
    answered = data[cond.column].notna().to_numpy()
    if isinstance(result, pd.Series):
        fill = np.full(len(result), None, dtype=object)
        if spec.otherwise is not None:
            fill[answered] = spec.otherwise
        return result.where(keep, pd.Series(fill, index=result.index)).to_numpy(dtype=object)
    return np.where(keep, result, np.where(answered, outside, np.nan))


_SAME_NUMBER = ((False, 0, 0.0, -0.0), (True, 1, 1.0))
"""Answers that are one answer to :func:`pandas.factorize` but that :class:`_Lookup` may tell apart (``"True"``, ``"-0.0"``)."""


def _rows_in(series: pd.Series, answers: Sequence[Key]) -> np.ndarray:
    """Which rows answer one of ``answers`` (matched by :class:`_Lookup`), looking at each distinct answer once.

    >>> _rows_in(pd.Series([1, "2", None, 3.0, " a "]), [1, 2, "a"]).tolist()
    [True, True, False, False, True]
    """
    lookup = _Lookup(dict.fromkeys(answers, True))
    codes, sample, k = _distinct(series)
    hits = np.zeros(len(sample), dtype=bool)
    for j, answer in enumerate(sample.iloc[:k]):
        hits[j] = lookup.get(answer) is True
    keep = hits[codes]
    for j, answer in enumerate(sample.iloc[:k]):
        variants = next((v for v in _SAME_NUMBER if _is_number(answer) and answer in v), ())
        if len({lookup.get(v) is True for v in variants}) > 1:  # 1 and True may differ here: row by row
            rows = np.flatnonzero(codes == j)
            keep[rows] = [lookup.get(a) is True for a in series.iloc[rows]]
    return keep


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating))


def _group(data: pd.DataFrame, group: GroupMap, mapping: Mapping, name: str, source: str,
           issues: list[Issue]) -> Any:
    if group.column is None:
        return [group.value] * len(data)
    series = data[group.column]
    if group.bands is not None:
        numbers, unforeseen = _numbers(series)
        if unforeseen:
            issues.append(mapping.issue(["groups", name], _unforeseen_message(
                group.column, "group's bands (numbers expected)", unforeseen, source)))
            return [None] * len(data)
        banded, below = _band(numbers, group.bands)
        if below.any():
            issues.append(mapping.issue(["groups", name, "bands"], f"column '{group.column}' of {source} has numbers "
                                        f"below the first band ({_show(group.bands[0][0])}) in "
                                        f"{format_rows(np.flatnonzero(below))}"))
            return [None] * len(data)
        return banded
    if group.recode is None:
        return _answers(series).to_numpy(dtype=object) if isinstance(series.dtype, pd.CategoricalDtype) else series.to_numpy()
    translated, unforeseen = _translate(series, group.recode)
    if unforeseen:
        issues.append(mapping.issue(["groups", name, "recode"], _unforeseen_message(group.column, "recode", unforeseen, source)))
        return [None] * len(data)
    return translated.to_numpy(dtype=object)


# --- coverage ---------------------------------------------------------------------------------


def coverage(mapping: Mapping, framework: Framework | None = None, level: Literal["activity", "observable"] = "activity"
             ) -> pd.DataFrame:
    """What the survey informs, per activity (default) or per observable, in the framework's order.

    Per activity: ``dimension``, ``activity``, ``tag``, ``covered`` (mapped observables), ``total``,
    ``share``, ``observables`` (the mapped ones), ``reason`` (why the activity, or each of its
    unmapped observables, is not covered). Per observable: ``dimension``, ``activity``, ``tag``,
    ``observable``, ``covered``, ``source`` (columns), ``fidelity`` and ``note`` or ``reason``.
    """
    if framework is None:
        framework = load_framework(mapping.framework.id)
    act_reasons = mapping.not_covered_activities
    obs_reasons = mapping.not_covered_observables
    rows = []
    for act in framework.activities:
        dim = framework.dimension_of[act.id]
        if level == "observable":
            for obs in act.observables:
                spec = mapping.observables.get(obs.id)
                rows.append({
                    "dimension": dim.id, "activity": act.id, "tag": act.tag, "observable": obs.id,
                    "covered": spec is not None,
                    "source": spec.describe() if spec is not None else "",
                    "fidelity": (spec.fidelity or "") if spec is not None else "",
                    "note": (spec.note or "") if spec is not None else obs_reasons.get(obs.id, act_reasons.get(act.id, "")),
                })
            continue
        mapped = [o.id for o in act.observables if o.id in mapping.observables]
        if act.id in act_reasons:
            reason = act_reasons[act.id]
        else:
            reason = "; ".join(f"{o.id}: {obs_reasons[o.id]}" for o in act.observables
                               if o.id not in mapping.observables and o.id in obs_reasons)
        rows.append({
            "dimension": dim.id, "activity": act.id, "tag": act.tag, "covered": len(mapped),
            "total": len(act.observables), "share": len(mapped) / len(act.observables),
            "observables": ", ".join(mapped), "reason": reason,
        })
    return pd.DataFrame(rows)


__all__ = [
    "GroupMap", "Mapping", "MappingError", "NotCovered", "ObservableMap", "OutcomeMap", "Source", "SurveyError",
    "apply_mapping", "builtin_mappings", "check_mapping", "coverage", "framework_named", "id_text", "id_texts",
    "load_mapping", "parse_mapping",
    "read_for_mapping",
]

