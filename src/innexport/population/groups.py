"""Groups of respondents side by side: which rows form each group, and the reliability of a scale in each.

:func:`select_groups` decides, for any analysis by group, which rows belong to which group: the
groups are the values of one column (``by``), named by :func:`~innexport.population.items.value_label`
(``1.0`` is group ``1``), in the order asked for (``groups``) or else sorted (numerically for a
numeric column); rows without a value are left out and counted, and so are the rows of the groups
not asked for. A group asked for that no row has is refused, naming it and the groups there are.

:func:`grouped_reliability` is :func:`~innexport.population.reliability.reliability_report` run on
each group's rows: Cronbach's alpha with its Feldt interval, the item statistics, KMO and Bartlett
(and an EFA if asked). Each group is exactly the ungrouped analysis of its subset, with one
exception that keeps the groups comparable: reversed items are reversed with the *same* range in
every group (``scale_range``, by default the range observed over the whole table, as the ungrouped
analysis would take), so that item and scale means are on one scale. The rules on what is too
small to analyse (at least :data:`~innexport.population.items.MIN_CASES` rows, no constant item…)
are those of :mod:`innexport.population.items`, applied to each group: a group that breaks one gets
an entry saying why it has no figure (``error``) and the other groups are still reported; only
when no group can be analysed is the whole analysis refused, naming each group and its reason.

Comparing reliability across groups in this way (each group's alpha with its own interval) follows
Feldt, Woodruff & Salih (1987), *Statistical inference for coefficient alpha*, Applied Psychological
Measurement 11(1); that the scale means the same thing in every group is a separate question,
measurement invariance (:mod:`innexport.population.invariance`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from innexport.population.efa import Method, Rotation
from innexport.population.items import (
    Missing,
    ReliabilityError,
    check_items,
    factorize_labels,
    observed_range,
    select_items,
    value_label,
)
from innexport.population.reliability import reliability_report

__all__ = ["GroupError", "GroupSelection", "grouped_reliability", "select_groups"]

#: Groups named in a refusal or in the notes before "… (N in all)" or "(and N more …)": messages stay short.
GROUPS_LISTED = 12


class GroupError(ReliabilityError):
    """The groups cannot be formed: unknown group column, a group asked for that no row has."""


@dataclass(frozen=True)
class GroupSelection:
    """The rows of each group (:func:`select_groups`).

    ``labels``: the groups in order; ``masks``: one boolean array over the rows per group;
    ``n_missing``: rows without a value of ``by``; ``n_not_selected``: rows of groups not asked for.
    """

    by: str
    labels: tuple[str, ...]
    masks: tuple[np.ndarray, ...]
    n_missing: int
    n_not_selected: int

    def sizes(self) -> dict[str, int]:
        """The number of rows of each group, in order."""
        return {label: int(mask.sum()) for label, mask in zip(self.labels, self.masks, strict=True)}


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _listed(labels: Sequence[str]) -> str:
    shown = ", ".join(labels[:GROUPS_LISTED])
    return f"{shown} … ({len(labels)} in all)" if len(labels) > GROUPS_LISTED else shown


def select_groups(frame: pd.DataFrame, by: str, groups: Iterable[object] | None = None) -> GroupSelection:
    """The groups of ``frame`` by the column ``by``: all of them sorted, or ``groups`` in that order.

    Groups are matched by their label (:func:`~innexport.population.items.value_label`), so ``"2"``
    and ``2`` both name the group of the value 2.0.

    >>> frame = pd.DataFrame({"country": ["FR", "CL", None, "AR", "CL"]})
    >>> sel = select_groups(frame, "country")
    >>> sel.labels, sel.sizes(), sel.n_missing
    (('AR', 'CL', 'FR'), {'AR': 1, 'CL': 2, 'FR': 1}, 1)
    >>> sel = select_groups(frame, "country", ["FR", "CL"])
    >>> sel.labels, sel.n_not_selected
    (('FR', 'CL'), 1)
    >>> select_groups(frame, "country", ["FR", "ES"])
    Traceback (most recent call last):
    ...
    innexport.population.groups.GroupError: no row has country = ES; the groups are AR, CL, FR
    """
    if by not in frame.columns:
        raise GroupError(f"no column {by!r} to group by")
    codes, labels = factorize_labels(frame[by])
    if groups is None:
        column = frame[by]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            first = np.unique(codes[codes >= 0], return_index=True)[1]
            values = column.to_numpy()[np.flatnonzero(codes >= 0)[first]]
            order = [int(i) for i in np.argsort(values.astype(float), kind="stable")]
        else:
            order = sorted(range(len(labels)), key=lambda i: labels[i])
    else:
        wanted = list(dict.fromkeys(value_label(g) for g in groups))
        if not wanted:
            raise GroupError("no group given")
        index = {label: i for i, label in enumerate(labels)}
        absent = [g for g in wanted if g not in index]
        if absent:
            raise GroupError(f"no row has {by} = {', '.join(absent)}; the groups are {_listed(sorted(labels))}")
        order = [index[g] for g in wanted]
    masks = tuple(codes == i for i in order)
    n_missing = int((codes < 0).sum())
    n_selected = int(sum(int(m.sum()) for m in masks))
    return GroupSelection(by=by, labels=tuple(labels[i] for i in order), masks=masks, n_missing=n_missing,
                          n_not_selected=len(frame) - n_missing - n_selected)


def grouped_reliability(frame: pd.DataFrame, items: Sequence[str], by: str, groups: Iterable[object] | None = None,
                        reverse: Iterable[str] = (), *, scale_range: tuple[float, float] | None = None,
                        missing: Missing = "listwise", weights: str | None = None, confidence: float = 0.95,
                        n_factors: int | None = None, rotation: Rotation | None = "oblimin",
                        method: Method = "minres", unit: str = "row") -> dict[str, Any]:
    """The reliability report of each group (see the module's docstring): a JSON-able dict.

    ``groups`` (a list, one entry per group in order) holds ``group`` (its label), ``n_rows`` and
    ``error`` (None, or why the group has no figure), and, when ``error`` is None, every key of
    :func:`~innexport.population.reliability.reliability_report`. ``missing_group`` counts the rows
    without a group, ``not_selected`` the rows of groups not asked for; ``notes`` says which groups
    have no figure and why. ``weights`` names a column of ``frame``. ``unit`` names what a row is in
    the notes (``"respondent"`` for a table pivoted from the long format).

    >>> rng = np.random.default_rng(0)
    >>> true = rng.normal(size=60)
    >>> frame = pd.DataFrame({f"q{j}": true + rng.normal(size=60) for j in range(3)})
    >>> frame["country"] = ["FR"] * 30 + ["CL"] * 28 + ["AR"] * 2
    >>> result = grouped_reliability(frame, ["q0", "q1", "q2"], "country", ["FR", "CL", "AR"])
    >>> [(g["group"], g["n_rows"], g["error"]) for g in result["groups"]]
    [('FR', 30, None), ('CL', 28, None), ('AR', 2, 'at least 3 complete cases are needed, got 2')]
    >>> alone = reliability_report(frame[frame.country == "FR"], ["q0", "q1", "q2"])
    >>> result["groups"][0]["alpha"] == alone["alpha"]
    True
    """
    selected = select_items(frame, items)
    check_items(selected)
    names = [str(c) for c in selected.columns]
    reverse = tuple(dict.fromkeys(reverse))
    unknown = [r for r in reverse if r not in names]
    if unknown:
        raise ReliabilityError(f"reversed items not among the items: {', '.join(map(str, unknown))}")
    if weights is not None and weights not in frame.columns:
        raise ReliabilityError(f"unknown weight column: {weights}")
    if reverse and scale_range is None:
        scale_range = observed_range(selected)
    selection = select_groups(frame, by, groups)
    entries: list[dict[str, Any]] = []
    for label, mask in zip(selection.labels, selection.masks, strict=True):
        entry: dict[str, Any] = {"group": label, "n_rows": int(mask.sum()), "error": None}
        try:
            entry.update(reliability_report(
                frame.loc[mask], names, reverse, scale_range=scale_range, missing=missing, weights=weights,
                confidence=confidence, n_factors=n_factors, rotation=rotation, method=method, efa_failure="note"))
        except ReliabilityError as exc:
            entry["error"] = str(exc)
        entries.append(entry)
    failed = [e for e in entries if e["error"] is not None]
    more = f" (and {len(failed) - GROUPS_LISTED} more groups without figure)" if len(failed) > GROUPS_LISTED else ""
    if len(failed) == len(entries):
        reasons = "; ".join(f"group {e['group']} ({_count(e['n_rows'], unit)}): {e['error']}"
                            for e in failed[:GROUPS_LISTED])
        raise ReliabilityError(f"no group of {by} can be analysed: {reasons}{more}")
    notes = [f"group {e['group']} of {by} ({_count(e['n_rows'], unit)}) has no figure: {e['error']}"
             for e in failed[:GROUPS_LISTED]]
    if more:
        notes.append(more.strip(" ()").capitalize() + ": see their entries")
    if selection.n_missing:
        notes.append(f"{_count(selection.n_missing, unit)} without a value of {by} left out")
    return {
        "by": by,
        "items": names,
        "reversed": list(reverse),
        "scale_range": list(scale_range) if scale_range is not None else None,
        "groups": entries,
        "missing_group": selection.n_missing,
        "not_selected": selection.n_not_selected,
        "unit": unit,
        "notes": notes,
    }
