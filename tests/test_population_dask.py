"""The Dask engine (innexport.population.engine): the same population table as the local engine.

A synthetic survey (one column per iiep observable, answers on a 1-5 scale with gaps, an id, a weight
and a country) is scored whole by the local engine (read_for_mapping + apply_mapping, written by
write_table) and by partitions: score_partition on any cut of the rows (hypothesis), and
import_with_dask on a Parquet folder, a Parquet file's row groups and a CSV, with a cluster of 2
workers given by address, and once with the engine's own local cluster. Refusals: ids repeated
across partitions (both partitions and rows named), an answer the mapping does not foresee (the
partition's file and row named), an unreachable scheduler, an output that is not Parquet; nothing
is left at the output after a refusal.

"The same" is exact for ids, groups, observables and classes, and to 1e-14 (relative) for the scores:
the core's matrix products (BLAS) may round the last bit of a row differently with the number of rows
it is given (the tail of a vectorised loop), so a firm scored in a block of 1 or of 59 rows can differ
by one unit in the last place (1.1e-16), whatever the engine. CLOSE says so once.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("distributed")

from innexport.files.frameworks import load_framework
from innexport.population import engine
from innexport.population.engine import (
    EngineError,
    demo_mapping_text,
    import_with_dask,
    partitions,
    score_partition,
)
from innexport.population.io import SurveyError, write_table
from innexport.population.mapping import (
    MappingError,
    apply_mapping,
    parse_mapping,
    read_for_mapping,
)

FW = load_framework("iiep")
K = len(FW.observables)
WITH_IDS = demo_mapping_text(FW, scale=(1, 5)) + (
    "id_column: id\nweight: w\nmissing_codes: [-99]\ngroups:\n  country: {column: country}\n")
CLOSE = {"check_exact": False, "rtol": 1e-14, "atol": 1e-15}
NO_IDS = demo_mapping_text(FW, scale=(1, 5)) + "missing_codes: [-99]\ngroups:\n  country: {column: country}\n"


def survey(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` firms: ids, weights, a country, answers 1-5 on every observable with 10 % gaps and -99."""
    rng = np.random.default_rng(seed)
    answers = rng.integers(1, 6, size=(n, K)).astype(float)
    answers[rng.random(answers.shape) < 0.1] = np.nan
    answers[rng.random(answers.shape) < 0.02] = -99
    data = pd.DataFrame({"id": [f"F{i:05d}" for i in range(n)], "w": rng.lognormal(0, 0.5, n),
                         "country": rng.choice(["AR", "CL", "FR"], n)})
    return pd.concat([data, pd.DataFrame(answers, columns=[f"q{j}" for j in range(K)])], axis=1)


def local(path: Path, mapping_text: str, tmp: Path) -> pd.DataFrame:
    """The local engine's table, written and read back as the CLI does."""
    spec = parse_mapping(mapping_text)
    out = tmp / "local.parquet"
    write_table(apply_mapping(read_for_mapping(path, spec), spec, FW), out)
    return pd.read_parquet(out)


def same(result: Path, expected: pd.DataFrame) -> None:
    got = pd.read_parquet(result)
    assert got.attrs == expected.attrs  # the stamp: framework, content hash, mapping, survey
    if result.is_dir():  # a dataset's categories come back as the union of its files': compare as labels
        got, expected = _labels(got), _labels(expected)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, **CLOSE)
    for col in expected.columns:  # only floats get CLOSE's tolerance
        if expected[col].dtype.kind != "f":
            assert got[col].tolist() == expected[col].tolist(), col


def _labels(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{c: frame[c].astype(object) for c in frame.columns
                           if isinstance(frame[c].dtype, pd.CategoricalDtype)})


def folder_of(data: pd.DataFrame, folder: Path, cuts: list[int]) -> Path:
    folder.mkdir()
    bounds = [0, *cuts, len(data)]
    for k, (a, b) in enumerate(itertools.pairwise(bounds)):
        data.iloc[a:b].to_parquet(folder / f"s{k:02d}.parquet", index=False)
    return folder


@pytest.fixture(scope="module")
def cluster():
    with engine.local_cluster(2) as running:
        yield running.scheduler_address


# --- the per-partition function, without a cluster --------------------------------------------------


