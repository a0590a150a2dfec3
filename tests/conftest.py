"""What every test shares: where the repository and the shared data are, and how hypothesis runs.

* :data:`SHARED_DATA` is the folder of real survey data and reference datasets kept *next to* the
  repository (``../shared/data``, described by its README.md); nothing in it is ever copied into the
  repository, so a test that reads it is skipped when it is absent (:func:`requires_shared`).
  ``INNEXPORT_SHARED_DATA`` points elsewhere when the folder lives somewhere else.
* hypothesis: the ``dev`` profile (the default) and the ``ci`` profile (chosen when ``CI`` is set to
  a true value, as CI services do; ``HYPOTHESIS_PROFILE`` names another one) both have no deadline and
  no ``too_slow`` health check, because the suite runs on small shared machines where a slow example
  says nothing about the code; ``ci`` also bounds the number of examples of the tests that do not set
  their own and prints the blob that reproduces a failure. A test's own ``@settings(...)`` still wins.

Test modules import the constants (``from conftest import SHARED_DATA``): pytest puts ``tests/`` on
``sys.path`` (rootdir-relative ``prepend`` import mode) and registers this file as ``conftest``.
"""

from __future__ import annotations

import os
from pathlib import Path

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


def requires_shared(path: Path) -> pytest.MarkDecorator:
    """A ``skipif`` mark for a test that reads ``path`` from the shared data folder.

    >>> mark = requires_shared(SHARED_DATA / "no-such-file.csv")
    >>> mark.kwargs["reason"].startswith("real data not available")
    True
    """
    reason = f"real data not available: {path} (see {SHARED_DATA}/README.md)"
    return pytest.mark.skipif(not path.exists(), reason=reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder (see :data:`SHARED_DATA`); skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not available: {SHARED_DATA}")
    return SHARED_DATA


# --- hypothesis ------------------------------------------------------------------------------------------------
_RELAXED = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("dev", **_RELAXED)
settings.register_profile("ci", max_examples=50, print_blob=True, **_RELAXED)


def _profile() -> str:
    if name := os.environ.get("HYPOTHESIS_PROFILE"):
        return name
    return "ci" if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"} else "dev"


settings.load_profile(_profile())
