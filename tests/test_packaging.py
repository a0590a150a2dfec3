"""Packaging (issue 13): the wheel installs and runs without the repository, ships its types and the demo's
firms, declares its licence as an SPDX string, and needs no AGPL library (R files are read by ``rdata``);
and the documentation site's generated pages (scripts/docs_hooks.py; ``make docs`` builds the site).

The wheel is built offline from a copy of the sources (``pip wheel --no-deps --no-build-isolation``, with
the setuptools of the virtual environment) and installed into a fresh virtual environment whose only
other packages are the current environment's (a ``.pth`` line), so that nothing is downloaded.
"""

from __future__ import annotations

import email
import json
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import EXAMPLES, REPO_ROOT

PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the sources (the checkout's build/ and egg-info stay untouched)."""
    work = tmp_path_factory.mktemp("build")
    source = work / "src-copy"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO_ROOT / name, source / name)
    shutil.copytree(REPO_ROOT / "src", source / "src", symlinks=False,  # data/examples is a link to examples/
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    out = work / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                    "-w", str(out), str(source)], check=True, capture_output=True, timeout=180)
    [built] = out.glob("innexport-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed (its dependencies: the current environment's)."""
    env = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=False).create(env)
    python = env / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # only a path: the current environment's .pth files (its editable innexport among them) are not read
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
                    str(wheel)], check=True, capture_output=True, timeout=180)
    return env


def test_the_build_system_takes_the_setuptools_of_spdx_licences() -> None:
    assert PYPROJECT["build-system"]["requires"] == ["setuptools>=77"]
    assert PYPROJECT["project"]["license"] == "MIT"


def test_no_agpl_reader_by_default_and_rdata_reads_r_files() -> None:
    """pyreadr (AGPL) only ever in the opt-in `rds-fast` extra (which the dev extra takes for the tests)."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert not [d for d in PYPROJECT["project"]["dependencies"] if d.startswith("pyreadr")]
    assert [name for name, ds in extras.items() if any(d.startswith("pyreadr") for d in ds)] == ["rds-fast"]
    assert "rdata>=1.0" in PYPROJECT["project"]["dependencies"]
    assert "docs" in PYPROJECT["project"]["optional-dependencies"]


def test_the_wheel_ships_types_data_examples_and_its_licence(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [meta_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = email.message_from_bytes(archive.read(meta_name))
    assert "innexport/py.typed" in names
    assert {f"innexport/data/examples/{p.name}" for p in EXAMPLES.glob("*.yaml")} <= names
    assert len([n for n in names if n.startswith("innexport/data/examples/")]) == 3  # the demo's firms, no more
    assert {"innexport/data/frameworks/iiep.yaml", "innexport/data/frameworks/wine.yaml",
            "innexport/data/catalogues/programmes.yaml", "innexport/data/mappings/endei2.yaml"} <= names
    assert any(n.startswith("innexport/web/locale/fr/") and n.endswith(".mo") for n in names)
    assert meta["License-Expression"] == "MIT"
    requires = meta.get_all("Requires-Dist") or []
    assert any(r.startswith("rdata") for r in requires)
    assert [r for r in requires if r.startswith("pyreadr")] == ['pyreadr>=0.5; extra == "rds-fast"']


def test_the_installed_wheel_diagnoses_a_shipped_example_outside_the_repository(installed: Path,
                                                                                tmp_path: Path) -> None:
    python, command = installed / "bin" / "python", installed / "bin" / "innexport"
    code = "import innexport, innexport.files.builtin as b; print(innexport.__file__); print(b.folder('examples'))"
    where = subprocess.run([str(python), "-c", code],
                           check=True, capture_output=True, text=True, cwd=tmp_path).stdout.split()
    assert Path(where[0]).is_relative_to(installed)  # the wheel's copy, not the checkout
    example = Path(where[1]) / "cl-vina-cerro-alto.yaml"
    assert example.is_file() and not example.is_symlink()
    run = subprocess.run([str(command), "diagnose", str(example), "--out", "result.json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads((tmp_path / "result.json").read_text("utf-8"))
    [firm] = result["firms"]
    assert firm["firm"]["id"] == "cl-vina-cerro-alto"
    assert firm["framework"]["label"] == "iiep 1.1.0 + wine 1.1.0"
    schema = subprocess.run([str(command), "schema", "answers"], capture_output=True, text=True, cwd=tmp_path)
    assert schema.returncode == 0 and json.loads(schema.stdout)["$id"].endswith("answers-1.json")


def test_the_demo_finds_its_firms_in_the_package() -> None:
    from innexport.files import builtin

    assert sorted(builtin.files("examples")) == sorted(p.stem for p in EXAMPLES.glob("*.yaml"))


# --- R files, read by rdata ------------------------------------------------------------------------------


@pytest.fixture(params=["rdata", "pyreadr"])
def r_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each R reader in turn: rdata (the default) with pyreadr hidden, and pyreadr (the rds-fast extra)."""
    if request.param == "rdata":
        monkeypatch.setitem(sys.modules, "pyreadr", None)  # `import pyreadr` then fails
    else:
        pytest.importorskip("pyreadr", reason="the rds-fast extra (pyreadr) is not installed")
    return str(request.param)


