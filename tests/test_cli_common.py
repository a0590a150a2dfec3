"""The command line's structure and shared helpers (:mod:`innexport.cli._common`): one home for the
helpers, no command module importing another, choices taken from their rule's home, a fast
``--help``, refusals with exit 2 and atomic writes."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import get_args

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from innexport.cli import COMMAND_MODULES, _common, _register, app
from innexport.core.framework import LANGUAGES

CLI = Path(__file__).resolve().parents[1] / "src" / "innexport" / "cli"
runner = CliRunner()


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every ``from X import names`` / ``import X`` in ``path``, at any depth."""
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out.extend((a.name, []) for a in node.names)
    return out


def test_every_command_module_is_registered() -> None:
    modules = {p.stem for p in CLI.glob("*.py")} - {"__init__", "_common", "_population"}
    assert set(COMMAND_MODULES) == modules


@pytest.mark.parametrize("name", sorted(COMMAND_MODULES))
def test_no_command_module_imports_another_or_a_private_name(name: str) -> None:
    for module, names in _imports(CLI / f"{name}.py"):
        if module.startswith("innexport.cli."):
            shared = {"innexport.cli._common"} | ({"innexport.cli._population"} if name.startswith("population") else set())
            assert module in shared, f"cli/{name}.py imports {module}"
        if module == "innexport.cli":
            assert names == ["app"], f"cli/{name}.py imports {names} from innexport.cli"
        if module.startswith("innexport."):
            private = [n for n in names if n.startswith("_")]
            assert not private, f"cli/{name}.py imports private names {private} from {module}"


def test_shared_helpers_are_defined_once() -> None:
    """``console``, ``err``, ``fail`` and the exit codes live in _common only (the population group's table readers
    in _population)."""
    for path in CLI.glob("*.py"):
        if path.stem == "_common":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets
                   if isinstance(t, ast.Name)}
        defined |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert not defined & {"console", "err", "fail", "_fail", "EXIT_BAD_INPUT", "_write_atomic"}, path.name


def test_help_is_fast_no_heavy_import() -> None:
    code = ("import sys; from innexport.cli import _register; _register(); "
            "print([m for m in ('pandas', 'scipy', 'django', 'weasyprint', 'openpyxl') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def _options(*path: str) -> dict[str, object]:
    _register()
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return {p.name: p for p in command.params}


@pytest.mark.parametrize(("path", "option"), [
    (("diagnose",), "lang"), (("plan",), "lang"), (("frameworks", "show"), "lang"),
    (("programmes", "list"), "lang"), (("createuser",), "language"),
])
def test_language_options_take_the_languages_of_the_core(path: tuple[str, ...], option: str) -> None:
    assert _options(*path)[option].metavar == f"<{'|'.join(LANGUAGES)}>"  # type: ignore[attr-defined]
    args = [*path, "--help"]
    assert runner.invoke(app, args).exit_code == 0


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_language_is_accepted_and_another_refused(lang: str) -> None:
    _register()
    ok = runner.invoke(app, ["frameworks", "list", "--lang", lang])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["frameworks", "list", "--lang", "de"])
    assert bad.exit_code == 2 and "'de' is not one of 'fr', 'es', 'en'" in bad.output


def test_programme_scopes_come_from_the_catalogue_model() -> None:
    from innexport.support.programmes import Scope

    assert _options("programmes", "list")["scope"].metavar == f"<{'|'.join(get_args(Scope))}>"  # type: ignore[attr-defined]
    assert runner.invoke(app, ["programmes", "list", "--scope", "lottery"]).exit_code == 2
    joint = runner.invoke(app, ["programmes", "list", "--scope", "joint", "--json"])
    assert joint.exit_code == 0 and '"scope": "export"' not in joint.output


def test_lonely_psu_choices_match_the_design() -> None:
    """``--lonely-psu``'s Literal (no pandas at --help) is the design's list of options."""
    from innexport.cli._population import LonelyChoice
    from innexport.population.design import LONELY_PSU

    assert get_args(LonelyChoice) == LONELY_PSU


