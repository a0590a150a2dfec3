"""The published JSON Schemas (``innexport schema``) and the files' format version (issue 13).

Every shipped file and example validates against its format's schema; the schema and the reader
agree on what they refuse; ``format_version`` is optional, refused when unknown (file, line,
supported versions) and written by the writers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import EXAMPLES, REPO_ROOT
from innexport.cli import _register, app
from innexport.cli.schema import schema_of
from innexport.core.assessment import AnswersError
from innexport.core.framework import FrameworkError
from innexport.files.answers import read_answers, read_answers_text
from innexport.files.frameworks import parse_text
from innexport.files.schemas import (
    FORMAT_VERSION,
    FORMATS,
    SUPPORTED_FORMAT_VERSIONS,
    as_json,
    format_version_problem,
    without_format_version,
)
from innexport.files.yamlsource import Yaml12Loader, parse_yaml
from innexport.population.mapping import MappingError, parse_mapping
from innexport.support.programmes import CatalogueError, dump_catalogue, load_catalogue, parse_catalogue

DATA = REPO_ROOT / "src" / "innexport" / "data"
SHIPPED: dict[str, list[Path]] = {
    "answers": sorted(EXAMPLES.glob("*.yaml")) + sorted((EXAMPLES / "team").glob("*.yaml")),
    "framework": sorted((DATA / "frameworks").glob("*.yaml")),
    "catalogue": sorted((DATA / "catalogues").glob("*.yaml")),
    "mapping": sorted((DATA / "mappings").glob("*.yaml")),
}
"""Each format's shipped files and examples (examples/ahp/ holds AHP judgement files, another format)."""

runner = CliRunner()


