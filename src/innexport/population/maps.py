"""Maps of the population: firms and activities on a plane, and a typology of the firms.

The research behind the diagnostic placed innovation and export practices on a 2-D map ("data
spatialization", Enjolras, Camargo & Schmitt 2016) to isolate their common space. This module
draws the same kind of maps from survey data:

* :func:`pca_map` — principal component analysis of the firms' capability profiles (activity
  scores by default): each firm is a point, each activity an arrow (its correlation with the two
  axes: the *correlation circle*), so a firm is seen among its peers and the activities that
  separate firms are read off the arrows;
* :func:`correspondence_map` — correspondence analysis: simple CA of a contingency table, or
  multiple correspondence analysis (MCA) of categorical answers (one column per question), for
  survey answers that are categories rather than scores;
* :func:`typology` — a typology of the population by weighted k-means, each cluster described by
  its size, its mean indices and the activities on which it stands out (test values, as in the
  method), with a short generated label ("strong on networks and strategy, weak on IP");
* :func:`map_svg` / :func:`map_html` — the map as a hand-drawn SVG in the style of the report's
  charts (:mod:`innexport.rendering.charts`), or a standalone HTML page with a legend; hovering a point
  shows the firm's id.

Choices made here (documented, not taken from the ERPI sources):

* **Weights**: survey weights are row masses everywhere (PCA, MCA, k-means, test values).
* **Missing values** (PCA, typology): replaced by the column's weighted mean of the observed
  values, then columns are standardised with the weighted mean and the weighted (divisor Σw)
  standard deviation computed after imputation. An imputed value therefore sits at 0 on its
  standardised axis: it neither attracts nor repels the firm. This slightly shrinks the variance
  of columns with many gaps; ``notes`` of the result tells how many values were imputed.
  Columns with no value or no variation are left out (and named in ``notes``).
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
* **k-means**: k-means++ seeding (weighted D² sampling), Lloyd iterations, the best of ``n_init``
  runs; ``k`` chosen by the weighted mean silhouette over 2..8 (on a random subsample of
  ``silhouette_sample`` firms for large populations: the silhouette needs all pairwise
  distances; beyond ``fit_sample`` firms the restarts run on a sample and the final iterations on
  everyone). Clusters are numbered by decreasing weighted size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

import numpy as np
import pandas as pd

from innexport.rendering.charts import ACCENT, CLASS_COLORS, GRID, INK, MUTED, _halo_text, _n, _svg, _text, _x, text_width, wrap
from innexport.core.framework import CLASS_IDS, INDICES, Framework
from innexport.population.frame import ACT, DIM, FIRM_ID, OBS, survey_weights
from innexport.population.frame import columns as prefixed
from innexport.population.weights import test_values

__all__ = [
    "CATEGORY_COLORS", "Cluster", "MapResult", "Typology", "correspondence_map", "map_html", "map_svg",
    "names_from_framework", "pca_map", "silhouette", "typology", "weighted_kmeans",
]

CATEGORY_COLORS: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
                                    "#8C6D1F", "#332288")
"""Okabe–Ito based palette (safe for colour-vision deficiencies); categories beyond it are grey."""
OTHER = "#b8bec5"
COLUMN_COLOR = "#b35806"
SIGNIFICANT = 2.0
"""|test value| from which a cluster is said to be strong or weak on a column (≈ 5% level)."""


# --- names ---------------------------------------------------------------------------------------


def names_from_framework(framework: Framework, lang: str = "en") -> dict[str, str]:
    """Display names of the ``act.*`` and ``dim.*`` columns, from the framework, in ``lang``."""
    out = {DIM + d.id: d.name.get(lang) for d in framework.dimensions}
    out.update({ACT + a.id: a.name.get(lang) for a in framework.activities})
    return out


def _pretty(column: str, labels: Mapping[str, str] | None = None) -> str:
    if labels and column in labels:
        return str(labels[column])
    for prefix in (ACT, DIM, OBS):
        if column.startswith(prefix):
            column = column[len(prefix):]
            break
    return column.replace("_", " ")


def _inline(name: str) -> str:
    """A name inside a sentence: "Networks" → "networks", but "IP" stays "IP"."""
    return name[0].lower() + name[1:] if len(name) > 1 and name[0].isupper() and name[1].islower() else name


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# --- inputs ----------------------------------------------------------------------------------------




def _row_index(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame[FIRM_ID], name=FIRM_ID) if FIRM_ID in frame else frame.index


def _meta(frame: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """Everything but the answers and scores: group columns, weight, indices, classes… (for colouring)."""
    keep = [c for c in frame.columns if not c.startswith((OBS, ACT, DIM)) and c != FIRM_ID]
    meta = frame[keep].copy()
    meta.index = index
    return meta


@dataclass(frozen=True)
class _Standardised:
    z: np.ndarray
    columns: list[str]
    mean: np.ndarray
    sd: np.ndarray
    notes: list[str]


def _standardise(frame: pd.DataFrame, columns: Sequence[str], w: np.ndarray) -> _Standardised:
    """Weighted-mean imputation, then weighted standardisation (see the module docstring)."""
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
    cols = [c for c, k in zip(columns, keep) if k]
    if empty.any():
        notes.append("left out, no value: " + ", ".join(c for c, e in zip(columns, empty) if e))
    if flat.any():
        notes.append("left out, no variation: " + ", ".join(c for c, f in zip(columns, flat) if f))
    if imputed:
        notes.append(f"{imputed} missing value{'s' if imputed > 1 else ''} replaced by the column's weighted mean")
    if len(cols) < 2:
        raise ValueError("a map needs at least two columns that vary")
    z = (x[:, keep] - mean[keep]) / sd[keep]
    return _Standardised(z, cols, mean[keep], sd[keep], notes)


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
    st = _standardise(frame, cols, w)
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
    index = _row_index(frame)
    rows = pd.DataFrame(st.z @ axes, index=index, columns=_dims(nc))
    corr = pd.DataFrame(axes * s[:nc], index=pd.Index(st.columns, name="column"), columns=_dims(nc))
    names = {c: _pretty(c, labels) for c in st.columns}
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
        if weights is not None:
            w = np.asarray(weights, dtype=float)
            if w.shape != (len(table),) or not np.all(np.isfinite(w)) or np.any(w <= 0):
                raise ValueError(f"weights must be {len(table)} positive numbers, one per row")
        return _mca(table, weights, n_components)
    raise ValueError("kind must be 'mca' or 'ca'")


# --- k-means and the typology -----------------------------------------------------------------------------


def _sq_distances(z: np.ndarray, centers: np.ndarray, sq: np.ndarray | None = None) -> np.ndarray:
    sq = (z * z).sum(axis=1) if sq is None else sq
    d = sq[:, None] - 2.0 * z @ centers.T + (centers * centers).sum(axis=1)[None, :]
    return np.maximum(d, 0.0)


def _kmeans_pp(z: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, sq: np.ndarray) -> np.ndarray:
    """k-means++ seeding with weights: each next centre drawn with probability ∝ w · D²."""
    centers = np.empty((k, z.shape[1]))
    centers[0] = z[rng.choice(len(z), p=w / w.sum())]
    d2 = _sq_distances(z, centers[:1], sq)[:, 0]
    for i in range(1, k):
        prob = w * d2
        total = prob.sum()
        pick = rng.choice(len(z), p=prob / total) if total > 0 else rng.integers(len(z))
        centers[i] = z[pick]
        d2 = np.minimum(d2, _sq_distances(z, centers[i:i + 1], sq)[:, 0])
    return centers


def _lloyd(z: np.ndarray, w: np.ndarray, centers: np.ndarray, sq: np.ndarray, max_iter: int,
           tol: float) -> tuple[np.ndarray, np.ndarray, float]:
    k, rows = len(centers), np.arange(len(z))
    labels = np.full(len(z), -1)
    for _ in range(max_iter):
        d2 = _sq_distances(z, centers, sq)
        new_labels = d2.argmin(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        onehot = np.zeros((len(z), k))
        onehot[rows, labels] = w
        mass = onehot.sum(axis=0)
        new = onehot.T @ z
        empty = mass <= 0
        new[~empty] /= mass[~empty, None]
        if empty.any():  # re-seed an empty cluster on the worst-served points
            far = np.argsort(-(w * d2[rows, labels]))[: int(empty.sum())]
            new[empty] = z[far]
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol:
            break
    d2 = _sq_distances(z, centers, sq)
    labels = d2.argmin(axis=1)
    return labels, centers, float(w @ d2[rows, labels])


def weighted_kmeans(z: np.ndarray, k: int, weights: np.ndarray | None = None, seed: int = 0, n_init: int = 4,
                    max_iter: int = 300, tol: float = 1e-4, init: np.ndarray | None = None,
                    ) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted k-means (k-means++ seeding, Lloyd iterations), best of ``n_init`` runs.

    Stops when no firm changes cluster or the centres move (squared, summed) by less than ``tol``
    times the mean variance of the columns (scikit-learn's convention). ``init``: starting centres
    (one run, no seeding). Returns (labels 0..k-1, centres k × p, weighted within-cluster sum of
    squares).
    """
    z = np.asarray(z, dtype=float)
    w = np.ones(len(z)) if weights is None else np.asarray(weights, dtype=float)
    if not 1 <= k <= len(z):
        raise ValueError(f"k must be between 1 and the number of rows ({len(z)})")
    rng = np.random.default_rng(seed)
    sq = (z * z).sum(axis=1)
    variance = float(np.average((z - np.average(z, axis=0, weights=w)) ** 2, weights=w, axis=0).mean())
    threshold = tol * (variance or 1.0)
    if init is not None:
        return _lloyd(z, w, np.array(init, dtype=float), sq, max_iter, threshold)
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    for _ in range(n_init):
        run = _lloyd(z, w, _kmeans_pp(z, w, k, rng, sq), sq, max_iter, threshold)
        if best is None or run[2] < best[2] - 1e-12 * max(1.0, run[2]):
            best = run
    assert best is not None
    return best


