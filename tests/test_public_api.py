"""The Python API (``import innexport``): what a researcher runs in a notebook, end to end on the
shipped examples, its docstring examples, and that importing the package stays cheap."""

from __future__ import annotations

import doctest
import json
import subprocess
import sys
from pathlib import Path

import pytest

import innexport
from innexport import api

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
HEAVY = ("numpy", "pandas", "scipy", "jinja2", "django", "pydantic", "yaml", "weasyprint")


@pytest.fixture
def sheets() -> list[innexport.AnswerSheet]:
    return [s for path in EXAMPLES for s in innexport.read_answers(path)]


# --- the package itself -----------------------------------------------------------------------------


def test_import_innexport_is_light() -> None:
    code = f"import sys, innexport; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_all_names_resolve_lazily_and_only_those() -> None:
    code = ("import sys, innexport; names = [getattr(innexport, n) for n in innexport.__all__]; "
            "print('numpy' in sys.modules, len(names))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", str(len(innexport.__all__))]  # the API loaded on first use
    assert {"load_framework", "read_answers", "diagnose", "render_report"} <= set(innexport.__all__)
    assert innexport.diagnose is api.diagnose and innexport.FirmResult is api.FirmResult
    assert set(innexport.__all__) - {"__version__"} == set(api.__all__)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = innexport.nope
    assert "diagnose" in dir(innexport)


def test_docstring_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples of the API's docstrings (they read ``examples/*.yaml``, relative to the repository)."""
    monkeypatch.chdir(ROOT)
    for module in (api, innexport):
        failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS, raise_on_error=False)
        assert attempted > 0 and failed == 0, f"{module.__name__}: {failed} of {attempted} examples failed"
    # every public function shows an example
    for name in api.__all__:
        obj = getattr(api, name)
        if callable(obj) and not isinstance(obj, type) and obj.__module__ == "innexport.api":
            assert ">>>" in (obj.__doc__ or ""), f"{name} has no example"


