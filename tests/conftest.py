"""What every test shares: where the repository and the shared data are, and how hypothesis runs.

* :data:`SHARED_DATA` is the folder of real survey data and reference datasets kept *next to* the
  repository (``../shared/data``, described by its README.md); nothing in it is ever copied into the
  repository, so a test that reads it is skipped, with the missing path as reason, when it is absent
  (:func:`requires_shared`, :func:`need_shared`, the :func:`shared_data` fixture) -- except under
  ``CI`` set to a true value, where the data is always present and its absence FAILS the test
  instead of skipping it quietly. ``INNEXPORT_SHARED_DATA`` points elsewhere when the folder lives
  somewhere else.
* what is slow to make is made once per session and shared: the ENDEI II survey read through the
  built-in ``endei2`` mapping (:func:`endei_survey`, about 1.5 s a read), the examples diagnosed
  (:func:`example_results`) and their PDF reports rendered (:func:`example_pdfs`, WeasyPrint).
* hypothesis: the ``dev`` profile (the default) and the ``ci`` profile (chosen when ``CI`` is set to
  a true value, as CI services do; ``HYPOTHESIS_PROFILE`` names another one) both have no deadline and
  no ``too_slow`` health check, because the suite runs on small shared machines where a slow example
  says nothing about the code; ``ci`` also bounds the number of examples of the tests that do not set
  their own and prints the blob that reproduces a failure; ``mutation`` (scripts/mutation.py) draws
  fewer examples, the same ones every run. A test's own ``@settings(...)`` still wins.

Test modules import the constants (``from conftest import SHARED_DATA``): pytest puts ``tests/`` on
``sys.path`` (rootdir-relative ``prepend`` import mode) and registers this file as ``conftest``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The repository (the folder of pyproject.toml)."""

SHARED_DATA = Path(os.environ.get("INNEXPORT_SHARED_DATA") or REPO_ROOT.parent / "shared" / "data").resolve()
"""The shared data folder: ``../shared/data`` from the repository, or ``$INNEXPORT_SHARED_DATA``."""

EXAMPLES = REPO_ROOT / "examples"
"""The example answer files shipped with the repository (the demo's three wine SMEs)."""

FIXTURES = REPO_ROOT / "tests" / "fixtures"
"""Small framework and answer files written for the tests."""


ENDEI = SHARED_DATA / "endei-ii" / "endei_ii.rds"
"""The ENDEI II survey (Argentina, 2014-2016), read through the built-in ``endei2`` mapping."""

WMS = SHARED_DATA / "wms-2004-2015" / "wms_2004_2015.csv"
"""The World Management Survey extract (2004-2015, 35 countries), read through the built-in ``wms`` mapping."""

_TRUE = {"1", "true", "yes", "on"}


def in_ci() -> bool:
    """Whether the suite runs in CI (``CI`` set to a true value, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() in _TRUE


def need_shared(path: Path) -> None:
    """Skip the running test when ``path`` (shared data) is absent -- or fail it under CI.

    In CI the shared data is always present, so its absence is a broken set-up, never a reason to
    skip: the test fails with the missing path. Elsewhere it is skipped with that path as reason.

    >>> need_shared(REPO_ROOT / "pyproject.toml")  # present: nothing happens
    """
    if path.exists():
        return
    reason = f"real data not available: {path} (see {SHARED_DATA}/README.md)"
    if in_ci():
        pytest.fail(f"{reason}; CI is set, where the shared data must be present", pytrace=False)
    pytest.skip(reason)


def requires_shared(path: Path) -> pytest.MarkDecorator:
    """A mark for a test that reads ``path`` from the shared data folder: :func:`need_shared`
    runs before the test (skip when absent, fail under CI).

    >>> mark = requires_shared(SHARED_DATA / "no-such-file.csv")
    >>> mark.name, mark.args[0].name
    ('requires_shared', 'no-such-file.csv')
    """
    return pytest.mark.requires_shared(path)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requires_shared(path): the test reads path from the shared data folder")


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before each test: its shared data (see :func:`need_shared`), and no hypothesis deadline.

    A test's own ``@settings(deadline=...)`` would bring back the timing failures the profiles
    remove (a slow example on a shared machine says nothing about the code): it fails here.
    """
    for mark in item.iter_markers("requires_shared"):
        for path in mark.args:
            need_shared(Path(path))
    used = getattr(getattr(item, "obj", None), "_hypothesis_internal_use_settings", None)
    if used is not None and used.deadline is not None:
        pytest.fail(f"{item.nodeid} sets a hypothesis deadline ({used.deadline}); use the shared profile "
                    "(tests/conftest.py), which has none", pytrace=False)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder (see :data:`SHARED_DATA`); skips the test when it is absent (fails under CI)."""
    need_shared(SHARED_DATA)
    return SHARED_DATA


@pytest.fixture(scope="session")
def endei_survey() -> Any:
    """The ENDEI II survey read ONCE per session with the ``endei2`` mapping's id, weight and
    missing codes (:func:`innexport.population.mapping.read_for_mapping`). Treat it as read-only."""
    need_shared(ENDEI)
    from innexport.population.mapping import read_for_mapping

    return read_for_mapping(ENDEI, "endei2")


@pytest.fixture(scope="session")
def example_results() -> list[tuple[str, Any, Any]]:
    """``(file stem, framework, FirmResult)`` of every firm of the shipped examples, diagnosed once.

    The examples ship with the repository: their absence or any crash while diagnosing them fails.
    """
    from innexport.core.assessment import diagnose
    from innexport.files.answers import read_answers
    from innexport.files.frameworks import load_framework

    paths = sorted(EXAMPLES.glob("*.yaml"))
    assert paths, f"no example answer files in {EXAMPLES}"
    out = []
    for path in paths:
        sheets = read_answers(path)
        fw = load_framework(sheets[0].framework, sheets[0].modules)
        out.extend((path.stem, fw, r) for r in diagnose(fw, sheets))
    return out


@pytest.fixture(scope="session")
def example_pdfs(example_results: list[tuple[str, Any, Any]]) -> list[bytes]:
    """The PDF report of each of :func:`example_results`, rendered once through the public API
    (``innexport.render_report(result, format="pdf")``). Skips only when WeasyPrint or its Pango
    library cannot be loaded (the documented optional dependency, ``innexport[pdf]``)."""
    try:
        import weasyprint  # noqa: F401 - imported only to learn whether WeasyPrint and its Pango library load
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint (or its Pango library) is not installed: {exc}")
    import innexport

    return [innexport.render_report(result, format="pdf") for _stem, _fw, result in example_results]


# --- hypothesis ------------------------------------------------------------------------------------------------
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", **_RELAXED)
settings.register_profile("ci", max_examples=50, print_blob=True, **_RELAXED)
settings.register_profile("mutation", max_examples=25, derandomize=True, database=None, **_RELAXED)
"""``make mutation`` (scripts/mutation.py): fewer examples, the same ones every run, so that a mutant
is killed or not the same way each time."""


def _profile() -> str:
    if name := os.environ.get("HYPOTHESIS_PROFILE"):
        return name
    return "ci" if in_ci() else "dev"


settings.load_profile(_profile())
