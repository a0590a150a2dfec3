"""Disclosure control of a support structure's portfolio: what may be shared without singling out a firm.

:func:`mask` turns an (unmasked) :class:`~innexport.portfolio.compute.Portfolio` into the one the
shared outputs (workbook, brief) show; :func:`masked_flags` says which cells it hides, so that the
organisation's own page can mark them. The rules follow the usual practice of statistical
disclosure control for frequency and magnitude tables — a *threshold rule* (minimum frequency)
for the primary cells, then *complementary (secondary) suppression* so that no hidden cell can be
worked out from the published margins — as set out in Hundepool, Domingo-Ferrer, Franconi,
Giessing, Schulte Nordholt, Spicer and de Wolf, *Statistical Disclosure Control*, Wiley 2012,
ch. 4 (tabular data: primary and secondary cell suppression) and ch. 5 (frequency tables: the
threshold rule), and in Cox, "Suppression methodology and statistical disclosure control",
*Journal of the American Statistical Association* 75 (370), 1980, pp. 377–385 (cell suppression
and the linear relations between cells). With ``k`` = ``min_group``
(:data:`~innexport.portfolio.compute.MIN_GROUP`, 5 by default):

1. a portfolio of 1 to ``k − 1`` firms is masked entirely (every count, zeros included, and every
   mean); an empty one is shown as such;
2. *primary* cells (threshold rule): every count from 1 to ``k − 1`` — a class, a cell of a cross
   or transition table, an activity's or programme's firms, a movement group and its
   up/same/down — and every mean of such a group; also the *complements* a published total gives
   away: an activity (or programme) counted for all but 1 to ``k − 1`` firms hides its count.
   Every part of a masked small group is masked too (e.g. the row of the cross table of an IIP
   class of 3 firms, zeros included), since it describes fewer than ``k`` firms — except the cells
   that the published numbers give away anyway (e.g. a zero in a column whose published cells
   already add up to its published total), which hide nothing;
3. groups of sectors and regions of fewer than ``k`` firms are not listed at all (their names
   alone could point at a firm): they are counted together in one *other* row — a *global
   recoding* of the small categories, in the handbook's words — masked in turn if it holds fewer
   than ``k`` firms;
4. *secondary* cells: a masked cell must not be computable from the published numbers through
   the tables' sums (a class count = the firms − the other classes; a row of the cross table = its
   IIP class count; up + same + down = the group …). Every such sum is an equation; while some
   primary cell is determined by the equations and the published cells (checked exactly, by the
   null space of the equations restricted to the masked cells), a published cell linked to it is
   masked as well: the smallest one whose masking alone hides it, else the smallest (a count that
   is not itself a total first, non-zero first), and so on. This is complementary suppression
   solved greedily (as the hypercube heuristics of τ-ARGUS are): it may hide a little more than
   the least needed.

Masked cells become ``None`` — primary and secondary alike, and shown the same way, since telling
them apart would narrow the primary ones down. What masking does not cover: bounds (a masked cell
lies between 0 and the published total of its line; no protection interval is enforced), and
differences between two shared outputs made with different filters (disclosure by
*differencing* of overlapping tables). Published zeros stay: an empty class describes no firm.

>>> import datetime as dt, pandas as pd
>>> from innexport.files.frameworks import load_framework
>>> from innexport.portfolio.compute import FRAME_COLUMNS, portfolio
>>> rows = [{**dict.fromkeys(FRAME_COLUMNS), "firm": i, "assessed_on": dt.date(2025, 1, 1), "iip": v,
...          "iep": v, "iiep": v, "class_iip": c, "class_iep": c, "class_iiep": c, "sector": "s", "region": "r"}
...         for i, (v, c) in enumerate([(0.7, "proactive")] * 6 + [(0.5, "preactive")] * 2 + [(0.1, "passive")] * 7)]
>>> mask(portfolio(pd.DataFrame(rows), load_framework("iiep"))).distribution["iiep"].tolist()
[None, None, 0, 7]

(2 preactive firms are a small group; the 6 proactive ones are hidden too, else 15 − 7 − 6 = 2.)
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.portfolio.compute import GROUPINGS, MOVEMENT_GROUPS, Groups, Movement, Portfolio

__all__ = ["mask", "masked_flags"]



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


def _movement_flags(p: Portfolio) -> dict[str, Any]:
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
    out: dict[str, Any] = {"M": "M" in hide}
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
        def true(frame: pd.DataFrame) -> pd.DataFrame:
            return pd.DataFrame(True, index=frame.index, columns=frame.columns)

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
    flags["programmes"] = pd.DataFrame({col: _complement_flags(p.programmes[col], n, k)
                                        for col in ("proposed", "used")},
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
