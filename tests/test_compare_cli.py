"""``innexport population compare`` and the survey design options of describe and impact, end to end.

The design's published values (R's survey package on the California API samples) are checked in
tests/test_design.py; here the command line reads the same files and must print them, and refuse bad
input with exit code 2 and a message naming the column.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from innexport.cli import _register, app

DATA = Path(__file__).parent / "data"
STRAT, CLUS1, CLUS2 = DATA / "api_strat.csv", DATA / "api_clus1.csv", DATA / "api_clus2.csv"
runner = CliRunner()


def run(*args: str):
    _register()
    return runner.invoke(app, ["population", *map(str, args)])


def test_compare_with_clusters_prints_svyby_domain_means() -> None:
    res = run("compare", CLUS2, "--by", "stype", "--columns", "api00", "--weight", "pw", "--psu", "dnum",
              "--reference", "E", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    rows = {r["group"]: r for r in doc["rows"]}
    assert [r["group"] for r in doc["rows"]] == ["E", "H", "M"] and doc["reference"] == "E"
    for g, (mean, se) in {"E": (692.81, 30.28), "H": (598.34, 16.96), "M": (642.35, 45.34)}.items():
        assert round(rows[g]["mean"], 2) == mean and round(rows[g]["se"], 2) == se
    assert rows["E"]["diff"] is None and rows["H"]["diff"] == pytest.approx(598.34 - 692.81, abs=0.01)
    assert doc["design"] == {"weights": "pw", "psu": "dnum", "strata_count": 1, "psu_count": 40, "df": 39,
                             "lonely_psu": "fail"}


def test_compare_groups_order_and_table_output() -> None:
    res = run("compare", STRAT, "--by", "stype", "--groups", "M,H", "--columns", "api00", "--weight", "pw",
              "--strata", "stype", "--fpc", "fpc")
    assert res.exit_code == 0, res.output
    assert "3 strata (stype), 200 PSUs" in res.stdout and "197 df" in res.stdout
    assert res.stdout.index("│ M") < res.stdout.index("│ H") and "│ E" not in res.stdout
    # without a design: today's comparison (weights only), the same means
    plain = json.loads(run("compare", STRAT, "--by", "stype", "--columns", "api00", "--weight", "pw", "--json").stdout)
    designed = json.loads(run("compare", STRAT, "--by", "stype", "--columns", "api00", "--weight", "pw",
                              "--strata", "stype", "--fpc", "fpc", "--json").stdout)
    assert "design" not in plain and designed["design"]["fpc"] == "fpc"
    for a, b in zip(plain["rows"], designed["rows"], strict=True):
        assert a["mean"] == pytest.approx(b["mean"]) and a["se"] != pytest.approx(b["se"])


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "region", "--columns", "api00"], "--by: no column 'region'"),
    (["--by", "stype", "--columns", "api00,score"], "--columns: no column 'score'"),
    (["--by", "stype"], "no column to compare: give --columns"),
    (["--by", "stype", "--columns", "api00", "--groups", "E,X"], "--groups: no group 'X' in column 'stype'"),
    (["--by", "stype", "--columns", "api00", "--reference", "Z"], "--reference: no group 'Z'"),
    (["--by", "stype", "--columns", "api00", "--strata", "dnum", "--weight", "pw"],
     "stratum 413 of dnum has only one primary sampling unit"),
    (["--by", "stype", "--columns", "api00", "--strata", "district"], "no column 'district' (--strata)"),
    (["--by", "stype", "--columns", "api00", "--psu", "dnum", "--fpc", "small"],
     "small: stratum 'all' has 15 sampled primary sampling units but a population of 10"),
    (["--by", "stype", "--columns", "api00", "--psu", "dnum", "--weight", "bad"],
     "bad: weights must be positive and finite"),
    (["--by", "stype", "--columns", "api00", "--lonely-psu", "remove"], "--lonely-psu goes with a design"),
    (["--by", "stype", "--columns", "api00", "--weight", "bad"],
     "bad: weights must be positive and finite; 1 row(s) are not (first: row 4, -2)"),
    (["--by", "stype", "--columns", "api00", "--weight", "heavy"], "no column 'heavy' (--weight)"),
])
def test_compare_refusals_exit_2_naming_the_column(tmp_path: Path, args: list[str], message: str) -> None:
    frame = pd.read_csv(CLUS1).assign(small=10, bad=lambda f: np.where(f.index == 3, -2.0, f["pw"]))
    path = tmp_path / "schools.csv"
    frame.to_csv(path, index=False)
    res = run("compare", path, *args)
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.stderr.split()), res.stderr


def test_lonely_psu_option_on_the_command_line() -> None:
    res = run("compare", CLUS1, "--by", "stype", "--columns", "api00", "--weight", "pw", "--strata", "dnum",
              "--lonely-psu", "adjust", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["design"]["lonely_psu"] == "adjust"


def _population(tmp_path: Path) -> Path:
    """The stratified API sample as a small population table (an index and two capabilities)."""
    frame = pd.read_csv(STRAT)
    frame = frame.assign(firm_id=frame["cds"].astype(str), weight=frame["pw"], iiep=frame["api00"] / 1000,
                         **{"act.ell": frame["ell"] / 100, "act.meals": frame["meals"] / 100,
                            "act.mobility": frame["mobility"] / 100},
                         innovates=(frame["sch.wide"] == "Yes").astype(int))
    path = tmp_path / "pop.csv"
    frame.to_csv(path, index=False)
    return path


def test_describe_with_a_design_and_groups(tmp_path: Path) -> None:
    path = _population(tmp_path)
    res = run("describe", path, "--by", "stype", "--groups", "H,E", "--strata", "stype", "--fpc", "fpc", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [c["group"] for c in doc["counts"]] == ["H", "E"]
    iiep = {v["group"]: v for v in doc["variables"] if v["variable"] == "iiep"}
    assert list(iiep) == ["all", "H", "E"]
    assert round(iiep["all"]["weighted_mean"] * 1000, 2) == 662.29 and round(iiep["all"]["se"] * 1000, 4) == 9.4089
    assert iiep["all"]["ci_low"] < iiep["all"]["weighted_mean"] < iiep["all"]["ci_high"]
    assert doc["design"]["df"] == 197
    table = run("describe", path, "--by", "stype", "--strata", "stype", "--fpc", "fpc")
    assert table.exit_code == 0 and "Survey design: weights weight, 3 strata (stype)" in table.stdout
    assert "(11.3)" in table.stdout  # a weighted total's standard error, in the table
    # without design options: today's output, no standard errors
    plain = json.loads(run("describe", path, "--json").stdout)
    assert "se" not in plain["variables"][0] and "design" not in plain
    res = run("describe", path, "--groups", "H")
    assert res.exit_code == 2 and "--groups goes with --by" in res.stderr
    res = run("describe", path, "--by", "stype", "--groups", "Q")
    assert res.exit_code == 2 and "no group 'Q'" in res.stderr
    res = run("describe", path, "--psu", "nowhere")
    assert res.exit_code == 2 and "no column 'nowhere' (--psu)" in res.stderr


def test_impact_with_a_design(tmp_path: Path) -> None:
    path = _population(tmp_path)
    plain = json.loads(run("impact", path, "--outcome", "innovates", "--json").stdout)
    res = run("impact", path, "--outcome", "innovates", "--strata", "stype", "--fpc", "fpc", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert plain["cov_type"] == "HC1" and doc["cov_type"] == "design" and doc["design"]["strata"] == "stype"
    for a, b in zip(plain["capabilities"], doc["capabilities"], strict=True):
        assert a["coef"] == pytest.approx(b["coef"]) and a["se"] != pytest.approx(b["se"])
    text = run("impact", path, "--outcome", "innovates", "--strata", "stype", "--fpc", "fpc")
    assert text.exit_code == 0 and "design-based SE" in text.stdout
    res = run("impact", path, "--outcome", "innovates", "--fpc", "fpc", "--strata", "stype", "--weight", "api99")
    assert res.exit_code == 0  # another weight column with the design
    res = run("impact", path, "--outcome", "innovates", "--strata", "snum")
    assert res.exit_code == 2 and "no column 'snum' (--strata)" in res.stderr


def test_groups_written_as_codes_and_the_duckdb_engine(tmp_path: Path) -> None:
    """A group column of codes read as floats (one blank) is named 1, 2 on the command line; --groups
    restricts and orders the groups the same way with DuckDB, which refuses a design."""
    pytest.importorskip("duckdb")
    frame = pd.read_csv(_population(tmp_path))
    frame["size"] = np.where(frame["stype"] == "E", 1.0, np.where(frame["stype"] == "H", 2.0, 3.0))
    frame.loc[0, "size"] = np.nan
    path = tmp_path / "pop.parquet"
    frame.to_parquet(path)
    docs = {}
    for engine in ("pandas", "duckdb"):
        res = run("describe", path, "--by", "size", "--groups", "3,1", "--engine", engine, "--json")
        assert res.exit_code == 0, res.output
        docs[engine] = json.loads(res.stdout)
    for doc in docs.values():
        assert [g["group"] for g in doc["variables"] if g["variable"] == "iiep"] == ["all", "3.0", "1.0"]
        assert [c["group"] for c in doc["counts"]] == [3.0, 1.0]
    iiep = {e: [v["weighted_mean"] for v in d["variables"] if v["variable"] == "iiep"] for e, d in docs.items()}
    assert iiep["pandas"] == pytest.approx(iiep["duckdb"])
    res = run("compare", path, "--by", "size", "--groups", "2,1", "--columns", "iiep", "--json")
    assert res.exit_code == 0, res.output
    assert [r["group"] for r in json.loads(res.stdout)["rows"]] == ["2.0", "1.0"]
    res = run("describe", path, "--by", "size", "--strata", "stype", "--engine", "duckdb")
    assert res.exit_code == 2 and "need the pandas engine" in res.stderr
