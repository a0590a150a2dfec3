"""A firm among the organisation's own firms (percentiles, intervals, broader groups) and the shared
reference set (masked aggregates only): :mod:`innexport.portfolio.peers`."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom

from innexport.population.benchmark import weighted_percentile_rank
from innexport.portfolio import peers
from innexport.portfolio.compute import MIN_GROUP


def frame(rows: list[dict]) -> pd.DataFrame:
    base = {"assessed_on": "2025-03-01", "sector": "11.02", "size": "small", "country": "FR", "dimension_scores": None}
    out = []
    for i, r in enumerate(rows):
        row = {**base, "firm": i, **r}
        for name in ("iip", "iep", "iiep"):
            row.setdefault(name, row.get("v", 0.5))
        row.pop("v", None)
        out.append(row)
    return peers.latest(pd.DataFrame(out))


def test_the_minimum_group_is_the_disclosure_rule() -> None:
    assert peers.MIN_GROUP is MIN_GROUP == 5


# --- percentiles worked out by hand -------------------------------------------------------------------


def test_percentiles_by_hand_on_a_small_organisation() -> None:
    # firm 0 (IIEP 0.3) and five peers 0.1, 0.2, 0.3, 0.3, 0.5: 2 below, 2 tied → 100·(2 + 1)/5 = 60
    values = [0.3, 0.1, 0.2, 0.3, 0.3, 0.5]
    dims = [{"ip": 0.9, "net": 0.2}, {"ip": 0.1}, {"ip": 0.2, "net": 0.4}, {"ip": 0.3}, {"ip": 0.4}, {"ip": 0.5}]
    f = frame([{"iiep": v, "iip": 1 - v, "dimension_scores": d} for v, d in zip(values, dims, strict=True)])
    p = peers.place(f, 0)
    assert (p.level.id, p.n, p.group, p.tried) == ("sector_size_country", 5,
                                                    {"sector": "11.02", "size": "small", "country": "FR"}, ())
    iiep = p.row("iiep")
    assert iiep.percentile == pytest.approx(60.0)
    assert iiep.median == pytest.approx(0.3)
    assert iiep.n == 5
    # IIP 0.7 among 0.9, 0.8, 0.7, 0.7, 0.5: 1 below, 2 tied → 40
    assert p.row("iip").percentile == pytest.approx(40.0)
    assert p.row("iip").median == pytest.approx(0.7)
    # a dimension: above all five (100); a dimension only one peer has: 1 peer
    assert p.row("dim:ip").percentile == 100.0
    assert (p.row("dim:net").n, p.row("dim:net").percentile) == (1, 0.0)
    # the interval is the exact binomial one: P(X ≥ below | low) = 5 %, P(X ≤ below + ties | high) = 5 %
    assert binom.sf(2 - 1, 5, iiep.low / 100) == pytest.approx(0.05, abs=1e-9)
    assert binom.cdf(2 + 2, 5, iiep.high / 100) == pytest.approx(0.05, abs=1e-9)


def test_the_interval_of_a_published_case() -> None:
    # Clopper–Pearson 90 % for 5 successes in 10: 0.2224–0.7776
    low, high = peers.percentile_interval(5, 0, 10)
    assert (round(float(low[0]) / 100, 4), round(float(high[0]) / 100, 4)) == (0.2224, 0.7776)


def test_only_the_latest_diagnostic_of_each_firm_counts() -> None:
    rows = [{"firm": k, "assessed_on": "2025-01-01", "sector": "11.02", "size": "small", "country": "FR",
             "iip": 0.5, "iep": 0.5, "iiep": 0.1 * k, "dimension_scores": "{}"} for k in range(6)]
    rows.append({**rows[1], "assessed_on": "2025-06-01", "iiep": 0.95})  # firm 1 later: above firm 0
    rows.append({**rows[2], "assessed_on": "2024-06-01", "iiep": 0.99})  # firm 2 earlier: ignored
    f = peers.latest(pd.DataFrame(rows))
    assert len(f) == 6 and f.loc[1, "iiep"] == 0.95 and f.loc[2, "iiep"] == pytest.approx(0.2)
    p = peers.place(f, 5)  # 0.5 among 0, 0.95, 0.2, 0.3, 0.4 → 4 below
    assert p.row("iiep").percentile == pytest.approx(80.0)


def test_given_values_replace_the_firms_own() -> None:
    f = frame([{"v": v} for v in (0.5, 0.1, 0.2, 0.3, 0.4, 0.6)])
    assert peers.place(f, 0).row("iiep").percentile == 80.0
    p = peers.place(f, 0, values={"iip": 0.05, "iep": None, "iiep": 0.7})
    assert (p.row("iip").percentile, p.row("iep").percentile, p.row("iiep").percentile) == (0.0, None, 100.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]), min_size=5, max_size=40),
       st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 1.0]))
def test_the_percentile_is_the_population_benchmarks_mid_rank(values: list[float], x: float) -> None:
    f = frame([{"v": x}, *({"v": v} for v in values)])
    row = peers.place(f, 0).row("iiep")
    assert row.percentile == pytest.approx(weighted_percentile_rank(values, None, x))
    assert row.median == pytest.approx(float(np.median(values)))
    # the interval contains the point
    assert row.low is not None and row.high is not None
    assert 0.0 <= row.low <= row.percentile <= row.high <= 100.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=5, max_size=30), st.floats(0, 1))
def test_the_interval_narrows_with_more_firms(values: list[float], x: float) -> None:
    small = peers.place(frame([{"v": x}, *({"v": v} for v in values)]), 0).row("iiep")
    large = peers.place(frame([{"v": x}, *({"v": v} for v in values * 4)]), 0).row("iiep")
    assert large.percentile == pytest.approx(small.percentile)
    if (small.low, small.high) == (0.0, 100.0):  # every peer equal to the firm: nothing is known below it
        assert (large.low, large.high) == (0.0, 100.0)
    else:
        assert large.high - large.low < small.high - small.low


# --- broader groups ------------------------------------------------------------------------------------


def test_broader_groups_in_turn_and_the_refusal() -> None:
    firm = {"sector": "11.02", "size": "small", "country": "FR"}
    rows = [firm,
            *[{**firm}] * 2,                                # same sector, size, country: 2
            *[{**firm, "size": "micro"}] * 1,               # + same sector and country: 3
            *[{**firm, "sector": "11.01"}] * 1,             # + same division (11) and country: 4
            *[{**firm, "sector": "10.1"}] * 1,              # + same section (C) and country: 5 → used
            *[{**firm, "sector": "10.1", "country": "CL"}] * 3,
            *[{**firm, "sector": "01.21"}] * 4]             # another section: never a peer
    f = frame(rows)
    p = peers.place(f, 0)
    assert p.level.id == "section_country" and p.fallback
    assert p.group == {"section": "C", "country": "FR"} and p.n == 5
    assert [(t.level.id, t.n) for t in p.tried] == [("sector_size_country", 2), ("sector_country", 3),
                                                   ("division_country", 4)]
    # without the 10.1 firm of France, the country is dropped: the section anywhere (4 + 3 = 7 others)
    p = peers.place(f.drop(index=5), 0)
    assert (p.level.id, p.n, p.group) == ("section", 7, {"section": "C"})
    # and with none of them, even the broadest group is too small: refused, every group tried named
    with pytest.raises(peers.PeerGroupTooSmall) as refused:
        peers.place(f.drop(index=[5, 6, 7, 8]), 0)
    assert [(t.level.id, t.n) for t in refused.value.tried] == [
        ("sector_size_country", 2), ("sector_country", 3), ("division_country", 4), ("section_country", 4),
        ("section", 4)]
    assert refused.value.min_group == 5 and "no peer group has 5 other firms" in str(refused.value)


def test_the_sector_hierarchy_is_the_nace_one() -> None:
    assert peers.sector_hierarchy("11.02") == ("11", "C")
    assert peers.sector_hierarchy("01.21") == ("01", "A")
    assert peers.sector_hierarchy("") == ("", "")


def test_a_firm_not_in_the_frame_is_refused_by_name() -> None:
    with pytest.raises(KeyError, match="firm 99"):
        peers.place(frame([{"v": 0.5}] * 6), 99)


def test_ten_thousand_firms_answer_in_well_under_a_second() -> None:
    rng = np.random.default_rng(7)
    n = 10_000
    sectors = rng.choice(["11.02", "11.01", "10.1", "01.21", "62.01", "46.34"], n)
    raw = pd.DataFrame({
        "firm": np.arange(n), "assessment": np.arange(n), "assessed_on": "2025-01-01", "sector": sectors,
        "size": rng.choice(["micro", "small", "medium"], n), "country": rng.choice(["FR", "CL", "AR"], n),
        "iip": rng.random(n), "iep": rng.random(n), "iiep": rng.random(n),
        "dimension_scores": [f'{{"ip": {a:.3f}, "net": {b:.3f}}}' for a, b in rng.random((n, 2))],
    })
    start = time.perf_counter()
    f = peers.latest(raw)
    p = peers.place(f, 17)
    elapsed = time.perf_counter() - start
    assert p.n > 100 and len(p.rows) == 5
    assert elapsed < 0.5, f"{elapsed:.2f} s"


# --- the shared reference -----------------------------------------------------------------------------


def test_the_shared_reference_holds_no_small_group_and_no_firms_value() -> None:
    rng = np.random.default_rng(3)
    rows = []
    firm = 0

    def add(org: str, k: int, **keys: str) -> None:
        nonlocal firm
        for _ in range(k):
            v = float(rng.random())
            rows.append({"firm": firm, "organisation": org, "assessed_on": "2025-01-01", "sector": "11.02",
                         "size": "small", "country": "FR", "iip": v, "iep": float(rng.random()),
                         "iiep": float(rng.random()), "dimension_scores": None, **keys})
            firm += 1

    add("a", 9), add("b", 8), add("c", 6)                  # C small FR: 23 firms of three organisations
    add("a", 4, size="micro")                              # 4 firms: under the minimum
    add("a", 6, country="CL"), add("b", 3, country="CL")   # 9 firms, but only 3 beyond organisation a's
    add("b", 5, sector="01.21"), add("c", 5, sector="01.11")  # A small FR: 10 firms, 5 + 5
    add("c", 7, sector="")                                 # no sector: never shared
    f = peers.latest(pd.DataFrame(rows))
    ref = peers.shared_reference(f)
    assert [(g.section, g.size, g.country, g.n) for g in ref] == [("A", "small", "FR", 10), ("C", "small", "FR", 23)]
    assert all(g.n >= MIN_GROUP for g in ref)
    # what leaves is only keys, counts and deciles: no firm id, no firm's value
    published = [g.to_dict() for g in ref]
    assert all(set(d) == {"section", "size", "country", "n", "deciles"} for d in published)
    firm_values = f[["iip", "iep", "iiep"]].to_numpy().ravel()
    for d in published:
        assert set(d["deciles"]) == {"iip", "iep", "iiep"}
        for deciles in d["deciles"].values():
            assert len(deciles) == 9 and deciles == sorted(deciles)
            assert not np.isclose(np.asarray(deciles)[:, None], firm_values[None, :], rtol=0, atol=1e-12).any()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=0, max_size=60), st.integers(2, 6))
def test_every_block_mixes_enough_firms_unknown_to_any_organisation(orgs: list[int], k: int) -> None:
    blocks = peers._blocks(np.asarray(orgs, dtype=np.int64), k)
    counts = pd.Series(orgs).value_counts()
    if blocks is None:  # no block possible: fewer than k firms beyond the largest contributor
        assert len(orgs) - (counts.max() if len(orgs) else 0) < k
        return
    assert (np.diff(blocks) >= 0).all() and (np.diff(blocks) <= 1).all()  # consecutive blocks
    for b in np.unique(blocks):
        members = np.asarray(orgs)[blocks == b]
        assert len(members) - pd.Series(members).value_counts().max() >= k


def test_a_firm_against_the_shared_reference() -> None:
    g = peers.ReferenceGroup("C", "small", "FR", 40, {"iiep": (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                                                      "iip": (0.2,) * 9})
    found = peers.place_in_reference([g], "C", "small", "FR", {"iiep": 0.62, "iip": 0.2, "iep": 0.5})
    assert found is not None
    group, placed = found
    by = {r.column: r for r in placed}
    assert group is g and set(by) == {"iiep", "iip"}  # IEP has no deciles in this group
    assert (round(by["iiep"].percentile, 6), by["iiep"].low, by["iiep"].high) == (62.0, 60.0, 70.0)
    assert (by["iip"].percentile, by["iip"].low, by["iip"].high) == (50.0, 0.0, 100.0)  # a value every decile has
    assert peers.place_in_reference([g], "C", "micro", "FR", {"iiep": 0.5}) is None
