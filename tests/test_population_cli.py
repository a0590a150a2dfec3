"""The population commands end to end: import through a mapping, then describe."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ENDEI, FIXTURES, WMS, requires_shared
from innexport.cli import _register, app
from innexport.files.frameworks import load_framework
from innexport.population.frame import score_population
from innexport.population.io import write_table

MINI = FIXTURES / "mini.yaml"
runner = CliRunner()


def run(*args: str):
    _register()
    return runner.invoke(app, ["population", *args])


def test_describe_a_population_file(tmp_path: Path) -> None:
    values = np.array([[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [1, np.nan, 0, 1, 1 / 3]])
    meta = pd.DataFrame({"firm_id": ["a", "b", "c"], "size": ["small", "small", "large"]})
    path = tmp_path / "pop.parquet"
    write_table(score_population(load_framework(MINI), values, meta, weights=[1.0, 3.0, 2.0]), path)
    res = run("describe", str(path), "--by", "size", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    small = next(c for c in doc["counts"] if c["group"] == "small")
    assert small["firms"] == 2 and small["weighted_firms"] == 4.0
    q1 = next(v for v in doc["variables"] if v["group"] == "all" and v["variable"] == "obs.q1")
    assert q1["weighted_mean"] == pytest.approx(0.5)
    res = run("describe", str(path), "--by", "region")
    assert res.exit_code == 2 and "no column 'region'" in res.stderr
    res = run("describe", str(tmp_path / "none.parquet"))
    assert res.exit_code == 2 and "none.parquet" in res.stderr


@requires_shared(ENDEI)
def test_import_endei_reproduces_the_official_counts(tmp_path: Path) -> None:
    out = tmp_path / "endei.parquet"
    res = run("import", str(ENDEI), "--mapping", "endei2", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "3,944 firms (18,359 weighted)" in res.stdout
    res = run("describe", str(out), "--by", "size", "--json")
    counts = {c["group"]: c["weighted_firms"] for c in json.loads(res.stdout)["counts"]}
    assert counts == pytest.approx({"small": 10538, "medium": 5850, "large": 1971})


@requires_shared(WMS)
def test_import_the_world_management_survey(tmp_path: Path) -> None:
    """The built-in wms mapping: 11,702 firms of 35 countries; each rating 1-5 read as (x - 1) / 4."""
    out = tmp_path / "wms.parquet"
    res = run("import", str(WMS), "--mapping", "wms", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "11,702 firms" in res.stdout
    pop = pd.read_parquet(out)
    counts = pop["country"].value_counts()
    assert (counts["FR"], counts["AR"], counts["CL"], counts["GB"]) == (490, 415, 410, 889 + 119)
    raw = pd.read_csv(WMS, encoding="utf-8-sig")
    # the first firm (United States): perf1 = 4 → 0.75; talent2 = 3, talent4 = 3.3333333 → mean of 0.5 and 0.5833
    assert raw.loc[0, ["perf1", "talent2", "talent4"]].tolist() == pytest.approx([4, 3, 3.3333333])
    assert pop.loc[0, "obs.cult_autonomy_exchange_initiative"] == pytest.approx(0.75)
    assert pop.loc[0, "obs.cult_autonomy_exchange_recognition"] == pytest.approx((0.5 + 2.3333333 / 4) / 2)
    # The IIEP orders firms as the WMS's own management score does (both average overlapping practices).
    assert np.corrcoef(pop["iiep"], raw["management"])[0, 1] > 0.8
    res = run("report", str(out), "--out", str(tmp_path / "wms.html"))
    assert res.exit_code == 0, res.output
    assert "wms" in (tmp_path / "wms.html").read_text(encoding="utf-8")


def test_import_errors_name_the_problem(tmp_path: Path) -> None:
    res = run("import", str(tmp_path / "nope.csv"), "--mapping", "endei2", "--out", str(tmp_path / "p.parquet"))
    assert res.exit_code == 2 and "nope.csv" in res.stderr
    res = run("import", str(tmp_path / "nope.csv"), "--mapping", "no_such_mapping",
              "--out", str(tmp_path / "p.parquet"))
    assert res.exit_code == 2 and "no_such_mapping" in res.stderr
    assert not (tmp_path / "p.parquet").exists()


@pytest.fixture
def synthetic(tmp_path: Path) -> Path:
    """200 firms on the mini framework, two countries, an outcome driven by the joint activity."""
    rng = np.random.default_rng(3)
    n = 200
    values = rng.choice([0.0, 1.0], size=(n, 5)).astype(float)
    values[:, 1] = rng.choice([0, 1 / 3, 2 / 3, 1], n)
    values[:, 4] = rng.choice([0, 1 / 3, 2 / 3, 1], n)
    meta = pd.DataFrame({"firm_id": [f"f{i}" for i in range(n)], "country": rng.choice(["FR", "CL"], n),
                         "sector": "11.02", "size": "small"})
    meta["innovates"] = (rng.random(n) < 0.2 + 0.6 * values[:, :2].mean(axis=1)).astype(int)
    path = tmp_path / "pop.parquet"
    write_table(score_population(load_framework(MINI), values, meta, weights=rng.uniform(1, 3, n)), path)
    return path


def test_benchmark_map_and_impact_commands(synthetic: Path, tmp_path: Path) -> None:
    res = run("benchmark", str(synthetic), "--firm", "f7", "--by", "sector,size", "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["n"] == 199  # the firm itself is not its own peer
    res = run("benchmark", str(synthetic), "--firm", "f7", "--by", "sector,size", "--min-group", "500")
    assert res.exit_code == 2 and "199" in res.stderr
    for name in ("map.svg", "map.html"):
        res = run("map", str(synthetic), "--out", str(tmp_path / name), "--firm", "f7", "--color-by", "country")
        assert res.exit_code == 0, res.output
        assert "<svg" in (tmp_path / name).read_text(encoding="utf-8")
    res = run("map", str(synthetic), "--out", str(tmp_path / "map.png"))
    assert res.exit_code == 2 and ".svg or .html" in res.stderr
    res = run("impact", str(synthetic), "--outcome", "innovates", "--json")
    assert res.exit_code == 0, res.output
    caps = {c["capability"]: c for c in json.loads(res.stdout)["capabilities"]}
    assert set(caps) == {"act.a_joint", "act.a_inn", "act.a_exp"}
    assert caps["act.a_joint"]["coef"] > 0 and caps["act.a_joint"]["p"] < 0.05  # the simulated effect is found
    res = run("impact", str(synthetic), "--outcome", "nope")
    assert res.exit_code == 2 and "nope" in res.stderr


def test_analysis_report(synthetic: Path, tmp_path: Path) -> None:
    out = tmp_path / "analysis.html"
    res = run("report", str(synthetic), "--out", str(out), "--title", "Synthetic wine firms")
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "Synthetic wine firms" in html and "<svg" in html
    assert "Indices by country" in html and "Impact of the capabilities on “innovates”" in html
    assert "act.a_joint" in html
    res = run("report", str(synthetic), "--out", str(tmp_path / "a.pdf"))
    assert res.exit_code == 2 and ".html" in res.stderr


def test_impact_based_leverage_feeds_the_priorities(synthetic: Path, tmp_path: Path) -> None:
    pop = pd.read_parquet(synthetic)
    pop["exports"] = pop["innovates"]  # one outcome for both sides: enough to check the plumbing
    pop.to_parquet(synthetic)
    lev = tmp_path / "leverage.json"
    res = run("leverage", str(synthetic), "--innovation", "innovates", "--export", "exports", "--out", str(lev),
              "--framework", str(MINI))
    assert res.exit_code == 0, res.output
    values = json.loads(lev.read_text())["leverage"]
    assert set(values) == {"a_joint", "a_inn", "a_exp"} and sum(values.values()) == pytest.approx(2.0)
    assert values["a_joint"] > 0  # the simulated effect
    answers = tmp_path / "a.yaml"
    answers.write_text("framework: mini\nfirm: {id: f, name: F}\n"
                       "answers: {q1: 'no', q2: never, q3: 'no', q4: 'no', q5: never}\n", encoding="utf-8")
    _register()
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["diagnose", str(answers), "--framework", str(MINI), "--out", str(out),
                              "--leverage", str(lev)])
    assert res.exit_code == 0, res.output
    priorities = json.loads(out.read_text())["firms"][0]["priorities"]
    assert {p["activity"]: p["leverage"] for p in priorities} == pytest.approx(values, abs=1e-6)
    bad = tmp_path / "bad.json"
    bad.write_text('{"leverage": {"a_joint": 1}}')
    res = runner.invoke(app, ["diagnose", str(answers), "--framework", str(MINI), "--out", str(out),
                              "--leverage", str(bad)])
    assert res.exit_code == 2 and "no leverage for the activities a_inn, a_exp" in res.stderr


def test_diagnose_places_the_firm_among_its_peers(synthetic: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("framework: mini\nlang: fr\n"
                       "firm: {id: f, name: Domaine F, country: FR, sector: '11.02', size: small}\n"
                       "answers: {q1: 'yes', q2: often, q3: 'no', q4: 'yes', q5: sometimes}\n", encoding="utf-8")
    _register()
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["diagnose", str(answers), "--framework", str(MINI), "--out", str(out),
                              "--benchmark", str(synthetic)])
    assert res.exit_code == 0, res.output
    bench = json.loads(out.read_text())["firms"][0]["benchmark"]
    pop = pd.read_parquet(synthetic)
    peers = pop[(pop.country == "FR") & (pop.sector == "11.02") & (pop["size"] == "small")]
    assert bench["n"] == len(peers) and bench["group"] == {"country": "FR", "sector": "11.02", "size": "small"}
    # the percentile of IIEP 11/24 among the peers, weighted mid-rank, computed here
    # (scores rounded to 6 decimals, as the result gives them)
    x, v, w = round(11 / 24, 6), peers["iiep"].round(6).to_numpy(), peers["weight"].to_numpy()
    expected = 100 * (w[v < x].sum() + 0.5 * w[v == x].sum()) / w.sum()
    assert bench["columns"]["iiep"]["percentile"] == pytest.approx(expected, abs=1e-6)
    html = tmp_path / "r.html"
    assert runner.invoke(app, ["diagnose", str(answers), "--framework", str(MINI), "--out", str(html),
                               "--benchmark", str(synthetic)]).exit_code == 0
    assert "Parmi ses pairs" in html.read_text(encoding="utf-8")
    res = runner.invoke(app, ["diagnose", str(answers), "--framework", str(MINI), "--out", str(out),
                              "--benchmark", str(synthetic), "--by", "country,region"])
    assert res.exit_code == 2 and "no column region" in res.stderr


def test_report_of_a_table_too_small_for_a_map(tmp_path: Path) -> None:
    """Fewer than three activities observed: no map nor typology, said in a note (it used to stop
    with a template error)."""
    table = tmp_path / "small.csv"
    table.write_text("firm_id,iip,iep,iiep,country\na,0.5,0.4,0.45,FR\nb,0.3,0.2,0.25,CL\nc,0.6,0.7,0.65,FR\n",
                     encoding="utf-8")
    res = run("report", str(table), "--out", str(tmp_path / "small.html"))
    assert res.exit_code == 0, res.output
    page = (tmp_path / "small.html").read_text(encoding="utf-8")
    assert "fewer than three activities are observed" in page and "<svg" not in page.split("<main")[1]
