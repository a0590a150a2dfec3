"""Maps of the population: firms and activities on a plane (weighted PCA, CA and MCA).

The research behind the diagnostic placed innovation and export practices on a 2-D map ("data
spatialization", Enjolras, Camargo & Schmitt 2016) to isolate their common space. This module
computes the same kind of maps from survey data (they are drawn by :mod:`innexport.rendering.maps`):

* :func:`pca_map` — principal component analysis of the firms' capability profiles (activity
  scores by default): each firm is a point, each activity an arrow (its correlation with the two
  axes: the *correlation circle*), so a firm is seen among its peers and the activities that
  separate firms are read off the arrows;
* :func:`correspondence_map` — correspondence analysis: simple CA of a contingency table, or
  multiple correspondence analysis (MCA) of categorical answers (one column per question), for
  survey answers that are categories rather than scores.

Choices made here (documented, not taken from the ERPI sources):

* **Weights**: survey weights are row masses everywhere (PCA, MCA, and the typology of
  :mod:`innexport.population.typology`, which clusters in the same standardised space).
* **Missing values** (:func:`standardise`, used by the PCA and the typology): replaced by the
  column's weighted mean of the observed values, then columns are standardised with the weighted
  mean and the weighted (divisor Σw) standard deviation computed after imputation. An imputed
  value therefore sits at 0 on its standardised axis: it neither attracts nor repels the firm.
  This slightly shrinks the variance of columns with many gaps; ``notes`` of the result tells how
  many values were imputed. Columns with no value or no variation are left out (and named in
  ``notes``).
* **Weighted PCA** is the SVD of ``diag(sqrt(p)) · Z`` (``p`` the normalised weights, ``Z`` the
  standardised matrix): the squared singular values are the eigenvalues of the weighted
  correlation matrix (they sum to the number of columns), firm coordinates are ``Z · V`` and the
  arrows ``V · sqrt(λ)`` are the correlations of each column with each component. Signs are
  normalised so that the loadings of each component sum to a positive number (the first axis
  then reads "more capable" to the right).
* **CA** follows Greenacre (2007, *Correspondence Analysis in Practice*): SVD of the standardised
  residuals ``D_r^-1/2 (P - r cᵀ) D_c^-1/2``; principal inertias are the squared singular values,
  rows and columns in principal coordinates (the symmetric map). **MCA** is the CA of the indicator
  matrix, computed through the (weighted) Burt matrix, with Greenacre's adjusted inertias for the
  explained percentages; a missing answer is a category of its own (``question=NA``). Axis signs:
  the column point farthest from the origin is on the positive side.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from innexport.population.frame import ACT, DIM, FIRM_ID, OBS, display_name, survey_weights
from innexport.population.frame import columns as prefixed

__all__ = ["MapResult", "Standardised", "correspondence_map", "pca_map", "row_index", "standardise"]


def row_index(frame: pd.DataFrame) -> pd.Index:
    """The rows' labels: the ``firm_id`` column when there is one, else the frame's index."""
    return pd.Index(frame[FIRM_ID], name=FIRM_ID) if FIRM_ID in frame else frame.index


def _meta(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Everything but the answers and scores: group columns, weight, indices, classes… (for colouring)."""
    keep = [c for c in frame.columns if not c.startswith((OBS, ACT, DIM)) and c != FIRM_ID]
    meta = frame[keep].copy()
    meta.index = index
    return meta


@dataclass(frozen=True)
class Standardised:
    """The standardised matrix ``z`` of ``columns`` (those kept), their weighted means and SDs, and notes."""

    z: np.ndarray
    columns: list[str]
    mean: np.ndarray
    sd: np.ndarray
    notes: list[str]


