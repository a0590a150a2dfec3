"""PROMETHEE II ranking and GAIA plane of a scored population (one table, or each group of it).

What this module decides: for a population's scored table (one row per firm, ``firm_id`` and the
``dim.<id>`` score columns of :mod:`innexport.population.frame`), the criteria are the
framework's dimensions (maximised) that the population informs
(:func:`innexport.population.frame.informed`: a survey mapped onto part of the framework, such as
the World Management Survey, leaves some dimensions without scores; they are left out and
listed), the weights the framework's dimension weights of those dimensions
(:meth:`innexport.core.framework.Framework.dimension_weights`, renormalised), and with ``by`` the firms are
compared within each group only. Survey weights are not used: PROMETHEE compares the firms
observed, pair by pair. A firm lacking a dimension score is left out (listed). The method is
:mod:`innexport.core.promethee` (Brans & Vincke 1985; Brans & Mareschal 2005; docs/method.md,
"PROMETHEE II and GAIA"); the same for a portfolio is :mod:`innexport.portfolio.gaia`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from innexport.core.framework import Framework
from innexport.core.promethee import Preference, rank_alternatives
from innexport.population.frame import DIM, FIRM_ID, informed


@dataclass(frozen=True)
class PopulationGaia:
    """PROMETHEE II and GAIA of one group of firms (``group``: its values of ``by``, () for all).

    ``firms``: index ``firm_id``, columns ``net_flow``, ``rank`` (1 = best), ``x``, ``y``;
    ``criteria``: index the dimension, columns ``weight``, ``x``, ``y``; ``stick``: the decision
    stick; ``delta``: the share of information the plane keeps; ``left_out``: firms without every
    score; ``uninformed``: the framework's dimensions the population does not inform."""

    group: tuple[object, ...]
    firms: pd.DataFrame
    criteria: pd.DataFrame
    stick: tuple[float, float]
    delta: float
    left_out: tuple[object, ...]
    uninformed: tuple[str, ...] = ()


def population_gaia(frame: pd.DataFrame, framework: Framework, *, by: Sequence[str] = (),
                    functions: Preference | Sequence[Preference] | None = None) -> list[PopulationGaia]:
    """PROMETHEE II and GAIA of the firms of ``frame``, in one table or per group of ``by`` columns.

    Raises :class:`ValueError` naming a missing column, or a group with fewer than 2 complete firms.

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep")
    >>> scores = {f"dim.{d.id}": [0.2, 0.5, 0.8] for d in fw.dimensions}
    >>> [r.firms["rank"].tolist() for r in population_gaia(pd.DataFrame({"firm_id": [1, 2, 3], **scores}), fw)]
    [[3, 2, 1]]
    """
    missing = [c for c in (FIRM_ID, *by) if c not in frame.columns]
    if missing:
        raise ValueError(f"population gaia: the table has no column {', '.join(missing)}")
    present = set(informed(frame, DIM))
    kept = [k for k, d in enumerate(framework.dimensions) if DIM + d.id in present]
    if len(kept) < 2:
        raise ValueError(f"population gaia: the table informs {len(kept)} of the framework's dimensions "
                         "(dim.* columns with a score for at least half of the firms); 2 are needed")
    criteria = [DIM + framework.dimensions[k].id for k in kept]
    uninformed = tuple(d.id for d in framework.dimensions if DIM + d.id not in present)
    weights = framework.dimension_weights()[kept]
    groups = [((), frame)] if not by else [
        (key if isinstance(key, tuple) else (key,), part)
        for key, part in frame.groupby(list(by), sort=True, dropna=False)]
    out = []
    for key, part in groups:
        values = part[criteria].apply(pd.to_numeric, errors="coerce").astype(float)
        where = f" ({', '.join(f'{b}={v}' for b, v in zip(by, key, strict=True))})" if by else ""
        try:
            r = rank_alternatives(values.to_numpy(), weights, functions)
        except ValueError as exc:
            raise ValueError(f"population gaia{where}: {exc}") from None
        ids = pd.Index(part[FIRM_ID].to_numpy(), name=FIRM_ID)
        out.append(PopulationGaia(
            group=key,
            firms=pd.DataFrame({"net_flow": r.net_flow, "rank": r.rank, "x": r.plane.firms[:, 0],
                                "y": r.plane.firms[:, 1]}, index=ids[r.kept]),
            criteria=pd.DataFrame({"weight": r.weights, "x": r.plane.criteria[:, 0], "y": r.plane.criteria[:, 1]},
                                  index=pd.Index([c[len(DIM):] for c in criteria], name="dimension")),
            stick=(float(r.plane.stick[0]), float(r.plane.stick[1])), delta=r.plane.delta,
            left_out=tuple(ids[~r.kept]), uninformed=uninformed))
    return out
