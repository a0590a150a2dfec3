"""Peer benchmark: weighted percentiles and quantiles by hand, the firm excluded, refusals, the index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SHARED_DATA, WMS, requires_shared
from innexport.population.benchmark import (
    BenchmarkIndex,
    PeerGroupTooSmall,
    benchmark,
    peer_group,
    score_columns,
    weighted_percentile_rank,
    weighted_quantile,
)
from innexport.population.synthetic import synthetic_frame

DATA = SHARED_DATA


def tiny(values: list[float], weights: list[float], **group: str) -> pd.DataFrame:
    group = group or {"country": "FR", "sector": "wine", "size": "small"}
    return pd.DataFrame({"firm_id": [f"P{i}" for i in range(len(values))], "weight": weights, **group,
                         "act.net": values, "iiep": values})


# --- definitions, by hand ---------------------------------------------------------------------------


def test_weighted_percentile_rank_by_hand() -> None:
    # peers 0.2 (w 1), 0.5 (w 2), 0.5 (w 1), 0.8 (w 4): below 0.5 weighs 1, ties weigh 3, total 8
    assert weighted_percentile_rank([0.2, 0.5, 0.5, 0.8], [1, 2, 1, 4], 0.5) == pytest.approx(100 * (1 + 3 / 2) / 8)
    assert weighted_percentile_rank([0.2, 0.5, 0.5, 0.8], [1, 2, 1, 4], 0.9) == 100.0
    assert weighted_percentile_rank([0.2, 0.5, 0.5, 0.8], [1, 2, 1, 4], 0.1) == 0.0
    assert weighted_percentile_rank([0.2, 0.5, 0.5, 0.8], [1, 2, 1, 4], 0.6) == pytest.approx(100 * 4 / 8)
    # equal to every peer: the middle, not the top
    assert weighted_percentile_rank([0.4] * 5, None, 0.4) == 50.0
    # unweighted: the mid-rank of 3 among 1..5 is 50
    assert weighted_percentile_rank([1, 2, 3, 4, 5], None, 3) == 50.0
    assert weighted_percentile_rank([1, np.nan, 3], None, 2) == 50.0  # missing values ignored


def test_weighted_quantiles_by_hand() -> None:
    # values 1, 2, 3 weighted 1, 1, 2: mid-point positions (C - w/2) = 0.5, 1.5, 3 out of 4
    assert weighted_quantile([1, 2, 3], [1, 1, 2], 0.5) == pytest.approx(2 + (2 - 1.5) / (3 - 1.5))
    assert weighted_quantile([1, 2, 3], [1, 1, 2], 0.25) == pytest.approx(1.5)
    assert weighted_quantile([1, 2, 3], [1, 1, 2], 0.75) == pytest.approx(3.0)
    assert weighted_quantile([1, 2, 3], [1, 1, 2], 0.05) == pytest.approx(1.0)  # clamped
    assert weighted_quantile([3, 1, 2], [2, 1, 1], 0.5) == weighted_quantile([1, 2, 3], [1, 1, 2], 0.5)
    # equal weights: numpy's Hazen quantile, ties included
    rng = np.random.default_rng(0)
    for _ in range(100):
        v = rng.integers(0, 5, size=rng.integers(1, 12)).astype(float)
        for q in (0.1, 0.25, 0.5, 0.75, 0.9):
            assert weighted_quantile(v, None, q) == pytest.approx(np.quantile(v, q, method="hazen"))


def test_benchmark_by_hand_with_ties_and_weights() -> None:
    frame = tiny([0.2, 0.5, 0.5, 0.8], [1, 2, 1, 4])
    firm = {"country": "FR", "sector": "wine", "size": "small", "act.net": 0.5, "iiep": 0.8}
    result = benchmark(frame, firm, min_group=4)
    net, iiep = result.table.loc["act.net"], result.table.loc["iiep"]
    assert net["percentile"] == pytest.approx(31.25) and iiep["percentile"] == pytest.approx(100 * (4 + 2) / 8)
    assert net["mean"] == pytest.approx((0.2 + 1.0 + 0.5 + 3.2) / 8)
    assert net["median"] == pytest.approx(weighted_quantile([0.2, 0.5, 0.5, 0.8], [1, 2, 1, 4], 0.5))
    assert net["n"] == 4 and net["weight"] == 8.0
    assert result.n == 4 and result.weight == 8.0 and result.firm_id is None
    assert result.group == {"country": "FR", "sector": "wine", "size": "small"}
    assert "country = FR, sector = wine, size = small: 4 firms (weighted 8.0)" in result.to_text()
    json.dumps(result.to_dict())  # ready for the API


def test_peers_are_the_same_group_only() -> None:
    frame = pd.concat([tiny([0.1, 0.2, 0.3], [1, 1, 1]),
                       tiny([0.9, 0.9], [1, 1], country="CL", sector="wine", size="small"),
                       tiny([0.7], [1], country="FR", sector="wine", size="large")], ignore_index=True)
    frame["firm_id"] = [f"F{i}" for i in range(len(frame))]
    firm = {"country": "FR", "sector": "wine", "size": "small", "act.net": 0.25}
    assert peer_group(frame, firm).tolist() == [True, True, True, False, False, False]
    assert peer_group(frame, firm, by=("sector", "size")).sum() == 5
    assert benchmark(frame, firm, by=("sector",), min_group=1).n == 6


def test_the_firm_itself_is_excluded() -> None:
    frame = tiny([0.2, 0.4, 0.6, 0.8], [1, 1, 1, 1])
    row = frame.iloc[3]  # P3, 0.8: the best of the four, but compared with the three others only
    for firm in (row, "P3", row.to_dict()):
        result = benchmark(frame, firm, min_group=3)
        assert result.n == 3 and result.firm_id == "P3"
        assert result.table.loc["act.net", "percentile"] == 100.0
        assert result.table.loc["act.net", "mean"] == pytest.approx(0.4)
    assert not peer_group(frame, "P3").iloc[3]
    # the same answers without an id: a new firm, compared with all four
    anonymous = {k: v for k, v in row.to_dict().items() if k != "firm_id"}
    result = benchmark(frame, anonymous, min_group=3)
    assert result.n == 4 and result.table.loc["act.net", "percentile"] == pytest.approx(100 * 3.5 / 4)


def test_refusal_below_min_group() -> None:
    frame = tiny([0.2, 0.4, 0.6], [1.0, 2.0, 3.0])
    with pytest.raises(PeerGroupTooSmall) as err:
        benchmark(frame, "P0", min_group=30)
    e = err.value
    assert e.n == 2 and e.weight == 5.0 and e.min_group == 30
    assert e.group == {"country": "FR", "sector": "wine", "size": "small"}
    assert e.suggestion == ("country", "sector")
    message = str(e)
    assert "country = FR, sector = wine, size = small" in message and "2 firms" in message
    assert "drop 'size'" in message
    assert benchmark(frame, "P0", min_group=2).n == 2
    with pytest.raises(PeerGroupTooSmall):
        BenchmarkIndex(frame, min_group=30).benchmark("P0")
    with pytest.raises(ValueError, match="no 'size'"):
        benchmark(frame, {"country": "FR", "sector": "wine", "act.net": 0.5})


def test_missing_values_of_the_firm_and_of_peers() -> None:
    frame = tiny([0.2, np.nan, 0.6, 0.8], [1, 1, 1, 1])
    firm = {"country": "FR", "sector": "wine", "size": "small", "act.net": np.nan, "iiep": 0.7}
    table = benchmark(frame, firm, min_group=1, columns=["act.net", "iiep"]).table
    assert np.isnan(table.loc["act.net", "percentile"]) and table.loc["act.net", "n"] == 3
    assert table.loc["act.net", "median"] == pytest.approx(0.6)
    assert table.loc["iiep", "percentile"] == pytest.approx(100 * 2 / 3)


def test_score_columns_order() -> None:
    frame = pd.DataFrame(columns=["firm_id", "iiep", "dim.b", "act.a", "iip", "country"])
    assert score_columns(frame) == ["act.a", "dim.b", "iip", "iiep"]


# --- the index -----------------------------------------------------------------------------------------


def test_index_gives_the_same_results_as_masks() -> None:
    frame = synthetic_frame(3000, seed=4)
    frame["act.a00"] = (frame["act.a00"] * 4).round() / 4  # many ties
    frame["weight"] = frame["weight"].round(1)  # tied weights too
    by = ("country", "size")
    index = BenchmarkIndex(frame, by, min_group=5)
    rng = np.random.default_rng(1)
    checked = 0
    for pos in rng.choice(len(frame), 60, replace=False):
        row = frame.iloc[int(pos)]
        try:
            fast = index.benchmark(row)
        except PeerGroupTooSmall:
            with pytest.raises(PeerGroupTooSmall):
                benchmark(frame, row, by, 5)
            continue
        slow = benchmark(frame, row, by, 5)
        assert fast.n == slow.n and fast.weight == pytest.approx(slow.weight)
        pd.testing.assert_frame_equal(fast.table, slow.table, rtol=1e-9)
        assert np.array_equal(np.sort(index.peers(row)), np.flatnonzero(peer_group(frame, row, by)))
        checked += 1
    assert checked > 40
    # a new firm (not in the population): nobody excluded
    new = frame.iloc[0].to_dict() | {"firm_id": "NEW", "act.a01": 0.5}
    fast, slow = index.benchmark(new), benchmark(frame, new, by, 5)
    pd.testing.assert_frame_equal(fast.table, slow.table, rtol=1e-9)
    assert fast.n == index.group_sizes().set_index(list(by)).loc[tuple(new[c] for c in by), "n"]
    # prepared or not, cached or not: the same
    index.prepare()
    pd.testing.assert_frame_equal(index.benchmark(new).table, slow.table, rtol=1e-9)


def test_index_group_sizes_and_unknown_groups() -> None:
    frame = synthetic_frame(500, seed=1)
    index = BenchmarkIndex(frame, ("country",), min_group=1)
    sizes = index.group_sizes()
    assert sizes["n"].sum() == 500 and index.groups == frame["country"].nunique()
    assert sizes["weight"].sum() == pytest.approx(frame["weight"].sum())
    with pytest.raises(PeerGroupTooSmall) as err:
        index.benchmark({"country": "Atlantis", "act.a00": 0.5})
    assert err.value.n == 0 and err.value.suggestion == ()
    assert "compare by the whole population" in str(err.value)
    whole = BenchmarkIndex(frame, (), min_group=1).benchmark("F0000001")
    assert whole.n == 499 and whole.group == {}


# --- real data ---------------------------------------------------------------------------------------


@requires_shared(WMS)
def test_world_management_survey_benchmark_of_a_french_firm() -> None:
    wms = pd.read_csv(WMS, encoding="utf-8-sig")
    wms.insert(0, "firm_id", [f"W{i:05d}" for i in range(len(wms))])
    cols = ["management", "operations", "monitor", "target", "people"]
    french = wms[wms["country"] == "France"]
    firm = french.iloc[10]
    result = BenchmarkIndex(wms, ("country",), columns=cols).benchmark(firm)
    assert result.n == 489 and result.group == {"country": "France"}
    peers = french.loc[french["firm_id"] != firm["firm_id"], "management"].to_numpy()
    x = firm["management"]
    expected = 100 * ((peers < x).sum() + 0.5 * (peers == x).sum()) / len(peers)
    assert result.table.loc["management", "percentile"] == pytest.approx(expected)
    assert result.table.loc["management", "median"] == pytest.approx(np.quantile(peers, 0.5, method="hazen"))
    assert result.table.loc["management", "mean"] == pytest.approx(peers.mean())
    # a narrower group (France × 2-digit sector) is often too small: refused with a way out
    small = wms.groupby(["country", "sic2"]).size()
    country, sic2 = small[(small < 30) & (small.index.get_level_values(0) == "France")].index[0]
    target = wms[(wms["country"] == country) & (wms["sic2"] == sic2)].iloc[0]
    with pytest.raises(PeerGroupTooSmall, match="drop 'sic2'"):
        benchmark(wms, target, by=("country", "sic2"), columns=cols)


# --- the timing script (bench/, never timed here) -------------------------------------------------------


def test_bench_script_prints_each_time_with_its_ratio_to_a_floor() -> None:
    script = Path(__file__).resolve().parents[1] / "bench" / "bench_benchmark.py"
    run = subprocess.run([sys.executable, str(script), "--firms", "3000", "--samples", "8", "--by", "country"],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "3,000 synthetic firms, 10 groups" in out and "one thread" in out
    for line in ("benchmark() without index", "index, cold group", "index, warm group"):
        row = next(r for r in out.splitlines() if line in r)
        assert "the floor" in row  # a ratio, whatever its value
    bad = subprocess.run([sys.executable, str(script), "--firms", "1"], capture_output=True, text=True,
                         timeout=60, check=False)
    assert bad.returncode == 2 and "--firms must be at least 2" in bad.stderr


def test_a_results_index_interval_gives_its_percentile_an_interval() -> None:
    """The percentiles of the two ends of an index's interval, among the same peers (worked by hand
    on 40 peers at 0, 0.025, …, 0.975: the mid-rank of x is 100 · (#below + ½ #equal) / 40)."""
    from innexport.api import diagnose
    from innexport.population.benchmark import benchmark_firm

    [result] = diagnose("examples/fr-domaine-des-trois-collines.yaml")
    firm = result.firm
    values = np.arange(40) / 40
    frame = pd.DataFrame({"firm_id": [f"p{k}" for k in range(40)], "weight": 1.0, "country": firm.country,
                          "sector": firm.sector, "size": firm.size, "iip": values, "iep": values, "iiep": values})
    out = benchmark_firm(frame, result, min_group=30)
    for name in ("iip", "iep", "iiep"):
        interval = result.indices[name].interval
        assert interval is not None and interval.low < interval.high  # unanswered questions make it wide

        def rank(x: float) -> float:
            return 100 * (np.sum(values < x - 1e-12) + 0.5 * np.sum(np.abs(values - x) <= 1e-12)) / 40

        row = out["columns"][name]
        assert row["percentile_interval"] == pytest.approx([rank(interval.low), rank(interval.high)])
        assert row["percentile_interval"][0] <= row["percentile"] <= row["percentile_interval"][1]
    without = result.model_copy(update={"indices": {k: v.model_copy(update={"interval": None})
                                                    for k, v in result.indices.items()}})
    assert "percentile_interval" not in benchmark_firm(frame, without, min_group=30)["columns"]["iip"]


def test_the_report_shows_the_percentiles_interval() -> None:
    from innexport.api import diagnose, framework_of
    from innexport.population.benchmark import benchmark_firm
    from innexport.rendering.i18n import translator
    from innexport.rendering.report import render_html

    [result] = diagnose("examples/fr-domaine-des-trois-collines.yaml")
    values = np.arange(40) / 40
    frame = pd.DataFrame({"firm_id": [f"p{k}" for k in range(40)], "weight": 1.0, "country": result.firm.country,
                          "sector": result.firm.sector, "size": result.firm.size,
                          "iip": values, "iep": values, "iiep": values})
    bench = benchmark_firm(frame, result, min_group=30)
    html = render_html(result.model_copy(update={"benchmark": bench}), framework_of(result))
    fr = translator("fr")
    row = bench["columns"]["iiep"]
    low, high = row["percentile_interval"]
    assert fr.t("report.benchmark.percentile_interval", percentile=fr.num(row["percentile"], 0),
                low=fr.num(low, 0), high=fr.num(high, 0)) in html
