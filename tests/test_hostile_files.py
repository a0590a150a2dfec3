"""Hostile and broken files (issue 10): every reader refuses them early, boundedly and clearly.

Each case is built here, small but representative: a YAML catalogue of one anchored entry and
120,000 aliases of it, "billion laughs", 100,000 nested brackets, an XLSX whose archive declares
1.5 GB, a real DEFLATE bomb, a CSV of 200,000 columns, UTF-16/32 text. Each test asserts the
refusal (type and message naming the file and the line/row/byte), that it comes *before* the
expensive work (the parser or openpyxl/pandas is never reached, or the line named is the one
where the limit is crossed), and, on the command line, exit 2 with the message and no traceback.
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import struct
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.core.assessment import AnswersError
from innexport.core.framework import FrameworkError
from innexport.files import limits
from innexport.files.answers import read_answers
from innexport.files.frameworks import parse_document, parse_text
from innexport.files.limits import (
    MAX_DOCUMENT_BYTES,
    MAX_NESTING_DEPTH,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_YAML_ALIASES,
    MAX_ZIP_MEMBERS,
    InputRefused,
    JsonError,
    check_zip,
    decode_text,
    parse_json,
    refusal_in,
)
from innexport.files.yamlsource import Yaml12Loader, YamlError, YamlLimitError, parse_yaml
from innexport.population.io import SurveyError, read_survey
from innexport.population.mapping import MappingError, parse_mapping
from innexport.support.programmes import CatalogueError, parse_catalogue

runner = CliRunner()

ANSWERS_CSV = "firm_id,framework,version,net_weak_ties_collective_events\na,iiep,1.0.0,yes\n"


def run(*args: str) -> Any:
    _register()
    return runner.invoke(app, list(args))


def assert_refused(result: Any, *needles: str) -> None:
    """Exit 2, every needle in the output, no traceback."""
    out = result.output
    assert result.exit_code == 2, out
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in out
    for needle in needles:
        assert needle in out, (needle, out)


# --- builders ---------------------------------------------------------------------------------------


def alias_bomb(kind: str = "catalogue", aliases: int = 120_000) -> str:
    """One anchored entry then ``aliases`` aliases of it (the 840 kB catalogue of issue 10)."""
    head = f"kind: {kind}\nid: bomb\nprogrammes:\n- &p {{id: p1, name: {{en: P}}, country: FR}}\n"
    return head + "- *p\n" * aliases


def laughs(levels: int = 9) -> str:
    """Nine levels of ten aliases of the level below: 10**9 nodes from 90 aliases."""
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 10)}]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def declared_bomb(path: Path, declared: int = 1_500_000_000) -> Path:
    """A small XLSX-like archive whose central directory declares a 1.5 GB sheet (what openpyxl would inflate)."""
    raw = bytearray(zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<c/>" * 1000}))
    at = raw.rfind(b"PK\x01\x02")  # the sheet's central directory entry (the last one)
    struct.pack_into("<L", raw, at + 24, declared)  # its uncompressed size (APPNOTE 4.3.12)
    path.write_bytes(bytes(raw))
    return path


def ratio_bomb(path: Path, size: int = 24 * 1024 * 1024) -> Path:
    """A real DEFLATE bomb: 24 MiB of one repeated tag in a few tens of kB."""
    path.write_bytes(zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"<c/>" * (size // 4)}))
    return path


def wide_csv(path: Path, columns: int = 200_000) -> Path:
    path.write_text(",".join(f"c{j}" for j in range(columns)) + "\n" + ",".join("1" * columns) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def no_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    """openpyxl (and pandas' Excel reader) must not be reached: the archive check comes first."""
    import openpyxl
    import pandas as pd

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was opened before the archive was checked")

    monkeypatch.setattr(openpyxl, "load_workbook", forbidden)
    monkeypatch.setattr(pd, "read_excel", forbidden)


# --- the limits' one home -----------------------------------------------------------------------------


def test_every_limit_is_defined_once_with_its_reason() -> None:
    source = Path(limits.__file__).read_text(encoding="utf-8")
    body = ast.parse(source).body
    names = []
    for k, node in enumerate(body):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id.startswith("MAX_"):
            names.append(node.targets[0].id)
            doc = body[k + 1]
            assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), f"{node.targets[0].id}: no docstring"
            assert len(doc.value.value) > 80, f"{node.targets[0].id}: say why this value"
    assert len(names) >= 10 and set(names) <= set(limits.__all__)
    src = Path(limits.__file__).parents[1]
    for py in src.rglob("*.py"):
        if py.name != "limits.py":
            text = py.read_text(encoding="utf-8")
            assert not [n for n in names if f"{n} =" in text], f"{py} redefines a limit"


