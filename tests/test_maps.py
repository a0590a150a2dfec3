"""Maps (population.ordination, population.typology, rendering.maps): PCA against numpy's SVD, correspondence
analysis against Greenacre's published smoking example, k-means on separated blobs, the typology's test values
and labels, and the SVG/HTML drawings."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED_DATA, requires_shared
from innexport.files.frameworks import load_framework
from innexport.population.benchmark import peer_group
from innexport.population.frame import names_from_framework
from innexport.population.ordination import correspondence_map, pca_map, standardise
from innexport.population.synthetic import synthetic_frame
from innexport.population.typology import silhouette, typology, weighted_kmeans
from innexport.rendering.maps import map_html, map_svg

DATA = SHARED_DATA
WMS = DATA / "wms-2004-2015" / "wms_2004_2015.csv"

# Greenacre's smoking data: staff groups × smoking (none, light, medium, heavy), the classic CA example
# (Greenacre 1984, 2007; the `smoke` data of R's ca package).
SMOKE = pd.DataFrame([[4, 2, 3, 2], [4, 3, 7, 4], [25, 10, 12, 4], [18, 24, 33, 13], [10, 6, 7, 2]],
                     index=["SM", "JM", "SE", "JE", "SC"], columns=["none", "light", "medium", "heavy"])


def frame_of(x: np.ndarray, weights: np.ndarray | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(x, columns=[f"act.a{j}" for j in range(x.shape[1])])
    frame.insert(0, "firm_id", [f"F{i}" for i in range(len(x))])
    if weights is not None:
        frame.insert(1, "weight", weights)
    return frame


def normalise_signs(v: np.ndarray) -> np.ndarray:
    """Each column with a positive sum (the rule pca_map documents)."""
    return v * np.where(v.sum(axis=0) < 0, -1.0, 1.0)


# --- PCA ------------------------------------------------------------------------------------------------


def test_pca_equals_numpy_svd_on_a_tiny_matrix() -> None:
    x = np.array([[0.1, 0.4, 0.9], [0.5, 0.5, 0.2], [0.9, 0.6, 0.4], [0.3, 0.9, 0.7], [0.6, 0.1, 0.3],
                  [0.8, 0.7, 0.9]])
    m = pca_map(frame_of(x), n_components=3)
    z = (x - x.mean(axis=0)) / x.std(axis=0)  # population SD (divisor n)
    _, s, vt = np.linalg.svd(z / np.sqrt(len(x)), full_matrices=False)
    v = normalise_signs(vt.T)
    np.testing.assert_allclose(m.eigenvalues, s**2, atol=1e-12)
    np.testing.assert_allclose(m.rows.to_numpy(), z @ v, atol=1e-10)
    np.testing.assert_allclose(m.columns.to_numpy(), v * s, atol=1e-10)  # correlations with the components
    # the eigenvalues are those of the correlation matrix, and sum to the number of columns
    np.testing.assert_allclose(np.sort(m.eigenvalues), np.linalg.eigvalsh(np.corrcoef(x.T)), atol=1e-12)
    assert m.total_inertia == pytest.approx(3.0) and m.explained.sum() == pytest.approx(1.0)
    corr = [np.corrcoef(x[:, j], m.rows["dim1"])[0, 1] for j in range(3)]
    np.testing.assert_allclose(m.columns["dim1"], corr, atol=1e-10)
    assert m.columns["dim1"].sum() > 0 and list(m.rows.index) == [f"F{i}" for i in range(6)]


def test_weighted_pca_equals_duplicated_rows() -> None:
    rng = np.random.default_rng(2)
    x = rng.random((12, 4))
    w = rng.integers(1, 4, size=12).astype(float)
    weighted = pca_map(frame_of(x, w), n_components=3)
    copies = pca_map(frame_of(np.repeat(x, w.astype(int), axis=0)), n_components=3)
    np.testing.assert_allclose(weighted.eigenvalues, copies.eigenvalues, atol=1e-10)
    first = np.r_[0, np.cumsum(w.astype(int))[:-1]]
    np.testing.assert_allclose(weighted.rows.to_numpy(), copies.rows.to_numpy()[first], atol=1e-10)
    unweighted = pca_map(frame_of(x, w), weights=False, n_components=3)
    assert not np.allclose(unweighted.eigenvalues, weighted.eigenvalues)


def test_pca_missing_values_and_projection() -> None:
    rng = np.random.default_rng(5)
    x = rng.random((20, 3))
    x[0] = np.nan
    x[1, 2] = np.nan
    frame = frame_of(x)
    frame["act.flat"] = 0.5
    m = pca_map(frame)
    np.testing.assert_allclose(m.rows.iloc[0], [0.0, 0.0], atol=1e-12)  # nothing known: at the centre
    assert any("4 missing values" in n for n in m.notes) and any("act.flat" in n for n in m.notes)
    assert "act.flat" not in m.columns.index
    again = m.project(frame.iloc[[1, 5]])
    np.testing.assert_allclose(again.to_numpy(), m.rows.iloc[[1, 5]].to_numpy(), atol=1e-12)
    assert list(again.index) == ["F1", "F5"]
    single = m.project({"act.a0": 0.5, "act.a1": 0.5})
    assert single.shape == (1, 2)


# --- correspondence analysis ----------------------------------------------------------------------------


def test_ca_reproduces_greenacre_smoking_example() -> None:
    m = correspondence_map(SMOKE, kind="ca")
    # published: total inertia 0.08519, principal inertias 0.07476 and 0.01002 (87.8% and 11.8%)
    assert m.total_inertia == pytest.approx(0.08519, abs=5e-6)
    assert m.eigenvalues[:2] == pytest.approx([0.07476, 0.01002], abs=5e-6)
    assert m.explained[:2] == pytest.approx([0.878, 0.118], abs=5e-4)
    expected = np.outer(SMOKE.sum(axis=1), SMOKE.sum(axis=0)) / SMOKE.values.sum()
    chi2 = float((((SMOKE.values - expected) ** 2) / expected).sum())
    assert m.total_inertia == pytest.approx(chi2 / SMOKE.values.sum())
    # principal coordinates as printed by R's ca package (the sign of an axis is arbitrary)
    rows = np.array([[-0.0658, 0.1937], [0.2590, 0.2433], [-0.3806, 0.0107], [0.2330, -0.0577], [-0.2011, -0.0789]])
    cols = np.array([[-0.3933, 0.0305], [0.0995, -0.1411], [0.1963, -0.0074], [0.2938, 0.1978]])
    sign = np.sign(m.columns.to_numpy()[0]) / np.sign(cols[0])
    np.testing.assert_allclose(m.rows.to_numpy() * sign, rows, atol=1e-4)
    np.testing.assert_allclose(m.columns.to_numpy() * sign, cols, atol=1e-4)
    assert list(m.rows.index) == list(SMOKE.index) and list(m.columns.index) == list(SMOKE.columns)
    # masses-weighted coordinates are centred
    assert m.row_mass @ m.rows.to_numpy() == pytest.approx([0, 0], abs=1e-12)


def smokers() -> pd.DataFrame:
    """The smoking table as 193 individual answers to two questions."""
    rows = [(staff, habit) for staff in SMOKE.index for habit in SMOKE.columns
            for _ in range(SMOKE.loc[staff, habit])]
    return pd.DataFrame(rows, columns=["staff", "smoking"])


def test_mca_of_two_questions_matches_the_ca_of_their_table() -> None:
    ca = correspondence_map(SMOKE, kind="ca")
    mca = correspondence_map(smokers())
    sigma = np.sqrt(ca.eigenvalues)
    # indicator-matrix inertias of two questions are (1 ± σ) / 2, and 1/2 for the rest
    expected = np.sort(np.r_[(1 + sigma) / 2, (1 - sigma) / 2, [0.5] * (9 - 2 - 2 * len(sigma))])[::-1]
    np.testing.assert_allclose(mca.eigenvalues, expected, atol=1e-10)
    # Greenacre's adjustment gives back the CA's inertias, and its total the CA's total inertia
    np.testing.assert_allclose(mca.adjusted[:3], ca.eigenvalues, atol=1e-10)
    assert mca.adjusted_total == pytest.approx(ca.total_inertia)
    assert mca.explained[:2] == pytest.approx(ca.explained[:2])
    assert "staff=SE" in mca.columns.index and mca.rows.shape == (193, 2)


def test_mca_weights_equal_duplicated_rows_and_missing_is_a_category() -> None:
    answers = pd.DataFrame({"q1": ["a", "b", "a", "c", "b", "a"], "q2": ["x", "y", "y", "x", None, "x"],
                            "q3": [1, 2, 2, 1, 2, 1]})
    w = np.array([1, 2, 1, 3, 1, 2])
    weighted = correspondence_map(answers, weights=w)
    copies = correspondence_map(answers.loc[answers.index.repeat(w)].reset_index(drop=True))
    np.testing.assert_allclose(weighted.eigenvalues, copies.eigenvalues, atol=1e-10)
    np.testing.assert_allclose(weighted.columns.to_numpy(), copies.columns.to_numpy(), atol=1e-10)
    assert "q2=NA" in weighted.columns.index
    with pytest.raises(ValueError):
        correspondence_map(answers[["q1"]])


# --- k-means and typology --------------------------------------------------------------------------------


def blobs(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.1, 0.1, 0.9, 0.5], [0.9, 0.9, 0.1, 0.5], [0.1, 0.9, 0.5, 0.1]])
    truth = np.repeat(np.arange(3), [50, 40, 30])
    x = centres[truth] + rng.normal(0, 0.03, size=(len(truth), 4))
    return frame_of(x), truth


def test_kmeans_recovers_separated_blobs() -> None:
    frame, truth = blobs()
    t = typology(frame, seed=0)
    assert t.k == 3 and max(t.silhouette, key=t.silhouette.get) == 3
    found = t.assignment.to_numpy()
    for k in range(3):  # each blob is exactly one cluster
        assert len(set(found[truth == k])) == 1
    assert len(set(found)) == 3
    # clusters are numbered by size: the blob of 50 is cluster 1
    assert [c.n for c in t.clusters] == [50, 40, 30] and found[0] == 1
    assert sum(c.share for c in t.clusters) == pytest.approx(1.0)
    np.testing.assert_allclose(t.centers.loc[1], frame.iloc[:50, 1:].mean(), atol=1e-12)


def test_weighted_kmeans_centres_are_weighted_means() -> None:
    frame, _ = blobs(1)
    z = frame.iloc[:, 1:].to_numpy()
    w = np.random.default_rng(0).random(len(z)) + 0.5
    labels, centres, inertia = weighted_kmeans(z, 3, w, seed=1)
    for k in range(3):
        np.testing.assert_allclose(centres[k], np.average(z[labels == k], axis=0, weights=w[labels == k]))
    d2 = ((z - centres[labels]) ** 2).sum(axis=1)
    assert inertia == pytest.approx(w @ d2)


def test_weighted_kmeans_equals_duplicated_rows() -> None:
    frame, _ = blobs(2)
    z = frame.iloc[:, 1:].to_numpy()
    w = np.random.default_rng(3).integers(1, 4, size=len(z)).astype(float)
    _, centres, inertia = weighted_kmeans(z, 3, w, seed=0)
    _, copy_centres, copy_inertia = weighted_kmeans(np.repeat(z, w.astype(int), axis=0), 3, seed=0)
    order, copy_order = np.lexsort(centres.T), np.lexsort(copy_centres.T)  # cluster numbers may differ
    np.testing.assert_allclose(centres[order], copy_centres[copy_order], atol=1e-12)
    assert inertia == pytest.approx(copy_inertia)
    with pytest.raises(ValueError, match="k must be between 1"):
        weighted_kmeans(z[:2], 3)


def test_typology_is_deterministic_and_large_populations_end_on_everyone() -> None:
    frame = synthetic_frame(600, seed=5)
    first, again = typology(frame, k=3, seed=2), typology(frame, k=3, seed=2)
    pd.testing.assert_series_equal(first.assignment, again.assignment)
    pd.testing.assert_frame_equal(first.centers, again.centers)
    # restarts on 200 firms, final iterations on all 600: centres are the weighted means of their members
    # (missing values imputed by the column's weighted mean, as the map does) and every firm is nearest its own
    big = typology(frame, k=3, fit_sample=200)
    st = standardise(frame, big.columns, frame["weight"].to_numpy())
    x = st.z * st.sd + st.mean
    w, member = frame["weight"].to_numpy(), big.assignment.to_numpy()
    for c in (1, 2, 3):
        np.testing.assert_allclose(big.centers.loc[c], np.average(x[member == c], axis=0, weights=w[member == c]),
                                   atol=1e-9)
    zc = (big.centers.to_numpy() - st.mean) / st.sd
    nearest = ((st.z[:, None, :] - zc[None]) ** 2).sum(axis=2).argmin(axis=1) + 1
    assert (nearest == member).all()
    shares = [c.share for c in big.clusters]
    assert shares == sorted(shares, reverse=True) and sum(c.n for c in big.clusters) == 600


def test_silhouette_matches_scikit_learn() -> None:
    from sklearn import metrics  # a dependency (pyproject.toml): the cross-check always runs

    rng = np.random.default_rng(4)
    z = rng.normal(size=(80, 3))
    labels = rng.integers(0, 3, size=80)
    assert silhouette(z, labels) == pytest.approx(metrics.silhouette_score(z, labels))


def test_typology_test_values_and_labels() -> None:
    rng = np.random.default_rng(7)
    n = 60
    group = np.repeat([0, 1], n)
    level = np.array([[0.9, 0.9, 0.75, 0.75, 0.2, 0.2], [0.3, 0.3, 0.35, 0.35, 0.7, 0.7]])[group]
    acts = np.clip(level + rng.normal(0, 0.06, size=level.shape), 0, 1)
    frame = frame_of(acts)
    frame["dim.networks"] = acts[:, :2].mean(axis=1)
    frame["dim.strategy"] = acts[:, 2:4].mean(axis=1)
    frame["dim.ip"] = acts[:, 4:].mean(axis=1)
    frame["iiep"] = acts.mean(axis=1)
    t = typology(frame, k=2, labels={"dim.ip": "IP", "dim.networks": "Networks", "dim.strategy": "Strategy"})
    first = t.clusters[t.assignment.iloc[0] - 1]  # the cluster of group 0
    assert first.label == "strong on networks and strategy, weak on IP"
    other = t.clusters[t.assignment.iloc[-1] - 1]
    assert other.label == "strong on IP, weak on networks and strategy"
    # test values as in the method: (mean_k - mean) / s_k, s_k² = (n - n_k)/(n - 1) · s² / n_k
    x = frame["act.a0"].to_numpy()
    member = (t.assignment == first.id).to_numpy()
    nk, nn = member.sum(), len(x)
    sk = np.sqrt((nn - nk) / (nn - 1) * x.var() / nk)
    assert first.test_values["act.a0"] == pytest.approx((x[member].mean() - x.mean()) / sk)
    assert first.index_means["iiep"] == pytest.approx(frame.loc[member, "iiep"].mean())
    assert "act.a0" in first.above and "act.a4" in first.below
    assert set(t.describe().columns) >= {"label", "n", "share", "iiep", "above", "below"}
    assert "2 types of firms" in t.summary()


def test_names_from_framework() -> None:
    names = names_from_framework(load_framework("iiep"), "en")
    assert names["dim.networks"] == "Networks" and names["act.net_weak_ties"].startswith("Mobilise weak ties")


# --- drawing -----------------------------------------------------------------------------------------------


def test_map_svg_parses_and_shows_firms_peers_and_colours() -> None:
    frame = synthetic_frame(400, seed=3)
    frame.loc[5, "firm_id"] = "A&B <5>"
    m = pca_map(frame)
    t = typology(frame, k=3)
    svg = map_svg(m, highlight_firm="A&B <5>", color_by="country", peers=peer_group(frame, "A&B <5>", ("size",)))
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    titles = [e.text for e in root.iter(f"{ns}title")]
    assert any(t and t.startswith("F0000001") for t in titles) and any(t and t.startswith("A&B <5>") for t in titles)
    assert len(root.findall(f".//{ns}circle[@class='firm']")) == 1
    assert len(root.findall(f".//{ns}g[@class='arrow']")) == 24  # one arrow per activity
    assert root.findall(f".//{ns}circle[@class='other']")  # firms outside the peer group, in grey
    for colour_by in (t, "iiep", "size", None):
        ET.fromstring(map_svg(m, color_by=colour_by))
    classes = ["proactive", "preactive", "reactive", "passive"]
    frame["class.iiep"] = pd.Categorical(np.array(classes)[np.arange(len(frame)) % 4], categories=classes)
    by_class = map_svg(pca_map(frame), color_by="class.iiep")
    assert 'fill="#2166ac"' in by_class and 'fill="#b2182b"' in by_class  # the report's class colours
    big = map_svg(pca_map(synthetic_frame(3000, seed=1)), max_points=500, highlight_firm="F0002999")
    root = ET.fromstring(big)
    assert len(root.findall(f".//{ns}circle[@class='row']")) == 499 and "500 of 3,000 firms shown" in big


def test_ca_and_mca_maps_parse() -> None:
    for m in (correspondence_map(SMOKE, kind="ca"), correspondence_map(smokers())):
        root = ET.fromstring(map_svg(m))
        assert root.findall(".//{http://www.w3.org/2000/svg}polygon[@class='column']")


def test_map_html_is_standalone_with_a_legend() -> None:
    frame = synthetic_frame(200, seed=2)
    page = map_html(pca_map(frame), highlight_firm="F0000003", color_by="country")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "Legend" in page
    assert "F0000003" in page and "country" in page and "PC1 (" in page
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")


# --- real data ------------------------------------------------------------------------------------------


@requires_shared(WMS)
def test_world_management_survey_practices_share_one_main_axis() -> None:
    wms = pd.read_csv(WMS, encoding="utf-8-sig")
    items = [c for c in wms.columns if c.startswith(("lean", "perf", "talent"))]
    m = pca_map(wms, items)
    # the 18 practices measure one management quality: a large first axis, every practice loading on it
    assert m.explained[0] > 0.4 and (m.columns["dim1"] > 0.4).all()
    sub = wms[wms["country"].isin(["France", "Chile", "Argentina"])].reset_index(drop=True)
    sub.insert(0, "firm_id", [f"W{i}" for i in range(len(sub))])
    local = pca_map(sub, items)
    means = local.rows.groupby(sub["country"].to_numpy())["dim1"].mean()
    assert means["France"] > means["Chile"] and means["France"] > means["Argentina"]
    ET.fromstring(map_svg(local, highlight_firm="W0", color_by="country"))
