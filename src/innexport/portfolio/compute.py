"""The portfolio of a support structure: its firms' diagnostics summed up (the computation).

:func:`portfolio` takes one row per **completed** diagnostic (a pandas DataFrame, columns in
:data:`FRAME_COLUMNS`) and the framework(s) they were scored with, and returns a
:class:`Portfolio`:

* **points** — each firm's *latest* diagnostic in the frame (the largest ``assessed_on``; on the
  same day, the largest ``assessment`` id when that optional column is given, else the later row):
  its IIP, IEP and IIEP, for the innovation × export plane. Every per-firm table below uses
  this latest diagnostic, except the programmes and the movement, which use all of them;
* **distribution** — number of firms per class (rows: the framework's classes, best first, then
  any other class id met, then ``""`` for a diagnostic without a class) of IIP, IEP and IIEP;
* **cross** — the same firms by IIP class (rows) × IEP class (columns): the plane by classes;
* **activities** — per activity, the number of firms whose latest diagnostic has it among its
  top priorities and their share of all firms, most frequent first. The top priorities are read
  from the frame's ``top_activities`` (the summary the diagnostic stored, made by the one rule
  :meth:`innexport.core.assessment.FirmResult.top_priorities`), never recomputed here;
* **sector**, **region** (:class:`Groups`) — per group: the number of firms, the mean IIP, IEP,
  IIEP, the mean **gap** and the mean score of each dimension. The gap of a firm is how far its
  IIEP is below the threshold of the next class up (``threshold(next class) − IIEP``, 0 for a firm
  in the best class), so a group's gap is the mean distance to its firms' next step; the weakest
  dimension of a group (:func:`weakest_dimension`) is the one with the lowest mean score. Groups
  of fewer than ``min_group`` firms are also summed up together as ``other`` (what the shared
  outputs show);
* **programmes** — per support programme, the number of *firms* it was proposed to (in the plan
  of any of their diagnostics in the frame) and the number that used it (picked on an action
  marked done);
* **movement** (:class:`Movement`) — firms with at least two diagnostics in the frame, in two
  groups. *Supported*: some diagnostic before the latest had its plan acted on (``supported``:
  an action done or a programme used); the movement goes from the **first** such diagnostic to
  the latest. *Comparison*: no diagnostic before the latest was acted on; the movement goes from
  the first diagnostic to the latest. For each group: the IIEP class transition table (start ×
  latest), the firms whose class went up / stayed / went down (a better class is up) and the mean
  change of IIEP. Firms without an IIEP class at either end are left out.

**Several frameworks.** An organisation's diagnostics may use several framework versions and
modules (``iiep`` and ``iiep + wine``, …). Their dimensions and activities are matched **by id**:
each id is one row or column, in the order of the first framework that has it, and a firm's
scores count wherever their id is, whatever version scored them. The classes and their thresholds
are those of the first framework.

**Filters** (:data:`FILTERS`, :func:`check_filters`): what a caller may say it selected the frame
by; the selection itself is the caller's (e.g. one database query).

What is not here: hiding small groups before sharing (:mod:`innexport.portfolio.disclosure`), and
the wording, the workbook and the brief (:mod:`innexport.rendering.portfolio`).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
from typing import Any

import msgspec
import numpy as np
import pandas as pd

from innexport.core.framework import INDICES, Framework

MIN_GROUP = 5
"""Groups of fewer firms than this are masked in shared outputs (:mod:`innexport.portfolio.disclosure`)."""

FRAME_COLUMNS: tuple[str, ...] = (
    "firm", "assessed_on", "iip", "iep", "iiep", "class_iip", "class_iep", "class_iiep", "top_activities",
    "dimension_scores", "sector", "region", "supported", "programmes_proposed", "programmes_used",
)
"""The columns :func:`portfolio` needs. ``top_activities``, ``dimension_scores`` and the programme
columns hold lists (a dict for the scores), None, or their JSON text as a database gives it (parsed
only where used). Optional: ``assessment``, an id ordering diagnostics of the same day, and
``name``, the firm's name, kept in the points only. Other columns (the firm's size, the advisor…)
are left alone: they are for selecting the frame beforehand."""
LATEST_COLUMNS: tuple[str, ...] = (
    "iip", "iep", "class_iip", "class_iep", "top_activities", "dimension_scores", "sector", "region",
)
"""The columns :func:`portfolio` reads on each firm's **latest** diagnostic only (with ``name``): a
caller that reads its diagnostics from a database may fetch them for those rows alone and leave
them None on the others (the latest of each firm: :func:`chronological` and :func:`last_of_each`)."""

GROUPINGS: tuple[str, ...] = ("sector", "region")
FILTERS: tuple[str, ...] = ("sector", "region", "size", "advisor", "from", "to")
"""The filters a caller may describe in the shared outputs (see :func:`check_filters`)."""
MOVEMENT_GROUPS: tuple[str, ...] = ("supported", "comparison")
NO_GROUP = ""
"""The group of the firms whose sector (or region) is not given."""
NO_CLASS = ""
"""The class key of a diagnostic without a class."""

__all__ = [
    "FILTERS", "FRAME_COLUMNS", "GROUPINGS", "LATEST_COLUMNS", "MIN_GROUP", "MOVEMENT_GROUPS", "NO_CLASS", "NO_GROUP", "Groups",
    "Movement", "Portfolio", "PortfolioError", "check_filters", "chronological", "frameworks", "json_values", "last_of_each",
    "portfolio", "weakest_dimension", "weakest_dimensions",
]


class PortfolioError(ValueError):
    """A frame or a setting :func:`portfolio` cannot work with; the message names the column or setting."""


# --- the portfolio ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Groups:
    """Firms by sector or by region: one row per group (index: the group, ``""`` = not given)."""

    by: str
    rows: pd.DataFrame
    """Columns ``firms``, ``iip``, ``iep``, ``iiep``, ``gap``, then one per dimension id (mean scores)."""
    other: pd.Series | None
    """The groups of fewer than ``min_group`` firms together (same columns), or None when there are none.
    In a masked portfolio ``rows`` holds only the larger groups and ``other`` is what stands for the rest."""


@dataclass(frozen=True)
class Movement:
    """How the IIEP class of one group of firms moved between two of their diagnostics."""

    group: str
    """``supported`` or ``comparison``."""
    firms: int | None
    up: int | None
    same: int | None
    down: int | None
    mean_delta: float | None
    """Mean change of IIEP (latest − start)."""
    rows: pd.Series
    """Firms per IIEP class at the start."""
    table: pd.DataFrame
    """Firms by IIEP class at the start (rows) × at the latest diagnostic (columns)."""


@dataclass(frozen=True)
class Portfolio:
    min_group: int
    masked: bool
    classes: tuple[str, ...]
    """The framework's class ids, best first."""
    dimensions: tuple[str, ...]
    firms: int | None
    assessments: int | None
    points: pd.DataFrame
    """Per firm (index): ``assessed_on``, ``iip``, ``iep``, ``iiep``, ``class_iiep`` (and ``name`` if given)
    of its latest diagnostic; empty once masked."""
    overall: pd.Series
    """All firms: ``firms``, then the means of the group tables' columns."""
    distribution: pd.DataFrame
    cross: pd.DataFrame
    activities: pd.DataFrame
    """Index activity id; columns ``firms`` and ``share`` (of all firms)."""
    sector: Groups
    region: Groups
    programmes: pd.DataFrame
    """Index programme id; columns ``proposed`` and ``used`` (numbers of firms)."""
    multi: int | None
    """Firms compared in the movement tables (both groups)."""
    supported: Movement
    comparison: Movement
    flags: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """Once masked: the cells that were hidden (see :func:`innexport.portfolio.disclosure.masked_flags`)."""

    def groups(self, by: str) -> Groups:
        return self.sector if by == "sector" else self.region

    def movement(self, group: str) -> Movement:
        return self.supported if group == "supported" else self.comparison



