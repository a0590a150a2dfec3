"""Reports rendered in parallel (``innexport diagnose --jobs``, issue 14).

The files must not depend on the number of processes: HTML byte for byte, PDF byte for byte too
(WeasyPrint stamps no creation date in our PDFs: two serial runs already give the same bytes), a
firm whose report cannot be made is named, with the others refused the same way, and nothing written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.cli.diagnose import _render_all, _targets
from innexport.core.assessment import diagnose
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
runner = CliRunner()


def run(*args: str):
    _register()
    return runner.invoke(app, list(args))


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_html_reports_are_the_same_bytes_at_one_and_two_jobs(tmp_path: Path) -> None:
    for jobs in ("1", "2"):
        res = run("diagnose", *map(str, EXAMPLES), "--out", str(tmp_path / jobs), "--format", "html",
                  "--draws", "0", "--jobs", jobs)
        assert res.exit_code == 0, res.output
    serial, pooled = files(tmp_path / "1"), files(tmp_path / "2")
    assert len(serial) == len(EXAMPLES) and all(name.endswith(".html") for name in serial)
    assert serial == pooled
    # written in the firms' order either way
    res = run("diagnose", *map(str, EXAMPLES), "--out", str(tmp_path / "again"), "--format", "html",
              "--draws", "0", "-j", "2")
    ids = [r.firm.id for path in EXAMPLES for r in diagnose(load_framework("iiep", ["wine"]), read_answers(path))]
    flat = res.stdout.replace("\n", "")  # the console wraps long paths
    assert res.exit_code == 0 and flat.count("wrote ") == len(ids)
    positions = [flat.index(f"{firm}.html") for firm in ids]
    assert positions == sorted(positions)


def test_pdf_reports_are_the_same_bytes_at_one_and_two_jobs(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    for jobs in ("1", "2"):
        res = run("diagnose", *map(str, EXAMPLES[:2]), "--out", str(tmp_path / jobs), "--format", "pdf",
                  "--draws", "0", "--jobs", jobs)
        assert res.exit_code == 0, res.output
    serial, pooled = files(tmp_path / "1"), files(tmp_path / "2")
    assert len(serial) == 2 and all(content.startswith(b"%PDF-") for content in serial.values())
    assert serial == pooled


def test_json_is_unchanged_by_jobs(tmp_path: Path) -> None:
    for jobs in ("1", "3"):
        res = run("diagnose", *map(str, EXAMPLES), "--out", str(tmp_path / f"{jobs}.json"), "--draws", "0",
                  "--jobs", jobs)
        assert res.exit_code == 0, res.output
    assert (tmp_path / "1.json").read_bytes() == (tmp_path / "3.json").read_bytes()


def test_jobs_below_one_is_refused(tmp_path: Path) -> None:
    res = run("diagnose", str(EXAMPLES[0]), "--out", str(tmp_path / "x"), "--jobs", "0")
    assert res.exit_code == 2 and "--jobs" in res.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_firm_that_cannot_be_reported_is_named_and_nothing_is_written(
        jobs: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fw = load_framework("iiep", ["wine"])
    results = [r for path in EXAMPLES for r in diagnose(fw, read_answers(path))]
    # the second firm claims a framework the report is not given: the report refuses it (ReportError)
    fake = "sha256:" + "0" * 64
    results[1] = results[1].model_copy(update={"framework": results[1].framework.model_copy(
        update={"content_hash": fake})})
    frameworks = {fw.content_hash: fw, fake: fw}
    targets = _targets(tmp_path / "out", "html", results, frameworks)
    with pytest.raises(typer.Exit) as stopped:
        _render_all(targets, frameworks, dt.date(2026, 1, 5), jobs, show=False)
    assert stopped.value.exit_code == 2
    message = " ".join(capsys.readouterr().err.split())
    assert f"no report written: firm {results[1].firm.id}: this result was scored with" in message
    assert results[0].firm.id not in message and results[2].firm.id not in message
    assert not (tmp_path / "out").exists()


def test_the_pool_gives_what_one_process_gives_in_the_targets_order(tmp_path: Path) -> None:
    fw = load_framework("iiep", ["wine"])
    results = [r for path in EXAMPLES for r in diagnose(fw, read_answers(path))] * 2  # 6 reports, 2 workers
    targets = _targets(tmp_path, "html", results[:3], {fw.content_hash: fw})
    targets = targets + [(tmp_path / f"copy-{i}.html", job) for i, (_p, job) in enumerate(targets)]
    day = dt.date(2026, 2, 1)
    serial = _render_all(targets, {fw.content_hash: fw}, day, 1, show=False)
    pooled = _render_all(targets, {fw.content_hash: fw}, day, 2, show=False)
    assert [p for p, _ in pooled] == [p for p, _ in targets]
    assert serial == pooled
    assert b"2026" in serial[0][1]  # the date chosen once is the report's