def standardise(frame: pd.DataFrame, columns: Sequence[str], w: np.ndarray) -> Standardised:
    """Weighted-mean imputation, then weighted standardisation (see the module docstring).

    >>> st = standardise(pd.DataFrame({"a": [0.0, 1.0, None], "b": [1.0, 0.0, 0.0]}), ["a", "b"], np.ones(3))
    >>> st.z[:, 0].round(3).tolist(), st.notes
    ([-1.225, 1.225, 0.0], ["1 missing value replaced by the column's weighted mean"])
    """
    notes: list[str] = []
    x = frame[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    seen = ~np.isnan(x)
    wseen = w @ seen
    empty = wseen <= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (w @ np.where(seen, x, 0.0)) / wseen
    imputed = int((~seen[:, ~empty]).sum())
    x = np.where(seen, x, mean)
    p = w / w.sum()
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(p @ (x - mean) ** 2)
    flat = ~empty & ~(sd > 1e-12 * np.maximum(1.0, np.abs(mean)))
    keep = ~empty & ~flat
    cols = [c for c, k in zip(columns, keep, strict=True) if k]
    if empty.any():
        notes.append("left out, no value: " + ", ".join(c for c, e in zip(columns, empty, strict=True) if e))
    if flat.any():
        notes.append("left out, no variation: " + ", ".join(c for c, f in zip(columns, flat, strict=True) if f))
    if imputed:
        notes.append(f"{imputed} missing value{'s' if imputed > 1 else ''} replaced by the column's weighted mean")
    if len(cols) < 2:
        raise ValueError("a map needs at least two columns that vary")
    z = (x[:, keep] - mean[keep]) / sd[keep]
    return Standardised(z, cols, mean[keep], sd[keep], notes)


# --- the map ----------------------------------------------------------------------------------------


@dataclass(eq=False)
class MapResult:
    """A 2-D (or more) map: coordinates of rows and columns, and the inertia of each axis.

    * ``kind``: ``"pca"``, ``"ca"`` or ``"mca"``;
    * ``rows``: coordinates of the rows (firms; the row categories of a CA), columns ``dim1``…;
    * ``columns``: PCA — the correlation of each variable with each component (the arrows of the
      correlation circle); CA/MCA — the column (category) principal coordinates;
    * ``eigenvalues``: every principal inertia (PCA: the variance of each component); ``explained``
      their shares; for MCA ``adjusted`` holds Greenacre's adjusted inertias and ``explained`` is
      based on them;
    * ``row_meta``: per-row information to colour the points by (group columns, weight, indices…);
    * ``labels``: display names of the columns; ``notes``: what was left out or imputed.
    """

    kind: str
    rows: pd.DataFrame
    columns: pd.DataFrame
    eigenvalues: np.ndarray
    row_meta: pd.DataFrame | None = None
    labels: dict[str, str] = field(default_factory=dict)
    row_mass: np.ndarray | None = None
    column_mass: np.ndarray | None = None
    adjusted: np.ndarray | None = None
    adjusted_total: float = 0.0
    notes: list[str] = field(default_factory=list)
    center: np.ndarray | None = field(default=None, repr=False)
    scale: np.ndarray | None = field(default=None, repr=False)
    axes: np.ndarray | None = field(default=None, repr=False)

    @property
    def total_inertia(self) -> float:
        return float(np.sum(self.eigenvalues))

    @property
    def explained(self) -> np.ndarray:
        """Share of the inertia of each axis (MCA: Greenacre's adjusted shares)."""
        if self.adjusted is not None:
            total = self.adjusted_total
            return self.adjusted / total if total > 0 else self.adjusted * np.nan
        return self.eigenvalues / self.total_inertia

    def axis_label(self, k: int) -> str:
        name = "PC" if self.kind == "pca" else "Dim "
        share = self.explained[k] if k < len(self.explained) else math.nan
        extra = " adjusted" if self.adjusted is not None else ""
        return f"{name}{k + 1} ({share * 100:.1f}%{extra})" if share == share else f"{name}{k + 1}"

    def project(self, values: pd.DataFrame | pd.Series | Mapping[str, float]) -> pd.DataFrame:
        """PCA: coordinates of firms not in the map (supplementary rows); missing values at the mean."""
        if self.kind != "pca" or self.axes is None:
            raise NotImplementedError("projection of new rows is available for PCA maps")
        cols = list(self.columns.index)
        data = pd.DataFrame([values]) if not isinstance(values, pd.DataFrame) else values
        x = np.column_stack([pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float) if c in data
                             else np.full(len(data), np.nan) for c in cols])
        z = (x - self.center) / self.scale
        z = np.where(np.isnan(z), 0.0, z)
        index = pd.Index(data[FIRM_ID]) if FIRM_ID in data else data.index
        return pd.DataFrame(z @ self.axes, index=index, columns=self.rows.columns)