@settings(max_examples=12, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=0, max_size=4), st.booleans())
def test_partitions_scored_apart_equal_the_whole(cuts: list[int], ids: bool) -> None:
    data = survey(60, seed=3)
    spec = parse_mapping(WITH_IDS if ids else NO_IDS)
    whole = apply_mapping(read_survey_like(data), spec, FW)
    bounds = [0, *sorted(cuts), 60]
    pieces = [score_partition(data.iloc[a:b].reset_index(drop=True), spec, FW, source=f"part {k}", first_row=a,
                              survey="s.csv")
              for k, (a, b) in enumerate(itertools.pairwise(bounds)) if b > a]
    joined = pd.concat(pieces, ignore_index=True)
    pd.testing.assert_frame_equal(joined, whole, **CLOSE)
    classes = [c for c in whole.columns if c.startswith("class.")]
    assert joined[classes].equals(whole[classes]) and joined["firm_id"].equals(whole["firm_id"])
    if not ids:  # firms numbered by their survey row, whatever the cut
        assert joined["firm_id"].tolist() == [str(i) for i in range(1, 61)]


def read_survey_like(data: pd.DataFrame):
    from innexport.population.io import Survey

    return Survey(data=data, weight=None, source="s.csv")


def test_partitions_of_each_kind_of_survey(tmp_path: Path) -> None:
    data = survey(50)
    spec = parse_mapping(WITH_IDS)
    parts = partitions(folder_of(data, tmp_path / "ds", [10, 35]), spec)
    assert [(p.first_row, p.rows) for p in parts] == [(0, 10), (10, 25), (35, 15)]
    data.to_parquet(tmp_path / "one.parquet", index=False, row_group_size=20)
    groups = partitions(tmp_path / "one.parquet", spec)
    assert [(p.first_row, p.rows, p.row_group) for p in groups] == [(0, 20, 0), (20, 20, 1), (40, 10, 2)]
    assert not groups[1].whole_file and parts[1].whole_file
    data.to_csv(tmp_path / "s.csv", index=False)
    split = partitions(tmp_path / "s.csv", spec, split=4)
    assert [p.rows for p in split] == [12, 13, 12, 13] and split[3].first_row == 37


# --- the engine on a cluster ------------------------------------------------------------------------


def test_parquet_folder_to_folder_and_file(cluster: str, tmp_path: Path) -> None:
    data = survey(400, seed=1)
    data.to_parquet(tmp_path / "whole.parquet", index=False)
    expected = local(tmp_path / "whole.parquet", WITH_IDS, tmp_path)
    ds = folder_of(data, tmp_path / "ds", [90, 100, 310])
    spec = parse_mapping(WITH_IDS)
    assert import_with_dask(ds, spec, FW, tmp_path / "out", scheduler=cluster) == 400
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [f"part-0000{k}.parquet" for k in range(4)]
    expected.attrs["survey"] = str(ds)
    same(tmp_path / "out", expected)
    assert import_with_dask(ds, spec, FW, tmp_path / "pop.parquet", scheduler=cluster) == 400
    same(tmp_path / "pop.parquet", expected)
    assert pd.read_parquet(tmp_path / "pop.parquet").attrs["framework"] == FW.label
    # run again over the same folder: replaced, not added to
    assert import_with_dask(ds, spec, None, tmp_path / "out", scheduler=cluster) == 400
    assert len(list((tmp_path / "out").iterdir())) == 4
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_row_groups_and_csv_without_ids(cluster: str, tmp_path: Path) -> None:
    data = survey(230, seed=2)
    data.to_parquet(tmp_path / "s.parquet", index=False, row_group_size=64)
    expected = local(tmp_path / "s.parquet", NO_IDS, tmp_path)
    spec = parse_mapping(NO_IDS)
    assert import_with_dask(tmp_path / "s.parquet", spec, FW, tmp_path / "pop.parquet", scheduler=cluster) == 230
    same(tmp_path / "pop.parquet", expected)
    assert pd.read_parquet(tmp_path / "pop.parquet")["firm_id"].iloc[[0, 64, 229]].tolist() == ["1", "65", "230"]
    data.to_csv(tmp_path / "s.csv", index=False)
    expected = local(tmp_path / "s.csv", NO_IDS, tmp_path)
    assert import_with_dask(tmp_path / "s.csv", spec, FW, tmp_path / "csv.parquet", scheduler=cluster) == 230
    same(tmp_path / "csv.parquet", expected)