def silhouette(z: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted mean silhouette (Rousseeuw 1987) with weighted mean distances; = sklearn's with equal weights.

    a(i): weighted mean distance to the other members of i's cluster; b(i): the smallest weighted
    mean distance to another cluster; s(i) = (b - a) / max(a, b), 0 for a cluster of one.
    Needs all pairwise distances: call it on a sample for large populations.
    """
    z = np.asarray(z, dtype=float)
    labels = np.asarray(labels)
    w = np.ones(len(z)) if weights is None else np.asarray(weights, dtype=float)
    uniq, lab = np.unique(labels, return_inverse=True)
    k = len(uniq)
    if k < 2 or k >= len(z):
        return math.nan
    sq = (z * z).sum(axis=1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * z @ z.T, 0.0))
    np.fill_diagonal(d, 0.0)
    onehot = np.zeros((len(z), k))
    onehot[np.arange(len(z)), lab] = w
    sums = d @ onehot  # weighted distance sums to each cluster
    mass = onehot.sum(axis=0)
    own_mass = mass[lab] - w  # the point itself is not among its neighbours
    rows = np.arange(len(z))
    with np.errstate(invalid="ignore", divide="ignore"):
        a = sums[rows, lab] / own_mass
        other = sums / mass[None, :]
    other[rows, lab] = np.inf
    b = other.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (b - a) / np.maximum(a, b)
    s = np.where(own_mass > 0, np.nan_to_num(s), 0.0)
    return float(np.average(s, weights=w))


@dataclass(frozen=True)
class Cluster:
    """One type of firm: size, means, and the columns on which it stands out."""

    id: int
    label: str
    n: int
    share: float
    """Weighted share of the population."""
    means: pd.Series
    """Weighted means of the clustered columns, the dimensions and the indices present."""
    test_values: pd.Series
    """Test values (METHOD: (mean_k - mean) / s_k) of the clustered columns and the dimensions."""
    above: tuple[str, ...]
    """Columns with a test value >= 2, strongest first."""
    below: tuple[str, ...]
    """Columns with a test value <= -2, weakest first."""

    @property
    def index_means(self) -> dict[str, float]:
        return {i: float(self.means[i]) for i in INDICES if i in self.means}


@dataclass(eq=False)
class Typology:
    """A typology of the population: ``assignment`` (cluster 1..k of each firm) and ``clusters``."""

    k: int
    columns: list[str]
    assignment: pd.Series
    clusters: list[Cluster]
    centers: pd.DataFrame
    """Cluster centres in the clustered columns' own units (weighted means, missing values imputed)."""
    silhouette: dict[int, float]
    """Mean silhouette of each candidate k (one entry when k was given)."""
    inertia: float
    """Weighted within-cluster sum of squares (standardised units)."""
    notes: list[str] = field(default_factory=list)

    def describe(self) -> pd.DataFrame:
        """One row per cluster: label, n, share, mean indices, strongest and weakest columns."""
        rows = []
        for c in self.clusters:
            row = {"cluster": c.id, "label": c.label, "n": c.n, "share": c.share, **c.index_means,
                   "above": ", ".join(c.above), "below": ", ".join(c.below)}
            rows.append(row)
        return pd.DataFrame(rows).set_index("cluster")

    def labelled(self) -> pd.Series:
        """The assignment as categories ``"1 · strong on …"`` (to colour a map by)."""
        names = {c.id: f"{c.id} · {c.label}" for c in self.clusters}
        return pd.Series(pd.Categorical(self.assignment.map(names), categories=list(names.values())),
                         index=self.assignment.index, name="cluster")

    def summary(self) -> str:
        lines = [f"{self.k} types of firms"]
        for c in self.clusters:
            idx = ", ".join(f"{k.upper()} {v:.2f}" for k, v in c.index_means.items())
            lines.append(f"  {c.id}. {c.label} — {c.n} firms, {c.share:.0%} of the population" + (f"; {idx}" if idx else ""))
        return "\n".join(lines)


def _label(tv: pd.Series, labels: Mapping[str, str] | None, threshold: float, top: int = 2) -> str:
    tv = tv.dropna()
    if tv.empty:
        return "no profile"
    names = {c: _inline(_pretty(c, labels)) for c in tv.index}
    up = tv[tv >= threshold].sort_values(ascending=False)
    down = tv[tv <= -threshold].sort_values()
    if len(up) == len(tv) and len(tv) > 2:
        return f"strong on every area, most on {_join([names[c] for c in up.index[:top]])}"
    if len(down) == len(tv) and len(tv) > 2:
        return f"weak on every area, most on {_join([names[c] for c in down.index[:top]])}"
    parts = []
    if len(up):
        parts.append("strong on " + _join([names[c] for c in up.index[:top]]))
    if len(down):
        parts.append("weak on " + _join([names[c] for c in down.index[:top]]))
    return ", ".join(parts) if parts else "close to the average on every area"


def typology(frame: pd.DataFrame, k: int | None = None, columns: Sequence[str] | None = None, seed: int = 0,
             weights: bool | str | np.ndarray = True, k_range: Iterable[int] = range(2, 9),
             labels: Mapping[str, str] | None = None, label_from: Sequence[str] | None = None,
             n_init: int = 4, silhouette_sample: int = 3000, fit_sample: int = 20000) -> Typology:
    """A typology of the firms by weighted k-means on their standardised activity scores.

    ``k``: the number of clusters, or ``None`` to choose it in ``k_range`` by the best mean
    silhouette (computed on a random sample of ``silhouette_sample`` firms). For populations larger
    than ``fit_sample``, seeding and the ``n_init`` restarts run on a random sample of that size,
    then Lloyd iterations on every firm start from the best centres. ``columns`` default to ``act.*``. Each cluster is described by its weighted
    size, its mean indices and the test values of the columns; its label names the (at most two)
    strongest and weakest of ``label_from`` (default: the dimensions ``dim.*`` when present, else
    the clustered columns) among those with |test value| >= 2, named by ``labels`` (see
    :func:`names_from_framework`) or by their ids.
    """
    cols = prefixed(frame, ACT) if columns is None else list(columns)
    w = survey_weights(frame, weights)
    st = _standardise(frame, cols, w)
    n = len(frame)
    rng = np.random.default_rng(seed)
    scores: dict[int, float] = {}
    # large populations: seeds and restarts on a sample, then Lloyd iterations on every firm from its best centres
    fit_rows = np.sort(rng.choice(n, fit_sample, replace=False)) if n > fit_sample else np.arange(n)
    zf, wf = st.z[fit_rows], w[fit_rows]
    fits: dict[int, np.ndarray] = {}
    if k is None:
        candidates = [c for c in k_range if 2 <= c < n]
        if not candidates:
            raise ValueError("too few firms to choose a number of clusters")
        sample = (np.sort(rng.choice(len(fit_rows), silhouette_sample, replace=False))
                  if len(fit_rows) > silhouette_sample else np.arange(len(fit_rows)))
        for c in candidates:
            lab, fits[c], _ = weighted_kmeans(zf, c, wf, seed=seed, n_init=n_init)
            scores[c] = silhouette(zf[sample], lab[sample], wf[sample])
        k = max(scores, key=lambda c: (np.nan_to_num(scores[c], nan=-2.0), -c))
    elif not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of firms ({n})")
    if k not in fits:
        _, fits[k], _ = weighted_kmeans(zf, k, wf, seed=seed, n_init=n_init)
    if len(fit_rows) == n:
        labels_ = np.argmin(_sq_distances(st.z, fits[k]), axis=1)
        centers_z = fits[k]
        inertia = float(w @ _sq_distances(st.z, centers_z)[np.arange(n), labels_])
    else:
        labels_, centers_z, inertia = weighted_kmeans(st.z, k, w, init=fits[k])
    if not scores:
        sample = np.sort(rng.choice(n, silhouette_sample, replace=False)) if n > silhouette_sample else np.arange(n)
        scores[k] = silhouette(st.z[sample], labels_[sample], w[sample])
    # number the clusters by decreasing weighted size
    mass = np.bincount(labels_, weights=w, minlength=k)
    order = np.argsort(-mass, kind="stable")
    rename = np.empty(k, dtype=int)
    rename[order] = np.arange(k)
    labels_ = rename[labels_]
    centers_z = centers_z[order]
    index = _row_index(frame)
    dims = [c for c in prefixed(frame, DIM) if c not in st.columns]
    described = st.columns + dims
    raw = frame[described].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    tv = test_values(raw, labels_, k, w)
    idx_cols = [c for c in INDICES if c in frame]
    means_cols = described + idx_cols
    values = frame[means_cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    source = list(label_from) if label_from is not None else (dims or st.columns)
    clusters = []
    for c in range(k):
        member = labels_ == c
        seen = ~np.isnan(values[member])
        wm = w[member]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = (wm @ np.where(seen, values[member], 0.0)) / (wm @ seen)
        t = pd.Series(tv[c], index=described)
        up = t[t >= SIGNIFICANT].sort_values(ascending=False)
        down = t[t <= -SIGNIFICANT].sort_values()
        clusters.append(Cluster(
            id=c + 1, label=_label(t.reindex([s for s in source if s in t.index]), labels, SIGNIFICANT),
            n=int(member.sum()), share=float(wm.sum() / w.sum()), means=pd.Series(means, index=means_cols),
            test_values=t, above=tuple(up.index), below=tuple(down.index)))
    centers = pd.DataFrame(centers_z * st.sd + st.mean, index=pd.RangeIndex(1, k + 1, name="cluster"),
                           columns=st.columns)
    return Typology(k=k, columns=st.columns, assignment=pd.Series(labels_ + 1, index=index, name="cluster"),
                    clusters=clusters, centers=centers, silhouette=scores, inertia=inertia, notes=st.notes)


# --- drawing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Colours:
    per_row: np.ndarray  # colour of each row
    legend: list[tuple[str, str]]  # (label, colour)
    title: str
    ramp: tuple[float, float] | None = None


def _blend(a: str, b: str, t: float) -> str:
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


RAMP = ("#9ecae1", "#08306b")


def _colours(result: MapResult, color_by: object) -> _Colours | None:
    if color_by is None:
        return None
    n = len(result.rows)
    if isinstance(color_by, Typology):
        values, title = color_by.labelled(), "type"
    elif isinstance(color_by, str):
        if result.row_meta is None or color_by not in result.row_meta:
            raise KeyError(f"no column {color_by!r} to colour the map by")
        values, title = result.row_meta[color_by], color_by
    else:
        values = pd.Series(color_by)
        title = str(values.name or "group")
    if len(values) != n:
        raise ValueError(f"color_by must give one value per point ({n})")
    values = pd.Series(values.to_numpy(), index=result.rows.index)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.nunique() > 8:
        x = values.to_numpy(dtype=float)
        lo, hi = float(np.nanmin(x)), float(np.nanmax(x))
        t = (x - lo) / (hi - lo) if hi > lo else np.zeros(n)
        per_row = np.array([OTHER if v != v else _blend(RAMP[0], RAMP[1], v) for v in t], dtype=object)
        return _Colours(per_row, [], title, (lo, hi))
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in values.cat.categories if (values == c).any()]
    else:
        counts = values.dropna().astype(str).value_counts()
        cats = list(counts.index)
    text = values.astype(object).where(values.notna(), None).map(lambda v: None if v is None else str(v))
    if set(cats) <= set(CLASS_IDS):
        palette = {c: CLASS_COLORS[CLASS_IDS.index(c)] for c in cats}
        cats = [c for c in CLASS_IDS if c in cats]
    else:
        palette = {c: CATEGORY_COLORS[i] for i, c in enumerate(cats[: len(CATEGORY_COLORS)])}
    per_row = np.array([palette.get(v, OTHER) if v is not None else OTHER for v in text], dtype=object)
    legend = [(c, palette[c]) for c in cats if c in palette]
    if len(cats) > len(palette) or text.isna().any():
        legend.append(("other" if len(cats) > len(palette) else "missing", OTHER))
    return _Colours(per_row, legend, title)


def _peer_mask(result: MapResult, peers: object) -> np.ndarray | None:
    if peers is None:
        return None
    n = len(result.rows)
    if isinstance(peers, (pd.Series, np.ndarray)) and np.asarray(peers).dtype == bool:
        mask = np.asarray(peers, dtype=bool)
        if mask.shape != (n,):
            raise ValueError(f"peers must be one boolean per point ({n})")
        return mask
    return result.rows.index.isin(list(peers))  # type: ignore[arg-type]


def map_svg(result: MapResult, highlight_firm: object = None, color_by: object = None, *, peers: object = None,
            size: float = 460, title: str | None = None, labels: Mapping[str, str] | None = None,
            max_points: int = 4000, max_labels: int = 30, seed: int = 0, legend: bool = True,
            axes: tuple[int, int] = (0, 1)) -> str:
    """The map as an SVG string, in the style of the report's charts.

    Firms (rows) are points, with their id as a hover title; for a PCA the columns are arrows
    (their correlations with the axes, inside the dashed circle of correlation 1), for a CA/MCA
    labelled triangles in the same units as the rows. ``highlight_firm`` (a row label) is drawn
    large in the firm colour; ``peers`` (a boolean mask such as
    :func:`innexport.population.benchmark.peer_group`'s, or a list of ids) keeps the other firms
    grey; ``color_by`` colours the points by a column of ``row_meta`` (e.g. ``"country"``,
    ``"class.iiep"``, ``"iiep"``), a Series (one value per point, in the map's row order), or a
    :class:`Typology`. At most ``max_points`` firms
    are drawn (a random sample; the highlighted firm always).
    """
    i1, i2 = axes
    rows = result.rows
    if rows.shape[1] <= max(i1, i2):
        raise ValueError("the map has fewer axes than asked")
    names = {**result.labels, **(labels or {})}
    colours = _colours(result, color_by)
    peer = _peer_mask(result, peers)
    xy = rows.iloc[:, [i1, i2]].to_numpy(dtype=float)
    n = len(rows)
    highlight = None
    if highlight_firm is not None:
        hits = np.flatnonzero(rows.index == highlight_firm)
        if len(hits) == 0:
            raise KeyError(f"no firm {highlight_firm!r} on the map")
        highlight = int(hits[0])
    drawn = np.arange(n)
    if n > max_points:
        drawn = np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))
        if highlight is not None and highlight not in drawn:
            drawn = np.sort(np.append(drawn[:-1], highlight))
    cols = result.columns.iloc[:, [i1, i2]].to_numpy(dtype=float) if len(result.columns) else np.empty((0, 2))
    is_pca = result.kind == "pca"
    # extent: every drawn point (and column points for CA), same scale on both axes
    pts = xy[drawn]
    ext = float(np.nanmax(np.abs(pts))) if len(pts) else 1.0
    if not is_pca and len(cols):
        ext = max(ext, float(np.nanmax(np.abs(cols))))
    ext = (ext or 1.0) * 1.08
    arrow_scale = 0.85 * ext / 1.08 if is_pca else 1.0
    left, top, right, bottom = 46.0, 10.0, 12.0, 40.0
    side = float(size)
    legend_w = 190.0 if legend and colours is not None else 0.0
    width, height = left + side + right + legend_w, top + side + bottom
    cx, cy, half = left + side / 2, top + side / 2, side / 2

    def px(x: float, y: float) -> tuple[float, float]:
        return cx + x / ext * half, cy - y / ext * half

    body: list[str] = [f'<rect x="{_n(left)}" y="{_n(top)}" width="{_n(side)}" height="{_n(side)}" fill="#fafafa" '
                       f'stroke="{GRID}"/>']
    body.append(f'<line x1="{_n(left)}" y1="{_n(cy)}" x2="{_n(left + side)}" y2="{_n(cy)}" stroke="{MUTED}" '
                f'stroke-width="0.7" stroke-dasharray="4 3"/>')
    body.append(f'<line x1="{_n(cx)}" y1="{_n(top)}" x2="{_n(cx)}" y2="{_n(top + side)}" stroke="{MUTED}" '
                f'stroke-width="0.7" stroke-dasharray="4 3"/>')
    if is_pca:
        r = arrow_scale / ext * half
        body.append(f'<circle class="unit" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="none" stroke="{GRID}" '
                    f'stroke-width="1" stroke-dasharray="3 3"/>')
    # the rows
    small = result.kind in ("pca", "mca")
    radius = 2.6 if small else 4.5
    meta = result.row_meta

    def row_title(i: int) -> str:
        label = str(rows.index[i])
        if colours is not None and meta is not None and isinstance(color_by, str):
            label += f" · {color_by} = {meta[color_by].iloc[i]}"
        return label

    layers: list[tuple[int, str]] = []
    for i in drawn:
        if i == highlight:
            continue
        x, y = xy[i]
        if x != x or y != y:
            continue
        colour = INK if colours is None else colours.per_row[i]
        if not small:
            colour = "#2166ac" if colours is None else colour
        faded = peer is not None and not peer[i]
        fill = OTHER if faded else colour
        opacity = "0.35" if faded else ("0.7" if small else "1")
        px_, py_ = px(x, y)
        layers.append((0 if faded else 1, f'<circle class="{"other" if faded else "row"}" cx="{_n(px_)}" cy="{_n(py_)}" '
                                          f'r="{_n(radius)}" fill="{fill}" fill-opacity="{opacity}">'
                                          f'<title>{_x(row_title(i))}</title></circle>'))
        if not small:
            layers.append((2, _halo_text(px_ + 6, py_ - 5, str(rows.index[i]), size=10, anchor="start", fill="#2166ac")))
    body.extend(e for _, e in sorted(layers, key=lambda item: item[0]))
    # the columns
    if len(cols):
        dist = np.hypot(cols[:, 0], cols[:, 1])
        labelled = set(np.argsort(-np.nan_to_num(dist))[:max_labels])
        tags: list[list] = []
        for j, (x, y) in enumerate(cols):
            if x != x or y != y:
                continue
            key = str(result.columns.index[j])
            name = names.get(key, _pretty(key))
            if is_pca:
                ex, ey = px(x * arrow_scale, y * arrow_scale)
                body.append(_arrow_svg(cx, cy, ex, ey, name, f"{name}: r = {x:.2f}, {y:.2f}"))
            else:
                ex, ey = px(x, y)
                body.append(f'<polygon class="column" points="{_n(ex)},{_n(ey - 5)} {_n(ex + 4.5)},{_n(ey + 3.5)} '
                            f'{_n(ex - 4.5)},{_n(ey + 3.5)}" fill="{COLUMN_COLOR}"><title>{_x(name)}</title></polygon>')
            if j in labelled:
                anchor = "start" if ex >= cx else "end"
                dx = 5 if ex >= cx else -5
                dy = -2 if ey <= cy else 9
                tags.append([ex + dx, ey + dy, wrap(name, 22, 2), anchor])
        for x, y, lines, anchor in _spread(tags, top + 10, top + side - 2, 9.5 * 1.2):
            body.append(_halo_text(x, y, lines, size=9.5, anchor=anchor, fill=INK if is_pca else COLUMN_COLOR))
    # the highlighted firm, last so it is on top
    if highlight is not None:
        x, y = xy[highlight]
        hx, hy = px(x, y)
        label = str(rows.index[highlight])
        body.append(f'<circle class="firm" cx="{_n(hx)}" cy="{_n(hy)}" r="6.5" fill="{ACCENT}" stroke="#ffffff" '
                    f'stroke-width="1.8"><title>{_x(row_title(highlight))}</title></circle>')
        anchor, lx = ("start", hx + 10) if hx < left + side - text_width(label, 11) - 14 else ("end", hx - 10)
        body.append(_halo_text(lx, hy + 4, label, size=11, anchor=anchor, weight="bold", fill=ACCENT))
    # axes
    body.append(_text(cx, top + side + 28, [result.axis_label(i1)], size=11, weight="bold"))
    ax, ay = left - 14, cy
    body.append(_text(ax, ay, [result.axis_label(i2)], size=11, weight="bold",
                      extra=f'transform="rotate(-90 {_n(ax)} {_n(ay)})"'))
    if n > len(drawn):
        body.append(_text(left + side, top + side + 28, [f"{len(drawn):,} of {n:,} firms shown"], size=9,
                          anchor="end", fill=MUTED))
    if legend and colours is not None:
        body.extend(_legend_svg(left + side + right + 8, top + 4, colours))
    return _svg(width, height, body, title, f"chart map {result.kind}")


