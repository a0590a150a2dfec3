"""Population tables as Parquet files and partitioned datasets, computed by DuckDB (population.dataset).

The DuckDB path must give pandas' numbers (describe, counts, benchmark) to 1e-9 on the same data,
for a single file, a folder of parts and a Hive-partitioned folder; small tables keep pandas.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.population import dataset
from innexport.population.benchmark import PeerGroupTooSmall
from innexport.population.benchmark import benchmark as pandas_benchmark
from innexport.population.describe import counts as pandas_counts
from innexport.population.describe import describe as pandas_describe
from innexport.population.synthetic import synthetic_frame

TOL = {"check_exact": False, "rtol": 1e-9, "atol": 1e-9}


def _population(n: int, seed: int) -> pd.DataFrame:
    """Random firms: few groups, tied values and weights, missing values, an IIEP class."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "firm_id": [f"F{i}" for i in range(n)],
        "weight": rng.choice([0.5, 1.0, 1.0, 2.5, 7.25], size=n) * rng.choice([1.0, rng.uniform(0.5, 2)], size=n),
        "size": rng.choice(["small", "medium", "large"], size=n),
        "region": rng.integers(0, 3, size=n),
        "obs.exports": rng.choice([0.0, 1.0, np.nan], size=n),
        "act.rd": rng.choice([0.0, 0.25, 0.5, 0.75, 1.0, np.nan], size=n),
        "act.fairs": rng.uniform(0, 1, size=n).round(1),
        "dim.networks": rng.uniform(0, 1, size=n),
        "iiep": np.where(rng.random(n) < 0.1, np.nan, rng.uniform(0, 1, size=n)),
    })
    frame.loc[rng.random(n) < 0.1, "size"] = None
    frame["class.iiep"] = pd.Categorical.from_codes(rng.integers(-1, 3, size=n), ["low", "middle", "high"])
    return frame


def _write(frame: pd.DataFrame, folder: Path, parts: int) -> tuple[Path, Path]:
    """The frame as one file and as a folder of ``parts`` files (in row order)."""
    single = folder / "pop.parquet"
    frame.to_parquet(single, index=False)
    parted = folder / "parts"
    parted.mkdir()
    for k, chunk in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[chunk].to_parquet(parted / f"part-{k:03d}.parquet", index=False)
    return single, parted


# --- worked by hand --------------------------------------------------------------------------------


def test_describe_and_benchmark_worked_by_hand(tmp_path: Path) -> None:
    # values 1, 2, 3 (and a missing one) with weights 1, 2, 1, 4; the firm F9 (value 2) is not a peer
    frame = pd.DataFrame({"firm_id": ["A", "B", "C", "D", "F9"], "weight": [1.0, 2.0, 1.0, 4.0, 3.0],
                          "size": ["s"] * 5, "act.x": [1.0, 2.0, 3.0, np.nan, 2.0]})
    path = tmp_path / "pop.parquet"
    frame.to_parquet(path, index=False)
    table = dataset.describe(path).set_index("variable")
    assert table.loc["act.x", "n"] == 4
    assert table.loc["act.x", "weighted_n"] == pytest.approx(7.0)
    assert table.loc["act.x", "mean"] == pytest.approx(2.0)
    assert table.loc["act.x", "weighted_mean"] == pytest.approx((1 + 4 + 3 + 6) / 7)
    result = dataset.benchmark(path, "F9", by=["size"], min_group=2)
    row = result.table.loc["act.x"]
    # below: weight 1; ties: weight 2; total 4 → 100 · (1 + 1) / 4
    assert row["percentile"] == pytest.approx(50.0)
    assert row["mean"] == pytest.approx((1 + 4 + 3) / 4)
    # plotting positions 0.5, 2, 3.5: the median (t = 2) is the value 2; p25 (t = 1) is 1 + 0.5/1.5
    assert row["median"] == pytest.approx(2.0)
    assert row["p25"] == pytest.approx(1 + 1 / 3)
    assert row["p75"] == pytest.approx(2 + 1 / 1.5)
    assert (result.n, result.weight, int(row["n"]), row["weight"]) == (4, 8.0, 3, 4.0)  # D (weight 4) is a peer without a value


# --- the same numbers as pandas ------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(1, 80), seed=st.integers(0, 2**32 - 1), parts=st.integers(1, 4),
       by=st.sampled_from([None, "size", "region"]))
def test_describe_and_counts_equal_pandas(n: int, seed: int, parts: int, by: str | None) -> None:
    frame = _population(n, seed)
    with tempfile.TemporaryDirectory() as tmp:
        single, parted = _write(frame, Path(tmp), min(parts, n))
        expected = pandas_describe(pd.read_parquet(single), by=by)
        expected_counts = pandas_counts(pd.read_parquet(single), by=by)
        for path in (single, parted):
            pd.testing.assert_frame_equal(dataset.describe(path, by=by), expected, **TOL)
            got = dataset.counts(path, by=by)
            pd.testing.assert_frame_equal(got, expected_counts, check_names=False, check_index_type=False, **TOL)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 120), seed=st.integers(0, 2**32 - 1), parts=st.integers(1, 3), pick=st.integers(0, 10**6),
       by=st.sampled_from([("size",), ("size", "region"), ("region",), ()]))