def test_reliability_choices_match_the_analysis() -> None:
    """The CLI writes them as Literals (so that --help imports no pandas): they must be the analysis's."""
    import typing

    from innexport.cli import population_reliability as population
    from innexport.population.efa import METHODS, ROTATIONS
    from innexport.population.items import MISSING_MODES

    hints = typing.get_type_hints(population.reliability_command, include_extras=True)
    choices = {name: get_args(get_args(hints[name])[0]) for name in ("rotation", "method", "missing")}
    assert choices == {"rotation": (*ROTATIONS, "none"), "method": METHODS, "missing": MISSING_MODES}


def test_benchmark_defaults_match_the_analysis() -> None:
    """``--by`` and ``--min-group`` are written in the CLI (no pandas at --help): they are the analysis's defaults."""
    import inspect

    from innexport.population.benchmark import DEFAULT_BY, benchmark, benchmark_firm

    options = _options("population", "benchmark")
    assert options["by"].default == ",".join(DEFAULT_BY) == _options("diagnose")["by"].default  # type: ignore[attr-defined]
    for function in (benchmark, benchmark_firm):
        default = inspect.signature(function).parameters["min_group"].default
        assert options["min_group"].default == default  # type: ignore[attr-defined]


def test_createuser_roles_are_the_web_roles() -> None:
    import typing

    pytest.importorskip("django")
    from innexport.cli import web
    from innexport.web.models import Role

    hints = typing.get_type_hints(web.createuser, include_extras=True)
    assert get_args(get_args(hints["role"])[0]) == tuple(r.value for r in Role)


# --- the helpers ------------------------------------------------------------------------------------


def test_fail_prints_the_message_as_is_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    exc = _common.fail("file [red]x[/].yaml, line 3: broken")
    assert isinstance(exc, typer.Exit) and exc.exit_code == 2
    assert _common.fail("x", code=1).exit_code == 1
    assert "error: file [red]x[/].yaml, line 3: broken" in capsys.readouterr().err


def test_write_atomic_writes_or_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "sub" / "report.html"
    _common.write_atomic(target, b"one")
    _common.write_atomic(target, b"two")
    assert target.read_bytes() == b"two" and [p.name for p in target.parent.iterdir()] == ["report.html"]

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_common.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        _common.write_atomic(target, b"three")
    assert target.read_bytes() == b"two" and [p.name for p in target.parent.iterdir()] == ["report.html"]


def test_framework_for_replaces_builtin_modules_by_file(tmp_path: Path) -> None:
    from innexport.core.framework import FrameworkError
    from innexport.files.frameworks import builtin_documents

    wine = builtin_documents()["wine"]
    copy = tmp_path / "my-wine.yaml"
    copy.write_text(wine.read_text(encoding="utf-8"), encoding="utf-8")
    fw = _common.framework_for("iiep", ("wine@1.1.0",), None, [str(copy)])
    assert fw.label == "iiep 1.1.0 + wine 1.1.0"
    assert fw.content_hash == _common.framework_for("iiep", ("wine",), None, []).content_hash
    with pytest.raises(FrameworkError, match="--module needs a module file, not a framework"):
        _common.framework_for("iiep", ("wine",), None, [str(builtin_documents()["iiep"])])


def test_help_shows_a_type_only_where_a_value_is_taken() -> None:
    """Typer 0.29 labels flags ``<bool>`` and repeatable options ``<list[str]>``: not here."""
    _register()
    out = runner.invoke(app, ["diagnose", "--help"], env={"COLUMNS": "160"}).output
    assert "<bool>" not in out and "list[" not in out
    assert "<Path>" in out and "<fr|es|en>" in out  # the answers argument, --lang
    help_row = next(line for line in out.splitlines() if "--help" in line)
    assert "<" not in help_row