def test_refusal_is_found_through_the_readers_own_errors(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb("framework"), encoding="utf-8")
    with pytest.raises(FrameworkError) as fw:
        parse_document(path)
    assert isinstance(refusal_in(fw.value), YamlLimitError)
    with pytest.raises(FrameworkError) as invalid:
        parse_text("kind: framework\nid: x\n", "x.yaml")
    assert refusal_in(invalid.value) is None  # invalid, not refused: `frameworks validate` keeps exit 1


# --- YAML ----------------------------------------------------------------------------------------------


def test_alias_bomb_is_refused_at_the_alias_past_the_limit() -> None:
    text = alias_bomb()
    assert len(text) < MAX_DOCUMENT_BYTES  # under the size limit: the alias count refuses it
    start = time.perf_counter()
    with pytest.raises(YamlLimitError) as exc:
        parse_yaml(text, "bomb.yaml")
    assert time.perf_counter() - start < 5.0  # stopped at the 101st alias: milliseconds, not 33 s (generous bound)
    first_alias_line = 5
    assert exc.value.line == first_alias_line + MAX_YAML_ALIASES
    assert str(exc.value).startswith(f"bomb.yaml:{first_alias_line + MAX_YAML_ALIASES}: YAML: more than 100 aliases")
    assert isinstance(exc.value, InputRefused) and isinstance(exc.value, YamlError)


def test_a_hundred_aliases_are_still_read() -> None:
    doc = parse_yaml(alias_bomb(aliases=MAX_YAML_ALIASES), "ok.yaml")
    assert len(doc.data["programmes"]) == MAX_YAML_ALIASES + 1
    assert doc.data["programmes"][-1] == {"id": "p1", "name": {"en": "P"}, "country": "FR"}


def test_billion_laughs_is_refused_by_the_expansion_budget() -> None:
    text = laughs()
    assert text.count("*") < MAX_YAML_ALIASES  # few aliases: the expanded size refuses it
    with pytest.raises(YamlLimitError, match="nodes once its aliases are expanded") as exc:
        parse_yaml(text, "laughs.yaml")
    assert exc.value.line == 6  # l5: 10**6 nodes, and with the levels before it, past a million
    assert parse_yaml(laughs(levels=4), "ok.yaml").data["l3"][9][9][9][9] == "x"  # 10**4 nodes: fine


@pytest.mark.parametrize(("text", "line"), [
    ("[" * 100_000, 1),
    ('{"a": ' * 100_000, 1),
    ("".join(" " * k + f"k{k}:\n" for k in range(80)), MAX_NESTING_DEPTH),
    ("".join(" " * k + "-\n" for k in range(80)), MAX_NESTING_DEPTH + 1),
])
def test_deep_nesting_is_refused_at_its_line(text: str, line: int) -> None:
    with pytest.raises(YamlLimitError, match=f"nested deeper than {MAX_NESTING_DEPTH} levels") as exc:
        parse_yaml(text, "deep.yaml")
    assert exc.value.line == line


def test_depth_at_the_limit_is_read() -> None:
    text = "[" * MAX_NESTING_DEPTH + "]" * MAX_NESTING_DEPTH
    data = parse_yaml(text).data
    for _ in range(MAX_NESTING_DEPTH - 1):
        data = data[0]
    assert data == []


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(YamlLimitError, match=r"alias \*a is inside the node it names") as exc:
        parse_yaml("x: 1\na: &a [1, [2, *a]]\n", "rec.yaml")
    assert exc.value.line == 2


