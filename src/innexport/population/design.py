"""Survey designs: strata, primary sampling units, finite-population corrections, and design-based variances.

A survey of firms is rarely a simple random sample: firms are drawn within *strata* (sector ×
size × region), sometimes in *clusters* (primary sampling units, PSUs: districts, business
parks), without replacement from a finite list (the *finite-population correction*). The
variance of an estimate depends on that design. This module decides how it is computed, as R's
``survey`` package does (Lumley 2004, *J. Stat. Software* 9(8); Lumley 2010, *Complex Surveys*,
Wiley, ch. 2-3), for a single-stage design ``svydesign(ids=~psu, strata=~stratum, fpc=~fpc,
weights=~w)``:

* **Taylor linearisation** (Binder 1983; Wolter 2007, ch. 6). Every estimate is a smooth function
  of weighted totals; its variance is that of the total of its *influence values* ``z_i``
  (already multiplied by the weight): a total ``Σ w y`` has ``z = w·y``, a mean (a ratio
  ``Σ w y / Σ w``) has ``z = w·(y - mean) / Σ w``, a regression's coefficients have
  ``z = H⁻¹ w·s_i`` (``s_i`` the score, ``H`` the information: the sandwich of ``svyglm``);
* the **variance of a total** of ``z`` under a stratified single-stage design, sampling PSUs with
  replacement or without (``svyrecvar``, one stage)::

      V = Σ_h (1 - f_h) · n_h / (n_h - 1) · Σ_j (z_hj - z̄_h)(z_hj - z̄_h)'

  with ``z_hj`` the total of ``z`` over PSU j of stratum h, ``z̄_h`` their mean over the ``n_h``
  PSUs of the stratum, ``f_h = n_h / N_h`` the sampling fraction of PSUs (0 without ``fpc``:
  with replacement). A stratum sampled whole (``f_h = 1``) adds nothing. Without ``psu`` every
  row is its own PSU; without strata there is one stratum. PSU ids are read *within* their
  stratum (the same id in two strata names two PSUs: R's ``nest=TRUE``, Stata's rule);
* **finite-population corrections**: the ``fpc`` column holds, per stratum, either the number of
  PSUs in the population (every value ≥ 1) or the sampling fraction (every value ≤ 1), as R
  reads it; it must be constant within a stratum and not smaller than the PSUs sampled there.
  Without weights, they are ``N_h / n_h`` (R's default when only ``fpc`` is given);
* **domains** (groups, subpopulations, firms with a value): the influence values are zero outside
  the domain and the variance is computed over the *whole* design, never by dropping the other
  rows — R's ``svyby`` and ``subset(design, …)``. Two domains' estimates are correlated (they
  share strata and PSUs); :meth:`SurveyDesign.total_cov` gives their covariance;
* **degrees of freedom** for intervals and tests: the number of PSUs minus the number of strata
  (R's ``degf``), for every domain of the design;
* **lonely PSUs** (a stratum with one PSU has no variance estimate), R's
  ``options(survey.lonely.psu=…)``: ``"fail"`` (R's default, and ours: refused when the design is
  built, naming the stratum), ``"remove"`` and ``"certainty"`` (the stratum adds no variance),
  ``"adjust"`` (its PSU is centred on the mean of all PSU totals instead of its stratum's mean,
  with no ``n/(n-1)`` factor) or ``"average"`` (the other strata's variance scaled by
  ``#strata / #strata with two PSUs or more``). A stratum sampled whole by its ``fpc`` is never
  lonely. Checked against the ``lonely.psu`` test of the survey package (``tests/test_design.py``).

A design with weights only (no strata, PSU nor fpc) is :attr:`SurveyDesign.simple`: the population
analyses then keep their own formulas (the with-replacement linearisation, Kish's effective
sample size); for the overall mean both give the same standard error.

Computation is vectorised: PSU totals by one stable sort and ``np.add.reduceat``, strata by the
same on the PSU totals; no Python loop over rows, PSUs or strata.

>>> import pandas as pd
>>> frame = pd.DataFrame({"x": [2.8, 4.1, 6.8, 6.8, 9.2, 3.7, 6.6, 4.2], "stratum": [1] * 5 + [2] * 3,
...                       "psu": [1, 2, 3, 4, 5, 1, 2, 3], "w": [3.0] * 5 + [4.0] * 3, "N": [15] * 5 + [12] * 3})
>>> d = SurveyDesign.from_frame(frame, weights="w", strata="stratum", psu="psu", fpc="N")
>>> est = d.mean(frame["x"])                  # R: svymean(~x, withfpc) = 5.4481, SE 0.616
>>> round(float(est.estimate[0]), 4), round(float(est.se[0]), 3), d.df
(5.4481, 0.616, 6)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from innexport.population.frame import WEIGHT

__all__ = ["LONELY_PSU", "DesignError", "Estimates", "LonelyPSU", "SurveyDesign"]

LonelyPSU = Literal["fail", "remove", "certainty", "adjust", "average"]
LONELY_PSU: tuple[str, ...] = ("fail", "remove", "certainty", "adjust", "average")
"""What a stratum with a single PSU does (R's ``survey.lonely.psu``); ``"fail"`` is the default."""

_CENSUS = 1e-7
"""A stratum whose ``1 - f_h`` is below this is sampled whole (R's test): it adds no variance."""


class DesignError(ValueError):
    """The design cannot be built: the message names the column (and the stratum or row)."""


class Estimates(NamedTuple):
    """Estimates of several variables (or domains) with their design-based standard errors."""

    estimate: np.ndarray
    se: np.ndarray
    influence: np.ndarray
    """The influence values (n × p, zero outside each domain): their design covariance
    (:meth:`SurveyDesign.total_cov`) is the estimates' covariance."""


def _codes(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Integer codes 0..k-1 of the values in sorted order when they sort, else in order of appearance."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
    except TypeError:  # values of several types (e.g. numbers and text) do not sort
        codes, uniques = pd.factorize(values)
    return np.asarray(codes, dtype=np.int64), list(uniques)


@dataclass(frozen=True, eq=False)
class SurveyDesign:
    """A single-stage survey design over the rows of a frame (see the module for the method).

    Build it with :meth:`from_frame` (columns) or :meth:`from_arrays`; pass it as ``design=`` to
    :func:`innexport.population.describe.describe`, :func:`innexport.population.compare.compare_groups`
    and :func:`innexport.population.impact.impact`. Its rows are the frame's rows, by position.
    """

    weights: np.ndarray
    """Sampling weight of each row (positive, finite)."""
    psu: np.ndarray
    """PSU of each row: codes 0..G-1, the PSUs of a stratum consecutive."""
    psu_stratum: np.ndarray
    """Stratum (0..H-1) of each PSU, non-decreasing."""
    n_psu: np.ndarray
    """PSUs sampled in each stratum (n_h)."""
    fpc_factor: np.ndarray
    """``1 - f_h`` per stratum (1 without fpc)."""
    strata_labels: tuple[object, ...]
    """Each stratum's value in its column (for messages)."""
    lonely_psu: str = "fail"
    columns: tuple[tuple[str, str], ...] = ()
    """The frame's columns the design was read from: (role, column), role in weights/strata/psu/fpc."""

    # ---------------------------------------------------------------------------------- building
    @classmethod
    def from_frame(cls, frame: pd.DataFrame, weights: bool | str = True, strata: str | None = None,
                   psu: str | None = None, fpc: str | None = None, lonely_psu: str = "fail") -> SurveyDesign:
        """The design of ``frame`` from its columns (R: ``svydesign(ids=~psu, strata=~strata, fpc=~fpc, weights=~w)``).

        ``weights``: a column's name; ``True`` for the population table's ``weight`` column (1 when
        absent, or ``N_h / n_h`` from ``fpc``); ``False`` for none (1, or ``N_h / n_h``). Refusals
        (:class:`DesignError`) name the column: unknown, missing values, weights not positive, an
        fpc not constant in a stratum, smaller than the PSUs sampled, a lonely PSU under ``"fail"``.

        >>> frame = pd.DataFrame({"y": [1.0, 2, 3, 5], "region": ["N", "N", "S", "S"], "w": [1.0, 1, 2, 2]})
        >>> SurveyDesign.from_frame(frame, weights="w", strata="region").df
        2
        >>> SurveyDesign.from_frame(frame, weights="size")
        Traceback (most recent call last):
        ...
        innexport.population.design.DesignError: no column 'size' (--weight) in the table
        """
        named = {"weights": weights if isinstance(weights, str) else None, "strata": strata, "psu": psu, "fpc": fpc}
        for role, col in named.items():
            if col is not None and col not in frame.columns:
                option = "weight" if role == "weights" else role.replace("_", "-")
                raise DesignError(f"no column {col!r} (--{option}) in the table")
        if isinstance(weights, str):
            w: np.ndarray | None = _numeric(frame[weights], weights, "weights")
        elif weights is True and WEIGHT in frame.columns:
            w, named["weights"] = _numeric(frame[WEIGHT], WEIGHT, "weights"), WEIGHT
        else:
            w = None
        design = cls.from_arrays(
            w, strata=None if strata is None else frame[strata], psu=None if psu is None else frame[psu],
            fpc=None if fpc is None else _numeric(frame[fpc], fpc, "fpc"), lonely_psu=lonely_psu,
            names={k: v for k, v in named.items() if v is not None}, n=len(frame))
        return design

    @classmethod
    def from_arrays(cls, weights: Sequence[float] | np.ndarray | None, strata: Sequence[object] | pd.Series | None = None,
                    psu: Sequence[object] | pd.Series | None = None, fpc: Sequence[float] | np.ndarray | None = None,
                    lonely_psu: str = "fail", names: dict[str, str] | None = None, n: int | None = None) -> SurveyDesign:
        """The design from one value per row of each part (``None``: absent); ``names`` name the columns in messages.

        >>> SurveyDesign.from_arrays([1.0, 2.0, 2.0], strata=["a", "b", "b"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        innexport.population.design.DesignError: stratum 'a' of strata has only one primary sampling unit (lonely PSU); ...
        >>> SurveyDesign.from_arrays([1.0, 2.0, 2.0], strata=["a", "b", "b"], lonely_psu="remove").n_psu.tolist()
        [1, 2]
        """
        label = {"weights": "weights", "strata": "strata", "psu": "psu", "fpc": "fpc", **(names or {})}
        if lonely_psu not in LONELY_PSU:
            raise DesignError(f"lonely PSU option must be one of {', '.join(LONELY_PSU)}, not {lonely_psu!r}")
        lengths = {len(v) for v in (weights, strata, psu, fpc) if v is not None}
        if n is not None:
            lengths.add(n)
        if len(lengths) > 1:
            raise DesignError(f"the design's parts have different lengths: {sorted(lengths)}")
        rows = lengths.pop() if lengths else 0
        if rows == 0:
            raise DesignError("the design has no rows")
        # strata and PSUs (PSU ids read within their stratum)
        s_labels: list[object]
        if strata is None:
            s_codes, s_labels = np.zeros(rows, dtype=np.int64), ["all"]
        else:
            s_series = pd.Series(np.asarray(strata, dtype=object) if not isinstance(strata, pd.Series) else strata)
            _no_missing(s_series, label["strata"])
            s_codes, s_labels = _codes(s_series.reset_index(drop=True))
        if psu is None:
            p_key = np.arange(rows, dtype=np.int64)
        else:
            p_series = pd.Series(np.asarray(psu, dtype=object) if not isinstance(psu, pd.Series) else psu)
            _no_missing(p_series, label["psu"])
            p_key = _codes(p_series.reset_index(drop=True))[0]
        pair = s_codes * (int(p_key.max()) + 1) + p_key
        uniq, psu_codes = np.unique(pair, return_inverse=True)
        psu_stratum = uniq // (int(p_key.max()) + 1)
        n_psu = np.bincount(psu_stratum, minlength=len(s_labels))
        # weights
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            _positive(w, label["weights"])
        else:
            w = None
        # finite-population correction, per stratum
        factor = np.ones(len(s_labels))
        if fpc is not None:
            values = np.asarray(fpc, dtype=float)
            bad = ~np.isfinite(values) | (values <= 0)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DesignError(f"{label['fpc']}: {int(bad.sum())} row(s) without a positive number "
                                  f"(first: row {row + 1}, {values[row]!r})")
            first = np.full(len(s_labels), np.nan)
            first[s_codes[::-1]] = values[::-1]  # the first row's value of each stratum
            varies = values != first[s_codes]
            if varies.any():
                h = int(s_codes[np.flatnonzero(varies)[0]])
                raise DesignError(f"{label['fpc']} is not constant within stratum {s_labels[h]!r}: "
                                  f"{first[h]:g} and {values[np.flatnonzero(varies)[0]]:g}")
            if np.all(values <= 1):
                population = n_psu / first
            elif np.all(values >= 1):
                population = first
            else:
                raise DesignError(f"{label['fpc']}: give either population sizes (all ≥ 1) or sampling "
                                  f"fractions (all ≤ 1), not both (values from {values.min():g} to {values.max():g})")
            short = population < n_psu - 1e-9
            if short.any():
                h = int(np.flatnonzero(short)[0])
                what = "primary sampling units" if psu is not None else "rows"
                raise DesignError(f"{label['fpc']}: stratum {s_labels[h]!r} has {n_psu[h]} sampled {what} "
                                  f"but a population of {population[h]:g}: the fpc is smaller than the sample")
            factor = (population - n_psu) / population
            if w is None:
                w = (population / n_psu)[s_codes]
        if w is None:
            w = np.ones(rows)
        lonely = (n_psu == 1) & (factor >= _CENSUS)
        if lonely_psu == "fail" and lonely.any():
            h = int(np.flatnonzero(lonely)[0])
            more = f" (and {int(lonely.sum()) - 1} more)" if lonely.sum() > 1 else ""
            raise DesignError(f"stratum {s_labels[h]!r} of {label['strata']} has only one primary sampling "
                              f"unit (lonely PSU){more}; choose lonely_psu (--lonely-psu) 'remove', 'certainty', 'adjust' or "
                              "'average' (R's survey.lonely.psu), or merge the stratum with another")
        columns = tuple((k, v) for k, v in (names or {}).items())
        return cls(w, psu_codes.astype(np.int64), psu_stratum.astype(np.int64), n_psu, factor, tuple(s_labels),
                   lonely_psu, columns)

    # ---------------------------------------------------------------------------------- facts
    def __len__(self) -> int:
        return len(self.weights)

    @property
    def n_strata(self) -> int:
        return len(self.n_psu)

    @property
    def n_psus(self) -> int:
        return len(self.psu_stratum)

    @property
    def df(self) -> int:
        """Degrees of freedom for intervals and tests: PSUs minus strata (R's ``degf``)."""
        return self.n_psus - self.n_strata

    @property
    def simple(self) -> bool:
        """Weights only: every row its own PSU, one stratum, no fpc."""
        return self.n_strata == 1 and self.n_psus == len(self) and bool(np.all(self.fpc_factor == 1.0))

    def describe(self) -> str:
        """One line for reports and JSON, e.g. ``"3 strata (stype), 200 PSUs, fpc (fpc); 197 df"``.

        >>> SurveyDesign.from_arrays([1.0, 1.0, 2.0, 2.0], strata=["a", "a", "b", "b"]).describe()
        '2 strata (strata), 4 PSUs (one per row); 2 df'
        """
        roles = dict(self.columns)
        parts = [f"{self.n_strata} strat{'um' if self.n_strata == 1 else 'a'}"
                 + (f" ({roles.get('strata', 'strata')})" if self.n_strata > 1 or "strata" in roles else "")]
        parts.append(f"{self.n_psus} PSUs" + (f" ({roles['psu']})" if "psu" in roles else " (one per row)"))
        if np.any(self.fpc_factor != 1.0):
            parts.append("fpc" + (f" ({roles['fpc']})" if "fpc" in roles else ""))
        text = ", ".join(parts) + f"; {self.df} df"
        if "weights" in roles:
            text = f"weights {roles['weights']}, " + text
        return text

    def to_dict(self) -> dict[str, object]:
        """The design's columns and sizes, for JSON output."""
        return {**dict(self.columns), "strata_count": self.n_strata, "psu_count": self.n_psus, "df": self.df,
                "lonely_psu": self.lonely_psu}

    # ---------------------------------------------------------------------------------- variances
    @cached_property
    def _indicator(self) -> Any:
        """The sparse G × n matrix summing rows into their PSU (None when every row is its own PSU, in order)."""
        from scipy import sparse

        if self.n_psus == len(self) and bool(np.all(self.psu == np.arange(len(self)))):
            return None
        n = len(self)
        return sparse.csr_matrix((np.ones(n), (self.psu, np.arange(n))), shape=(self.n_psus, n))

    def _psu_totals(self, z: np.ndarray) -> np.ndarray:
        """Totals of the rows of ``z`` (n × p) by PSU (G × p): one sparse product, no copy of ``z``."""
        indicator = self._indicator
        return z if indicator is None else np.asarray(indicator @ z)

    def _deviations(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """PSU totals minus their stratum's mean (or the grand mean for an adjusted lonely PSU), and each PSU's factor."""
        totals = self._psu_totals(z)
        starts = np.r_[0, np.cumsum(self.n_psu)[:-1]]
        mean_h = np.add.reduceat(totals, starts, axis=0) / self.n_psu[:, None]
        n_h = self.n_psu.astype(float)
        scale_h = self.fpc_factor * np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
        lonely = (self.n_psu == 1) & (self.fpc_factor >= _CENSUS)
        census = self.fpc_factor < _CENSUS
        if self.lonely_psu == "adjust" and lonely.any():
            mean_h[lonely] = totals.sum(axis=0) / self.n_psus
        elif lonely.any():  # remove, certainty: nothing; average: nothing here, rescaled below
            scale_h = np.where(lonely, 0.0, scale_h)
        scale_h = np.where(census, 0.0, scale_h)
        dev = totals - mean_h[self.psu_stratum]
        return dev, scale_h[self.psu_stratum]

    def _average_factor(self) -> float:
        lonely = (self.n_psu == 1) & (self.fpc_factor >= _CENSUS)
        if self.lonely_psu != "average" or not lonely.any():
            return 1.0
        return self.n_strata / (self.n_strata - int(lonely.sum()))

    def total_cov(self, z: np.ndarray | Sequence[float]) -> np.ndarray:
        """Design covariance (p × p) of the totals of the influence values ``z`` (n, or n × p).

        >>> d = SurveyDesign.from_arrays([1.0] * 4)   # four rows drawn with replacement
        >>> float(d.total_cov([1.0, 2.0, 3.0, 6.0])[0, 0])   # 4/3 · Σ (z - 3)² = 4/3 · 14
        18.666666666666664
        """
        zz = self._matrix(z)
        dev, scale = self._deviations(zz)
        return (dev * scale[:, None]).T @ dev * self._average_factor()

    def total_var(self, z: np.ndarray | Sequence[float]) -> np.ndarray:
        """The diagonal of :meth:`total_cov`, without the p × p matrix (p variances)."""
        zz = self._matrix(z)
        dev, scale = self._deviations(zz)
        return np.asarray(scale @ (dev * dev), dtype=float) * self._average_factor()

    def _matrix(self, z: np.ndarray | Sequence[float]) -> np.ndarray:
        zz = np.asarray(z, dtype=float)
        if zz.ndim == 1:
            zz = zz[:, None]
        if zz.shape[0] != len(self):
            raise ValueError(f"the design has {len(self)} rows, the values {zz.shape[0]}")
        return zz

    # ---------------------------------------------------------------------------------- estimates
    def ratio(self, numerator: np.ndarray | pd.Series | pd.DataFrame, denominator: np.ndarray | pd.Series | pd.DataFrame,
              domain: np.ndarray | pd.Series | None = None) -> Estimates:
        """``Σ w y / Σ w x`` for each column, within ``domain`` (R: ``svyratio``), with linearised SEs.

        A row missing ``y`` or ``x`` is out of that column's domain (R's ``na.rm=TRUE``).

        >>> d = SurveyDesign.from_arrays([1.0, 1.0, 1.0, 1.0])
        >>> r = d.ratio(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 2.0, 2.0]))
        >>> float(r.estimate[0])
        1.6666666666666667
        """
        y, x = self._columns(numerator), self._columns(denominator)
        if x.shape[1] == 1 and y.shape[1] > 1:
            x = np.repeat(x, y.shape[1], axis=1)
        inside = ~np.isnan(y) & ~np.isnan(x)
        if domain is not None:
            inside &= np.asarray(domain, dtype=bool)[:, None]
        wz = np.where(inside, self.weights[:, None], 0.0)
        y0, x0 = np.where(inside, y, 0.0), np.where(inside, x, 0.0)
        top, bottom = (wz * y0).sum(axis=0), (wz * x0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = top / bottom
            z = wz * (y0 - est * x0) / bottom
        z = np.where(np.isfinite(z), z, 0.0)
        se = np.sqrt(np.maximum(self.total_var(z), 0.0))
        se = np.where(bottom > 0, se, np.nan)
        return Estimates(est, se, z)

    def mean(self, values: np.ndarray | pd.Series | pd.DataFrame, domain: np.ndarray | pd.Series | None = None) -> Estimates:
        """Weighted mean of each column within ``domain`` (R: ``svymean``, ``svyby(…, svymean)``).

        >>> d = SurveyDesign.from_arrays([1.0, 1.0, 2.0], psu=[1, 1, 2])
        >>> m = d.mean(np.array([1.0, 3.0, 5.0]))
        >>> float(m.estimate[0]), round(float(m.se[0]), 4)   # totals of z by PSU: -1, 1 → 2/1 · 2 / 16
        (3.5, 1.5)
        """
        y = self._columns(values)
        inside = ~np.isnan(y)
        if domain is not None:
            inside &= np.asarray(domain, dtype=bool)[:, None]
        wz = inside * self.weights[:, None]  # the weight inside each column's domain, 0 outside
        y0 = np.where(inside, y, 0.0)
        total_w = wz.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.einsum("ij,ij->j", wz, y0) / total_w
            scale = np.where(total_w > 0, 1.0 / total_w, 0.0)
        z = y0
        z -= np.where(total_w > 0, est, 0.0)
        z *= wz
        z *= scale
        se = np.sqrt(np.maximum(self.total_var(z), 0.0))
        return Estimates(est, np.where(total_w > 0, se, np.nan), z)

    def total(self, values: np.ndarray | pd.Series | pd.DataFrame, domain: np.ndarray | pd.Series | None = None) -> Estimates:
        """Weighted total of each column within ``domain`` (R: ``svytotal(…, na.rm=TRUE)``).

        >>> d = SurveyDesign.from_arrays([10.0, 10.0], fpc=[20, 20])   # two firms of twenty
        >>> t = d.total(np.array([1.0, 3.0]))
        >>> float(t.estimate[0]), float(t.se[0]) ** 2   # (1 - 2/20) · 2/1 · (10² + 10²)
        (40.0, 360.0)
        """
        y = self._columns(values)
        inside = ~np.isnan(y)
        if domain is not None:
            inside &= np.asarray(domain, dtype=bool)[:, None]
        z = np.where(inside, y, 0.0)
        z *= self.weights[:, None]
        return Estimates(z.sum(axis=0), np.sqrt(np.maximum(self.total_var(z), 0.0)), z)

    def _columns(self, values: np.ndarray | pd.Series | pd.DataFrame) -> np.ndarray:
        if isinstance(values, (pd.Series, pd.DataFrame)):
            arr = values.apply(pd.to_numeric, errors="coerce") if isinstance(values, pd.DataFrame) \
                else pd.to_numeric(values, errors="coerce")
            out = np.asarray(arr.to_numpy(dtype=float, na_value=np.nan), dtype=float)
        else:
            out = np.asarray(values, dtype=float)
        out = out[:, None] if out.ndim == 1 else out
        if out.shape[0] != len(self):
            raise ValueError(f"the design has {len(self)} rows, the values {out.shape[0]}")
        return out


def _numeric(column: pd.Series, name: str, role: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DesignError(f"{name} ({role}): {int(missing.sum())} row(s) without a number "
                          f"(first: row {row + 1}, {column.iloc[row]!r})")
    return values


def _positive(w: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DesignError(f"{name}: weights must be positive and finite; {int(bad.sum())} row(s) are not "
                          f"(first: row {row + 1}, {w[row]:g})")


def _no_missing(values: pd.Series, name: str) -> None:
    missing = values.isna().to_numpy()
    if missing.any():
        raise DesignError(f"{name}: {int(missing.sum())} row(s) without a value "
                          f"(first: row {int(np.flatnonzero(missing)[0]) + 1}); every row needs one")
