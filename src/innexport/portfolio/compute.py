"""The portfolio of a support structure: its firms' diagnostics summed up, and masked for sharing.

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
  top priorities (the summary's ``top_activities``) and their share of all firms, most frequent
  first;
* **sector**, **region** (:class:`Groups`) — per group: the number of firms, the mean IIP, IEP,
  IIEP, the mean **gap** and the mean score of each dimension. The gap of a firm is how far its
  IIEP is below the threshold of the next class up (``threshold(next class) − IIEP``, 0 for a firm
  in the best class), so a group's gap is the mean distance to its firms' next step; the weakest
  dimension of a group is the one with the lowest mean score. Groups of fewer than
  ``min_group`` firms are also summed up together as ``other`` (what the shared outputs show);
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

**Masking** (:func:`mask`; :func:`masked_flags` says which cells it hides). A shared output must
not let anyone single out a firm, so:

1. a portfolio of 1 to ``min_group − 1`` firms is masked entirely (every count, zeros included,
   and every mean); an empty one is shown as such;
2. *primary* cells: every count from 1 to ``min_group − 1`` — a class, a cell of a cross or
   transition table, an activity's or programme's firms, a movement group and its up/same/down
   — and every mean of such a group; also the *complements* a published total gives away: an
   activity (or programme) counted for all but 1 to ``min_group − 1`` firms hides its count. Every
   part of a masked small group is masked too (e.g. the row of the cross table of an IIP class
   of 3 firms, zeros included), since it describes fewer than ``min_group`` firms — except the
   cells that the published numbers give away anyway (e.g. a zero in a column whose published
   cells already add up to its published total), which hide nothing;
3. groups of sectors and regions of fewer than ``min_group`` firms are not listed at all (their
   names alone could point at a firm): they are counted together in one *other* row, masked in
   turn if it holds fewer than ``min_group`` firms;
4. *secondary* cells: a masked cell must not be computable from the published numbers through
   the tables' sums (a class count = the firms − the other classes; a row of the cross table = its
   IIP class count; up + same + down = the group …). Every such sum is an equation; while some
   primary cell is determined by the equations and the published cells (checked exactly, by the
   null space of the equations restricted to the masked cells), a published cell linked to it
   is masked as well: the smallest one whose masking alone hides it, else the smallest (a count
   that is not itself a total first, non-zero first), and so on. This is the classic
   complementary suppression, solved greedily: it may hide a little more than the least needed.

Masked cells become ``None`` — primary and secondary alike, and shown the same way, since telling
them apart would narrow the primary ones down — and the shared outputs (:func:`xlsx_bytes`,
:func:`brief_html`, :func:`brief_pdf`) always mask. What masking does not cover: bounds (a masked
cell lies between 0 and the published total of its line), and differences between two shared
outputs made with different filters. Published zeros stay: an empty class describes no firm.

Texts of the outputs come from ``locale/portfolio.yaml`` (fr, es, en) and from the framework
(class, activity and dimension names); programme names are given by the caller.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES, LANGUAGES, Framework

MIN_GROUP = 5
"""Groups of fewer firms than this are masked in shared outputs."""

FRAME_COLUMNS: tuple[str, ...] = (
    "firm", "assessed_on", "iip", "iep", "iiep", "class_iip", "class_iep", "class_iiep", "top_activities",
    "dimension_scores", "sector", "region", "size", "advisor", "supported", "programmes_proposed",
    "programmes_used",
)
"""The columns :func:`portfolio` needs. ``top_activities``, ``dimension_scores`` and the programme
columns hold lists (a dict for the scores), None, or their JSON text as a database gives it (parsed
only where used). ``size`` and ``advisor`` are not used by the computations (they are for filtering
the frame beforehand). Optional: ``assessment``, an id ordering diagnostics of the same day, and
``name``, the firm's name, kept in the points only."""

GROUPINGS: tuple[str, ...] = ("sector", "region")
FILTERS: tuple[str, ...] = ("sector", "region", "size", "advisor", "from", "to")
"""The filters a caller may describe in the shared outputs (see :func:`xlsx_bytes`)."""
MOVEMENT_GROUPS: tuple[str, ...] = ("supported", "comparison")
NO_GROUP = ""
"""The group of the firms whose sector (or region) is not given."""
NO_CLASS = ""
"""The class key of a diagnostic without a class."""

