"""The streamed population import (innexport.population.stream) against the in-memory one.

The same survey imported whole (``apply_mapping(read_for_mapping(…))``) and in batches of any size
gives the same table, for CSV, Parquet, SPSS and Stata inputs (hypothesis on the batch size; a
synthetic WMS-like survey with an id, weights, missing codes and blanks, and the real ENDEI II when
the shared data is there); a folder output reads back as the file output; an id found in two
batches is refused naming both rows; bad inputs exit 2.
"""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ENDEI, requires_shared
from innexport.cli import _register, app
from innexport.files import builtin
from innexport.population.io import SurveyError, write_table
from innexport.population.mapping import MappingError, apply_mapping, parse_mapping, read_for_mapping
from innexport.population.stream import import_stream

ITEMS = ["lean1", "lean2", "perf1", "perf2", "perf3", "perf4", "perf7", "perf8", "talent1", "talent2", "talent4", "talent5"]
COUNTRIES = ["France", "Chile", "Argentina", "Germany"]
BANDS = ["A) 50 to 100", "B) 101 to 250", "C) 251 to 500", "E) 1000+"]


def _mapping_text() -> str:
    """The built-in WMS mapping with an id column, a weight and missing codes."""
    text = builtin.read_document(builtin.resolve("wms", "mappings", "mapping", MappingError), MappingError)
    return text.replace("framework: {id: iiep, version: \"1\"}\n",
                        "framework: {id: iiep, version: \"1\"}\nid_column: code\nweight: w\nmissing_codes: [-99]\n", 1)


@pytest.fixture(scope="module")
def mapping_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mapping") / "wms-ids.yaml"
    path.write_text(_mapping_text(), encoding="utf-8")
    parse_mapping(path.read_text(encoding="utf-8"), str(path))
    return path


def survey(n: int, seed: int = 0) -> pd.DataFrame:
    """A WMS-like survey of ``n`` firms: ids (some 00-prefixed texts), weights, -99 codes, blank cells."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {
        "code": [f"00{k}" if k % 7 == 0 else f"F{k}" for k in range(n)],
        "w": rng.lognormal(0, 0.5, n).round(3),
        "country": rng.choice(COUNTRIES, n), "sic2": rng.choice([20, 31, 35], n),
        "employment": rng.choice(BANDS, n)}
    for item in ITEMS:
        x = rng.choice([1.0, 2.0, 3.0, 3.5, 4.0, 5.0, -99.0, np.nan], n)
        data[item] = x
    return pd.DataFrame(data)


def in_memory(path: Path, mapping: Path | str) -> pd.DataFrame:
    return apply_mapping(read_for_mapping(path, mapping), mapping)


def streamed(path: Path, mapping: Path | str, out: Path, batch_rows: int) -> pd.DataFrame:
    import_stream(path, mapping, out, batch_rows=batch_rows)
    return pd.read_parquet(out)


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal tables: same columns, types, texts and missing cells; scores equal to the last bits (the
    core's matrix products round differently with the number of rows: an ulp or two, never more)."""
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False,
                                  rtol=1e-13, atol=0)
    assert a.attrs == b.attrs


@pytest.fixture(scope="module")
def surveys(tmp_path_factory: pytest.TempPathFactory, mapping_file: Path) -> dict[str, tuple[Path, pd.DataFrame]]:
    """The synthetic survey written as CSV, Parquet, SPSS and Stata, each with its in-memory import."""
    folder = tmp_path_factory.mktemp("surveys")
    frame = survey(53, seed=3)
    out = {}
    for suffix in (".csv", ".parquet", ".sav", ".dta", ".xlsx"):
        path = folder / f"survey{suffix}"
        write_table(frame, path)
        out[suffix] = (path, in_memory(path, mapping_file))
    return out


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".sav", ".dta", ".xlsx"])
@settings(max_examples=4, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.integers(1, 60))
def test_streamed_import_equals_in_memory(surveys, mapping_file, tmp_path, suffix, batch):
    path, expected = surveys[suffix]
    got = streamed(path, mapping_file, tmp_path / f"b{batch}.parquet", batch)
    assert len(got) == 53 and got["firm_id"].iloc[0] == "000"  # a text id keeps its zeros, as whole
    same(got, expected)


