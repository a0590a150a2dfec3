"""End to end: the shipped framework, the example firms and the command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from innexport.cli import _register, app
from innexport.core.assessment import diagnose
from innexport.files.answers import read_answers
from innexport.files.frameworks import load_framework

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
runner = CliRunner()


def run(*args: str):
    _register()
    return runner.invoke(app, list(args))


def test_shipped_framework_is_complete() -> None:
    fw = load_framework("iiep")
    assert len(fw.activities) >= 20 and len(fw.observables) >= 60
    assert {a.tag for a in fw.activities} == {"innovation", "export", "joint"}
    assert [d.id for d in fw.dimensions][:9] == [
        "networks", "customer", "watch", "skills", "knowledge", "strategy", "projects", "ip", "culture"]
    assert all(a.sources for a in fw.activities)
    wine = load_framework("iiep", ["wine"])
    assert "wine_tourism" in wine.activity_by_id and len(wine.observables) > len(fw.observables)
    assert wine.label == "iiep 1.1.0 + wine 1.1.0"


def test_examples_have_three_different_profiles() -> None:
    assert len(EXAMPLES) == 3
    fw = load_framework("iiep", ["wine"])
    results = {r.firm.country: r for path in EXAMPLES for r in diagnose(fw, read_answers(path))}
    assert set(results) == {"FR", "CL", "AR"}
    assert results["FR"].quadrant == "exporter_not_innovating"
    assert results["CL"].quadrant == "innovative_exporter"
    assert results["AR"].quadrant == "innovator_not_exporting"
    fr, ar = results["FR"].indices, results["AR"].indices
    assert fr["iep"].value > fr["iip"].value and ar["iip"].value > ar["iep"].value
    for r in results.values():
        assert r.completeness >= 0.9 and r.priorities[0].gap > 0
        assert r.next_class.reachable
        assert r.framework.content_hash == fw.content_hash


def test_diagnose_examples_to_html_pdf_and_json(tmp_path: Path) -> None:
    res = run("diagnose", *map(str, EXAMPLES), "--out", str(tmp_path / "html"), "--format", "html")
    assert res.exit_code == 0, res.output
    pages = sorted((tmp_path / "html").glob("*.html"))
    assert [p.stem for p in pages] == sorted(p.stem for p in EXAMPLES)
    assert "Domaine des Trois Collines" in (tmp_path / "html" / "fr-domaine-des-trois-collines.html").read_text(encoding="utf-8")

    res = run("diagnose", *map(str, EXAMPLES), "--out", str(tmp_path / "report.json"), "--lang", "en")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert len(doc["firms"]) == 3
    for firm in doc["firms"]:
        assert firm["lang"] == "en"
        assert set(firm["indices"]) == {"iip", "iep", "iiep"}
        for index in firm["indices"].values():
            assert 0 <= index["value"] <= 1 and index["class"] in {"proactive", "preactive", "reactive", "passive"}
            assert set(index["flowsort"]["profile_net_flows"]) == {"proactive", "preactive", "reactive", "passive"}
        ranks = [p["priority"] for p in firm["priorities"] if p["priority"] is not None]
        assert ranks == sorted(ranks, reverse=True)
        assert all(p["reason"] for p in firm["priorities"])

    pytest.importorskip("weasyprint", reason="WeasyPrint (and the Pango library) is needed for PDF reports")
    one = EXAMPLES[0]
    res = run("diagnose", str(one), "--out", str(tmp_path / "one.pdf"))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "one.pdf").read_bytes().startswith(b"%PDF")


def test_the_installed_command_runs(tmp_path: Path) -> None:
    """The console script itself, in a subprocess, as a user types it."""
    exe = Path(sys.executable).with_name("innexport")
    if not exe.exists():
        pytest.skip(f"the innexport command is not installed next to {sys.executable}")
    out = tmp_path / "r.json"
    proc = subprocess.run([str(exe), "diagnose", str(EXAMPLES[0]), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["firms"][0]["framework"]["id"] == "iiep"
    proc = subprocess.run([str(exe), "diagnose", str(tmp_path / "missing.yaml"), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "missing.yaml: file not found" in proc.stderr and "Traceback" not in proc.stderr


def test_frameworks_list_and_show() -> None:
    res = run("frameworks", "list")
    assert res.exit_code == 0 and "iiep" in res.stdout and "wine" in res.stdout and "invalid" not in res.stdout
    res = run("frameworks", "show", "iiep", "--module", "wine", "--lang", "es", "--questions")
    assert res.exit_code == 0 and "wine_tourism" in res.stdout
    res = run("frameworks", "show", "iiep", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["content_hash"].startswith("sha256:")
    res = run("frameworks", "validate", str(ROOT / "src/innexport/data/frameworks/wine.yaml"))
    assert res.exit_code == 0 and "valid module wine" in res.stdout