def frameworks(framework: Framework | Sequence[Framework]) -> list[Framework]:
    """One framework or several, as a list (refused when empty).

    >>> from innexport.files.frameworks import load_framework
    >>> [f.id for f in frameworks(load_framework("iiep"))]
    ['iiep']
    """
    fws = [framework] if isinstance(framework, Framework) else list(framework)
    if not fws:
        raise PortfolioError("portfolio: give at least one framework (for its classes and names)")
    return fws


def check_filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """The filters a shared output describes, checked against :data:`FILTERS` (unknown keys refused).

    >>> check_filters({"sector": "11.02"})
    {'sector': '11.02'}
    >>> check_filters({"country": "FR"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    innexport.portfolio.compute.PortfolioError: portfolio: unknown filter(s) country (known: sector, region, ...)
    """
    out = dict(filters or {})
    unknown = [k for k in out if k not in FILTERS]
    if unknown:
        raise PortfolioError(f"portfolio: unknown filter(s) {', '.join(unknown)} (known: {', '.join(FILTERS)})")
    return out


def _check_frame(frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise PortfolioError(f"portfolio: the frame must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise PortfolioError(f"portfolio: the frame lacks the column(s) {', '.join(missing)}")


def _ordered_keys(first: Iterable[Hashable], seen: Iterable[Hashable], last: Hashable | None = None) -> list:
    """``first`` in order (each key once: several frameworks share their ids), then the other ``seen``
    keys sorted, then ``last`` if it was seen."""
    first = list(dict.fromkeys(first))
    seen = set(seen)
    extra = sorted((k for k in seen if k not in first and k != last), key=str)
    return first + extra + ([last] if last is not None and last in seen and last not in first else [])


def _class_keys(values: np.ndarray) -> np.ndarray:
    """Class ids as keys: a missing one is :data:`NO_CLASS`."""
    return np.where(pd.isna(values), NO_CLASS, values).astype(object)


def _texts(values: np.ndarray, missing: str) -> np.ndarray:
    """Values as texts (``missing`` for a missing one), e.g. a firm's sector.

    >>> _texts(np.array(["11.02", None, 7], dtype=object), "").tolist()
    ['11.02', '', '7']
    """
    codes, uniques = pd.factorize(values)  # each distinct value turned into text once
    texts = np.array([*(v if isinstance(v, str) else str(v) for v in uniques), missing], dtype=object)
    return texts[codes]  # code -1 (missing): the last


def _positions(values: np.ndarray, keys: Sequence[Hashable]) -> np.ndarray:
    """The position of each value in ``keys`` (-1 when not there), looking each distinct value up once."""
    codes, uniques = pd.factorize(values)
    if not len(uniques):
        return np.full(len(values), -1, dtype=np.int64)
    found = pd.Index(list(keys), dtype=object).get_indexer(pd.Index(uniques, dtype=object))
    return np.where(codes >= 0, found[codes], -1)


def chronological(frame: pd.DataFrame, caller: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The diagnostics of ``frame`` firm by firm, oldest first: ``assessed_on`` as dates, the order
    (positions in ``frame``) and each firm's code in that order. Same day: by ``assessment`` id when
    the frame has one. The one rule of "a firm's latest diagnostic": the last of its firm's run
    (:func:`last_of_each`). ``caller`` names the function in the refusal of a column that is not dates.

    >>> f = pd.DataFrame({"firm": [2, 1, 1], "assessed_on": ["2025-01-01", "2025-03-01", "2024-12-01"]})
    >>> _, order, codes = chronological(f, "example")
    >>> order.tolist(), codes.tolist(), last_of_each(codes).tolist()
    ([2, 1, 0], [0, 0, 1], [False, True, True])
    """
    try:
        assessed_on = _dates(frame["assessed_on"])
    except (ValueError, TypeError) as exc:
        raise PortfolioError(f"{caller}: column assessed_on holds something that is not a date ({exc})") from None
    firm_codes, _uniques = pd.factorize(frame["firm"], sort=True)
    same_day = []
    if "assessment" in frame.columns:
        ids = frame["assessment"]
        same_day = [ids.to_numpy() if pd.api.types.is_integer_dtype(ids.dtype) else pd.factorize(ids, sort=True)[0]]
    order = np.lexsort([*same_day, assessed_on, firm_codes])  # the last key sorts first
    return assessed_on, order, firm_codes[order]


def _dates(column: pd.Series) -> np.ndarray:
    """A column of dates as ``datetime64``: ISO 8601 texts (as databases give them) read as such, any
    other form as pandas infers it."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return column.to_numpy()
    try:
        return pd.to_datetime(column, format="ISO8601").to_numpy()
    except (ValueError, TypeError):
        return pd.to_datetime(column).to_numpy()


def last_of_each(codes: np.ndarray) -> np.ndarray:
    """Where a run of equal ``codes`` (sorted) ends: each firm's latest diagnostic in :func:`chronological`'s order."""
    last = np.ones(len(codes), dtype=bool)
    last[:-1] = codes[1:] != codes[:-1]
    return last


def portfolio(frame: pd.DataFrame, framework: Framework | Sequence[Framework], *,
              min_group: int = MIN_GROUP) -> Portfolio:
    """The portfolio of the diagnostics in ``frame`` (unmasked; see :func:`innexport.portfolio.disclosure.mask`).

    ``framework``: the framework the diagnostics were scored with, or several (the first gives the
    classes and their thresholds; the names of activities and dimensions come from all of them).
    Raises :class:`PortfolioError` naming the column when the frame lacks one or holds a bad value.
    """
    fws = frameworks(framework)
    fw = fws[0]
    _check_frame(frame)
    given: object = min_group  # checked as given: callers may pass anything
    if not isinstance(given, int) or isinstance(given, bool) or given < 1:
        raise PortfolioError(f"portfolio: min_group must be a whole number ≥ 1, not {min_group!r}")
    classes = tuple(c.id for c in fw.classes)
    activities_order = [a.id for f in fws for a in f.activities]  # ids met twice: once (_ordered_keys)

    # chronological order within each firm; the columns read on every diagnostic are taken in that
    # order, those read on each firm's latest diagnostic only at those rows
    assessed_on, order, firm_codes = chronological(frame, "portfolio")
    n_rows = len(frame)
    is_last = last_of_each(firm_codes)
    new_firm = np.ones(n_rows, dtype=bool)
    new_firm[1:] = firm_codes[1:] != firm_codes[:-1]
    starts = np.flatnonzero(new_firm)
    sizes = np.diff(np.append(starts, n_rows))
    count = np.repeat(sizes, sizes)
    position = np.arange(n_rows) - np.repeat(starts, sizes)
    iiep_all = _numbers(frame["iiep"], "iiep")[order]
    class_iiep_all = _class_keys(frame["class_iiep"].to_numpy(dtype=object)[order])
    supported = frame["supported"].fillna(False).astype(bool).to_numpy()[order]

    # each firm's latest diagnostic (``at``: its row in ``frame``), its columns as arrays
    at = order[is_last]
    n = len(at)
    firm_index = pd.Index(frame["firm"].to_numpy(dtype=object)[at], name="firm")
    numbers = {name: iiep_all[is_last] if name == "iiep" else _numbers(frame[name].iloc[at], name) for name in INDICES}
    class_of = {name: class_iiep_all[is_last] if name == "iiep" else
                _class_keys(frame[f"class_{name}"].to_numpy(dtype=object)[at]) for name in INDICES}
    group_of = {name: _texts(frame[name].to_numpy(dtype=object)[at], NO_GROUP) for name in GROUPINGS}

    # the plane
    points = pd.DataFrame({"assessed_on": assessed_on[at], **{name: numbers[name] for name in INDICES},
                           "class_iiep": pd.Series(class_of["iiep"], dtype=object, index=firm_index)}, index=firm_index)
    if "name" in frame.columns:
        points["name"] = pd.Series(frame["name"].to_numpy(dtype=object)[at], dtype=object, index=firm_index)

    # classes: codes in ``keys`` (the framework's classes, others met, then no class)
    seen = set().union(*(set(pd.unique(class_of[name])) for name in INDICES)) if n else set()
    keys = _ordered_keys(classes, seen, NO_CLASS)
    codes = {name: _positions(class_of[name], keys) for name in INDICES}
    distribution = pd.DataFrame({name: np.bincount(codes[name], minlength=len(keys)) for name in INDICES},
                                index=pd.Index(keys, name="class")).astype(int)
    cells = np.bincount(codes["iip"] * len(keys) + codes["iep"], minlength=len(keys) ** 2).reshape(len(keys), len(keys))
    cross = pd.DataFrame(cells, index=pd.Index(keys, name="iip"), columns=pd.Index(keys, name="iep")).astype(int)

    # top priorities of the latest diagnostics (each activity once per firm)
    top_counts = _firms_per_item(np.arange(n), _lists(frame["top_activities"].to_numpy(dtype=object)[at].tolist(),
                                                      "top_activities"))
    act_keys = _ordered_keys(activities_order, top_counts.index)
    firms_top = top_counts.reindex(act_keys, fill_value=0).astype(int)
    activities = pd.DataFrame({"firms": firms_top.to_numpy(), "share": firms_top.to_numpy() / n if n else np.nan},
                              index=pd.Index(act_keys, name="activity"))
    rank = np.arange(len(act_keys))
    activities = activities.iloc[np.lexsort([rank, -activities["firms"].to_numpy()])]

    # values per firm: indices, gap to the next class, dimension scores
    class_pos = _positions(class_of["iiep"], classes)
    next_threshold = np.array([np.nan, *(c.threshold for c in fw.classes[:-1])])  # by class position + 1
    iiep = numbers["iiep"]
    below = next_threshold[np.where(class_pos >= 0, class_pos, 0)] - iiep
    gap = np.where(class_pos == 0, 0.0, np.clip(below, 0.0, None))
    gap[(class_pos < 0) | ((class_pos > 0) & np.isnan(iiep))] = np.nan
    values = pd.DataFrame({**numbers, "gap": gap}, index=firm_index)
    scores = [d if isinstance(d, dict) else {}
              for d in json_values(frame["dimension_scores"].to_numpy(dtype=object)[at].tolist(), "dimension_scores")]
    dim_keys = _ordered_keys((d.id for f in fws for d in f.dimensions), set().union(*scores) if scores else ())
    dims = pd.DataFrame(_score_matrix(scores, dim_keys), index=firm_index, columns=dim_keys)
    values = pd.concat([values, dims], axis=1)
    overall = pd.concat([pd.Series({"firms": n}), values.mean()]) if n else \
        pd.Series({"firms": 0, **{c: np.nan for c in values.columns}})

    groups = {by: _groups(by, group_of[by], values, min_group) for by in GROUPINGS}

    # programmes: firms they were proposed to, firms that used them (only the rows that name some)
    def per_programme(column: str) -> pd.Series:
        lists = frame[column].to_numpy(dtype=object)[order]
        named = np.flatnonzero(pd.notna(lists))
        return _firms_per_item(firm_codes[named], _lists(lists[named].tolist(), column))

    programmes = pd.DataFrame({"proposed": per_programme("programmes_proposed"),
                               "used": per_programme("programmes_used")}).fillna(0).astype(int)
    programmes = programmes.sort_index(key=lambda ix: ix.astype(str)).sort_values(
        ["proposed", "used"], ascending=False, kind="stable")
    programmes.index.name = "programme"

    # movement between classes: start rows of each group, ended by the latest diagnostic
    acted = np.flatnonzero(supported & ~is_last)  # plans acted on before the latest
    first_acted = acted[np.r_[True, firm_codes[acted][1:] != firm_codes[acted][:-1]]] if len(acted) else acted
    is_start_supported = np.zeros(n_rows, dtype=bool)
    is_start_supported[first_acted] = True
    has_support = np.zeros(int(firm_codes.max()) + 1 if n_rows else 0, dtype=bool)
    has_support[firm_codes[first_acted]] = True
    is_start_comparison = ~has_support[firm_codes] & (position == 0) & (count >= 2)
    all_pos = _positions(class_iiep_all, classes)
    last_row = np.repeat(starts + sizes - 1, sizes)
    moves = {g: _movement(g, rows_, last_row, all_pos, iiep_all, classes)
             for g, rows_ in (("supported", is_start_supported), ("comparison", is_start_comparison))}

    return Portfolio(
        min_group=min_group, masked=False, classes=classes, dimensions=tuple(dim_keys), firms=n,
        assessments=n_rows, points=points, overall=overall, distribution=distribution, cross=cross,
        activities=activities, sector=groups["sector"], region=groups["region"], programmes=programmes,
        multi=sum(m.firms or 0 for m in moves.values()),
        supported=moves["supported"], comparison=moves["comparison"],
    )


def json_values(values: list, column: str) -> list:
    """The values of a list or dict column, those given as JSON text parsed (as databases give them).

    >>> json_values(['[1, 2]', None, '{"a": null}', [3], '[]'], "x")
    [[1, 2], None, {'a': None}, [3], None]
    >>> json_values(['["p"]', '{}', None], "x")
    [['p'], None, None]

    The texts are parsed in one go (one JSON array, by msgspec: 3–4 times faster than the standard
    library on the dimension scores of 10,000 firms); when that fails, one by one, to name the bad
    value. An empty text, list or object (``""``, ``[]``, ``{}``, ``null``) gives None.
    """
    out = list(values)
    parsed = _decoded(out, "null")
    if parsed is not None:
        return parsed
    keep = [k for k, v in enumerate(out) if isinstance(v, str)]
    texts = [out[k] for k in keep]
    for k in keep:
        out[k] = None
    keep = [k for k, t in zip(keep, texts, strict=True) if t not in _EMPTY_JSON]
    if not keep:
        return out
    try:
        parsed = _JSON.decode("[" + ",".join([values[k] for k in keep]) + "]")
        if len(parsed) != len(keep):
            raise ValueError("a value holds several")
    except (ValueError, msgspec.DecodeError):
        parsed = []
        for k in keep:
            try:
                parsed.append(json.loads(values[k]))
            except ValueError:
                raise PortfolioError(f"portfolio: column {column} holds text that is not JSON: "
                                     f"{values[k][:60]!r}") from None
    for k, v in zip(keep, parsed, strict=True):
        out[k] = v
    return out


_EMPTY_JSON = frozenset({"[]", "{}", "null", ""})
_JSON = msgspec.json.Decoder()


def _decoded(values: list, empty: str) -> list | None:
    """Values given as a database gives them (JSON texts, or None) parsed in one go, a missing or empty
    one read as the JSON ``empty``; None when some value is not a text or not one JSON value (the
    caller then goes value by value, to name it).

    >>> _decoded(['[1]', None, '{}'], "null"), _decoded(['[1]', 2], "null"), _decoded(['1, 2'], "null")
    ([[1], None, None], None, None)
    """
    try:
        parsed = _JSON.decode("[" + ",".join([empty if v is None or v in _EMPTY_JSON else v for v in values]) + "]")
    except (TypeError, ValueError, msgspec.DecodeError):
        return None
    return parsed if len(parsed) == len(values) else None


def _groups(by: str, key: np.ndarray, values: pd.DataFrame, min_group: int) -> Groups:
    """Per group of ``key``: the number of firms and the mean of each column of ``values`` (missing
    values left out, as pandas' mean does), by sums and counts over the group codes (``np.bincount``:
    one pass per column, many times faster than a pandas group-by of text keys)."""
    codes, uniques = pd.factorize(key, sort=False)
    k = len(uniques)
    x = values.to_numpy(dtype=float)
    known = ~np.isnan(x)
    n = np.bincount(codes, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.column_stack([
            np.bincount(codes, weights=np.where(known[:, j], x[:, j], 0.0), minlength=k)
            / np.bincount(codes, weights=known[:, j].astype(float), minlength=k)
            for j in range(x.shape[1])]) if x.shape[1] else np.empty((k, 0))
    rows = pd.DataFrame(means, index=pd.Index(list(uniques), dtype=object, name=by), columns=values.columns)
    rows.insert(0, "firms", n.astype(int))
    rows = rows.sort_index(key=lambda ix: ix.astype(str))
    small = [g for g, count in zip(uniques, n, strict=True) if count < min_group]
    other = None
    if small:
        members = np.isin(codes, [i for i, count in enumerate(n) if count < min_group])
        other = pd.concat([pd.Series({"firms": int(members.sum())}), values[members].mean()])
    return Groups(by, rows, other)


def _lists(values: list, column: str) -> list:
    """The values of a list column as lists: JSON texts parsed (:func:`json_values`), a missing or
    empty value, or one that is not a list, as ``[]``.

    >>> _lists(['["p"]', None, '[]', '{"a": 1}'], "x")
    [['p'], [], [], []]
    """
    parsed = _decoded(values, "[]")
    if parsed is not None and all(type(v) is list for v in parsed):
        return parsed
    return [list(v) if isinstance(v, (list, tuple)) else [] for v in json_values(values, column)]


def _firms_per_item(firms: np.ndarray, lists: list) -> pd.Series:
    """Per item of the lists (one list per row, :func:`_lists`; items that are not non-empty text are
    left out): the number of distinct firms (codes, one per row) having it.

    >>> _firms_per_item(np.array([0, 0, 1]), [["p", "q"], ["p"], ["p", "p", 3]]).sort_index().to_dict()
    {'p': 2, 'q': 1}
    """
    lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    items = np.empty(int(lengths.sum()), dtype=object)
    items[:] = list(chain.from_iterable(lists))
    try:
        codes, uniques = pd.factorize(items)
    except TypeError:  # an unhashable item (a list, a dict…): never text, so left out
        hashable = np.fromiter((isinstance(p, str) for p in items), dtype=bool, count=len(items))
        codes = np.full(len(items), -1, dtype=np.int64)
        codes[hashable], uniques = pd.factorize(items[hashable])
    text = np.fromiter((isinstance(u, str) and u != "" for u in uniques), dtype=bool, count=len(uniques))
    valid = codes >= 0
    valid[valid] = text[codes[valid]]
    if not valid.any():
        return pd.Series(dtype=int)
    owners = np.repeat(np.asarray(firms, dtype=np.int64), lengths)[valid]
    codes = codes[valid]
    span = int(owners.max()) + 1
    if span * len(uniques) <= _PAIR_TABLE_CELLS:  # each (firm, item) once: a table of who has what
        has = np.zeros((span, len(uniques)), dtype=bool)
        has[owners, codes] = True
        counts = has.sum(axis=0)
    else:  # the same, sorting the pairs (memory that does not grow with firms × items)
        pairs = np.unique(owners * len(uniques) + codes)
        counts = np.bincount(pairs % len(uniques), minlength=len(uniques))
    return pd.Series(counts[text], index=pd.Index(list(uniques[text]), dtype=object))


_PAIR_TABLE_CELLS = 20_000_000
"""Above this many firms × items, :func:`_firms_per_item` sorts the pairs instead of filling a table."""


def _numbers(column: pd.Series, name: str) -> np.ndarray:
    """A column of numbers as floats (missing: NaN), refused naming it when a value is not a number."""
    try:
        return pd.to_numeric(column).to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise PortfolioError(f"portfolio: column {name} holds something that is not a number ({exc})") from None


def _score_matrix(scores: list[dict], keys: list) -> np.ndarray:
    """The dimension scores (one dict per firm) as a matrix, a column per key of ``keys``: a missing
    score, or one that is not a number, is NaN.

    >>> _score_matrix([{"a": 0.5}, {"a": "x", "b": 1}], ["a", "b"]).tolist()
    [[0.5, nan], [nan, 1.0]]
    """
    if keys and scores:  # every score given as a number: one C-level lookup per firm
        try:
            pick = itemgetter(*keys)
            rows = [pick(d) for d in scores]
            matrix = np.array(rows if len(keys) > 1 else [[r] for r in rows], dtype=float)
            if matrix.shape == (len(scores), len(keys)):
                return matrix
        except (KeyError, TypeError, ValueError):
            pass  # a score missing or not a number: below, column by column
    table = pd.DataFrame.from_records(scores, columns=keys, nrows=len(scores)) if scores else \
        pd.DataFrame(columns=keys)
    numeric = [c for c in table.columns if not pd.api.types.is_float_dtype(table[c].dtype)]
    if numeric:  # some value is missing or not a number (or no score at all): those columns converted
        table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce")
    return table.to_numpy(dtype=float).reshape(len(scores), len(keys))


def _movement(group: str, start: np.ndarray, last_row: np.ndarray, pos: np.ndarray, iiep: np.ndarray,
              classes: tuple[str, ...]) -> Movement:
    """The movement of the firms whose start rows are ``start`` (a boolean mask) to their latest row."""
    begin = np.flatnonzero(start)
    end = last_row[begin]
    b, a = pos[begin], pos[end]
    keep = (b >= 0) & (a >= 0)
    b, a = b[keep], a[keep]
    k = len(classes)
    table = pd.DataFrame(np.bincount(b * k + a, minlength=k * k).reshape(k, k),
                         index=pd.Index(classes, name="start"), columns=pd.Index(classes, name="latest")).astype(int)
    delta = iiep[end[keep]] - iiep[begin[keep]]
    delta = delta[~np.isnan(delta)]
    return Movement(
        group=group, firms=int(keep.sum()), up=int((a < b).sum()), same=int((a == b).sum()), down=int((a > b).sum()),
        mean_delta=float(delta.mean()) if len(delta) else None, rows=table.sum(axis=1).astype(int), table=table,
    )


def weakest_dimension(row: pd.Series, dimensions: Sequence[str]) -> str | None:
    """The dimension of ``dimensions`` with the lowest mean score in a group's ``row`` (None if none
    scored); a tie goes to the first in ``dimensions``.

    >>> weakest_dimension(pd.Series({"firms": 6, "networks": 0.3, "ip": 0.2, "customer": None}),
    ...                   ["networks", "ip", "customer"])
    'ip'
    """
    scores = pd.to_numeric(row.reindex(list(dict.fromkeys(dimensions))), errors="coerce").dropna()
    return None if scores.empty else str(scores.idxmin())


def weakest_dimensions(rows: pd.DataFrame, dimensions: Sequence[str]) -> dict[Hashable, str | None]:
    """:func:`weakest_dimension` of every row of a group table at once (the same rule, vectorised).

    >>> t = pd.DataFrame({"networks": [0.3, None], "ip": [0.2, None]}, index=["a", "b"])
    >>> weakest_dimensions(t, ["networks", "ip", "customer"])
    {'a': 'ip', 'b': None}
    """
    dims = list(dict.fromkeys(dimensions))
    values = rows.reindex(columns=dims).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    scored = ~np.isnan(values)
    lowest = np.argmin(np.where(scored, values, np.inf), axis=1) if dims else np.zeros(len(rows), dtype=int)
    return {key: (dims[j] if dims and scored[i].any() else None)
            for i, (key, j) in enumerate(zip(rows.index, lowest, strict=True))}