def test_folder_output_reads_back_as_the_file_output(surveys, mapping_file, tmp_path):
    path, expected = surveys[".csv"]
    result = import_stream(path, mapping_file, tmp_path / "pop", batch_rows=10)
    parts = sorted(p.name for p in (tmp_path / "pop").iterdir())
    assert parts == [f"part-{k:05d}.parquet" for k in range(6)] and result.batches == 6
    same(pd.read_parquet(tmp_path / "pop"), expected)
    import_stream(path, mapping_file, tmp_path / "pop", batch_rows=30)  # a new import replaces the parts
    assert len(list((tmp_path / "pop").iterdir())) == 2


def test_csv_output_streamed_is_write_tables(surveys, mapping_file, tmp_path):
    path, _ = surveys[".sav"]
    import_stream(path, mapping_file, tmp_path / "pop.csv", batch_rows=7)
    import_stream(path, mapping_file, tmp_path / "pop.parquet", batch_rows=7)
    write_table(pd.read_parquet(tmp_path / "pop.parquet"), tmp_path / "whole.csv")
    assert (tmp_path / "pop.csv").read_bytes() == (tmp_path / "whole.csv").read_bytes()
    side = (tmp_path / "pop.csv-metadata.json").read_text(encoding="utf-8")
    assert side.replace("pop.csv", "whole.csv") == (tmp_path / "whole.csv-metadata.json").read_text(encoding="utf-8")


def test_a_column_mixing_numbers_and_texts_is_text_in_every_batch(mapping_file, tmp_path):
    frame = survey(12)
    frame["code"] = [str(k) for k in range(11)] + ["x11"]  # numbers until the last batch
    write_table(frame, tmp_path / "s.csv")
    got = streamed(tmp_path / "s.csv", mapping_file, tmp_path / "p.parquet", 5)
    same(got, in_memory(tmp_path / "s.csv", mapping_file))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_id_in_two_batches_is_refused_naming_both_rows(mapping_file, tmp_path, suffix):
    frame = survey(20)
    frame.loc[17, "code"] = frame.loc[2, "code"]
    write_table(frame, tmp_path / f"s{suffix}")
    with pytest.raises(SurveyError) as whole:
        in_memory(tmp_path / f"s{suffix}", mapping_file)
    with pytest.raises(SurveyError) as batches:
        import_stream(tmp_path / f"s{suffix}", mapping_file, tmp_path / "p.parquet", batch_rows=8)
    assert str(batches.value) == str(whole.value)
    assert "duplicated ('F2') in rows 3, 18" in str(batches.value)
    assert not (tmp_path / "p.parquet").exists() and not list(tmp_path.glob(".p.parquet*"))


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_rows_in_a_later_batch_are_named_as_in_the_whole_file(mapping_file, tmp_path, suffix):
    frame = survey(20)
    frame.loc[13, "country"] = "Atlantis"
    write_table(frame, tmp_path / f"s{suffix}")
    with pytest.raises(MappingError) as whole:
        in_memory(tmp_path / f"s{suffix}", mapping_file)
    with pytest.raises(MappingError) as batches:
        import_stream(tmp_path / f"s{suffix}", mapping_file, tmp_path / "p.parquet", batch_rows=5)
    assert "'Atlantis' (row 14)" in str(batches.value) and str(batches.value) == str(whole.value)


runner = CliRunner()


def test_cli_import_streams_and_refuses_bad_input(surveys, mapping_file, tmp_path):
    _register()
    path, expected = surveys[".parquet"]
    ok = runner.invoke(app, ["population", "import", str(path), "--mapping", str(mapping_file),
                             "--out", str(tmp_path / "pop") + "/", "--batch-rows", "9"])
    assert ok.exit_code == 0, ok.output
    assert "53 firms" in " ".join(ok.output.split())
    same(pd.read_parquet(tmp_path / "pop"), expected)
    for args, says in [
        ([str(tmp_path / "nothing.csv")], "file not found"),
        ([str(tmp_path / "pop"), "--out", str(tmp_path / "x.json")], "cannot write '.json'"),
        ([str(path), "--scheduler", "tcp://x:1"], "--scheduler goes with --engine dask"),
    ]:
        argv = ["population", "import", *args[:1], "--mapping", str(mapping_file), *args[1:]]
        if "--out" not in argv:
            argv += ["--out", str(tmp_path / "o.parquet")]
        bad = runner.invoke(app, argv)
        assert bad.exit_code == 2, (args, bad.output)
        assert says in bad.output.replace("\n", " "), bad.output


@requires_shared(ENDEI)
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".sav", ".dta"])
def test_endei_streamed_equals_in_memory(endei_survey, tmp_path, suffix):
    path = tmp_path / f"endei{suffix}"
    data = endei_survey.data.copy()
    data.attrs = {"survey": "ENDEI II"}  # a stamp: Stata's changed names (p.1.14 → p_1_14) are then given back
    write_table(data, path)
    expected = in_memory(path, "endei2")
    same(streamed(path, "endei2", tmp_path / "pop.parquet", 700), expected)


