"""``innexport population gaia``: PROMETHEE II and GAIA of a population from the command line.

The method is checked against peers in tests/test_promethee.py; here the command's choice of
criteria (the dimensions the population informs, with the framework's weights renormalised), its
groups, its JSON and its refusals.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.cli.population_gaia import PREFERENCES
from innexport.core.promethee import PREFERENCE_FUNCTIONS, Preference, net_flows
from innexport.files.frameworks import load_framework

_register()
runner = CliRunner()


def _population(tmp_path: Path, n: int = 40) -> tuple[Path, pd.DataFrame]:
    fw = load_framework("iiep")
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"firm_id": [f"f{i}" for i in range(n)], "country": ["FR", "CL"] * (n // 2)})
    for k, d in enumerate(fw.dimensions):
        frame["dim." + d.id] = rng.uniform(0, 1, n) if k != 2 else np.nan  # the third dimension is not informed
    frame.attrs.update(framework=fw.label, content_hash=fw.content_hash)
    path = tmp_path / "pop.parquet"
    frame.to_parquet(path)
    return path, frame


def test_the_choices_are_the_methods() -> None:
    assert PREFERENCES == PREFERENCE_FUNCTIONS


def test_net_flows_on_the_informed_dimensions_by_group(tmp_path: Path) -> None:
    path, frame = _population(tmp_path)
    res = runner.invoke(app, ["population", "gaia", str(path), "--by", "country", "--preference", "vshape",
                              "--p", "0.2", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    fw = load_framework("iiep")
    kept = [k for k in range(len(fw.dimensions)) if k != 2]
    assert [g["group"] for g in doc["groups"]] == [{"country": "CL"}, {"country": "FR"}]
    assert doc["groups"][0]["uninformed"] == [fw.dimensions[2].id]
    for group in doc["groups"]:
        part = frame[frame.country == group["group"]["country"]]
        values = part[["dim." + fw.dimensions[k].id for k in kept]].to_numpy()
        expected = net_flows(values, fw.dimension_weights()[kept], Preference("vshape", p=0.2))
        got = pd.DataFrame(group["firms"]).set_index("firm_id").loc[part.firm_id, "net_flow"].to_numpy()
        np.testing.assert_allclose(got, expected, atol=1e-12)
        assert sum(c["weight"] for c in group["criteria"]) == pytest.approx(1.0)


@pytest.mark.parametrize(("args", "message"), [
    (["--by", "nope"], "no column nope"),
    (["--preference", "linear", "--q", "0.3", "--p", "0.1"], "linear needs 0 ≤ q < p"),
    (["--preference", "gaussian"], "is not one of"),
])
def test_refusals_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path, _ = _population(tmp_path)
    res = runner.invoke(app, ["population", "gaia", str(path), *args])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split()) and "Traceback" not in res.output


def test_a_table_without_stamp_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("firm_id,dim.networks\na,0.5\nb,0.2\n", encoding="utf-8")
    res = runner.invoke(app, ["population", "gaia", str(path)])
    assert res.exit_code == 2 and "no framework stamp" in res.output


def test_the_plane_is_drawn(tmp_path: Path) -> None:
    path, frame = _population(tmp_path)
    svg = tmp_path / "gaia.svg"
    res = runner.invoke(app, ["population", "gaia", str(path), "-o", str(svg)])
    assert res.exit_code == 0, res.output
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<svg") and text.count('class="dot"') == len(frame) and 'class="stick"' in text
    res = runner.invoke(app, ["population", "gaia", str(path), "--by", "country", "-o", str(tmp_path / "g.svg")])
    assert res.exit_code == 2 and "2 groups give 2 planes" in res.output and not (tmp_path / "g.svg").exists()
    page = tmp_path / "gaia.html"
    res = runner.invoke(app, ["population", "gaia", str(path), "--by", "country", "-o", str(page)])
    assert res.exit_code == 0 and page.read_text(encoding="utf-8").count("<svg") == 2