def test_oversized_text_is_refused_before_parsing() -> None:
    with pytest.raises(YamlLimitError, match="larger than the 5,242,880 accepted"):
        parse_yaml("[" + "1," * (MAX_DOCUMENT_BYTES // 2) + "]", "big.yaml")


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\nwhen: 2026-13-01\n", "month must be in 1..12"),
    ("a: 1\nn: " + "1" * 5000 + "\n", "4300 digits"),
])
def test_unconstructable_values_are_yaml_errors_at_their_line(text: str, message: str) -> None:
    with pytest.raises(YamlError, match=message) as exc:
        parse_yaml(text, "v.yaml")
    assert exc.value.line == 2 and not isinstance(exc.value, InputRefused)


def test_merge_keys_and_lines_from_the_one_pass() -> None:
    doc = parse_yaml("base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n", "m.yaml")
    assert doc.data == {"base": {"x": 1}, "item": {"x": 1, "y": 2}}
    assert doc.line(["item", "y"]) == 4 and doc.key_line(["item", "y"]) == 4


def test_every_loader_is_bounded() -> None:
    """A plain SafeLoader passed in is bounded too; the YAML 1.2 booleans stay as they are."""
    with pytest.raises(YamlLimitError):
        parse_yaml(alias_bomb(), "x.yaml", loader=yaml.SafeLoader)
    assert parse_yaml("a: No\nb: true\n", loader=Yaml12Loader).data == {"a": "No", "b": True}
    assert parse_yaml("a: no\n", loader=yaml.SafeLoader).data == {"a": False}


def test_catalogue_mapping_framework_and_answers_refuse_the_bomb(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError) as cat:
        parse_catalogue(alias_bomb(), "cat.yaml")
    assert len(cat.value.issues) == 1 and "cat.yaml:105: YAML: more than 100 aliases" in str(cat.value)
    with pytest.raises(MappingError) as mapping:
        parse_mapping(alias_bomb("mapping"), "map.yaml")
    assert "map.yaml:105" in str(mapping.value) and refusal_in(mapping.value) is not None
    with pytest.raises(FrameworkError, match=r"fw\.yaml:105: YAML: more than 100 aliases"):
        parse_text(alias_bomb("framework"), "fw.yaml")
    answers = tmp_path / "answers.yaml"
    answers.write_text("firm: &f {id: a, name: A}\nanswers: {}\nx: [" + ", ".join(["*f"] * 200) + "]\n", encoding="utf-8")
    with pytest.raises(AnswersError, match=r"answers\.yaml, line 3: refused YAML: more than 100 aliases"):
        read_answers(answers)


def test_cli_validate_commands_exit_2_on_a_bomb_and_1_on_an_invalid_file(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb(), encoding="utf-8")
    assert_refused(run("programmes", "validate", str(bomb)), "bomb.yaml:105", "more than 100 aliases")
    bomb.write_text(alias_bomb("framework"), encoding="utf-8")
    assert_refused(run("frameworks", "validate", str(bomb)), "bomb.yaml:105", "more than 100 aliases")
    invalid = tmp_path / "invalid.yaml"
    invalid.write_text("kind: framework\nid: x\n", encoding="utf-8")
    result = run("frameworks", "validate", str(invalid))
    assert result.exit_code == 1 and "Traceback" not in result.output