def test_a_survey_of_no_firm_gives_an_empty_table_of_the_same_columns(surveys, mapping_file, tmp_path):
    path, _ = surveys[".csv"]
    head = path.read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "h.csv").write_text(head + "\n", encoding="utf-8")
    got = streamed(tmp_path / "h.csv", mapping_file, tmp_path / "p.parquet", 10)
    whole = in_memory(tmp_path / "h.csv", mapping_file)
    # a column with no value at all is text in the streamed file (its type is fixed by the first batch)
    assert len(got) == len(whole) == 0 and list(got.columns) == list(whole.columns) and got.attrs == whole.attrs


@pytest.mark.parametrize("suffix", [".sav", ".dta", ".parquet", ".csv", ".xlsx"])
def test_a_broken_file_is_refused_naming_it(mapping_file, tmp_path, suffix):
    _register()
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(b"\x00\x01not a survey at all" * 10)
    bad = runner.invoke(app, ["population", "import", str(path), "--mapping", str(mapping_file),
                              "--out", str(tmp_path / "o.parquet")])
    assert bad.exit_code == 2, bad.output
    assert "broken" in bad.output and "Traceback" not in bad.output
    assert not (tmp_path / "o.parquet").exists()


def test_the_dask_engine_missing_exits_2(surveys, mapping_file, tmp_path, monkeypatch):
    _register()
    monkeypatch.setitem(sys.modules, "innexport.population.engine", None)  # as if not installed
    path, _ = surveys[".parquet"]
    bad = runner.invoke(app, ["population", "import", str(path), "--mapping", str(mapping_file),
                              "--out", str(tmp_path / "o"), "--engine", "dask"])
    assert bad.exit_code == 2, bad.output
    assert "--engine dask is not available" in " ".join(bad.output.split())


def test_the_dask_engine_gets_the_survey_mapping_and_scheduler(surveys, mapping_file, tmp_path, monkeypatch):
    _register()
    calls = []
    fake = types.ModuleType("innexport.population.engine")
    fake.import_with_dask = lambda survey, spec, fw, out, scheduler=None: calls.append((survey, spec.id, fw, out, scheduler))
    monkeypatch.setitem(sys.modules, "innexport.population.engine", fake)
    path, _ = surveys[".parquet"]
    ok = runner.invoke(app, ["population", "import", str(path), "--mapping", str(mapping_file),
                             "--out", str(tmp_path / "o"), "--engine", "dask", "--scheduler", "tcp://10.0.0.1:8786"])
    assert ok.exit_code == 0, ok.output
    assert calls == [(path, "wms", None, tmp_path / "o", "tcp://10.0.0.1:8786")]


@pytest.mark.parametrize("suffix", [".sav", ".dta", ".xlsx"])
def test_outputs_written_whole_read_back_as_the_in_memory_ones(surveys, mapping_file, tmp_path, suffix):
    from innexport.population.io import read_survey

    path, expected = surveys[".csv"]
    import_stream(path, mapping_file, tmp_path / f"pop{suffix}", batch_rows=20)
    write_table(expected, tmp_path / f"whole{suffix}")
    same(read_survey(tmp_path / f"pop{suffix}").data, read_survey(tmp_path / f"whole{suffix}").data)


def test_ids_sharing_a_hash_are_not_refused_and_true_duplicates_are(mapping_file, tmp_path, monkeypatch):
    """The ids across batches are kept as 64-bit hashes: a hash seen again is only a candidate, the exact
    ids decide. With every id hashed alike (the worst collision), the import still goes through whole."""
    from innexport.population import stream

    frame = survey(20)
    write_table(frame, tmp_path / "s.csv")
    expected = in_memory(tmp_path / "s.csv", mapping_file)
    monkeypatch.setattr(stream, "id_hashes", lambda ids: np.zeros(len(ids), dtype=np.uint64))
    same(streamed(tmp_path / "s.csv", mapping_file, tmp_path / "p.parquet", 6), expected)
    frame.loc[19, "code"] = frame.loc[0, "code"]
    write_table(frame, tmp_path / "d.csv")
    with pytest.raises(SurveyError, match=r"duplicated \('000'\) in rows 1, 20$"):
        import_stream(tmp_path / "d.csv", mapping_file, tmp_path / "q.parquet", batch_rows=6)


