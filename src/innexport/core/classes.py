"""Attitude classes by thresholds on an index, and the innovation × export profile quadrant.

The classes are Godet's attitudes as used by ERPI: proactive (≥ 0.61), preactive (≥ 0.41),
reactive (≥ 0.29) and passive, the thresholds being the framework's (best class first).
"""

from __future__ import annotations

import numpy as np

from innexport.core.framework import Framework

ROUNDING = 9
"""Index values are rounded to this many decimals before comparison, so 0.61 shown is 0.61 used."""


def thresholds(framework: Framework) -> np.ndarray:
    """Lower bounds of the classes, best class first (the last one is 0)."""
    return np.array([c.threshold for c in framework.classes])


def profiles(framework: Framework) -> np.ndarray:
    """Central profile value of each class for FlowSort, best class first."""
    return np.array([c.profile for c in framework.classes])


def classify(values: np.ndarray, lower_bounds: np.ndarray) -> np.ndarray:
    """Class index (0 = best) of each value by thresholds; -1 for NaN. Works on any shape."""
    values = np.round(np.asarray(values, dtype=float), ROUNDING)
    cls = np.zeros(values.shape, dtype=np.intp)
    for bound in np.asarray(lower_bounds)[:-1]:  # one pass per bound: below it, one class lower
        cls += values < bound
    return np.where(np.isnan(values), -1, cls)


QUADRANTS: tuple[str, ...] = ("innovative_exporter", "exporter_not_innovating", "innovator_not_exporting", "neither")
"""Profiles on the innovation × export plane, named by which index reaches the cut."""


def quadrant(iip: np.ndarray, iep: np.ndarray, cut: float) -> np.ndarray:
    """Quadrant index into :data:`QUADRANTS` (or -1 when an index is missing).

    ``cut`` is the lower bound of the preactive class by default: a firm at or above it on an
    index has an active attitude on that side.
    """
    iip = np.round(np.asarray(iip, dtype=float), ROUNDING)
    iep = np.round(np.asarray(iep, dtype=float), ROUNDING)
    inn, exp = iip >= cut, iep >= cut
    q = np.select([inn & exp, exp & ~inn, inn & ~exp], [0, 1, 2], default=3)
    return np.where(np.isnan(iip) | np.isnan(iep), -1, q)


def quadrant_cut(framework: Framework) -> float:
    """The cut of the quadrant: the lower bound of the preactive class."""
    return framework.classes[1].threshold