def _dims(k: int) -> list[str]:
    return [f"dim{i + 1}" for i in range(k)]


def pca_map(frame: pd.DataFrame, columns: Sequence[str] | None = None, weights: bool | str | np.ndarray = True,
            n_components: int = 2, labels: Mapping[str, str] | None = None) -> MapResult:
    """Weighted PCA of ``columns`` (default: the activity scores ``act.*``); see the module docstring."""
    cols = prefixed(frame, ACT) if columns is None else list(columns)
    if len(frame) < 3:
        raise ValueError("a map needs at least three firms")
    w = survey_weights(frame, weights)
    st = standardise(frame, cols, w)
    p = w / w.sum()
    _, s, vt = np.linalg.svd(np.sqrt(p)[:, None] * st.z, full_matrices=False)
    eig = s**2
    v = vt.T
    for k in range(v.shape[1]):
        total = v[:, k].sum()
        sign = np.sign(total) if abs(total) > 1e-9 else np.sign(v[np.argmax(np.abs(v[:, k])), k])
        v[:, k] *= sign or 1.0
    nc = min(n_components, len(eig))
    axes = v[:, :nc]
    index = row_index(frame)
    rows = pd.DataFrame(st.z @ axes, index=index, columns=_dims(nc))
    corr = pd.DataFrame(axes * s[:nc], index=pd.Index(st.columns, name="column"), columns=_dims(nc))
    names = {c: display_name(c, labels) for c in st.columns}
    return MapResult("pca", rows, corr, eig, row_meta=_meta(frame, index), labels=names, row_mass=p,
                     notes=st.notes, center=st.mean, scale=st.sd, axes=axes)


def _axis_signs(col_coords: np.ndarray) -> np.ndarray:
    """+1/-1 per axis so that the column point farthest from the origin on that axis is positive."""
    idx = np.argmax(np.abs(col_coords), axis=0)
    signs = np.sign(col_coords[idx, np.arange(col_coords.shape[1])])
    return np.where(signs == 0, 1.0, signs)


def _simple_ca(table: pd.DataFrame, n_components: int) -> MapResult:
    n = table.to_numpy(dtype=float)
    if np.any(n < 0) or not np.all(np.isfinite(n)):
        raise ValueError("a contingency table holds non-negative counts")
    keep_r, keep_c = n.sum(axis=1) > 0, n.sum(axis=0) > 0
    notes = []
    if not keep_r.all() or not keep_c.all():
        notes.append("left out, empty: " + ", ".join(map(str, [*table.index[~keep_r], *table.columns[~keep_c]])))
    n, table = n[keep_r][:, keep_c], table.loc[keep_r, keep_c]
    if min(n.shape) < 2:
        raise ValueError("correspondence analysis needs at least two rows and two columns")
    pmat = n / n.sum()
    r, c = pmat.sum(axis=1), pmat.sum(axis=0)
    resid = (pmat - np.outer(r, c)) / np.sqrt(np.outer(r, c))
    u, s, vt = np.linalg.svd(resid, full_matrices=False)
    rank = min(n.shape) - 1
    u, s, v = u[:, :rank], s[:rank], vt[:rank].T
    signs = _axis_signs(v / np.sqrt(c)[:, None])
    u, v = u * signs, v * signs
    nc = min(n_components, rank)
    f = (u[:, :nc] * s[:nc]) / np.sqrt(r)[:, None]
    g = (v[:, :nc] * s[:nc]) / np.sqrt(c)[:, None]
    rows = pd.DataFrame(f, index=table.index.astype(str), columns=_dims(nc))
    cols = pd.DataFrame(g, index=table.columns.astype(str), columns=_dims(nc))
    return MapResult("ca", rows, cols, s**2, labels={str(k): str(k) for k in table.columns}, row_mass=r,
                     column_mass=c, notes=notes)