def test_benchmark_equals_pandas(n: int, seed: int, parts: int, pick: int, by: tuple[str, ...]) -> None:
    frame = _population(n, seed)
    firm = frame["firm_id"].iloc[pick % n]
    with tempfile.TemporaryDirectory() as tmp:
        single, parted = _write(frame, Path(tmp), min(parts, n))
        table = pd.read_parquet(single)
        try:
            expected = pandas_benchmark(table, firm, by=by, min_group=3)
        except (PeerGroupTooSmall, ValueError) as exc:
            for path in (single, parted):
                with pytest.raises(type(exc), match=r"peer group|has no"):
                    dataset.benchmark(path, firm, by=by, min_group=3)
            return
        for path in (single, parted):
            got = dataset.benchmark(path, firm, by=by, min_group=3)
            assert (got.n, got.group, got.firm_id) == (expected.n, expected.group, expected.firm_id)
            assert got.weight == pytest.approx(expected.weight, rel=1e-12)
            pd.testing.assert_frame_equal(got.table, expected.table, **TOL)


def test_benchmark_of_a_firm_outside_the_population(tmp_path: Path) -> None:
    frame = synthetic_frame(400, seed=3)
    single, _ = _write(frame, tmp_path, 2)
    firm = {"country": "C0", "sector": "S0", "size": "Z0", "act.a00": 0.5, "iiep": 0.61}
    got = dataset.benchmark(single, firm, by=["country"], columns=["act.a00", "iiep"])
    expected = pandas_benchmark(frame, firm, by=["country"], columns=["act.a00", "iiep"])
    pd.testing.assert_frame_equal(got.table, expected.table, **TOL)
    assert got.firm_id is None and got.n == expected.n


def test_hive_partitioned_folder(tmp_path: Path) -> None:
    frame = synthetic_frame(600, seed=5)
    frame["country"] = frame["country"].astype(str)
    folder = tmp_path / "hive"
    frame.to_parquet(folder, partition_cols=["country"], index=False)
    assert dataset.row_count(folder) == 600
    whole = dataset.read_frame(folder)
    assert len(whole) == 600 and "country" in whole
    expected = pandas_describe(whole, by="country").sort_values(["group", "variable"], ignore_index=True)
    got = dataset.describe(folder, by="country").sort_values(["group", "variable"], ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, **TOL)
    firm = whole["firm_id"].iloc[0]
    pd.testing.assert_frame_equal(dataset.benchmark(folder, firm, by=["country"]).table,
                                  pandas_benchmark(whole, firm, by=["country"]).table, **TOL)


