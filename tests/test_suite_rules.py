"""The test suite's own rules (tests/conftest.py): real data is never skipped quietly in CI, and
hypothesis runs without a deadline.

Issue 16: 22 real-data tests skipped quietly when ``../shared/data`` was missing, also in CI where it
is always present; hypothesis tests kept the 200 ms deadline.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import conftest
from conftest import REPO_ROOT, need_shared, requires_shared

MISSING = REPO_ROOT / "no-such-folder" / "data.csv"


@pytest.mark.parametrize("ci", ["", "0", "false"])
def test_missing_shared_data_skips_with_its_path_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match=r"real data not available: .*no-such-folder/data\.csv"):
        need_shared(MISSING)


@pytest.mark.parametrize("ci", ["true", "1", "TRUE", "yes"])
def test_missing_shared_data_fails_in_ci(monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match=r"no-such-folder/data\.csv.*CI is set"):
        need_shared(MISSING)


def test_present_shared_data_runs_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    need_shared(REPO_ROOT / "pyproject.toml")  # no skip, no failure


def test_requires_shared_is_the_mark_the_setup_hook_reads() -> None:
    mark = requires_shared(MISSING).mark
    assert (mark.name, mark.args) == ("requires_shared", (MISSING,))


@given(st.integers())
def test_hypothesis_runs_without_a_deadline(n: int) -> None:
    assert settings.default.deadline is None


def _item(obj: object) -> SimpleNamespace:
    return SimpleNamespace(nodeid="tests/x.py::t", obj=obj, iter_markers=lambda name: iter(()))


def test_a_test_that_brings_back_a_deadline_fails() -> None:
    @settings(deadline=200)
    @given(st.integers())
    def with_deadline(n: int) -> None: ...

    @settings(max_examples=5)
    @given(st.integers())
    def with_the_profile(n: int) -> None: ...

    with pytest.raises(pytest.fail.Exception, match=r"tests/x\.py::t sets a hypothesis deadline"):
        conftest.pytest_runtest_setup(_item(with_deadline))  # type: ignore[arg-type]
    conftest.pytest_runtest_setup(_item(with_the_profile))  # type: ignore[arg-type]
