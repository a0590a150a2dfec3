"""PROMETHEE II ranking and GAIA plane of an organisation's firms, or of any table of firms.

What this module decides: which firms and which criteria go into PROMETHEE II and GAIA, and with
which weights. The method itself (flows, the O(n log n) algorithm, the plane, the decision stick) is
:mod:`innexport.core.promethee` (Brans & Vincke 1985; Brans & Mareschal 2005).

* :func:`portfolio_gaia` — the portfolio: each firm's **latest** diagnostic (the largest
  ``assessed_on``, then the largest ``assessment`` id when given, else the later row: the rule of
  :func:`innexport.portfolio.compute.portfolio`), the criteria are the dimension scores of the
  first framework (maximised), the weights its dimension weights
  (:meth:`innexport.core.framework.Framework.dimension_weights`). A firm lacking a score of one of
  these dimensions is left out (listed in ``left_out``): PROMETHEE compares complete profiles.
* :func:`table_gaia` — any table with one row per firm and score columns (a population's scored
  table, for instance: criteria = its dimension or activity score columns), with given weights
  (equal by default). Rows lacking a score are left out likewise.

* :func:`shareable` — the result as a masked portfolio shows it (:mod:`innexport.portfolio.disclosure`,
  rule 1: nothing when fewer than ``min_group`` firms are ranked; the caller shows firms by their
  opaque id only, never their names).

Both return a :class:`GaiaResult` (pandas tables: firms with net flow, rank and plane coordinates;
criteria with weight and axis; the decision stick; delta).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from innexport.core.framework import Framework
from innexport.core.promethee import Preference, Ranking, rank_alternatives
from innexport.portfolio.compute import PortfolioError, chronological, frameworks, json_values, last_of_each


@dataclass(frozen=True)
class GaiaResult:
    """PROMETHEE II and GAIA of a set of firms.

    ``firms``: index the firm, columns ``net_flow`` (−1…1), ``rank`` (1 = best; ties share the best
    rank), ``x``, ``y`` (GAIA plane); ``criteria``: index the criterion, columns ``weight``
    (normalised), ``x``, ``y`` (its axis); ``stick``: the decision stick (x, y); ``delta``: the share
    of information the plane keeps; ``left_out``: firms without a complete profile."""

    firms: pd.DataFrame
    criteria: pd.DataFrame
    stick: tuple[float, float]
    delta: float
    left_out: tuple[object, ...]


def table_gaia(table: pd.DataFrame, criteria: Sequence[str], weights: npt.ArrayLike | None = None, *,
               functions: Preference | Sequence[Preference] | None = None) -> GaiaResult:
    """PROMETHEE II and GAIA of the rows of ``table`` (index: the firm) on the ``criteria`` columns.

    ``weights``: one per criterion (normalised; default equal); ``functions``: the preference
    function(s) (default usual). Raises :class:`PortfolioError` naming a missing column, or when
    fewer than 2 rows have every score.

    >>> t = pd.DataFrame({"a": [4, 3, 5], "b": [3, 2, 1], "c": [2, 4, 3]}, index=["f1", "f2", "f3"])
    >>> r = table_gaia(t, ["a", "b", "c"], [0.5, 0.3, 0.2])
    >>> r.firms["net_flow"].round(12).tolist(), r.firms["rank"].tolist()
    ([0.1, -0.3, 0.2], [2, 3, 1])
    """
    missing = [c for c in criteria if c not in table.columns]
    if missing:
        raise PortfolioError(f"gaia: the table has no column {', '.join(map(str, missing))}")
    try:
        values = table[list(criteria)].apply(pd.to_numeric, errors="coerce").astype(float)
    except (TypeError, ValueError) as exc:
        raise PortfolioError(f"gaia: a criterion column holds something that is not a number ({exc})") from None
    try:
        r = rank_alternatives(values.to_numpy(), np.ones(len(criteria)) if weights is None else weights, functions)
    except ValueError as exc:
        raise PortfolioError(f"gaia ({', '.join(criteria)}): {exc}") from None
    return result(r, values.index, criteria)


def result(r: Ranking, index: pd.Index, criteria: Sequence[str]) -> GaiaResult:
    """The tables of a :class:`~innexport.core.promethee.Ranking` of the rows ``index``."""
    firms = pd.DataFrame({"net_flow": r.net_flow, "rank": r.rank, "x": r.plane.firms[:, 0],
                          "y": r.plane.firms[:, 1]}, index=index[r.kept])
    crit = pd.DataFrame({"weight": r.weights, "x": r.plane.criteria[:, 0], "y": r.plane.criteria[:, 1]},
                        index=pd.Index(list(criteria), name="criterion"))
    return GaiaResult(firms=firms, criteria=crit, stick=(float(r.plane.stick[0]), float(r.plane.stick[1])),
                      delta=r.plane.delta, left_out=tuple(index[~r.kept]))


def latest_scores(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per firm (index ``firm``): its latest diagnostic's dimension scores, one column each.

    >>> f = pd.DataFrame({"firm": [1, 1], "assessed_on": ["2025-01-01", "2025-03-01"],
    ...                   "dimension_scores": ['{"a": 1}', {"a": 2, "b": 3}]})
    >>> latest_scores(f).to_dict("index")
    {1: {'a': 2.0, 'b': 3.0}}
    """
    need = [c for c in ("firm", "assessed_on", "dimension_scores") if c not in frame.columns]
    if need:
        raise PortfolioError(f"gaia: the frame has no column {', '.join(need)}")
    _, order, codes = chronological(frame, "gaia")
    last = last_of_each(codes)
    rows = order[last]
    scores = [d if isinstance(d, dict) else {} for d in json_values(frame["dimension_scores"].take(rows).tolist(),
                                                                    "dimension_scores")]
    out = pd.DataFrame.from_records(scores, nrows=len(scores)) if scores else pd.DataFrame()
    out = out.apply(pd.to_numeric, errors="coerce").astype(float)
    out.index = pd.Index(frame["firm"].to_numpy()[rows], name="firm")
    return out


def portfolio_gaia(frame: pd.DataFrame, framework: Framework | Sequence[Framework], *,
                   functions: Preference | Sequence[Preference] | None = None) -> GaiaResult:
    """PROMETHEE II and GAIA of an organisation's firms (their latest diagnostics in ``frame``).

    ``frame``: the portfolio frame (:data:`innexport.portfolio.compute.FRAME_COLUMNS`; only
    ``firm``, ``assessed_on``, ``dimension_scores`` and the optional ``assessment`` are read).
    Criteria: the first framework's dimensions, weighted by its dimension weights.
    """
    fw = frameworks(framework)[0]
    dims = [d.id for d in fw.dimensions]
    table = latest_scores(frame).reindex(columns=dims)
    return table_gaia(table, dims, fw.dimension_weights(), functions=functions)


def shareable(result: GaiaResult, min_group: int) -> GaiaResult | None:
    """``result`` as a masked portfolio may show it: None when fewer than ``min_group`` firms are
    ranked (the disclosure rule 1 of :mod:`innexport.portfolio.disclosure`: every figure of such a
    portfolio is hidden, the plane's axes and ``delta`` included, since they describe those few
    firms), else unchanged (its firms are indexed by opaque ids; names are the caller's to withhold).

    >>> t = pd.DataFrame({"a": [4, 3, 5], "b": [3, 2, 1]}, index=[11, 12, 13])
    >>> shareable(table_gaia(t, ["a", "b"]), 5) is None, len(shareable(table_gaia(t, ["a", "b"]), 3).firms)
    (True, 3)
    """
    return None if len(result.firms) < min_group else result
