"""Reading surveys and writing population tables (innexport.population.io).

Round trips through every format, missing codes, weight and id checks, CSV sniffing; and the real
ENDEI II file (read from ../shared/data, never copied into the repository; skipped when absent),
whose weighted counts must reproduce the official published figures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from conftest import ENDEI, requires_shared
from innexport.population.io import (
    Survey,
    SurveyError,
    apply_missing_codes,
    format_rows,
    read_survey,
    write_table,
)

needs_endei = requires_shared(ENDEI)
ENDEI_MISSING = [-77, -88, -99, "Ns/Nc", "Ns/Ns"]
WINE = "Vinos y otras bebidas fermentadas"


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame({
        "firm": ["f1", "f2", "f3", "f4"],
        "size": pd.Categorical(["small", "large", None, "small"], categories=["small", "medium", "large"]),
        "score": [0.5, np.nan, 1.0, 0.25],
        "count": [1, 2, 3, 4],
        "name": ["Bodega Añeja", None, "Château Été", "Weingut"],
    })


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".sav", ".dta", ".parquet"])
def test_round_trip(small: pd.DataFrame, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"table{suffix}"
    write_table(small, path, variable_labels={"score": "Score in [0, 1]"})
    survey = read_survey(path)
    data = survey.data
    assert list(data.columns) == list(small.columns)
    assert survey.source == str(path) and survey.weight is None and len(survey) == 4
    assert data["firm"].tolist() == ["f1", "f2", "f3", "f4"]
    np.testing.assert_allclose(data["score"].to_numpy(dtype=float), [0.5, np.nan, 1.0, 0.25])
    np.testing.assert_allclose(data["count"].to_numpy(dtype=float), [1, 2, 3, 4])
    assert data["name"].iloc[0] == "Bodega Añeja" and data["name"].iloc[2] == "Château Été"
    assert pd.isna(data["name"].iloc[1]) and pd.isna(data["size"].iloc[2])
    assert [v if isinstance(v, str) else None for v in data["size"].astype(object)] == ["small", "large", None, "small"]
    if suffix in (".sav", ".dta", ".parquet"):  # the labels (and the unused category) survive
        assert isinstance(data["size"].dtype, pd.CategoricalDtype)
        assert list(data["size"].cat.categories) == ["small", "medium", "large"]
    if suffix in (".sav", ".dta"):
        assert survey.value_labels["size"] == {1: "small", 2: "medium", 3: "large"}
        assert survey.variable_labels["score"] == "Score in [0, 1]"


def test_stata_names_are_made_valid_and_keep_the_original_as_label(tmp_path: Path) -> None:
    frame = pd.DataFrame({"obs.q1": [0.0, 1.0], "class.iip": pd.Categorical(["passive", "proactive"]),
                          "2x": [1, 2]})
    write_table(frame, tmp_path / "t.dta")
    survey = read_survey(tmp_path / "t.dta")
    assert list(survey.data.columns) == ["obs_q1", "class_iip", "_2x"]
    assert survey.variable_labels["obs_q1"] == "obs.q1"
    assert survey.data["class_iip"].tolist() == ["passive", "proactive"]


def test_spss_refuses_names_it_cannot_hold(tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match="'a b'"):
        write_table(pd.DataFrame({"a b": [1]}), tmp_path / "t.sav")


def test_spss_user_missing_values_and_labels_are_read(tmp_path: Path) -> None:
    frame = pd.DataFrame({"answer": [1.0, 2.0, 9.0, 1.0], "x": [3.0, -99.0, 4.0, 5.0]})
    path = tmp_path / "user_missing.sav"
    pyreadstat.write_sav(frame, str(path), variable_value_labels={"answer": {1: "Si", 2: "No", 9: "Ns/Nc"}},
                         missing_ranges={"answer": [9], "x": [-99]}, column_labels=["Innova", "Monto"])
    survey = read_survey(path)
    assert survey.data["answer"].astype(object).tolist()[:2] == ["Si", "No"]
    assert pd.isna(survey.data["answer"].iloc[2]) and pd.isna(survey.data["x"].iloc[1])
    assert survey.variable_labels == {"answer": "Innova", "x": "Monto"}
    assert survey.value_labels["answer"][9] == "Ns/Nc"


def test_unlabelled_codes_keep_their_code(tmp_path: Path) -> None:
    path = tmp_path / "partial.sav"
    pyreadstat.write_sav(pd.DataFrame({"a": [1.0, 2.0, 3.0]}), str(path), variable_value_labels={"a": {1: "one", 2: "two"}})
    assert read_survey(path).data["a"].astype(object).tolist() == ["one", "two", "3"]


def test_csv_semicolon_latin1(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id;rama;peso\n1;Vinos y otras bebidas fermentadas;2,5\n2;Máquinas;1\n".encode("latin-1"))
    data = read_survey(path).data
    assert list(data.columns) == ["id", "rama", "peso"]
    assert data["rama"].tolist() == ["Vinos y otras bebidas fermentadas", "Máquinas"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_comma_utf8_with_or_without_bom(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "utf8.csv"
    path.write_text('firm,country,note\na,FR,"Bourgogne, Côte d\'Or"\nb,AR,Señor\n', encoding=encoding)
    data = read_survey(path).data
    assert list(data.columns) == ["firm", "country", "note"]  # the BOM is not part of the first name
    assert data["note"].tolist() == ["Bourgogne, Côte d'Or", "Señor"]


def test_text_cells_are_stripped_and_blank_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("a,b\n  Si ,1\n   ,2\nNo,3\n", encoding="utf-8")
    assert read_survey(path).data["a"].tolist()[0] == "Si"
    assert pd.isna(read_survey(path).data["a"].iloc[1])


def test_missing_codes_list_and_per_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({"n": [1.0, -99.0, -88.0, 4.0], "t": ["Si", "Ns/Nc", "-99", "No"],
                          "c": pd.Categorical(["Si", "Ns/Nc", "No", "Si"])})
    path = tmp_path / "codes.parquet"
    write_table(frame, path)
    data = read_survey(path, missing_codes=[-77, -88, -99, "Ns/Nc"]).data
    assert data["n"].isna().tolist() == [False, True, True, False]
    assert data["t"].isna().tolist() == [False, True, True, False]  # the text "-99" is the code -99
    assert data["c"].isna().tolist() == [False, True, False, False]
    assert "Ns/Nc" not in data["c"].cat.categories
    only_n = read_survey(path, missing_codes={"n": [-99]}).data
    assert only_n["n"].isna().tolist() == [False, True, False, False]
    assert only_n["t"].tolist() == ["Si", "Ns/Nc", "-99", "No"]
    with pytest.raises(SurveyError, match="'zz'"):
        read_survey(path, missing_codes={"zz": [-99]})


def test_apply_missing_codes_leaves_the_input_alone() -> None:
    frame = pd.DataFrame({"n": [1.0, -99.0]})
    out = apply_missing_codes(frame, [-99])
    assert out["n"].isna().tolist() == [False, True] and frame["n"].tolist() == [1.0, -99.0]


@pytest.mark.parametrize(("weights", "problem", "rows"), [
    ([1.0, -2.0, 3.0, -1.0], "negative", "rows 2, 4"),
    ([1.0, np.nan, 3.0, 4.0], "missing", "row 2"),
    ([0.0, 1.0, 3.0, 0.0], "zero", "rows 1, 4"),
])
def test_bad_weights_name_column_and_rows(tmp_path: Path, weights: list[float], problem: str, rows: str) -> None:
    path = tmp_path / "w.csv"
    write_table(pd.DataFrame({"id": [1, 2, 3, 4], "factor": weights}), path)
    with pytest.raises(SurveyError) as err:
        read_survey(path, weight="factor")
    message = str(err.value)
    assert str(path) in message and "'factor'" in message and problem in message and rows in message


def test_weight_not_a_number(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    path.write_text("id,factor\n1,2\n2,abc\n", encoding="utf-8")
    with pytest.raises(SurveyError, match=r"not a number in row 2"):
        read_survey(path, weight="factor")


def test_unknown_weight_or_id_column(tmp_path: Path) -> None:
    path = tmp_path / "w.csv"
    write_table(pd.DataFrame({"id": [1, 2], "factor": [1.0, 2.0]}), path)
    with pytest.raises(SurveyError, match="unknown weight column 'peso'"):
        read_survey(path, weight="peso")
    with pytest.raises(SurveyError, match="unknown id column 'ide'"):
        read_survey(path, id_column="ide")
    survey = read_survey(path, weight="factor", id_column="id")
    np.testing.assert_allclose(survey.weights, [1.0, 2.0])


def test_duplicated_or_missing_ids(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    write_table(pd.DataFrame({"id": ["a", "b", "a", None]}), path)
    with pytest.raises(SurveyError) as err:
        read_survey(path, id_column="id")
    assert "missing in row 4" in str(err.value) and "duplicated ('a') in rows 1, 3" in str(err.value)


def test_many_rows_are_cut_at_ten() -> None:
    assert format_rows(range(25)) == "rows 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 (and 15 more)"
    assert format_rows([4]) == "row 5"


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SurveyError, match=r"unknown file type '\.json'"):
        read_survey(tmp_path / "x.json")
    with pytest.raises(SurveyError, match="not found"):
        read_survey(tmp_path / "x.csv")
    with pytest.raises(SurveyError, match=r"cannot write '\.json'"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "x.json")


def test_broken_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a spreadsheet")
    with pytest.raises(SurveyError, match=r"broken\.xlsx: cannot be read as XLSX"):
        read_survey(path)


def test_weights_default_to_one() -> None:
    survey = Survey(data=pd.DataFrame({"a": [1, 2, 3]}), weight=None)
    np.testing.assert_array_equal(survey.weights, [1.0, 1.0, 1.0])


# --- the real ENDEI II file ------------------------------------------------------------------------


def test_the_shared_endei_read_is_this_read() -> None:
    # the session's one read (conftest.endei_survey) goes through the endei2 mapping: its parameters
    # must be exactly those this file's tests are about
    from innexport.population.mapping import load_mapping

    mapping = load_mapping("endei2")
    assert (mapping.weight, mapping.id_column) == ("factor2", "ide_endei_ii")
    assert mapping.missing_codes == ENDEI_MISSING


@pytest.fixture(scope="module")
def endei(endei_survey: Survey) -> Survey:
    # read_survey(ENDEI, weight="factor2", missing_codes=ENDEI_MISSING, id_column="ide_endei_ii"),
    # read once per session
    return endei_survey


@needs_endei
def test_endei_reads_with_its_weights(endei: Survey) -> None:
    data = endei.data
    assert data.shape == (3944, 749)
    assert data["factor2"].sum() == pytest.approx(18_359)
    by_size = data.groupby("tam_mue")["factor2"].sum()
    # the official published firm counts by size
    assert by_size.to_dict() == pytest.approx({"Pequena": 10_538, "Mediana": 5_850, "Grande": 1_971})


@needs_endei
def test_endei_missing_codes_become_missing(endei: Survey) -> None:
    data = endei.data
    text = data.select_dtypes(exclude="number").astype(object)
    assert not text.isin(["Ns/Nc", "Ns/Ns"]).any().any()
    assert data["p.1.14"].isna().sum() == 5  # the five "Ns/Nc" answers to the export share
    assert not (data.select_dtypes("number").isin([-77, -88, -99])).any().any()


@needs_endei
def test_endei_wine_firms(endei: Survey) -> None:
    data = endei.data
    assert WINE in set(data["rama_act"].dropna())
    wine = data[data["rama_act"] == WINE]
    assert len(wine) == 80
    assert set(wine["p.1.14"].dropna()) <= {"0%", "Hasta 10%", "11% - 20%", "21% - 30%", "31% - 50%", "Mas del 50%"}
    assert (wine["p.1.14"].notna() & (wine["p.1.14"] != "0%")).sum() == 59


def test_population_imports_no_upper_layer() -> None:
    # population/ sits below rendering/, web/ and cli/ (and draws nothing): found by reading every import
    import ast

    import innexport.population

    package = Path(innexport.population.__file__).parent
    found = []
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [(path.name, n) for n in names
                      if n.split(".")[:2] in (["innexport", "rendering"], ["innexport", "web"], ["innexport", "cli"])]
    assert len(list(package.glob("*.py"))) > 10 and not found


def test_a_population_table_keeps_its_stamp_through_parquet(tmp_path: Path) -> None:
    # issue 11: `population report` of a table written by `population import` said "scored with —"
    frame = pd.DataFrame({"firm_id": ["a", "b"], "iip": [0.5, np.nan]})
    frame.attrs.update(framework="iiep 1.1.0", content_hash="sha256:x", mapping="endei2")
    write_table(frame, tmp_path / "p.parquet")
    read = read_survey(tmp_path / "p.parquet", missing_codes=[-9]).data
    assert read.attrs == {"framework": "iiep 1.1.0", "content_hash": "sha256:x", "mapping": "endei2"}
    assert read["firm_id"].tolist() == ["a", "b"] and np.isnan(read["iip"][1])


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".sav", ".dta", ".parquet"])
def test_a_population_table_keeps_its_stamp_through_every_format(tmp_path: Path, suffix: str) -> None:
    """CSV and Stata: a ``<file>-metadata.json`` next to it (CSVW's name); XLSX: a hidden sheet;
    SPSS: a note; Parquet: the table's metadata. Stata's renamed columns come back by their names."""
    frame = pd.DataFrame({"firm_id": ["a", "b"], "act.net_weak_ties": [0.5, np.nan], "obs.q 1": [1.0, 0.0]})
    stamp = {"framework": "iiep 1.1.0", "content_hash": "sha256:ab", "mapping": "wms", "mapping_version": "1.0.0",
             "survey": "données/wms 2015.csv"}  # not ASCII, with spaces: SPSS notes drop trailing spaces
    frame.attrs.update(stamp)
    if suffix == ".sav":
        frame = frame.rename(columns={"obs.q 1": "obs.q1"})  # SPSS names cannot hold a space (refused)
    path = tmp_path / f"p{suffix}"
    write_table(frame, path)
    read = read_survey(path).data
    assert read.attrs == stamp
    assert list(read.columns) == list(frame.columns)  # obs_q_1 (Stata) → obs.q 1
    assert read["act.net_weak_ties"].tolist()[0] == 0.5
    if suffix in (".csv", ".dta"):
        sidecar = tmp_path / f"p{suffix}-metadata.json"
        assert sidecar.is_file()
        # written again without a stamp: the old stamp must not describe the new table
        write_table(pd.DataFrame({"x": [1.0]}), path)
        assert not sidecar.exists() and read_survey(path).data.attrs == {}


def test_a_broken_stamp_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    write_table(pd.DataFrame({"x": [1.0, 2.0]}), path)
    (tmp_path / "p.csv-metadata.json").write_text("{not json", encoding="utf-8")
    assert read_survey(path).data.attrs == {}
    (tmp_path / "p.csv-metadata.json").write_text('{"innexport": ["a list"]}', encoding="utf-8")
    assert read_survey(path).data.attrs == {}