def _indicator(answers: pd.DataFrame) -> tuple[np.ndarray, list[str], int]:
    """The indicator (dummy) matrix of categorical answers, a missing answer being a category."""
    blocks, names = [], []
    for col in answers.columns:
        values = answers[col].astype(object).where(answers[col].notna(), "NA").astype(str)
        cats = sorted(pd.unique(values), key=lambda v: (v == "NA", v))
        codes = pd.Categorical(values, categories=cats).codes
        block = np.zeros((len(answers), len(cats)))
        block[np.arange(len(answers)), codes] = 1.0
        blocks.append(block)
        names += [f"{col}={cat}" for cat in cats]
    return np.hstack(blocks), names, len(answers.columns)


def _mca(answers: pd.DataFrame, weights: np.ndarray | None, n_components: int) -> MapResult:
    if answers.shape[1] < 2:
        raise ValueError("multiple correspondence analysis needs at least two questions")
    z, names, q = _indicator(answers)
    w = np.ones(len(answers)) if weights is None else np.asarray(weights, dtype=float)
    total = w.sum()
    c = (w @ z) / (q * total)  # column masses
    burt = (z * w[:, None]).T @ z / (q * q * total)  # = Pᵀ D_r⁻¹ P of the weighted indicator matrix
    s2 = (burt - np.outer(c, c)) / np.sqrt(np.outer(c, c))
    eig, vec = np.linalg.eigh(s2)
    order = np.argsort(eig)[::-1]
    eig, vec = np.clip(eig[order], 0.0, None), vec[:, order]
    rank = int(min(z.shape[1] - q, np.sum(eig > 1e-12)))
    lam, vec = eig[:rank], vec[:, :rank]  # principal inertias of the indicator matrix = σ², σ the singular values
    sigma = np.sqrt(lam)
    gamma = vec / np.sqrt(c)[:, None]  # column standard coordinates
    signs = _axis_signs(gamma)
    gamma = gamma * signs
    nc = min(n_components, rank)
    g = gamma[:, :nc] * sigma[:nc]
    f = (z / q) @ gamma[:, :nc]  # rows: transition formula, profile × column standard coordinates
    above = lam > 1 / q + 1e-12
    adj = np.where(above, (q / (q - 1)) ** 2 * (lam - 1 / q) ** 2, 0.0)
    adj_total = q / (q - 1) * (np.sum(lam**2) - (z.shape[1] - q) / q**2)
    rows = pd.DataFrame(f, index=answers.index, columns=_dims(nc))
    cols = pd.DataFrame(g, index=pd.Index(names, name="category"), columns=_dims(nc))
    return MapResult("mca", rows, cols, lam, labels={nm: nm for nm in names}, row_mass=w / total, column_mass=c,
                     adjusted=adj[: max(nc, int(above.sum()))], adjusted_total=float(adj_total))


def correspondence_map(table: pd.DataFrame, kind: str = "mca", weights: Sequence[float] | np.ndarray | None = None,
                       n_components: int = 2) -> MapResult:
    """Correspondence analysis.

    ``kind="mca"`` (default): ``table`` holds categorical answers, one row per firm and one column
    per question (any values: they are categories; missing = a category ``NA``); ``weights`` are
    the firms' survey weights. ``kind="ca"``: ``table`` is a contingency table of counts (rows ×
    columns categories), e.g. staff groups × smoking. The module docstring gives the method.
    """
    if kind == "ca":
        return _simple_ca(table, n_components)
    if kind == "mca":
        w = None if weights is None else np.asarray(weights, dtype=float)
        if w is not None and (w.shape != (len(table),) or not np.all(np.isfinite(w)) or np.any(w <= 0)):
            raise ValueError(f"weights must be {len(table)} positive numbers, one per row")
        return _mca(table, w, n_components)
    raise ValueError("kind must be 'mca' or 'ca'")