def test_an_r_data_frame_is_read_with_its_factor_levels_and_missing_values(tmp_path: Path, r_reader: str) -> None:
    import rdata

    from innexport.population.io import read_survey

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the option is deprecated in pandas 3: rdata's writer takes object text only
        with pd.option_context("future.infer_string", False):
            frame = pd.DataFrame({
                "id": np.array([11.0, 12.0, 13.0]),
                "name": np.array(["Bodega", None, "Viña Ñandú"], dtype=object),
                "size": pd.Categorical(["small", "micro", "small"], categories=["micro", "small", "medium"]),
                "employees": np.array([14, 3, 40], dtype=np.int32),
            })
            rdata.write_rds(tmp_path / "firms.rds", frame)
    survey = read_survey(tmp_path / "firms.rds", id_column="id")
    data = survey.data
    assert list(data.columns) == ["id", "name", "size", "employees"]
    assert list(data.index) == [0, 1, 2]
    assert data["name"].tolist()[0::2] == ["Bodega", "Viña Ñandú"] and pd.isna(data["name"][1])
    assert data["size"].tolist() == ["small", "micro", "small"]
    assert survey.value_labels == {"size": {1: "micro", 2: "small", 3: "medium"}}  # R numbers the levels from 1
    assert data["employees"].tolist() == [14, 3, 40]


def test_a_file_that_is_not_r_data_is_refused_naming_it(tmp_path: Path, r_reader: str) -> None:
    from innexport.population.io import SurveyError, read_survey

    (tmp_path / "broken.rds").write_bytes(b"this is not R data\n")
    with pytest.raises(SurveyError, match=r"broken\.rds: not an R data file"):
        read_survey(tmp_path / "broken.rds")


# --- the documentation site's generated pages -------------------------------------------------------------


@pytest.fixture(scope="module")
def hooks():
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    try:
        import docs_hooks
    finally:
        sys.path.remove(str(REPO_ROOT / "scripts"))
    return docs_hooks


def test_the_site_has_a_page_and_a_schema_file_per_format(hooks) -> None:
    from innexport.cli.schema import schema_of
    from innexport.files.schemas import FORMATS

    pages = hooks._formats()
    assert sorted(pages) == sorted([f"formats/{k}.md" for k in FORMATS] + [f"schemas/{k}-1.json" for k in FORMATS])
    for kind in FORMATS:
        assert json.loads(pages[f"schemas/{kind}-1.json"]) == schema_of(kind)
        assert f"innexport schema {kind}" in pages[f"formats/{kind}.md"]


def test_the_cli_reference_has_every_command(hooks) -> None:
    from typer.main import get_command

    from innexport.cli import _register, app

    _register()
    page = hooks._cli()
    for name in get_command(app).commands:  # type: ignore[attr-defined]
        assert f"## `innexport {name}`" in page


def test_doctests_become_code_blocks_in_the_reference(hooks) -> None:
    text = "One.\n\n    >>> [s.id for s in x]\n    ['f1']\n\nTwo.\n>>> 1"
    assert hooks.fence_doctests(text).split("\n") == [
        "One.", "", "    ```pycon", "    >>> [s.id for s in x]", "    ['f1']", "    ```", "", "Two.", "```pycon", ">>> 1", "```"]


def test_a_page_missing_from_the_navigation_is_added_under_more(hooks, tmp_path: Path) -> None:
    from types import SimpleNamespace

    (tmp_path / "guides").mkdir()
    for page in ("index.md", "method.md", "new.md", "guides/odk.md"):
        (tmp_path / page).write_text("# x\n")
    config = SimpleNamespace(docs_dir=str(tmp_path), nav=[{"Home": "index.md"}, {"Method": [{"The method": "method.md"}]}])
    hooks.on_config(config)
    assert config.nav[-1] == {"More": ["guides/odk.md", "new.md"]}


def test_sphinx_roles_become_code_in_the_reference(hooks) -> None:
    text = ":func:`~innexport.files.schemas.as_json` or :class:`innexport.api.Framework`, :mod:`innexport.files.limits`"
    assert hooks.plain_roles(text) == "`as_json` or `innexport.api.Framework`, `innexport.files.limits`"