def _spread(tags: list[list], low: float, high: float, line: float) -> list[list]:
    """Move labels vertically, on each side separately, so that they do not overlap (order kept)."""
    for anchor in ("start", "end"):
        side = sorted((t for t in tags if t[3] == anchor), key=lambda t: t[1])
        for a, b in zip(side, side[1:]):  # push down
            b[1] = max(b[1], a[1] + line * len(a[2]))
        if side and side[-1][1] + line * (len(side[-1][2]) - 1) > high:  # then back up from the bottom
            side[-1][1] = high - line * (len(side[-1][2]) - 1)
            for a, b in zip(side[::-1][1:], side[::-1]):
                a[1] = min(a[1], b[1] - line * len(a[2]))
        for t in side:
            t[1] = max(t[1], low)
    return tags


def _arrow_svg(x1: float, y1: float, x2: float, y2: float, name: str, tip: str) -> str:
    length = math.hypot(x2 - x1, y2 - y1)
    if length < 1:
        return ""
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    hx, hy = x2 - ux * 6, y2 - uy * 6
    ox, oy = -uy * 3, ux * 3
    head = f"{_n(x2)},{_n(y2)} {_n(hx + ox)},{_n(hy + oy)} {_n(hx - ox)},{_n(hy - oy)}"
    return (f'<g class="arrow"><title>{_x(tip)}</title><line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(hx)}" y2="{_n(hy)}" '
            f'stroke="{INK}" stroke-width="1.2"/><polygon points="{head}" fill="{INK}"/></g>')


