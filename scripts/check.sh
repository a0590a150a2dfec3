#!/usr/bin/env bash
# The static checks, configured in pyproject.toml, as scripts/test.sh (so `make test` and CI) runs them
# before the tests:
#   ruff             lint of src, tests, bench and scripts (pycodestyle, pyflakes, isort, bugbear, pyupgrade,
#                    bandit, Django…; RUF100: a `# noqa` that suppresses nothing is a finding);
#   noqa reasons     scripts/check_noqa.py: every `# noqa` names its rules and says why after a dash;
#   mypy             types of src (pydantic and Django plugins; strict on innexport.core and innexport.files);
#   import contracts lint-imports: a pure core, the layers, no domain package importing web or cli.
# All of them run, each timed; the exit status is 1 when any failed, and the failed ones are named.
# Needs the .venv made by `make setup`.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
BIN=.venv/bin

failed=()
check() {  # check NAME COMMAND...: run it, time it, remember a failure
  local name=$1 start=$SECONDS
  shift
  if "$@"; then
    echo "-- $name: ok ($((SECONDS - start)) s)"
  else
    echo "-- $name: FAILED ($((SECONDS - start)) s)" >&2
    failed+=("$name")
  fi
}

check "ruff" "$BIN/ruff" check --quiet src tests bench scripts
check "noqa reasons" "$PY" scripts/check_noqa.py src tests bench scripts
check "mypy" "$BIN/mypy" src
check "import contracts" "$BIN/lint-imports" --no-logo

if [ ${#failed[@]} -gt 0 ]; then
  echo "static checks failed: ${failed[*]}" >&2
  exit 1
fi
echo "static checks passed"
