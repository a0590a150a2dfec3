"""The command line as advisors script it (issue 11): ``--version``, ``-`` for standard input and
output, ``--json`` where a table is printed, and written files with the usual permissions."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from innexport import __version__
from innexport.cli import _register, app

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CHILE = ROOT / "examples" / "cl-vina-cerro-alto.yaml"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    _register()
    return CliRunner()


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"innexport {__version__}\n"


def test_answers_from_standard_input_results_to_standard_output(runner: CliRunner) -> None:
    result = runner.invoke(app, ["diagnose", "-", "--out", "-", "--format", "json"],
                           input=CHILE.read_text(encoding="utf-8"))
    assert result.exit_code == 0, result.stderr
    [firm] = json.loads(result.stdout)["firms"]
    assert firm["firm"]["id"] == "cl-vina-cerro-alto"
    assert "wrote 1 firm(s) to standard output" in result.stderr
    assert not Path("-").exists()


def test_one_report_to_standard_output(runner: CliRunner) -> None:
    result = runner.invoke(app, ["diagnose", str(CHILE), "--out", "-"])
    assert result.exit_code == 0 and result.stdout.startswith("<!DOCTYPE html>")


def test_several_reports_cannot_share_standard_output(runner: CliRunner) -> None:
    result = runner.invoke(app, ["diagnose", *map(str, EXAMPLES), "--out", "-", "--format", "pdf"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "--out -: one PDF report at a time on standard output, and there are 3 firms" in result.stderr


def test_standard_input_is_bounded_and_named(runner: CliRunner) -> None:
    result = runner.invoke(app, ["diagnose", "-", "--out", "-"], input="firm: {id: f1\n")
    assert result.exit_code == 2 and "<stdin>, line 2: broken YAML" in result.stderr
    result = runner.invoke(app, ["diagnose", "-", "-", "--out", "-"], input="")
    assert result.exit_code == 2 and "- (standard input) can be given only once" in result.stderr


def test_frameworks_list_as_json(runner: CliRunner) -> None:
    result = runner.invoke(app, ["frameworks", "list", "--json", "--lang", "es"])
    assert result.exit_code == 0
    rows = {r["id"]: r for r in json.loads(result.stdout)}
    assert rows["iiep"]["questions"] == 78 and rows["iiep"]["content_hash"].startswith("sha256:")
    assert rows["wine"]["extends"] == "iiep 1" and rows["wine"]["title"].startswith("Módulo")


def test_written_files_have_the_usual_permissions(runner: CliRunner, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        result = runner.invoke(app, ["diagnose", str(CHILE), "--out", str(tmp_path / "r.json")])
    finally:
        os.umask(old)
    assert result.exit_code == 0
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == 0o644  # not the temporary file's 0600