__all__ = [
    "FILTERS", "FRAME_COLUMNS", "MIN_GROUP", "Groups", "Movement", "Names", "Portfolio", "PortfolioError",
    "brief_html", "brief_pdf", "mask", "masked_flags", "portfolio", "weakest_dimension", "xlsx_bytes",
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
    """Once masked: the cells that were hidden (see :func:`masked_flags`)."""

    def groups(self, by: str) -> Groups:
        return self.sector if by == "sector" else self.region

    def movement(self, group: str) -> Movement:
        return self.supported if group == "supported" else self.comparison


def _frameworks(framework: Framework | Sequence[Framework]) -> list[Framework]:
    fws = [framework] if isinstance(framework, Framework) else list(framework)
    if not fws:
        raise PortfolioError("portfolio: give at least one framework (for its classes and names)")
    return fws


def _check_frame(frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise PortfolioError(f"portfolio: the frame must be a pandas DataFrame, not {type(frame).__name__}")
    missing = [c for c in FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise PortfolioError(f"portfolio: the frame lacks the column(s) {', '.join(missing)}")


def _ordered_keys(first: Iterable[Hashable], seen: Iterable[Hashable], last: Hashable | None = None) -> list:
    """``first`` in order, then the other ``seen`` keys sorted, then ``last`` if it was seen."""
    first = list(first)
    seen = set(seen)
    extra = sorted((k for k in seen if k not in first and k != last), key=str)
    return first + extra + ([last] if last is not None and last in seen and last not in first else [])


def _class_text(series: pd.Series) -> pd.Series:
    return series.where(series.notna(), NO_CLASS)


def portfolio(frame: pd.DataFrame, framework: Framework | Sequence[Framework], *,
              min_group: int = MIN_GROUP) -> Portfolio:
    """The portfolio of the diagnostics in ``frame`` (unmasked; see :func:`mask`).

    ``framework``: the framework the diagnostics were scored with, or several (the first gives the
    classes and their thresholds; the names of activities and dimensions come from all of them).
    Raises :class:`PortfolioError` naming the column when the frame lacks one or holds a bad value.
    """
    fws = _frameworks(framework)
    fw = fws[0]
    _check_frame(frame)
    if not isinstance(min_group, int) or isinstance(min_group, bool) or min_group < 1:
        raise PortfolioError(f"portfolio: min_group must be a whole number ≥ 1, not {min_group!r}")
    classes = tuple(c.id for c in fw.classes)
    activities_order = list(dict.fromkeys(a.id for f in fws for a in f.activities))

    cols = [c for c in (*FRAME_COLUMNS, "assessment", "name") if c in frame.columns]
    try:
        assessed_on = pd.to_datetime(frame["assessed_on"]).to_numpy()
    except (ValueError, TypeError) as exc:
        raise PortfolioError(f"portfolio: column assessed_on holds something that is not a date ({exc})") from None

    # chronological order within each firm (one copy of the columns used, in that order)
    firm_codes, _uniques = pd.factorize(frame["firm"], sort=True)
    same_day = [pd.factorize(frame["assessment"], sort=True)[0]] if "assessment" in frame.columns else []
    order = np.lexsort([*same_day, assessed_on, firm_codes])  # the last key sorts first
    df = frame[cols].take(order).reset_index(drop=True)
    df["assessed_on"] = assessed_on[order]
    firm_codes = firm_codes[order]
    for name in INDICES:
        try:
            df[name] = pd.to_numeric(df[name]).astype(float)
        except (ValueError, TypeError) as exc:
            raise PortfolioError(f"portfolio: column {name} holds something that is not a number ({exc})") from None
        df[f"class_{name}"] = _class_text(df[f"class_{name}"])
    df["supported"] = df["supported"].fillna(False).astype(bool)

    # position and number of each firm's diagnostics
    n_rows = len(df)
    new_firm = np.ones(n_rows, dtype=bool)
    new_firm[1:] = firm_codes[1:] != firm_codes[:-1]
    starts = np.flatnonzero(new_firm)
    sizes = np.diff(np.append(starts, n_rows))
    count = np.repeat(sizes, sizes)
    position = np.arange(n_rows) - np.repeat(starts, sizes)
    is_last = position == count - 1
    latest = df[is_last].set_index("firm")
    for name in GROUPINGS:
        latest[name] = latest[name].where(latest[name].notna(), NO_GROUP).astype(str)
    n = len(latest)

    # the plane
    point_cols = ["assessed_on", "iip", "iep", "iiep", "class_iiep", *(["name"] if "name" in df.columns else [])]
    points = latest[point_cols]

    # classes: codes in ``keys`` (the framework's classes, others met, then no class)
    seen = set().union(*(set(latest[f"class_{name}"].unique()) for name in INDICES)) if n else set()
    keys = _ordered_keys(classes, seen, NO_CLASS)
    key_index = pd.Index(keys)
    codes = {name: key_index.get_indexer(latest[f"class_{name}"].to_numpy(dtype=object)) for name in INDICES}
    distribution = pd.DataFrame({name: np.bincount(codes[name], minlength=len(keys)) for name in INDICES},
                                index=pd.Index(keys, name="class")).astype(int)
    cells = np.bincount(codes["iip"] * len(keys) + codes["iep"], minlength=len(keys) ** 2).reshape(len(keys), len(keys))
    cross = pd.DataFrame(cells, index=pd.Index(keys, name="iip"), columns=pd.Index(keys, name="iep")).astype(int)

    # top priorities of the latest diagnostics (each activity once per firm)
    flat = [a for lst in _parsed(latest["top_activities"].tolist(), "top_activities") if isinstance(lst, (list, tuple))
            for a in set(lst) if isinstance(a, str)]
    top_counts = pd.Series(flat, dtype=object).value_counts() if flat else pd.Series(dtype=int)
    act_keys = _ordered_keys(activities_order, top_counts.index)
    firms_top = top_counts.reindex(act_keys, fill_value=0).astype(int)
    activities = pd.DataFrame({"firms": firms_top.to_numpy(), "share": firms_top.to_numpy() / n if n else np.nan},
                              index=pd.Index(act_keys, name="activity"))
    rank = np.arange(len(act_keys))
    activities = activities.iloc[np.lexsort([rank, -activities["firms"].to_numpy()])]

    # values per firm: indices, gap to the next class, dimension scores
    class_pos = pd.Index(classes).get_indexer(latest["class_iiep"].to_numpy(dtype=object))
    next_threshold = np.array([np.nan, *(c.threshold for c in fw.classes[:-1])])  # by class position + 1
    iiep = latest["iiep"].to_numpy()
    gap = np.where(class_pos == 0, 0.0, np.clip(next_threshold[np.where(class_pos >= 0, class_pos, 0)] - iiep, 0.0, None))
    gap[(class_pos < 0) | ((class_pos > 0) & np.isnan(iiep))] = np.nan
    values = latest[["iip", "iep", "iiep"]].assign(gap=gap)
    scores = [d if isinstance(d, dict) else {} for d in _parsed(latest["dimension_scores"].tolist(), "dimension_scores")]
    dim_keys = _ordered_keys((d.id for f in fws for d in f.dimensions), set().union(*scores) if scores else ())
    dims = pd.DataFrame.from_records(scores, columns=dim_keys, nrows=len(scores)) if scores else \
        pd.DataFrame(columns=dim_keys)
    dims = dims.apply(pd.to_numeric, errors="coerce").astype(float).set_axis(latest.index)
    values = pd.concat([values, dims], axis=1)
    overall = pd.concat([pd.Series({"firms": n}), values.mean()]) if n else \
        pd.Series({"firms": 0, **{c: np.nan for c in values.columns}})

    groups = {by: _groups(by, latest[by], values, min_group) for by in GROUPINGS}

    # programmes: firms they were proposed to, firms that used them
    programmes = pd.DataFrame({
        "proposed": _firms_per_item(firm_codes, _parsed(df["programmes_proposed"].tolist(), "programmes_proposed")),
        "used": _firms_per_item(firm_codes, _parsed(df["programmes_used"].tolist(), "programmes_used")),
    }).fillna(0).astype(int)
    programmes = programmes.sort_index(key=lambda ix: ix.astype(str)).sort_values(
        ["proposed", "used"], ascending=False, kind="stable")
    programmes.index.name = "programme"

    # movement between classes: start rows of each group, ended by the latest diagnostic
    acted = np.flatnonzero(df["supported"].to_numpy() & ~is_last)  # plans acted on before the latest
    first_acted = acted[np.r_[True, firm_codes[acted][1:] != firm_codes[acted][:-1]]] if len(acted) else acted
    is_start_supported = np.zeros(n_rows, dtype=bool)
    is_start_supported[first_acted] = True
    has_support = np.isin(firm_codes, firm_codes[first_acted])
    is_start_comparison = ~has_support & (position == 0) & (count >= 2)
    all_pos = pd.Index(classes).get_indexer(df["class_iiep"].to_numpy(dtype=object))
    last_row = np.repeat(starts + sizes - 1, sizes)
    moves = {g: _movement(g, rows_, last_row, all_pos, df["iiep"].to_numpy(), classes)
             for g, rows_ in (("supported", is_start_supported), ("comparison", is_start_comparison))}

    return Portfolio(
        min_group=min_group, masked=False, classes=classes, dimensions=tuple(dim_keys), firms=n,
        assessments=n_rows, points=points, overall=overall, distribution=distribution, cross=cross,
        activities=activities, sector=groups["sector"], region=groups["region"], programmes=programmes,
        multi=int(moves["supported"].firms + moves["comparison"].firms),
        supported=moves["supported"], comparison=moves["comparison"],
    )


def _parsed(values: list, column: str) -> list:
    """The values of a list or dict column, those given as JSON text parsed (as databases give them).

    The texts are parsed in one go (one JSON array), much faster than one by one; when that fails,
    one by one, to name the bad value.
    """
    out = list(values)
    at = [k for k, v in enumerate(out) if isinstance(v, str)]
    texts = [out[k] for k in at]
    empty = {"[]", "{}", "null", ""}
    keep = [k for k, t in zip(at, texts) if t not in empty]
    for k in at:
        out[k] = None
    if not keep:
        return out
    try:
        parsed = json.loads("[" + ",".join(values[k] for k in keep) + "]")
        if len(parsed) != len(keep):
            raise ValueError("a value holds several")
    except ValueError:
        parsed = []
        for k in keep:
            try:
                parsed.append(json.loads(values[k]))
            except ValueError:
                raise PortfolioError(f"portfolio: column {column} holds text that is not JSON: "
                                     f"{values[k][:60]!r}") from None
    for k, v in zip(keep, parsed):
        out[k] = v
    return out


def _groups(by: str, key: pd.Series, values: pd.DataFrame, min_group: int) -> Groups:
    n = key.value_counts()
    rows = values.groupby(key.to_numpy(dtype=object)).mean()
    rows.insert(0, "firms", n.reindex(rows.index).astype(int).to_numpy())
    rows = rows.sort_index(key=lambda ix: ix.astype(str))
    rows.index.name = by
    small = n.index[n < min_group]
    other = None
    if len(small):
        members = key.isin(small).to_numpy()
        other = pd.concat([pd.Series({"firms": int(members.sum())}), values[members].mean()])
    return Groups(by, rows, other)


def _firms_per_item(firms: np.ndarray, lists: list) -> pd.Series:
    """Per item of the lists (one list, or None, per row): the number of distinct firms (codes) having it."""
    lists = [lst if isinstance(lst, (list, tuple)) else () for lst in lists]
    lengths = np.fromiter((len(lst) for lst in lists), dtype=np.int64, count=len(lists))
    items = [p for lst in lists for p in lst]
    valid = np.fromiter((isinstance(p, str) and p != "" for p in items), dtype=bool, count=len(items))
    if not valid.any():
        return pd.Series(dtype=int)
    pairs = pd.DataFrame({"firm": np.repeat(firms, lengths)[valid],
                          "item": pd.Series(items, dtype=object)[valid].to_numpy()})
    return pairs.drop_duplicates()["item"].value_counts()


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


# --- masking ---------------------------------------------------------------------------------------


class _System:
    """Counts and the sums that tie them (``total = Σ members``), for the suppression of small cells."""

    def __init__(self) -> None:
        self.values: dict[Hashable, float] = {}
        self.hidden: set[Hashable] = set()
        self.equations: list[tuple[Hashable, list[Hashable]]] = []

    def var(self, key: Hashable, value: float, *, hidden: bool = False) -> None:
        self.values[key] = float(value)
        if hidden:
            self.hidden.add(key)

    def eq(self, total: Hashable, members: Sequence[Hashable]) -> None:
        self.equations.append((total, list(members)))

    def _determined(self, masked: set[Hashable], among: set[Hashable]) -> set[Hashable]:
        """Which of ``among`` (masked cells) the equations fix, given the published cells."""
        position = {key: i for i, key in enumerate(self.values)}
        cols = sorted(masked, key=position.__getitem__)
        index = {k: i for i, k in enumerate(cols)}
        rows = []
        for total, members in self.equations:
            row = np.zeros(len(cols))
            if total in index:
                row[index[total]] += 1.0
            for m in members:
                if m in index:
                    row[index[m]] -= 1.0
            if row.any():
                rows.append(row)
        if not rows:
            return set()
        a = np.array(rows)
        _u, s, vt = np.linalg.svd(a)
        rank = int((s > 1e-9 * max(1.0, float(s.max(initial=0.0)))).sum())
        null = vt[rank:]
        norms = np.sqrt((null ** 2).sum(axis=0)) if len(null) else np.zeros(len(cols))
        return {k for k in among if norms[index[k]] < 1e-9}

    def suppress(self, k: int) -> set[Hashable]:
        """The cells to mask: small counts and everything inside them, then enough others."""
        rank = {key: i for i, key in enumerate(self.values)}
        sensitive = {c for c, v in self.values.items() if 0 < v < k}
        inside = set(sensitive)
        changed = True
        while changed:  # every part of a small group, zeros included (those need no further protection)
            changed = False
            for total, members in self.equations:
                if total in inside:
                    new = [m for m in members if m not in inside]
                    if new:
                        inside.update(new)
                        changed = True
        masked = inside | self.hidden
        totals = {t for t, _m in self.equations}
        given_up: set[Hashable] = set()
        while True:
            exposed = self._determined(masked, sensitive - given_up) if sensitive - given_up else set()
            if not exposed:
                # a masked cell the published ones give away anyway (e.g. a zero inside a small group whose
                # column total is published) hides nothing: publish it (it changes what can be worked out in no way)
                known = self._determined(masked, masked - sensitive - self.hidden)
                return masked - self.hidden - known
            cell = min(exposed, key=rank.__getitem__)
            # the published cells linked to it through equations over masked cells
            reach, frontier, candidates = {cell}, [cell], set()
            while frontier:
                current = frontier.pop()
                for total, members in self.equations:
                    group = [total, *members]
                    if current in group:
                        for other in group:
                            if other in masked:
                                if other not in reach:
                                    reach.add(other)
                                    frontier.append(other)
                            else:
                                candidates.add(other)
            if not candidates:
                given_up.add(cell)
                continue
            ranked = sorted(candidates, key=lambda c: (c in totals, self.values[c] == 0, self.values[c], rank[c]))
            # the first (smallest) cell whose masking alone hides it, else the smallest, and go on
            masked.add(next((c for c in ranked if not self._determined(masked | {c}, {cell})), ranked[0]))


def _nones(index: pd.Index) -> pd.Series:
    return pd.Series([None] * len(index), index=index, dtype=object)


def _none_where(frame: pd.DataFrame, flags: pd.DataFrame) -> pd.DataFrame:
    values = frame.to_numpy(dtype=object, copy=True)
    values[flags.reindex(index=frame.index, columns=frame.columns, fill_value=False).to_numpy(dtype=bool)] = None
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


def _class_flags(p: Portfolio) -> tuple[pd.DataFrame, pd.DataFrame]:
    s = _System()
    keys = list(p.distribution.index)
    s.var("N", p.firms or 0)
    for name in INDICES:
        for c in keys:
            s.var((name, c), p.distribution.at[c, name])
    for ci in keys:
        for ce in keys:
            s.var(("x", ci, ce), p.cross.at[ci, ce])
    for name in INDICES:
        s.eq("N", [(name, c) for c in keys])
    for ci in keys:
        s.eq(("iip", ci), [("x", ci, ce) for ce in keys])
    for ce in keys:
        s.eq(("iep", ce), [("x", ci, ce) for ci in keys])
    hide = s.suppress(p.min_group)
    dist = pd.DataFrame({name: [(name, c) in hide for c in keys] for name in INDICES}, index=keys)
    cross = pd.DataFrame([[("x", ci, ce) in hide for ce in keys] for ci in keys], index=keys, columns=keys)
    return dist, cross


def _complement_flags(counts: pd.Series, n: int, k: int) -> pd.Series:
    """Per item counted among ``n`` firms: masked when it, or the firms without it, are 1 to k − 1."""
    out = {}
    for item, value in counts.items():
        s = _System()
        s.var("N", n)
        s.var("in", value)
        s.var("out", n - value, hidden=True)
        s.eq("N", ["in", "out"])
        out[item] = "in" in s.suppress(k)
    return pd.Series(out, dtype=bool).reindex(counts.index, fill_value=False)


def _group_flags(g: Groups, n: int, k: int) -> tuple[pd.Series, bool]:
    """Rows of ``g`` not published as such (small: merged into other; or hidden), and whether other is hidden."""
    s = _System()
    s.var("N", n)
    big = [key for key, firms in g.rows["firms"].items() if firms >= k]
    for key in big:
        s.var(("g", key), g.rows.at[key, "firms"])
    other = int(g.other["firms"]) if g.other is not None else 0
    s.var("other", other)
    s.eq("N", [*(("g", key) for key in big), "other"])
    hide = s.suppress(k)
    rows = pd.Series({key: (key not in big) or (("g", key) in hide) for key in g.rows.index}, dtype=bool)
    return rows.reindex(g.rows.index, fill_value=True), "other" in hide


def _movement_flags(p: Portfolio) -> dict[str, dict[str, Any]]:
    s = _System()
    classes = list(p.classes)
    s.var("M", p.multi or 0)
    for m in (p.supported, p.comparison):
        g = m.group
        s.var((g, "n"), m.firms or 0)
        for name in ("up", "same", "down"):
            s.var((g, name), getattr(m, name) or 0)
        for b in classes:
            s.var((g, "row", b), m.rows.get(b, 0))
            for a in classes:
                s.var((g, b, a), m.table.at[b, a])
        s.eq((g, "n"), [(g, "row", b) for b in classes])
        s.eq((g, "n"), [(g, "up"), (g, "same"), (g, "down")])
        for b in classes:
            s.eq((g, "row", b), [(g, b, a) for a in classes])
        pos = {c: i for i, c in enumerate(classes)}
        for name, test in (("up", lambda i, j: j < i), ("same", lambda i, j: j == i), ("down", lambda i, j: j > i)):
            s.eq((g, name), [(g, b, a) for b in classes for a in classes if test(pos[b], pos[a])])
    s.eq("M", [("supported", "n"), ("comparison", "n")])
    hide = s.suppress(p.min_group)
    out: dict[str, dict[str, Any]] = {"M": "M" in hide}
    for g in MOVEMENT_GROUPS:
        out[g] = {
            "firms": (g, "n") in hide, **{name: (g, name) in hide for name in ("up", "same", "down")},
            "rows": pd.Series({b: (g, "row", b) in hide for b in classes}, dtype=bool),
            "table": pd.DataFrame([[(g, b, a) in hide for a in classes] for b in classes], index=classes,
                                  columns=classes),
        }
    return out


def masked_flags(p: Portfolio) -> dict[str, Any]:
    """Which numbers of the (unmasked) portfolio ``p`` :func:`mask` hides, table by table (True = hidden).

    Keys: ``all`` (the whole portfolio: fewer than ``min_group`` firms), ``distribution``, ``cross``
    (boolean DataFrames aligned with the tables), ``activities`` and ``programmes`` (aligned
    Series / DataFrame), ``sector`` and ``region`` (a Series over the groups: True when the group is
    not published on its own row — merged into *other* or hidden — and ``sector_other`` /
    ``region_other``), ``multi``, and ``supported`` / ``comparison`` (``firms``, ``up``, ``same``,
    ``down``, ``rows``, ``table``).
    """
    if p.masked:
        return p.flags
    k, n = p.min_group, p.firms or 0
    if 0 < n < k:
        true = lambda frame: pd.DataFrame(True, index=frame.index, columns=frame.columns)  # noqa: E731
        movement = {g: {"firms": True, "up": True, "same": True, "down": True,
                        "rows": pd.Series(True, index=p.movement(g).rows.index, dtype=bool),
                        "table": true(p.movement(g).table)} for g in MOVEMENT_GROUPS}
        return {
            "all": True, "distribution": true(p.distribution), "cross": true(p.cross),
            "activities": pd.Series(True, index=p.activities.index, dtype=bool),
            "programmes": true(p.programmes),
            **{by: pd.Series(True, index=p.groups(by).rows.index, dtype=bool) for by in GROUPINGS},
            **{f"{by}_other": True for by in GROUPINGS}, "multi": True, **movement,
        }
    dist, cross = _class_flags(p)
    flags: dict[str, Any] = {"all": False, "distribution": dist, "cross": cross,
                             "activities": _complement_flags(p.activities["firms"], n, k)}
    flags["programmes"] = pd.DataFrame({col: _complement_flags(p.programmes[col], n, k) for col in ("proposed", "used")},
                                       index=p.programmes.index).astype(bool)
    for by in GROUPINGS:
        flags[by], flags[f"{by}_other"] = _group_flags(p.groups(by), n, k)
    moves = _movement_flags(p)
    flags["multi"] = moves["M"]
    flags.update({g: moves[g] for g in MOVEMENT_GROUPS})
    return flags


def _masked_order(frame: pd.DataFrame, hidden: pd.Series, by: list[str], order: Sequence[Hashable]) -> pd.DataFrame:
    """Published rows sorted by ``by`` (descending), the masked ones after them in ``order``."""
    rank = {key: i for i, key in enumerate(order)}
    shown = frame[~hidden.reindex(frame.index, fill_value=False).to_numpy()]
    shown = shown.assign(_r=[rank.get(i, len(rank)) for i in shown.index]).sort_values(
        [*by, "_r"], ascending=[False] * len(by) + [True], kind="stable").drop(columns="_r")
    rest = frame.loc[[i for i in sorted(frame.index, key=lambda i: (rank.get(i, len(rank)), str(i)))
                      if i not in set(shown.index)]]
    return pd.concat([shown, rest])


def mask(p: Portfolio) -> Portfolio:
    """``p`` as it may be shared: small groups and the cells that would give them away set to None
    (see the module's documentation); idempotent."""
    if p.masked:
        return p
    flags = masked_flags(p)
    n_hidden = flags["all"]

    def scalar(value: Any, hidden: bool) -> Any:
        return None if hidden else value

    activities = _none_where(p.activities, pd.DataFrame({"firms": flags["activities"], "share": flags["activities"]}))
    activities = _masked_order(activities, flags["activities"], ["firms"], list(p.activities.index))
    programmes = _none_where(p.programmes, flags["programmes"])
    prog_hidden = flags["programmes"].any(axis=1)
    programmes = _masked_order(programmes, prog_hidden, ["proposed", "used"], sorted(p.programmes.index, key=str))

    groups = {}
    for by in GROUPINGS:
        g = p.groups(by)
        if n_hidden:
            rows = g.rows.iloc[0:0].astype(object)
            other = None if g.other is None else _nones(g.other.index)
        else:
            big = g.rows[g.rows["firms"] >= p.min_group]
            hidden_rows = flags[by].reindex(big.index, fill_value=False)
            rows = _none_where(big, pd.DataFrame({c: hidden_rows for c in big.columns}))
            other = g.other
            if other is not None and flags[f"{by}_other"]:
                other = _nones(other.index)
        groups[by] = Groups(by, rows, other)

    moves = {}
    for gname in MOVEMENT_GROUPS:
        m, f = p.movement(gname), flags[gname]
        table = _none_where(m.table, f["table"])
        rows = pd.Series([None if f["rows"].get(b, False) else int(v) for b, v in m.rows.items()], index=m.rows.index,
                         dtype=object)
        moves[gname] = Movement(
            group=gname, firms=scalar(m.firms, f["firms"]), up=scalar(m.up, f["up"]), same=scalar(m.same, f["same"]),
            down=scalar(m.down, f["down"]), mean_delta=scalar(m.mean_delta, f["firms"]), rows=rows, table=table,
        )
    overall = p.overall.astype(object)
    if n_hidden:
        overall = _nones(p.overall.index)
    return replace(
        p, masked=True, firms=scalar(p.firms, n_hidden), assessments=scalar(p.assessments, n_hidden),
        points=p.points.iloc[0:0], overall=overall, distribution=_none_where(p.distribution, flags["distribution"]),
        cross=_none_where(p.cross, flags["cross"]), activities=activities, sector=groups["sector"],
        region=groups["region"], programmes=programmes, multi=scalar(p.multi, flags["multi"]),
        supported=moves["supported"], comparison=moves["comparison"], flags=flags,
    )


# --- shared outputs: texts ---------------------------------------------------------------------------


def _lang(lang: str) -> str:
    if lang not in LANGUAGES:
        raise PortfolioError(f"portfolio: unknown language '{lang}' (one of {', '.join(LANGUAGES)})")
    return lang


@dataclass(frozen=True)
class Names:
    """Names (classes, activities, dimensions, groups, programmes) and number formats of one language."""

    lang: str
    fws: tuple[Framework, ...]
    programme_names: Mapping[str, str]
    min_group: int

    def t(self, key: str, **values: Any) -> str:
        from innexport.rendering import i18n

        return i18n.t(key, self.lang, **values)

    def num(self, value: Any, digits: int = 2) -> str:
        from innexport.rendering import i18n

        if value is None:
            return self.t("portfolio.masked")
        return i18n.fmt(float(value), self.lang, digits)

    def count(self, value: Any) -> str:
        return self.t("portfolio.masked") if value is None else f"{int(value):,}".replace(",", "\u202f" if
                                                                                           self.lang != "en" else ",")

    def percent(self, share: Any) -> str:
        return self.t("portfolio.masked") if share is None or share != share else self.t(
            "portfolio.percent", value=self.num(100 * float(share), 0))

    def cls(self, class_id: str) -> str:
        if class_id == NO_CLASS:
            return self.t("portfolio.class.none")
        for fw in self.fws:
            for c in fw.classes:
                if c.id == class_id:
                    return c.label[self.lang]
        return class_id

    def activity(self, activity_id: str) -> str:
        for fw in self.fws:
            a = fw.activity_by_id.get(activity_id)
            if a is not None:
                return a.name[self.lang]
        return activity_id

    def dimension(self, dimension_id: str) -> str:
        for fw in self.fws:
            for d in fw.dimensions:
                if d.id == dimension_id:
                    return d.name[self.lang]
        return dimension_id

    def group(self, key: str) -> str:
        return self.t("portfolio.group.none") if key == NO_GROUP else str(key)

    def programme(self, programme_id: str) -> str:
        return self.programme_names.get(programme_id, programme_id)

    def index(self, name: str) -> str:
        return self.t(f"index.{name}")


def _filter_rows(L: Names, filters: Mapping[str, str] | None) -> list[tuple[str, str]]:
    filters = dict(filters or {})
    unknown = [k for k in filters if k not in FILTERS]
    if unknown:
        raise PortfolioError(f"portfolio: unknown filter(s) {', '.join(unknown)} (known: {', '.join(FILTERS)})")
    return [(L.t(f"portfolio.filter.{k}"), str(filters[k]) if filters.get(k) not in (None, "") else
             L.t("portfolio.filter.all")) for k in FILTERS]


def weakest_dimension(row: pd.Series, dimensions: Sequence[str]) -> str | None:
    """The dimension of ``dimensions`` with the lowest mean score in a group's ``row`` (None if none scored)."""
    scores = pd.to_numeric(row.reindex(list(dimensions)), errors="coerce").dropna()
    return None if scores.empty else str(scores.idxmin())


def _view(p: Portfolio, L: Names, filters: Mapping[str, str] | None, organisation: str,
          generated_on: dt.date) -> dict[str, Any]:
    """Everything the brief and the workbook show, as texts (masked portfolio)."""
    classes = list(p.distribution.index)
    shown_classes = [c for c in classes if c != NO_CLASS or any(v not in (0, None) for v in p.distribution.loc[c])]
    dist_rows = [{"id": c, "label": L.cls(c), "cells": [p.distribution.at[c, ix] for ix in INDICES]}
                 for c in shown_classes]
    cross_keys = [c for c in classes if c != NO_CLASS or c in shown_classes]
    cross_rows = [{"id": ci, "label": L.cls(ci), "cells": [p.cross.at[ci, ce] for ce in cross_keys]}
                  for ci in cross_keys]
    top_cross = max([v for r in cross_rows for v in r["cells"] if v is not None] or [0])
    # the plane by classes: IEP best first from the top, IIP worst first from the left (as on the chart)
    x_keys = list(reversed(p.classes))
    plane_rows = [{"id": ce, "label": L.cls(ce), "cells": [
        {"value": p.cross.at[ci, ce], "share": (p.cross.at[ci, ce] / top_cross) if p.cross.at[ci, ce] is not None
         and top_cross else None} for ci in x_keys]} for ce in p.classes]

    def group_rows(by: str) -> list[dict[str, Any]]:
        g = p.groups(by)
        rows = [{"label": L.group(key), "values": row} for key, row in g.rows.iterrows()]
        if g.other is not None:
            rows.append({"label": L.t("portfolio.group.other", k=p.min_group), "values": g.other, "other": True})
        out = []
        for r in rows:
            v = r["values"]
            firms = v.get("firms")
            weakest = weakest_dimension(v, p.dimensions) if firms is not None else None
            out.append({
                "label": r["label"], "other": r.get("other", False), "firms": firms,
                "iip": v.get("iip"), "iep": v.get("iep"), "iiep": v.get("iiep"), "gap": v.get("gap"),
                "weakest": L.dimension(weakest) if weakest else None,
                "weakest_score": v.get(weakest) if weakest else None,
                "dimensions": [v.get(d) for d in p.dimensions],
            })
        return out

    def movement(g: str) -> dict[str, Any]:
        m = p.movement(g)
        return {
            "id": g, "label": L.t(f"portfolio.movement.{g}"), "firms": m.firms, "up": m.up, "same": m.same,
            "down": m.down, "mean_delta": m.mean_delta,
            "rows": [{"label": L.cls(b), "total": m.rows.get(b), "cells": [m.table.at[b, a] for a in p.classes]}
                     for b in p.classes],
        }

    return {
        "lang": L.lang, "organisation": organisation, "generated_on": generated_on, "filters": _filter_rows(L, filters),
        "firms": p.firms, "assessments": p.assessments, "min_group": p.min_group,
        "overall": p.overall, "classes": shown_classes, "class_labels": [L.cls(c) for c in shown_classes],
        "distribution": dist_rows, "cross_keys": cross_keys, "cross_labels": [L.cls(c) for c in cross_keys],
        "cross": cross_rows, "cross_max": top_cross, "plane_columns": [L.cls(c) for c in x_keys],
        "plane_rows": plane_rows, "unclassified": p.distribution.loc[NO_CLASS, "iiep"] if NO_CLASS in p.distribution.index
        else 0, "indices": [(ix, ix.upper()) for ix in INDICES],
        "activities": [{"id": a, "label": L.activity(a), "firms": row["firms"], "share": row["share"]}
                       for a, row in p.activities.iterrows()],
        "sector": group_rows("sector"), "region": group_rows("region"),
        "dimensions": [(d, L.dimension(d)) for d in p.dimensions],
        "programmes": [{"id": pid, "label": L.programme(pid), "proposed": row["proposed"], "used": row["used"]}
                       for pid, row in p.programmes.iterrows()],
        "multi": p.multi, "movement": [movement(g) for g in MOVEMENT_GROUPS],
        "movement_classes": [L.cls(c) for c in p.classes],
    }


# --- shared outputs: XLSX --------------------------------------------------------------------------------

_SHEET_BAD = str.maketrans({c: " " for c in "[]:*?/\\"})


def xlsx_bytes(p: Portfolio, framework: Framework | Sequence[Framework], *, lang: str = "en",
               organisation: str = "", filters: Mapping[str, str] | None = None,
               programme_names: Mapping[str, str] | None = None, generated_on: dt.date | None = None) -> bytes:
    """The portfolio as an XLSX workbook, **masked**: one sheet per table, each headed by the
    organisation, the date, the filters (keys of :data:`FILTERS`) and the masking rule.

    Masked cells hold the word of ``portfolio.masked`` (e.g. “masked”); numbers are numbers.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    m = mask(p)
    L = Names(_lang(lang), tuple(_frameworks(framework)), dict(programme_names or {}), p.min_group)
    view = _view(m, L, filters, organisation, generated_on or dt.date.today())
    masked_word = L.t("portfolio.masked")
    grey = PatternFill("solid", fgColor="EEEEEE")

    wb = Workbook()
    wb.remove(wb.active)

    def sheet(key: str, heading: str):  # noqa: ANN202
        ws = wb.create_sheet(L.t(f"portfolio.sheet.{key}").translate(_SHEET_BAD)[:31])
        ws.append([heading])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append([L.t("portfolio.organisation"), organisation])
        ws.append([L.t("portfolio.generated"), view["generated_on"]])
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
        ws.append([L.t("portfolio.filters")])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        for label, value in view["filters"]:
            ws.append([label, value])
        ws.append([L.t("portfolio.masking", k=p.min_group)])
        ws.cell(ws.max_row, 1).alignment = Alignment(wrap_text=False)
        ws.append([])
        return ws

    def header(ws, cells: Sequence[str]) -> None:  # noqa: ANN001
        ws.append(list(cells))
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)

    def put(ws, values: Sequence[Any], digits: Sequence[int | None] = ()) -> None:  # noqa: ANN001
        row = []
        for v in values:
            if v is None:
                row.append(masked_word)
            elif isinstance(v, float) and v != v:
                row.append("")
            else:
                row.append(v.item() if hasattr(v, "item") else v)
        ws.append(row)
        for col, v in enumerate(values, start=1):
            cell = ws.cell(ws.max_row, col)
            if v is None:
                cell.fill = grey
            elif col - 1 < len(digits) and digits[col - 1] is not None and isinstance(cell.value, float):
                cell.number_format = "0." + "0" * digits[col - 1] if digits[col - 1] else "0"

    # summary
    ws = sheet("summary", L.t("portfolio.title"))
    header(ws, [L.t("portfolio.col.what"), L.t("portfolio.col.value")])
    put(ws, [L.t("portfolio.firms"), m.firms])
    put(ws, [L.t("portfolio.assessments"), m.assessments])
    for ix, label in view["indices"]:
        put(ws, [L.t("portfolio.mean_of", what=label), m.overall.get(ix)], [None, 3])
    put(ws, [L.t("portfolio.col.gap"), m.overall.get("gap")], [None, 3])
    put(ws, [L.t("portfolio.multi"), m.multi])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 40

    # classes
    ws = sheet("classes", L.t("portfolio.section.classes"))
    header(ws, [L.t("portfolio.col.class"), *(label for _ix, label in view["indices"])])
    for r in view["distribution"]:
        put(ws, [r["label"], *r["cells"]])
    ws.column_dimensions["A"].width = 24

    # the plane by classes
    ws = sheet("plane", L.t("portfolio.section.plane"))
    header(ws, [L.t("portfolio.col.iip_iep"), *view["cross_labels"]])
    for r in view["cross"]:
        put(ws, [r["label"], *r["cells"]])
    ws.column_dimensions["A"].width = 24

    # priorities
    ws = sheet("priorities", L.t("portfolio.section.priorities"))
    header(ws, [L.t("portfolio.col.activity"), L.t("portfolio.col.activity_id"), L.t("portfolio.col.firms"),
                L.t("portfolio.col.share")])
    for r in view["activities"]:
        put(ws, [r["label"], r["id"], r["firms"], r["share"]], [None, None, None, 3])
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 26

    # gaps by sector and region
    for by in GROUPINGS:
        ws = sheet(by, L.t(f"portfolio.section.{by}"))
        header(ws, [L.t(f"portfolio.col.{by}"), L.t("portfolio.col.firms"),
                    *(label for _ix, label in view["indices"]), L.t("portfolio.col.gap"),
                    L.t("portfolio.col.weakest"), *(label for _d, label in view["dimensions"])])
        for r in view[by]:
            put(ws, [r["label"], r["firms"], r["iip"], r["iep"], r["iiep"], r["gap"],
                     r["weakest"] if r["firms"] is not None else None, *r["dimensions"]],
                [None, None, 3, 3, 3, 3, None, *([3] * len(r["dimensions"]))])
        ws.column_dimensions["A"].width = 30

    # programmes
    ws = sheet("programmes", L.t("portfolio.section.programmes"))
    header(ws, [L.t("portfolio.col.programme"), L.t("portfolio.col.programme_id"), L.t("portfolio.col.proposed"),
                L.t("portfolio.col.used")])
    for r in view["programmes"]:
        put(ws, [r["label"], r["id"], r["proposed"], r["used"]])
    ws.column_dimensions["A"].width = 60
    ws.column_dimensions["B"].width = 26

    # movement
    ws = sheet("movement", L.t("portfolio.section.movement"))
    ws.append([L.t("portfolio.movement.intro")])
    put(ws, [L.t("portfolio.multi"), m.multi])
    for mv in view["movement"]:
        ws.append([])
        ws.append([mv["label"]])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        header(ws, [L.t("portfolio.col.firms"), L.t("portfolio.col.up"), L.t("portfolio.col.same"),
                    L.t("portfolio.col.down"), L.t("portfolio.col.mean_delta")])
        put(ws, [mv["firms"], mv["up"], mv["same"], mv["down"], mv["mean_delta"]], [None, None, None, None, 3])
        header(ws, [L.t("portfolio.col.start_latest"), *view["movement_classes"], L.t("portfolio.col.total")])
        for r in mv["rows"]:
            put(ws, [r["label"], *r["cells"], r["total"]])
    ws.column_dimensions["A"].width = 30

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- shared outputs: the PDF brief -----------------------------------------------------------------------


def brief_html(p: Portfolio, framework: Framework | Sequence[Framework], *, lang: str = "en",
               organisation: str = "", filters: Mapping[str, str] | None = None,
               programme_names: Mapping[str, str] | None = None, generated_on: dt.date | None = None,
               top: int = 10) -> str:
    """The brief of the portfolio as a standalone HTML page, **masked**, in ``lang``.

    No firm is shown on its own: the plane is the IIP × IEP class table, sectors and regions of
    fewer than ``min_group`` firms are counted together, and no firm name is used anywhere.
    """
    m = mask(p)
    L = Names(_lang(lang), tuple(_frameworks(framework)), dict(programme_names or {}), p.min_group)
    view = _view(m, L, filters, organisation, generated_on or dt.date.today())
    from innexport.rendering import report

    dated = report.Wording(L.lang).date(view["generated_on"])
    programmes = view["programmes"]
    proposed = sorted([r for r in programmes if r["proposed"]], key=lambda r: -r["proposed"])
    used = sorted([r for r in programmes if r["used"]], key=lambda r: -r["used"])
    context = {
        **view, "t": L.t, "num": L.num, "count": L.count, "percent": L.percent, "date": dated, "top": top,
        "activities": [a for a in view["activities"] if a["firms"]][:top], "proposed": proposed[:top],
        "used": used[:top], "masked_activities": sum(a["firms"] is None for a in view["activities"]),
        "masked_proposed": sum(r["proposed"] is None for r in programmes),
        "masked_used": sum(r["used"] is None for r in programmes), "generator": "innexport",
    }
    return report.environment().get_template("portfolio_brief.html.j2").render(context)


def brief_pdf(p: Portfolio, framework: Framework | Sequence[Framework], **kwargs: Any) -> bytes:
    """The brief (see :func:`brief_html`) as an A4 PDF (WeasyPrint)."""
    from innexport.rendering.report import html_to_pdf

    return html_to_pdf(brief_html(p, framework, **kwargs))
