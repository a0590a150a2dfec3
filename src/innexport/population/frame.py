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

from innexport.core.framework import INDICES, Framework
from innexport.core.pipeline import diagnose_population
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


INFORMED_SHARE = 0.5
"""A column informs an analysis of the population when at least this share of its firms has a value."""


def informed(frame: pd.DataFrame, prefix: str = ACT, min_share: float = INFORMED_SHARE) -> list[str]:
    """The ``prefix`` columns (activity scores by default) that at least ``min_share`` of the firms inform.

    >>> informed(pd.DataFrame({"act.a": [0.5, None, 1.0], "act.b": [None, None, 0.2], "x": [1, 2, 3]}))
    ['act.a']
    """
    if len(frame) == 0:
        return []
    return [c for c in columns(frame, prefix) if frame[c].notna().mean() >= min_share]


def stamped_framework(frame: pd.DataFrame) -> Framework | None:
    """The framework a population table was scored with, from its stamp (``frame.attrs``), or None without one.

    The label (``iiep 1.1.0 + wine 1.1.0``) names the built-in framework and modules; the framework
    loaded must have the stamp's content hash, else ValueError (the table was scored with another
    version: the dimensions read from today's framework could differ).

    >>> from innexport.files.frameworks import load_framework
    >>> fw = load_framework("iiep", ["wine"])
    >>> table = pd.DataFrame({"firm_id": ["a"]})
    >>> table.attrs.update(framework=fw.label, content_hash=fw.content_hash)
    >>> stamped_framework(table).label
    'iiep 1.1.0 + wine 1.1.0'
    """
    from innexport.core.framework import FrameworkError
    from innexport.files.frameworks import load_framework

    label = frame.attrs.get("framework")
    if not label:
        return None
    parts = [part.split() for part in str(label).split(" + ")]
    if any(len(part) != 2 for part in parts):
        raise ValueError(f"the table's framework stamp '{label}' is not 'id version [+ module version …]'")
    try:
        framework = load_framework(parts[0][0], [part[0] for part in parts[1:]])
    except FrameworkError as exc:
        raise ValueError(f"the table's framework '{label}' is not a built-in one: {exc}") from None
    stamped = frame.attrs.get("content_hash")
    if (stamped and stamped != framework.content_hash) or framework.label != label:
        raise ValueError(f"the table was scored with {label} ({stamped}); this innexport ships "
                         f"{framework.label} ({framework.content_hash}): re-import the survey")
    return framework


def dimension_columns(frame: pd.DataFrame, framework: Framework, prefix: str = OBS,
                      min_share: float = INFORMED_SHARE) -> dict[str, list[str]]:
    """Each dimension's informed columns, its answers (``obs.*``, by default) or its activities' scores (``act.*``).

    Keyed by the dimension's column (``dim.<id>``), in the framework's order; dimensions without
    any informed column are left out.

    >>> from innexport.files.frameworks import load_framework
    >>> table = pd.DataFrame({"act.net_weak_ties": [0.5, 1.0], "act.net_strong_ties": [None, None]})
    >>> dimension_columns(table, load_framework("iiep"), ACT)
    {'dim.networks': ['act.net_weak_ties']}
    """
    present = set(informed(frame, prefix, min_share))
    out: dict[str, list[str]] = {}
    for dimension in framework.dimensions:
        if prefix == ACT:
            ids = [a.id for a in dimension.activities]
        else:
            ids = [o.id for a in dimension.activities for o in a.observables]
        cols = [prefix + i for i in ids if prefix + i in present]
        if cols:
            out[DIM + dimension.id] = cols
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
    weights (default 1). Scores, classes and indices come from the core
    (:func:`~innexport.core.pipeline.diagnose_population`, the same values as :func:`assess`).
    """
    model = ScoringModel.from_framework(framework)
    values = np.asarray(values, dtype=float)
    if values.shape != (len(meta), len(model.observable_ids)):
        raise ValueError(f"values must be {len(meta)} × {len(model.observable_ids)}, got {values.shape}")
    w = np.ones(len(meta)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(meta),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
        raise ValueError("weights must be one positive finite number per firm")
    # the scores and classes only (no FlowSort, no priorities: the table has no column for them),
    # computed exactly as assess() computes them
    pop = diagnose_population(model, values, scores="all", flows="none", top_k=0, dtype=np.float64)
    parts = [
        meta.reset_index(drop=True),
        pd.DataFrame({WEIGHT: w}),
        pd.DataFrame(values, columns=[OBS + o for o in model.observable_ids]),
        pd.DataFrame(pop.activities, columns=[ACT + a for a in model.activity_ids]),
        pd.DataFrame(pop.dimensions, columns=[DIM + d for d in model.dimension_ids]),
        pd.DataFrame(pop.indices, columns=list(INDICES)),
        pd.DataFrame({CLASS + name: pd.Categorical.from_codes(pop.classes[:, k], categories=framework.class_ids)
                      for k, name in enumerate(INDICES)}),
        pd.DataFrame({COMPLETENESS: pop.completeness}),
    ]
    frame = pd.concat(parts, axis=1)
    if FIRM_ID in frame and frame[FIRM_ID].duplicated().any():
        dupes = frame.loc[frame[FIRM_ID].duplicated(), FIRM_ID].head(5).tolist()
        raise ValueError(f"duplicated firm ids: {dupes}")
    frame.attrs.update(framework=framework.label, content_hash=framework.content_hash)
    return frame