def test_document_files_beyond_the_size_limit_are_refused_by_their_size(tmp_path: Path) -> None:
    """The size is read from the file system (the message gives it), before the text is read."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:  # sparse: 5 MiB and a byte on paper, nothing on disk
        fh.truncate(MAX_DOCUMENT_BYTES + 1)
    needle = "huge.yaml: file: refused: 5,242,881 bytes: larger than the 5,242,880 bytes accepted"
    assert_refused(run("frameworks", "validate", str(path)), needle)
    assert_refused(run("programmes", "validate", str(path)), needle)
    assert_refused(run("population", "import", "x.csv", "--mapping", str(path), "-o", str(tmp_path / "o.csv")), needle)


# --- JSON ----------------------------------------------------------------------------------------------


def test_deep_json_is_refused_with_its_place() -> None:
    with pytest.raises(JsonError) as exc:
        parse_json("\n  " + "[" * 100_000, "deep.json")
    assert (exc.value.line, exc.value.column) == (2, 3 + MAX_NESTING_DEPTH)
    assert str(exc.value) == "deep.json, line 2, column 67: lists or objects nested deeper than 64 levels"
    assert isinstance(exc.value, ValueError) and not exc.value.syntax


def test_json_depth_counts_only_brackets_outside_strings() -> None:
    text = json.dumps({"a": "[" * 500 + '"\\' + "{" * 500, "b": ["]]]", "\\\"[[["]})
    assert parse_json(text) == json.loads(text)
    with pytest.raises(JsonError, match="deeper than 2 levels"):
        parse_json('{"a": [{"b": 1}]}', max_depth=2)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\n'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=4), inner, max_size=3),
    max_leaves=30,
)


@given(value=_JSON, max_depth=st.integers(min_value=0, max_value=6))
def test_json_is_read_exactly_when_within_the_depth(value: Any, max_depth: int) -> None:
    text = json.dumps(value, indent=1 if _depth(value) % 2 else None)
    if _depth(value) <= max_depth:
        assert parse_json(text, max_depth=max_depth) == value
    else:
        with pytest.raises(JsonError, match=f"deeper than {max_depth} levels"):
            parse_json(text, max_depth=max_depth)


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": NaN}', "not JSON: NaN"),
    ('{"a": ' + "9" * 5000 + "}", "4300 digits"),
    ('{"a": 1,}', "line 1, column 9: not JSON"),
    (b"\xff\xfe{\x00}\x00", None),
    (b'{"a": "\xe9"}', r"^body: not UTF-8 text .*, at byte 7$"),
])
def test_json_refusals_and_encodings(text: str | bytes, message: str | None) -> None:
    if message is None:
        assert parse_json(text) == {}
        return
    with pytest.raises(JsonError, match=message):
        parse_json(text, "body")


def test_json_size_limit() -> None:
    with pytest.raises(JsonError, match="larger than the 10 accepted"):
        parse_json(b'{"a": "xxxxxx"}', "body", max_chars=10)


def test_cli_diagnose_deep_json_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000, encoding="utf-8")
    result = run("diagnose", str(path), "-o", str(tmp_path / "out.json"))
    assert_refused(result, "deep.json, line 1, column 65", "nested deeper than 64 levels")
    assert not (tmp_path / "out.json").exists()


def test_other_json_inputs_of_the_cli_are_bounded(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    answers = Path(__file__).resolve().parents[1] / "examples" / "ar-bodega-los-aromos.yaml"
    assert_refused(run("diagnose", str(answers), "-o", str(tmp_path / "o.json"), "--leverage", str(deep)),
                   "deep.json", "nested deeper than 64 levels")
    assert_refused(run("followup", str(deep), str(deep)), "deep.json, line 1, column 65: lists or objects nested deeper")


# --- XLSX ----------------------------------------------------------------------------------------------


def test_declared_bomb_is_refused_from_the_directory(tmp_path: Path, no_openpyxl: None) -> None:
    path = declared_bomb(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 10_000
    with pytest.raises(InputRefused, match="expands to 1,500,000,") as exc:
        check_zip(path)
    assert exc.value.origin == str(path)
    with pytest.raises(AnswersError, match=r"bomb\.xlsx: broken XLSX file: expands to 1,500,00"):
        read_answers(path)
    with pytest.raises(SurveyError, match=r"bomb\.xlsx: cannot be read as XLSX: expands to 1,500,00"):
        read_survey(path)


def test_deflate_bomb_is_refused_by_its_ratio(tmp_path: Path, no_openpyxl: None) -> None:
    path = ratio_bomb(tmp_path / "ratio.xlsx")
    with pytest.raises(AnswersError, match=r"ratio\.xlsx: broken XLSX file: member xl/worksheets/sheet1\.xml expands "
                                           r"25,165,824 bytes .* more than 100 times"):
        read_answers(path)


def test_too_many_members_are_refused_from_the_end_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "many.xlsx"
    path.write_bytes(zip_bytes({f"xl/m{k}.xml": b"" for k in range(MAX_ZIP_MEMBERS + 1)}))
    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("the whole directory was read"))
    with pytest.raises(InputRefused, match="2,001 archive members: more than the 2,000 accepted"):
        check_zip(path)


def test_an_ordinary_workbook_passes_the_check(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["firm_id", "framework", "version", "net_weak_ties_collective_events"])
    ws.append(["a", "iiep", "1.0.0", "yes"])
    book.save(tmp_path / "ok.xlsx")
    check_zip(tmp_path / "ok.xlsx")
    assert read_answers(tmp_path / "ok.xlsx")[0].answers == {"net_weak_ties_collective_events": "yes"}


def test_cli_refuses_xlsx_bombs_with_exit_2(tmp_path: Path) -> None:
    path = declared_bomb(tmp_path / "bomb.xlsx")
    assert_refused(run("diagnose", str(path), "-o", str(tmp_path / "o.json")), "bomb.xlsx", "zip bomb")
    assert_refused(run("population", "import", str(path), "--mapping", "endei2", "-o", str(tmp_path / "o.csv")),
                   "bomb.xlsx: cannot be read as XLSX", "zip bomb")
    assert not (tmp_path / "o.csv").exists()


# --- CSV -----------------------------------------------------------------------------------------------


def test_wide_csv_is_refused_before_pandas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    path = wide_csv(tmp_path / "wide.csv")
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: pytest.fail("pandas reached"))
    start = time.perf_counter()
    with pytest.raises(SurveyError, match=r"wide\.csv, line 1: 200,000 columns: more than the 5,000 accepted"):
        read_survey(path)
    with pytest.raises(AnswersError, match=r"wide\.csv, line 1: 200,000 columns: more than the 5,000 accepted"):
        read_answers(path)
    assert time.perf_counter() - start < 5.0


def test_a_wide_data_row_in_answers_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "row.csv"
    path.write_text(ANSWERS_CSV + "b" + ",x" * MAX_TABLE_COLUMNS + "\n", encoding="utf-8")
    with pytest.raises(AnswersError, match=r"row\.csv, line 3: 5,001 columns"):
        read_answers(path)


def test_too_many_lines_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a\n" + "1\n" * MAX_TABLE_ROWS, encoding="utf-8")
    with pytest.raises(SurveyError, match=r"long\.csv: 1,000,001 rows: more than the 1,000,000 accepted"):
        read_survey(path)


def test_cli_refuses_wide_csv_with_exit_2(tmp_path: Path) -> None:
    path = wide_csv(tmp_path / "wide.csv")
    assert_refused(run("diagnose", str(path), "-o", str(tmp_path / "o.json")), "wide.csv, line 1: 200,000 columns")
    assert_refused(run("population", "import", str(path), "--mapping", "endei2", "-o", str(tmp_path / "o.csv")),
                   "wide.csv, line 1: 200,000 columns", "5,000")


ENCODINGS = [("utf-8-sig", b""), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
             ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)]


@pytest.mark.parametrize(("encoding", "bom"), ENCODINGS)
def test_byte_order_marks_are_honoured(tmp_path: Path, encoding: str, bom: bytes) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_bytes(bom + "id;rama\n1;Máquinas\n2;Vinos\n".encode(encoding))
    data = read_survey(survey).data
    assert list(data.columns) == ["id", "rama"] and list(data["rama"]) == ["Máquinas", "Vinos"]
    answers = tmp_path / "answers.csv"
    answers.write_bytes(bom + ANSWERS_CSV.encode(encoding))
    sheet = read_answers(answers)[0]
    assert sheet.firm.id == "a" and sheet.answers == {"net_weak_ties_collective_events": "yes"}


def test_utf16_csv_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_text(ANSWERS_CSV, encoding="utf-16")  # with its mark, as Excel's "Unicode text"
    result = run("diagnose", str(path), "-o", str(tmp_path / "r.json"), "--min-completeness", "0")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["firms"][0]["firm"]["id"] == "a"


@pytest.mark.parametrize(("raw", "where", "problem"), [
    (codecs.BOM_UTF16_LE + "id\n1\n".encode("utf-16-le") + b"\x00", "byte 12", "not UTF-16-LE text"),
    (codecs.BOM_UTF16_LE + "id\n\ud800".encode("utf-16-le", "surrogatepass"), "byte 8", "not UTF-16-LE text"),
    ("id\n1\n".encode("utf-16-le"), "byte 1", "a NUL character"),
])
def test_undecodable_text_is_refused_at_its_byte(raw: bytes, where: str, problem: str) -> None:
    with pytest.raises(InputRefused) as exc:
        decode_text(raw, "x.csv", fallback="latin-1")
    assert exc.value.where == where and exc.value.problem.startswith(problem)


def test_undecodable_files_are_refused_naming_file_and_byte(tmp_path: Path) -> None:
    answers = tmp_path / "bad.yaml"
    answers.write_bytes(b"firm:\n  id: \xe9\n")
    with pytest.raises(AnswersError, match=r"bad\.yaml, byte 12: not UTF-8 text"):
        read_answers(answers)
    # a CSV that is not UTF-8 is read as Windows-1252 (tests/test_answer_files.py), unless it is not
    # Windows-1252 either (0x81 is undefined there)
    answers = tmp_path / "bad.csv"
    answers.write_bytes(b"firm_id\n\x81\n")
    with pytest.raises(AnswersError, match=r"bad\.csv, byte 8: not UTF-8 text"):
        read_answers(answers)
    survey = tmp_path / "u16.csv"
    survey.write_bytes(codecs.BOM_UTF16_LE + "id\n1\n".encode("utf-16-le") + b"\x00")
    assert_refused(run("population", "import", str(survey), "--mapping", "endei2", "-o", str(tmp_path / "o.csv")),
                   "u16.csv, byte 12: not UTF-16-LE text")


def test_latin1_surveys_without_a_mark_are_still_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("id;rama\n1;Máquinas\n".encode("latin-1"))
    assert list(read_survey(path).data["rama"]) == ["Máquinas"]


# --- memory: the bombs under a bounded address space ---------------------------------------------------------

MEMORY_CAP = 1 << 30
"""1 GiB of address space for the whole command (interpreter, NumPy, pandas included): the XLSX bomb of
issue 10 needed more than 3 GB before failing."""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="resource limits need a POSIX system")
def test_the_bombs_are_refused_within_a_bounded_address_space(tmp_path: Path) -> None:
    """``ulimit -v``: each hostile file, given to the real command in a process whose address space is
    capped, ends with exit 2 and the refusal, never with a MemoryError or a killed process."""
    import resource
    import shutil
    import subprocess
    import sys

    command = shutil.which("innexport", path=str(Path(sys.executable).parent)) or "innexport"
    (tmp_path / "catalogue.yaml").write_text(alias_bomb(), encoding="utf-8")
    (tmp_path / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    cases = [
        (["diagnose", str(ratio_bomb(tmp_path / "bomb.xlsx")), "-o", str(tmp_path / "o.json")], "zip bomb"),
        (["diagnose", str(wide_csv(tmp_path / "wide.csv")), "-o", str(tmp_path / "o.json")], "columns"),
        (["diagnose", str(tmp_path / "deep.json"), "-o", str(tmp_path / "o.json")], "nested deeper"),
        (["programmes", "validate", str(tmp_path / "catalogue.yaml")], "more than 100 aliases"),
    ]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    for args, needle in cases:
        done = subprocess.run([command, *args], capture_output=True, text=True, timeout=120, preexec_fn=cap,
                              check=False)
        out = done.stdout + done.stderr
        assert done.returncode == 2, (args, out[-500:])
        assert needle in out and "Traceback" not in out and "MemoryError" not in out, (args, out[-500:])
    assert not (tmp_path / "o.json").exists()