@settings(max_examples=30, deadline=None)
@given(batches=st.lists(st.lists(st.text("ab", min_size=1, max_size=3), max_size=8, unique=True), max_size=6))
def test_seen_ids_finds_exactly_the_ids_of_earlier_batches(batches):
    from innexport.population.stream import SeenIds, id_hashes

    seen, before = SeenIds(), set()
    for ids in batches:
        hashes = id_hashes(pd.Series(ids, dtype=object))
        assert seen.seen(hashes).tolist() == [i in before for i in ids]
        seen.add(hashes)
        before.update(ids)
    assert len(seen) == sum(map(len, batches)) and np.all(np.diff(seen.hashes.astype(object)) >= 0)


# --- XLSX read in batches -------------------------------------------------------------------------

CELLS = [None, 1, 2, 3.5, 4.0, -5, "007", "x", " y ", True, False, "true", "NA", "", dt.datetime(2020, 1, 2),
         2**63, "#DIV/0!", "1e3", "n/a"]
"""Cell values of every kind pandas types differently: numbers, numbers as text, texts with blanks,
booleans and boolean texts, missing texts, a date, a number beyond 64 bits, an error value."""


@st.composite
def sheets(draw: st.DrawFn) -> list[list[object]]:
    """A sheet: a header of distinct names, then rows of cells drawn per column from a few kinds (so that
    columns are sometimes all numbers, sometimes a mix), rows of any length, blank rows anywhere."""
    width = draw(st.integers(1, 4))
    kinds = [draw(st.lists(st.sampled_from(CELLS), min_size=1, max_size=3)) for _ in range(width)]
    rows = draw(st.lists(st.integers(0, width), max_size=14))
    return [[f"c{j}" for j in range(width)]] + [[draw(st.sampled_from(kinds[j])) for j in range(n)] for n in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=sheets(), batch=st.integers(1, 16))
def test_an_xlsx_sheet_read_in_batches_is_read_excel_whole(tmp_path, rows, batch):
    """Same names, types, values (and the Python type of every value in a mixed column) as pandas'
    ``read_excel`` of the whole sheet, whatever the batch size: the column types are the whole sheet's."""
    from openpyxl import Workbook

    from innexport.population.stream import _xlsx_batches

    book = Workbook()
    for row in rows:
        book.active.append(row)
    path = tmp_path / f"sheet{batch}.xlsx"
    book.save(path)
    whole = pd.read_excel(path)
    parts = list(_xlsx_batches(path, list(rows[0]), batch))
    got = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    assert all(len(p) <= batch for p in parts)
    pd.testing.assert_frame_equal(got, whole)
    for col in whole.columns:
        assert [type(v) for v in got[col]] == [type(v) for v in whole[col]], col


def test_an_xlsx_column_typed_by_its_whole_sheet(tmp_path):
    """Worked by hand: ``code`` is whole numbers until its last row, a text: a mix in every batch (the
    first ids stay numbers, as pandas gives them); ``zip`` is numbers written as text then a text: texts
    (``007`` keeps its zeros); ``n`` is whole numbers with one blank: decimals in every batch."""
    from openpyxl import Workbook

    from innexport.population.stream import _xlsx_batches

    book = Workbook()
    for row in [["code", "zip", "n"], [1, "007", 1], [2, "008", None], [3, "009", 3], ["x4", "abc", 4]]:
        book.active.append(row)
    book.save(tmp_path / "s.xlsx")
    parts = list(_xlsx_batches(tmp_path / "s.xlsx", ["code", "zip", "n"], 2))
    assert [p["code"].tolist() for p in parts] == [[1, 2], [3, "x4"]]
    assert [p["zip"].tolist() for p in parts] == [["007", "008"], ["009", "abc"]]
    assert [str(p["n"].dtype) for p in parts] == ["float64", "float64"] and parts[0]["n"].isna().tolist() == [False, True]


def test_a_too_wide_xlsx_is_refused_as_in_memory(mapping_file, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.active.append([f"q{k}" for k in range(5001)])
    book.active.append([1] * 5001)
    book.save(tmp_path / "wide.xlsx")
    with pytest.raises(SurveyError) as whole:
        in_memory(tmp_path / "wide.xlsx", mapping_file)
    with pytest.raises(SurveyError) as batches:
        import_stream(tmp_path / "wide.xlsx", mapping_file, tmp_path / "p.parquet", batch_rows=1)
    assert str(batches.value) == str(whole.value) == f"{tmp_path / 'wide.xlsx'}: 5,001 columns: more than the 5,000 accepted"