def test_duplicate_ids_across_partitions_are_refused(cluster: str, tmp_path: Path) -> None:
    data = survey(40)
    data.loc[33, "id"] = "F00005"
    ds = folder_of(data, tmp_path / "ds", [20])
    with pytest.raises(SurveyError) as err:
        import_with_dask(ds, parse_mapping(WITH_IDS), FW, tmp_path / "out", scheduler=cluster)
    assert str(err.value) == (f"{ds}: id column 'id': each firm needs its own id; duplicated ('F00005') in "
                              f"{ds / 's00.parquet'} row 6 and {ds / 's01.parquet'} row 14")
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_problem_in_a_partition_names_its_file_and_row(cluster: str, tmp_path: Path) -> None:
    data = survey(40)
    data.loc[27, "q3"] = 7.0  # outside the 1-5 scale
    ds = folder_of(data, tmp_path / "ds", [20])
    with pytest.raises(MappingError) as err:
        import_with_dask(ds, parse_mapping(WITH_IDS), FW, tmp_path / "pop.parquet", scheduler=cluster)
    message = str(err.value)
    assert f"column 'q3' of {ds / 's01.parquet'} has numbers outside the scale [1, 5] (7…) in row 8" in message
    assert not (tmp_path / "pop.parquet").exists()
    wrong = parse_mapping(WITH_IDS.replace("{column: q5,", "{column: q5x,"))  # every partition meets it: said once
    with pytest.raises(MappingError) as err:
        import_with_dask(ds, wrong, FW, tmp_path / "pop.parquet", scheduler=cluster)
    assert len(err.value.issues) == 1
    assert f"unknown column 'q5x' in {ds / 's00.parquet'} (and in 1 other partition)" in str(err.value)
    data.to_parquet(tmp_path / "s.parquet", index=False, row_group_size=16)  # a slice of one file: its rows
    with pytest.raises(MappingError) as err:
        import_with_dask(tmp_path / "s.parquet", parse_mapping(WITH_IDS), FW, tmp_path / "pop.parquet", scheduler=cluster)
    assert f"column 'q3' of {tmp_path / 's.parquet'} has numbers outside the scale [1, 5] (7…) in row 28" in str(err.value)


def test_refusals_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_mapping(WITH_IDS)
    survey(10).to_parquet(tmp_path / "s.parquet", index=False)
    with pytest.raises(EngineError, match=re.escape("writes Parquet: a folder or a .parquet file")):
        import_with_dask(tmp_path / "s.parquet", spec, FW, tmp_path / "out.csv")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("keep me")
    with pytest.raises(EngineError, match="holds other files"):
        import_with_dask(tmp_path / "s.parquet", spec, FW, tmp_path / "busy")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EngineError, match=re.escape("without .parquet files")):
        import_with_dask(tmp_path / "empty", spec, FW, tmp_path / "out")
    monkeypatch.setattr(engine, "START_TIMEOUT", 2)
    with pytest.raises(EngineError, match=re.escape("cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 2 s")):
        import_with_dask(tmp_path / "s.parquet", spec, FW, tmp_path / "out", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "out").exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_own_local_cluster_of_two_workers(tmp_path: Path) -> None:
    data = survey(120, seed=4)
    ds = folder_of(data, tmp_path / "ds", [30, 60, 90])
    data.to_parquet(tmp_path / "whole.parquet", index=False)
    expected = local(tmp_path / "whole.parquet", WITH_IDS, tmp_path)
    expected.attrs["survey"] = str(ds)
    assert import_with_dask(ds, parse_mapping(WITH_IDS), FW, tmp_path / "pop.parquet", workers=2) == 120
    same(tmp_path / "pop.parquet", expected)


def test_command_line(cluster: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from innexport.cli import _register, app

    _register()
    data = survey(60, seed=5)
    ds = folder_of(data, tmp_path / "ds", [25])
    (tmp_path / "m.yaml").write_text(WITH_IDS, encoding="utf-8")
    args = ["population", "import", str(ds), "--mapping", str(tmp_path / "m.yaml"), "--out", str(tmp_path / "pop"),
            "--engine", "dask", "--scheduler", cluster]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    data.to_parquet(tmp_path / "whole.parquet", index=False)
    expected = local(tmp_path / "whole.parquet", WITH_IDS, tmp_path)
    expected.attrs["survey"] = str(ds)
    same(tmp_path / "pop", expected)
    data.loc[40, "id"] = data.loc[3, "id"]
    ds2 = folder_of(data, tmp_path / "ds2", [25])
    res = CliRunner().invoke(app, [*args[:2], str(ds2), *args[3:6], str(tmp_path / "pop2"), *args[7:]])
    said = " ".join(res.output.split())  # the terminal may wrap the message
    assert res.exit_code == 2 and "each firm needs its own id" in said and "s01.parquet row 16" in said
