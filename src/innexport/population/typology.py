"""A typology of the population: weighted k-means of the firms, each cluster described.

:func:`typology` groups the firms by their standardised capability profiles (activity scores by
default, standardised as for the PCA map: :func:`innexport.population.ordination.standardise`)
and describes each cluster by its size, its mean indices and the activities on which it stands
out — test values, as in the method (:func:`innexport.population.weights.test_values`) — with a
short generated label ("strong on networks and strategy, weak on IP").

Choices made here (documented, not taken from the ERPI sources):

* **k-means** is scikit-learn's :class:`~sklearn.cluster.KMeans` (Lloyd iterations, greedy
  k-means++ seeding) with the survey weights as ``sample_weight``, seeded (``random_state``) and
  the best of ``n_init`` runs, so that the same input gives the same typology;
* ``k`` is chosen by the weighted mean silhouette (:func:`silhouette`) over 2..8, on a random
  subsample of ``silhouette_sample`` firms for large populations (the silhouette needs all
  pairwise distances); beyond ``fit_sample`` firms the restarts run on a sample and the final
  iterations on everyone, from the best centres found;
* clusters are numbered by decreasing weighted size.

References: Lloyd (1982); Arthur & Vassilvitskii (2007) for k-means++; Rousseeuw (1987) for the
silhouette; Lebart, Morineau & Piron (1995) for test values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from innexport.core.framework import INDICES
from innexport.population.frame import ACT, DIM, display_name, survey_weights
from innexport.population.frame import columns as prefixed
from innexport.population.ordination import row_index, standardise
from innexport.population.weights import test_values as class_test_values

__all__ = ["SIGNIFICANT", "Cluster", "Typology", "silhouette", "typology", "weighted_kmeans"]

SIGNIFICANT = 2.0
"""|test value| from which a cluster is said to be strong or weak on a column (≈ 5% level)."""


def _inline(name: str) -> str:
    """A name inside a sentence: "Networks" → "networks", but "IP" stays "IP"."""
    return name[0].lower() + name[1:] if len(name) > 1 and name[0].isupper() and name[1].islower() else name


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def weighted_kmeans(z: np.ndarray, k: int, weights: np.ndarray | None = None, seed: int = 0, n_init: int = 4,
                    max_iter: int = 300, tol: float = 1e-4, init: np.ndarray | None = None,
                    ) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted k-means: scikit-learn's ``KMeans`` with ``sample_weight``, best of ``n_init`` seeded runs.

    Stops when no row changes cluster or the centres move (squared, summed) by less than ``tol``
    times the mean variance of the columns (scikit-learn's convention). ``init``: starting centres
    (one run, no seeding). Returns (labels 0..k-1, centres k × p, weighted within-cluster sum of
    squares), the labels being those of the nearest final centre.

    >>> z = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> labels, centres, inertia = weighted_kmeans(z, 2, np.array([1.0, 3.0, 1.0, 1.0]))
    >>> sorted(centres.tolist()), inertia
    ([[0.0, 0.75], [10.0, 0.5]], 1.25)
    """
    from sklearn.cluster import KMeans  # about a second to import: only when a typology is made

    z = np.asarray(z, dtype=float)
    w = np.ones(len(z)) if weights is None else np.asarray(weights, dtype=float)
    if not 1 <= k <= len(z):
        raise ValueError(f"k must be between 1 and the number of rows ({len(z)})")
    start: str | np.ndarray = "k-means++" if init is None else np.array(init, dtype=float)
    model = KMeans(n_clusters=k, init=start, n_init=n_init if init is None else 1, max_iter=max_iter, tol=tol,
                   random_state=seed, algorithm="lloyd")
    model.fit(z, sample_weight=w)
    return model.labels_.astype(int), model.cluster_centers_, float(model.inertia_)


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
            line = f"  {c.id}. {c.label} — {c.n} firms, {c.share:.0%} of the population"
            lines.append(line + (f"; {idx}" if idx else ""))
        return "\n".join(lines)


def _label(tv: pd.Series, labels: Mapping[str, str] | None, threshold: float, top: int = 2) -> str:
    tv = tv.dropna()
    if tv.empty:
        return "no profile"
    names = {c: _inline(display_name(c, labels)) for c in tv.index}
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
    then Lloyd iterations on every firm start from the best centres. ``columns`` default to
    ``act.*``. Each cluster is described by its weighted size, its mean indices and the test values
    of the columns; its label names the (at most two) strongest and weakest of ``label_from``
    (default: the dimensions ``dim.*`` when present, else the clustered columns) among those with
    |test value| >= 2, named by ``labels`` (see
    :func:`innexport.population.frame.names_from_framework`) or by their ids.

    >>> z = np.repeat([[0.1, 0.9], [0.9, 0.1]], [6, 4], axis=0) + np.linspace(0, 0.01, 10)[:, None]
    >>> t = typology(pd.DataFrame({"act.a": z[:, 0], "act.b": z[:, 1]}), k=2)
    >>> [(c.n, c.label) for c in t.clusters], t.assignment.tolist()
    ([(6, 'strong on b, weak on a'), (4, 'strong on a, weak on b')], [1, 1, 1, 1, 1, 1, 2, 2, 2, 2])
    """
    cols = prefixed(frame, ACT) if columns is None else list(columns)
    w = survey_weights(frame, weights)
    st = standardise(frame, cols, w)
    n = len(frame)
    rng = np.random.default_rng(seed)
    scores: dict[int, float] = {}
    # large populations: seeds and restarts on a sample, then Lloyd iterations on every firm from its best centres
    fit_rows = np.sort(rng.choice(n, fit_sample, replace=False)) if n > fit_sample else np.arange(n)
    zf, wf = st.z[fit_rows], w[fit_rows]
    fits: dict[int, tuple[np.ndarray, np.ndarray, float]] = {}
    if k is None:
        candidates = [c for c in k_range if 2 <= c < n]
        if not candidates:
            raise ValueError("too few firms to choose a number of clusters")
        sample = (np.sort(rng.choice(len(fit_rows), silhouette_sample, replace=False))
                  if len(fit_rows) > silhouette_sample else np.arange(len(fit_rows)))
        for c in candidates:
            fits[c] = weighted_kmeans(zf, c, wf, seed=seed, n_init=n_init)
            scores[c] = silhouette(zf[sample], fits[c][0][sample], wf[sample])
        k = max(scores, key=lambda c: (np.nan_to_num(scores[c], nan=-2.0), -c))
    elif not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of firms ({n})")
    if k not in fits:
        fits[k] = weighted_kmeans(zf, k, wf, seed=seed, n_init=n_init)
    if len(fit_rows) == n:
        labels_, centers_z, inertia = fits[k]
    else:
        labels_, centers_z, inertia = weighted_kmeans(st.z, k, w, seed=seed, init=fits[k][1])
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
    index = row_index(frame)
    dims = [c for c in prefixed(frame, DIM) if c not in st.columns]
    described = st.columns + dims
    raw = frame[described].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    tv = class_test_values(raw, labels_, k, w)
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