def test_the_python_api_walk_through_runs_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/python-api.md: every example, with the output it shows."""
    monkeypatch.chdir(ROOT)
    failed, attempted = doctest.testfile(str(ROOT / "docs" / "python-api.md"), module_relative=False,
                                         optionflags=doctest.ELLIPSIS)
    assert attempted >= 20 and failed == 0


# --- diagnose ---------------------------------------------------------------------------------------


def test_diagnose_uses_the_framework_each_sheet_names(sheets: list[innexport.AnswerSheet]) -> None:
    results = innexport.diagnose(sheets)
    assert [r.firm.id for r in results] == [s.firm.id for s in sheets]  # one per sheet, in order
    wine = innexport.load_framework("iiep", ["wine"])
    assert {r.framework.content_hash for r in results} == {wine.content_hash}
    # the same as the core given that framework explicitly
    from innexport.core.assessment import diagnose as core_diagnose

    assert results == core_diagnose(wine, sheets)
    assert innexport.diagnose(sheets, wine) == results


def test_diagnose_groups_sheets_of_different_frameworks(sheets: list[innexport.AnswerSheet]) -> None:
    base = innexport.load_framework("iiep")
    cl = next(s for s in sheets if s.firm.country == "CL")
    plain = cl.model_copy(update={
        "modules": [],
        "answers": {q: v for q, v in cl.answers.items() if q in base.observable_by_id},
        "comments": {q: c for q, c in cl.comments.items() if q in base.observable_by_id},
    })
    mixed = innexport.diagnose([cl, plain, sheets[0]])
    assert [r.framework.label for r in mixed] == ["iiep 1.1.0 + wine 1.1.0", "iiep 1.1.0", "iiep 1.1.0 + wine 1.1.0"]
    assert mixed[1] == innexport.diagnose(plain, base)[0]
    assert mixed[0] == innexport.diagnose(cl)[0]


def test_diagnose_takes_one_sheet_or_a_path_and_always_returns_a_list(sheets: list[innexport.AnswerSheet]) -> None:
    one = innexport.diagnose(sheets[0])
    assert isinstance(one, list) and len(one) == 1 and one[0].firm.id == sheets[0].firm.id
    assert innexport.diagnose(EXAMPLES[0]) == innexport.diagnose(str(EXAMPLES[0])) == one


def test_diagnose_language_and_leverage(sheets: list[innexport.AnswerSheet]) -> None:
    assert {r.lang for r in innexport.diagnose(sheets)} == {"es", "fr"}  # each sheet's own
    assert {r.lang for r in innexport.diagnose(sheets, lang="en")} == {"en"}
    fw = innexport.load_framework("iiep", ["wine"])
    # a leverage that only counts one activity puts it first among those with a gap
    [default] = innexport.diagnose(sheets[0])
    target = default.top_priorities(99)[-1].activity
    [levered] = innexport.diagnose(sheets[0], leverage={a.id: float(a.id == target) for a in fw.activities})
    assert levered.top_priorities(1)[0].activity == target != default.top_priorities(1)[0].activity


def test_diagnose_refusals_name_the_problem(tmp_path: Path, sheets: list[innexport.AnswerSheet]) -> None:
    with pytest.raises(innexport.AnswersError, match=r"nope\.yaml: file not found"):
        innexport.diagnose(tmp_path / "nope.yaml")
    with pytest.raises(TypeError, match="not dict"):
        innexport.diagnose([{"firm": {"id": "x"}}])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown language 'de'"):
        innexport.diagnose(sheets, lang="de")
    # 90 of its 93 questions answered: 97%
    with pytest.raises(innexport.IncompleteError,
                       match=r"line 10, firm ar-bodega-los-aromos: only 97% of the questions "
                             r".*\(at least 100% needed\)"):
        innexport.diagnose(sheets, min_completeness=1.0)
    with pytest.raises(innexport.AnswersError, match="no leverage for the activities"):
        innexport.diagnose(sheets, leverage={"networks_formal": 1.0})
    with pytest.raises(innexport.FrameworkError):
        innexport.diagnose(sheets, "no-such-framework")


# --- results ---------------------------------------------------------------------------------------


def test_results_frame_is_a_population_table(sheets: list[innexport.AnswerSheet]) -> None:
    results = innexport.diagnose(sheets)
    frame = innexport.results_frame(results)
    assert list(frame["firm_id"]) == [r.firm.id for r in results]
    for row, r in zip(frame.itertuples(index=False), results, strict=True):
        row = row._asdict()
        assert row["iip"] == r.indices["iip"].value and row["iiep"] == r.indices["iiep"].value
        assert row["completeness"] == r.completeness and row["quadrant"] == r.quadrant
    first = results[0]
    assert frame.loc[0, f"act.{first.activities[0].id}"] == first.activities[0].score
    assert frame.loc[0, f"dim.{first.dimensions[0].id}"] == first.dimensions[0].score
    assert list(frame["class.iep"]) == [r.indices["iep"].class_ for r in results]
    # the population analyses read it as they read an imported survey
    from innexport.population.describe import counts

    assert int(counts(frame, by="country")["firms"].sum()) == len(results)


def test_result_json_round_trips(sheets: list[innexport.AnswerSheet]) -> None:
    results = innexport.diagnose(sheets)
    doc = json.loads(json.dumps(innexport.result_json(results)))
    assert [innexport.FirmResult.model_validate(f) for f in doc["firms"]] == results


# --- reports ---------------------------------------------------------------------------------------


def test_render_report_finds_the_framework_and_changes_language(sheets: list[innexport.AnswerSheet]) -> None:
    [fr] = innexport.diagnose(sheets[-1])  # the French estate
    assert fr.lang == "fr"
    page = innexport.render_report(fr)
    assert isinstance(page, str) and 'lang="fr"' in page and "Domaine des Trois Collines" in page
    english = innexport.render_report(fr, lang="en")
    assert 'lang="en"' in english and english != page
    fw = innexport.load_framework("iiep", ["wine"])
    assert innexport.render_report(fr, fw, lang="en", generated_on=__import__("datetime").date(2026, 1, 2)) == \
        innexport.render_report(fr, lang="en", generated_on=__import__("datetime").date(2026, 1, 2))


def test_render_report_refuses_another_framework_and_unknown_options(sheets: list[innexport.AnswerSheet]) -> None:
    [result] = innexport.diagnose(sheets[0])
    with pytest.raises(innexport.FrameworkError, match=r"was scored with iiep 1\.1\.0 \+ wine 1\.1\.0"):
        innexport.render_report(result, innexport.load_framework("iiep"))
    with pytest.raises(ValueError, match="unknown report format 'docx'"):
        innexport.render_report(result, format="docx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown language 'it'"):
        innexport.render_report(result, lang="it")


def test_render_report_pdf(example_pdfs: list[bytes]) -> None:
    # conftest.example_pdfs renders each example through innexport.render_report(result, format="pdf"),
    # once per session (tests/test_report.py reads the same PDFs back)
    assert example_pdfs and all(isinstance(pdf, bytes) and pdf.startswith(b"%PDF") for pdf in example_pdfs)


def test_built_in_frameworks_are_loaded_once_files_every_time(tmp_path: Path) -> None:
    assert api.framework_for("iiep", ["wine"]) is api.framework_for("iiep", ["wine@1.1.0"])
    from innexport.files.frameworks import builtin_documents

    mine = tmp_path / "mine.yaml"
    text = builtin_documents()["iiep"].read_text(encoding="utf-8")
    mine.write_text(text, encoding="utf-8")
    assert api.framework_for(str(mine)).version == "1.1.0"
    mine.write_text(text.replace("\nversion: 1.1.0\n", "\nversion: 1.2.0\n", 1), encoding="utf-8")
    assert api.framework_for(str(mine)).version == "1.2.0"  # an edited file is read again