def _data(kind: str, text: str) -> Any:
    """A document's data as its reader loads it (mappings are YAML 1.2), in its JSON form."""
    return as_json(parse_yaml(text, "x.yaml", loader=Yaml12Loader).data if kind == "mapping" else parse_yaml(text).data)


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema_of(kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def validators() -> dict[str, jsonschema.Draft202012Validator]:
    return {kind: _validator(kind) for kind in FORMATS}


def test_every_format_has_shipped_files() -> None:
    assert {k: len(v) > 0 for k, v in SHIPPED.items()} == dict.fromkeys(FORMATS, True)
    assert len(SHIPPED["answers"]) == 6  # the demo's three firms and the three respondents of the team example


@pytest.mark.parametrize("kind", FORMATS)
def test_schema_is_draft_2020_12_with_id_title_and_format_version(kind: str) -> None:
    schema = schema_of(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(f"/schemas/{kind}-{FORMAT_VERSION}.json")
    assert schema["title"].startswith("innexport") and len(schema["description"]) > 40
    assert schema["x-format-version"] == FORMAT_VERSION
    tops = schema.get("anyOf", [schema])
    for top in tops:  # framework | module, one firm | several: each top-level object has the field
        assert top["properties"]["format_version"]["enum"] == list(SUPPORTED_FORMAT_VERSIONS)
        assert "format_version" not in top.get("required", [])


@pytest.mark.parametrize(("kind", "path"), [(k, p) for k, paths in SHIPPED.items() for p in paths],
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_shipped_file_and_example_validates(kind: str, path: Path,
                                                  validators: dict[str, jsonschema.Draft202012Validator]) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validators[kind].iter_errors(_data(kind, path.read_text("utf-8")))]
    assert errors == []


@pytest.mark.parametrize("kind", FORMATS)
def test_an_unknown_top_level_field_or_format_version_fails_the_schema(
        kind: str, validators: dict[str, jsonschema.Draft202012Validator]) -> None:
    data = _data(kind, SHIPPED[kind][0].read_text("utf-8"))
    assert validators[kind].is_valid({"format_version": 1, **data})
    assert not validators[kind].is_valid({**data, "format_version": 2})
    assert not validators[kind].is_valid({**data, "colour": "red"})


def test_the_answers_schema_takes_one_firm_or_several(validators: dict[str, jsonschema.Draft202012Validator]) -> None:
    one = {"firm": {"id": "f1", "name": "F"}, "answers": {"q": "often", "r": True, "s": 3, "t": None}}
    several = {"format_version": 1, "framework": "iiep", "lang": "fr", "firms": [one, {**one, "firm": {"id": "f2", "name": "G"}}]}
    assert validators["answers"].is_valid(one) and validators["answers"].is_valid(several)
    assert not validators["answers"].is_valid({"answers": {}})  # no firm
    assert not validators["answers"].is_valid({"firms": []})
    assert not validators["answers"].is_valid({"firm": {"id": "f1", "name": "F", "export_share": 1.5}})
    assert not validators["answers"].is_valid({"firm": {"id": "f1", "name": "F"}, "assessed_on": "15/10/2026"})


FIRM = {"id": "f1", "name": "F"}


@given(st.fixed_dictionaries({}, optional={
    "size": st.sampled_from(["micro", "small", "medium", "large", "huge", ""]),
    "employees": st.integers(-5, 50),
    "export_share": st.floats(-0.5, 1.5, allow_nan=False),
    "founded": st.integers(900, 2200),
    "lang": st.sampled_from(["fr", "es", "en", "de"]),
    "format_version": st.sampled_from([0, 1, 2]),
}))
def test_the_answers_schema_and_reader_agree(extra: dict[str, Any]) -> None:
    firm = {**FIRM, **{k: v for k, v in extra.items() if k in {"size", "employees", "export_share", "founded"}}}
    doc = {"firm": firm, "answers": {}, **{k: v for k, v in extra.items() if k in {"lang", "format_version"}}}
    try:
        read_answers_text(json.dumps(doc), "x.json")
        read = True
    except AnswersError:
        read = False
    assert _validator("answers").is_valid(doc) == read


# --- the format version ------------------------------------------------------------------------------

def _without_field(path: Path) -> str:
    """A shipped file's text without its ``format_version`` line."""
    text = path.read_text("utf-8")
    assert text.count("\nformat_version: 1\n") == 1, path
    return text.replace("\nformat_version: 1\n", "\n")


FRAMEWORK = _without_field(DATA / "frameworks" / "iiep.yaml")
CATALOGUE = _without_field(DATA / "catalogues" / "programmes.yaml")
MAPPING = _without_field(DATA / "mappings" / "wms.yaml")
ANSWERS = _without_field(EXAMPLES / "team" / "director.yaml")


@pytest.mark.parametrize(("kind", "path"), [(k, p) for k, paths in SHIPPED.items() for p in paths],
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_every_shipped_file_and_example_says_its_format_version(kind: str, path: Path) -> None:
    assert _data(kind, path.read_text("utf-8"))["format_version"] == FORMAT_VERSION


def test_format_version_problem_accepts_absent_and_supported_and_names_the_supported_ones() -> None:
    assert format_version_problem({}) is None and format_version_problem([1]) is None
    assert format_version_problem({"format_version": 1}) is None
    assert format_version_problem({"format_version": True}) is not None  # a boolean is no version
    assert format_version_problem({"format_version": 1.0}) is not None
    assert "reads version 1;" in str(format_version_problem({"format_version": 2}))
    assert without_format_version({"format_version": 9, "a": 1}) == {"a": 1}


@pytest.mark.parametrize(("read", "text", "error"), [
    (parse_text, FRAMEWORK, FrameworkError), (parse_catalogue, CATALOGUE, CatalogueError),
    (parse_mapping, MAPPING, MappingError), (read_answers_text, ANSWERS, AnswersError),
], ids=["framework", "catalogue", "mapping", "answers"])
def test_an_unknown_format_version_is_refused_with_file_line_and_supported_versions(read: Any, text: str, error: type) -> None:
    lines = text.count("\n")
    with pytest.raises(error) as caught:
        read(f"format_version: 2\n{text}", "mine.yaml")
    assert str(caught.value).startswith("mine.yaml:1: format_version: unknown format version 2") or \
        str(caught.value).startswith("mine.yaml, line 1, field format_version: unknown format version 2")
    assert "this innexport reads version 1" in str(caught.value)
    with pytest.raises(error, match=rf"mine\.yaml(:|, line ){lines + 2}\b.*unknown format version 'one'"):
        read(f"{text}\nformat_version: one\n", "mine.yaml")


def test_format_version_1_reads_as_without_it() -> None:
    plain, versioned = parse_text(FRAMEWORK, "a.yaml"), parse_text("format_version: 1\n" + FRAMEWORK, "b.yaml")
    assert versioned == parse_text((DATA / "frameworks" / "iiep.yaml").read_text("utf-8"))
    assert versioned == plain and versioned.content_hash == plain.content_hash  # the field is the file's, not the model's
    assert parse_mapping("format_version: 1\n" + MAPPING).model_dump() == parse_mapping(MAPPING).model_dump()
    assert parse_catalogue("format_version: 1\n" + CATALOGUE) == parse_catalogue(CATALOGUE)
    [a], [b] = read_answers_text(ANSWERS), read_answers_text("format_version: 1\n" + ANSWERS)
    assert a.model_dump() == b.model_dump()  # (their answers are a line further down in the second)


def test_several_firms_take_the_format_version_at_the_top(tmp_path: Path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"format_version": 1, "firms": [{"firm": FIRM}, {"firm": {"id": "f2", "name": "G"}}]}))
    assert [s.firm.id for s in read_answers(path)] == ["f1", "f2"]
    path.write_text(json.dumps({"format_version": 3, "firms": [{"firm": FIRM}]}, indent=1))
    with pytest.raises(AnswersError, match=r"two\.json, line 2, field format_version: unknown format version 3"):
        read_answers(path)


def test_the_catalogue_writer_writes_the_format_version_first_and_reads_back() -> None:
    catalogue = load_catalogue()
    text = dump_catalogue(catalogue, "exported")
    assert text.splitlines()[:2] == ["# exported", f"format_version: {FORMAT_VERSION}"]
    assert parse_catalogue(text) == catalogue
    assert _validator("catalogue").is_valid(_data("catalogue", text))


# --- the command -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FORMATS)
def test_the_schema_command_prints_the_schema(kind: str) -> None:
    _register()
    result = runner.invoke(app, ["schema", kind])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == schema_of(kind)


def test_the_schema_command_writes_a_file_and_refuses_an_unknown_format(tmp_path: Path) -> None:
    _register()
    out = tmp_path / "sub" / "answers.schema.json"
    assert runner.invoke(app, ["schema", "answers", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text("utf-8"))["$id"].endswith("answers-1.json")
    result = runner.invoke(app, ["schema", "answer"])
    assert result.exit_code == 2 and "'answer' is not one of 'answers', 'framework'" in result.output


def test_schema_of_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="unknown file format 'plan'"):
        schema_of("plan")


# --- the format version in answer tables and the Excel questionnaire ----------------------------------------


def test_answer_tables_and_the_questionnaire_carry_the_format_version(tmp_path: Path) -> None:
    """A CSV/XLSX answer table may have a `format_version` column (checked on every row, the refusal naming
    row and column); the Excel questionnaire writes a prefilled `format_version` row and reads it back."""
    import openpyxl

    from innexport.files.frameworks import load_framework
    from innexport.rendering.questionnaire import write_xlsx

    good = tmp_path / "good.csv"
    good.write_text("format_version,firm_id,firm_name,net_partners\n1,f1,Firm one,\n", encoding="utf-8")
    assert [s.firm.id for s in read_answers(good)] == ["f1"]
    bad = tmp_path / "bad.csv"
    bad.write_text("firm_id,format_version,firm_name\nf1,1,Firm one\nf2,7,Firm two\n", encoding="utf-8")
    with pytest.raises(AnswersError) as caught:
        read_answers(bad)
    assert str(caught.value).startswith(f"{bad}, row 3, column B (format_version): unknown format version 7")

    form = tmp_path / "q.xlsx"
    write_xlsx(load_framework("iiep"), "fr", form)
    book = openpyxl.load_workbook(form)
    rows = {r[0]: r[1] for r in book["firm"].iter_rows(min_row=2, max_col=2, values_only=True)}
    assert rows["format_version"] == FORMAT_VERSION
    firm_row = next(r for r in book["firm"].iter_rows(min_row=2) if r[0].value == "firm_id")
    firm_row[1].value = "f9"
    book.save(form)
    assert [s.firm.id for s in read_answers(form)] == ["f9"]
    version_row = next(r for r in book["firm"].iter_rows(min_row=2) if r[0].value == "format_version")
    version_row[1].value = 2
    book.save(form)
    with pytest.raises(AnswersError, match=r"\[firm\], row format_version: unknown format version 2"):
        read_answers(form)