def _legend_svg(x: float, y: float, colours: _Colours) -> list[str]:
    out = [_text(x, y + 10, [colours.title], size=10.5, anchor="start", weight="bold")]
    y += 26
    if colours.ramp is not None:
        steps = 8
        for k in range(steps):
            out.append(f'<rect x="{_n(x + k * 14)}" y="{_n(y - 9)}" width="14" height="10" '
                       f'fill="{_blend(RAMP[0], RAMP[1], k / (steps - 1))}"/>')
        out.append(_text(x, y + 13, [f"{colours.ramp[0]:.2f}"], size=9, anchor="start", fill=MUTED))
        out.append(_text(x + steps * 14, y + 13, [f"{colours.ramp[1]:.2f}"], size=9, anchor="end", fill=MUTED))
        return out
    for label, colour in colours.legend:
        lines = wrap(label, 26, 2)
        out.append(f'<circle cx="{_n(x + 5)}" cy="{_n(y - 3.5)}" r="4.5" fill="{colour}"/>')
        out.append(_text(x + 14, y, lines, size=9.5, anchor="start"))
        y += 15 + 11.4 * (len(lines) - 1)
    return out


def map_html(result: MapResult, highlight_firm: object = None, color_by: object = None, *, title: str | None = None,
             lang: str = "en", **options: object) -> str:
    """A standalone HTML page: the map (:func:`map_svg`), a legend of its marks and colours, the axes' inertia."""
    title = title or {"pca": "Map of the firms' capability profiles (PCA)", "ca": "Correspondence analysis map",
                      "mca": "Map of the answers (multiple correspondence analysis)"}[result.kind]
    svg = map_svg(result, highlight_firm, color_by, title=title, legend=False, **options)  # type: ignore[arg-type]
    colours = _colours(result, color_by)
    items: list[str] = []
    if result.kind == "pca":
        items.append(f'<li><span class="dot" style="background:{INK}"></span>a firm (hover for its id)</li>')
        items.append("<li><span class=\"arrow\">→</span>a variable (an activity by default): its correlation with the two axes; the dashed "
                     "circle is a correlation of 1. Firms lie toward the arrows of the activities they do well.</li>")
    else:
        items.append('<li><span class="dot" style="background:#2166ac"></span>a row (hover for its name)</li>')
        items.append(f'<li><span class="tri" style="color:{COLUMN_COLOR}">▲</span>a column category; rows and columns '
                     "close together are associated</li>")
    if highlight_firm is not None:
        items.append(f'<li><span class="dot big" style="background:{ACCENT}"></span>{escape(str(highlight_firm))}</li>')
    if options.get("peers") is not None:
        items.append(f'<li><span class="dot" style="background:{OTHER}"></span>firms outside the peer group</li>')
    colour_items = ""
    if colours is not None:
        if colours.ramp is not None:
            colour_items = (f"<p>Colour: {escape(colours.title)}, from {colours.ramp[0]:.2f} (light) to "
                            f"{colours.ramp[1]:.2f} (dark).</p>")
        else:
            colour_items = f"<h3>{escape(colours.title)}</h3><ul>" + "".join(
                f'<li><span class="dot" style="background:{c}"></span>{escape(label)}</li>' for label, c in colours.legend
            ) + "</ul>"
    inertia = "".join(f"<li>{escape(result.axis_label(k))}</li>" for k in range(min(result.rows.shape[1], 4)))
    notes = "".join(f"<li>{escape(nt)}</li>" for nt in result.notes)
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>
body {{ font-family: DejaVu Sans, Helvetica, Arial, sans-serif; color: {INK}; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }}
h1 {{ font-size: 1.3rem; }} h2 {{ font-size: 1.05rem; }} h3 {{ font-size: .95rem; margin-bottom: .3rem; }}
.map {{ display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }} figure {{ margin: 0; }}
.legend {{ flex: 1 1 16rem; }} .legend ul {{ list-style: none; padding: 0; margin: 0 0 .8rem; }} .legend li {{ margin: .25rem 0; font-size: .9rem; }}
.dot {{ display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; margin-right: .4rem; vertical-align: middle; }}
.dot.big {{ width: .9rem; height: .9rem; }} .arrow, .tri {{ display: inline-block; width: 1.1rem; font-weight: bold; }}
.notes {{ color: {MUTED}; font-size: .85rem; }}
</style>
</head>
<body>
<h1>{escape(title)}</h1>
<div class="map">
<figure>{svg}</figure>
<section class="legend">
<h2>Legend</h2>
<ul>{"".join(items)}</ul>
{colour_items}
<h3>Axes</h3>
<ul>{inertia}</ul>
</section>
</div>
{f'<ul class="notes">{notes}</ul>' if notes else ""}
</body>
</html>
"""
