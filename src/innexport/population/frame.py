"""The population table: one row per firm, scored with the core.

Columns, by prefix (so that any analysis finds them without a schema):

* ``firm_id`` (unique), ``weight`` (survey weight, > 0; 1 when the survey has none);
* grouping columns as the source gives them, e.g. ``country``, ``sector``, ``size`` (any other
  column not named below is kept as is: outcomes, strata…);
* ``obs.<observable id>``: answer values in [0, 1], NaN when not observed;
* ``act.<activity id>``, ``dim.<dimension id>``: scores in [0, 1];
* ``iip``, ``iep``, ``iiep``: the indices; ``class.iip``… their threshold classes (names);
  ``completeness``.

``frame.attrs`` records the framework label and content hash the scores were computed with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from innexport.core.assessment import assess
from innexport.core.framework import INDICES, Framework
from innexport.core.scoring import ScoringModel

OBS, ACT, DIM = "obs.", "act.", "dim."
CLASS = "class."
WEIGHT, FIRM_ID = "weight", "firm_id"
COMPLETENESS = "completeness"


def columns(frame: pd.DataFrame, prefix: str) -> list[str]:
    """The columns of ``frame`` that start with ``prefix`` (e.g. ``ACT``), in order."""
    return [c for c in frame.columns if c.startswith(prefix)]


def display_name(column: str, labels: Mapping[str, str] | None = None) -> str:
    """The name of a column to show: ``labels[column]``, else the id without its prefix, ``_`` as spaces.

    >>> display_name("act.net_weak_ties"), display_name("dim.ip", {"dim.ip": "IP"})
    ('net weak ties', 'IP')
    """
    if labels and column in labels:
        return str(labels[column])
    for prefix in (ACT, DIM, OBS):
        if column.startswith(prefix):
            column = column[len(prefix):]
            break
    return column.replace("_", " ")


def names_from_framework(framework: Framework, lang: str) -> dict[str, str]:
    """Display names of the ``act.*`` and ``dim.*`` columns, from the framework, in ``lang``.

    >>> from innexport.files.frameworks import load_framework
    >>> names_from_framework(load_framework("iiep"), "en")["dim.networks"]
    'Networks'
    """
    out = {DIM + d.id: d.name.get(lang) for d in framework.dimensions}
    out.update({ACT + a.id: a.name.get(lang) for a in framework.activities})
    return out


def survey_weights(frame: pd.DataFrame, weights: bool | str | Sequence[float] | np.ndarray = True) -> np.ndarray:
    """The weight of each row: the ``weight`` column (True; 1 when the frame has none), another column
    (its name), every row the same (False), or the given values; all must be positive and finite."""
    if isinstance(weights, str):
        if weights not in frame:
            raise ValueError(f"unknown weight column '{weights}'")
        w = frame[weights].to_numpy(dtype=float)
    elif isinstance(weights, (bool, np.bool_)):
        w = frame[WEIGHT].to_numpy(dtype=float) if weights and WEIGHT in frame else np.ones(len(frame))
    else:
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(frame),):
            raise ValueError(f"weights must have one value per row ({len(frame)})")
    if not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be positive and finite")
    return w


def score_population(framework: Framework, values: np.ndarray, meta: pd.DataFrame,
                     weights: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
    """The population table of ``values`` (n × the framework's observables, NaN = not observed).

    ``meta`` (n rows) holds ``firm_id`` and any grouping or outcome columns; ``weights`` the survey
    weights (default 1). Scores, classes and indices come from the core's :func:`assess`.
    """
    model = ScoringModel.from_framework(framework)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(meta), len(model.observable_ids)):
        raise ValueError(f"values must be {len(meta)} × {len(model.observable_ids)}, got {values.shape}")
    w = np.ones(len(meta)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(meta),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be one positive finite number per firm")
    pop = assess(model, values)
    s = pop.scores
    parts = [
        meta.reset_index(drop=True),
        pd.DataFrame({WEIGHT: w}),
        pd.DataFrame(values, columns=[OBS + o for o in model.observable_ids]),
        pd.DataFrame(s.activities, columns=[ACT + a for a in model.activity_ids]),
        pd.DataFrame(s.dimensions, columns=[DIM + d for d in model.dimension_ids]),
        pd.DataFrame(s.indices, columns=list(INDICES)),
        pd.DataFrame({CLASS + name: pd.Categorical.from_codes(pop.classes[:, k], categories=framework.class_ids)
                      for k, name in enumerate(INDICES)}),
        pd.DataFrame({COMPLETENESS: s.completeness}),
    ]
    frame = pd.concat(parts, axis=1)
    if FIRM_ID in frame and frame[FIRM_ID].duplicated().any():
        dupes = frame.loc[frame[FIRM_ID].duplicated(), FIRM_ID].head(5).tolist()
        raise ValueError(f"duplicated firm ids: {dupes}")
    frame.attrs.update(framework=framework.label, content_hash=framework.content_hash)
    return frame