def test_nan_and_null_are_both_missing(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    # written by pyarrow directly, a float column keeps NaN as a value (pandas' writer makes it null)
    table = pa.table({"weight": [1.0, 2.0, 4.0, 8.0], "size": ["a", "a", "b", None],
                      "act.x": pa.array([0.5, float("nan"), None, 1.0], from_pandas=False)})
    path = tmp_path / "nan.parquet"
    pq.write_table(table, path)
    with dataset.ParquetDataset(path) as ds:
        assert ds.query('SELECT count_if(isnan("act.x")) FROM pop') == [(1,)]
    frame = pd.read_parquet(path)
    got = dataset.describe(path, by="size")
    pd.testing.assert_frame_equal(got, pandas_describe(frame, by="size"), **TOL)
    # a NaN group key is no group (as pandas' dropna and groupby)
    frame = pd.DataFrame({"weight": [1.0, 2.0, 4.0], "zone": [1.5, float("nan"), 1.5], "act.x": [0.0, 1.0, 1.0]})
    zoned = tmp_path / "zoned.parquet"
    pq.write_table(pa.Table.from_pandas(frame).set_column(1, "zone", pa.array([1.5, float("nan"), 1.5],
                                                                               from_pandas=False)), zoned)
    pd.testing.assert_frame_equal(dataset.describe(zoned, by="zone"), pandas_describe(frame, by="zone"), **TOL)
    pd.testing.assert_frame_equal(dataset.counts(zoned, by="zone"), pandas_counts(frame, by="zone"),
                                  check_index_type=False, **TOL)
    # all: 0.5 (w 1) and 1.0 (w 8) → n 2, weighted mean 8.5 / 9; group a: 0.5 only; group b: nothing
    assert got["n"].tolist() == [2, 1, 0] and got["weighted_mean"].iloc[0] == pytest.approx(8.5 / 9)


# --- engines, projections, refusals ---------------------------------------------------------------------


def test_engine_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    single, parted = _write(_population(50, 1), tmp_path, 2)
    assert dataset.row_count(parted) == 50
    assert dataset.engine_for(single) == dataset.engine_for(parted) == "pandas"
    monkeypatch.setattr(dataset, "DUCKDB_MIN_ROWS", 50)
    assert dataset.engine_for(single) == dataset.engine_for(parted) == "duckdb"
    assert dataset.engine_for(single, "pandas") == "pandas"
    csv = tmp_path / "pop.csv"
    csv.write_text("firm_id,weight\nA,1\n")
    assert dataset.engine_for(csv) == "pandas"
    with pytest.raises(dataset.DatasetError, match="Parquet"):
        dataset.engine_for(csv, "duckdb")
    monkeypatch.setattr(dataset, "has_duckdb", lambda: False)  # the big extra not installed
    assert dataset.engine_for(parted) == "pandas"
    with pytest.raises(dataset.DatasetError, match=r"innexport\[big\]"):
        dataset.engine_for(parted, "duckdb")


def test_read_frame_projects_columns(tmp_path: Path) -> None:
    frame = _population(30, 2)
    frame.attrs["framework"] = "IIEP 1.0"
    _, parted = _write(frame, tmp_path, 3)
    got = dataset.read_frame(parted, exclude_prefixes=("obs.",))
    assert "obs.exports" not in got and list(got.columns) == [c for c in frame.columns if c != "obs.exports"]
    assert got.attrs["framework"] == "IIEP 1.0"
    pd.testing.assert_frame_equal(got, frame.drop(columns="obs.exports"))
    with pytest.raises(dataset.DatasetError, match="no column 'nope'"):
        dataset.read_frame(parted, columns=["nope"])


def test_refusals(tmp_path: Path) -> None:
    frame = _population(40, 4)
    single, _ = _write(frame, tmp_path, 1)
    with pytest.raises(KeyError, match="no column 'sector'"):
        dataset.describe(single, by="sector")
    with pytest.raises(KeyError, match="no firm 'ZZ'"):
        dataset.benchmark(single, "ZZ", by=["size"])
    with pytest.raises(PeerGroupTooSmall, match="fewer than the 1000"):
        dataset.benchmark(single, "F0", by=["region"], min_group=1000)
    bad = tmp_path / "bad.parquet"
    frame.assign(weight=-1.0).to_parquet(bad, index=False)
    with pytest.raises(ValueError, match="positive and finite"):
        dataset.benchmark(bad, "F0", by=["region"], min_group=1)
    junk = tmp_path / "junk.parquet"
    junk.write_text("not parquet")
    with pytest.raises(dataset.DatasetError, match=r"junk\.parquet"):
        dataset.describe(junk)


# --- the commands --------------------------------------------------------------------------------------


runner = CliRunner()
_register()


def test_cli_engines_agree(tmp_path: Path) -> None:
    frame = synthetic_frame(500, seed=7)
    _, parted = _write(frame, tmp_path, 3)
    outputs = {}
    for engine in ("pandas", "duckdb"):
        res = runner.invoke(app, ["population", "describe", str(parted), "--by", "size", "--json", "--engine", engine])
        assert res.exit_code == 0, res.output
        outputs[engine] = json.loads(res.stdout)
    assert [r["group"] for r in outputs["duckdb"]["counts"]] == ["Z0", "Z1", "Z2"]
    for a, b in zip(outputs["pandas"]["variables"], outputs["duckdb"]["variables"], strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, float):
                assert math.isclose(value, b[key], rel_tol=1e-9, abs_tol=1e-9), (a, b)
            else:
                assert value == b[key]
    bench = {e: json.loads(runner.invoke(app, ["population", "benchmark", str(parted), "--firm", "F0000003", "--by",
                                                "size", "--json", "--engine", e]).stdout) for e in ("pandas", "duckdb")}
    assert bench["pandas"]["n"] == bench["duckdb"]["n"] > 30
    for col, row in bench["pandas"]["columns"].items():
        for key, value in row.items():
            other = bench["duckdb"]["columns"][col][key]
            assert (value is None and other is None) or math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9)


def test_cli_report_from_a_folder(tmp_path: Path) -> None:
    _, parted = _write(synthetic_frame(300, seed=8), tmp_path, 2)
    out = tmp_path / "analysis.html"
    res = runner.invoke(app, ["population", "report", str(parted), "-o", str(out), "--engine", "duckdb"])
    assert res.exit_code == 0, res.output
    assert "<svg" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["describe", "{missing}"], "no such file or folder"),
    (["describe", "{csv}", "--engine", "duckdb"], "reads Parquet"),
    (["describe", "{parts}", "--by", "nope", "--engine", "duckdb"], "no column 'nope'"),
    (["benchmark", "{parts}", "--firm", "NOPE", "--engine", "duckdb"], "no firm 'NOPE'"),
    (["benchmark", "{parts}", "--firm", "F0000001", "--min-group", "5000", "--engine", "duckdb"], "fewer than the 5000"),
])
def test_cli_refusals(tmp_path: Path, args: list[str], message: str) -> None:
    _, parted = _write(synthetic_frame(100, seed=9), tmp_path, 2)
    csv = tmp_path / "pop.csv"
    csv.write_text("firm_id,weight\nA,1\n")
    paths = {"missing": tmp_path / "none.parquet", "csv": csv, "parts": parted}
    res = runner.invoke(app, ["population", *(a.format(**paths) for a in args)])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())
