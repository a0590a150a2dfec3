#!/usr/bin/env bash
# The whole test suite, as `make test` runs it:
#   0. the static checks (scripts/check.sh, configured in pyproject.toml): ruff (lint),
#      scripts/check_noqa.py (every `# noqa` says why), mypy (types: strict on the core and the readers)
#      and lint-imports (the layers of the package); all of them run, then any failure stops the suite,
#      naming the checks that failed;
#   0b. the documentation site, as `make docs` builds it (mkdocs build --strict, into a temporary folder):
#      a broken link or reference fails;
#   1. every test on the embedded default (SQLite), browser tests included, and the doctests of the
#      package, the web application's and the CLI's included (pytest-django sets Django up; only the WSGI
#      entry point, which opens the database when imported, and the migrations are left out);
#   2. the web application's tests again on a real PostgreSQL server, started here on loopback
#      from Debian's packages in a throwaway cluster, and stopped at the end.
# Needs the .venv made by `make setup`. Extra arguments go to both pytest runs.
# SKIP_STATIC_CHECKS=1 skips step 0 (to iterate on a test; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if [ "${SKIP_STATIC_CHECKS:-}" != 1 ]; then
  echo "== static checks =="
  scripts/check.sh
fi

echo "== documentation site (make docs, strict: a broken link or reference fails) =="
site=$(mktemp -d /tmp/innexport-site.XXXXXX); NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --quiet --site-dir "$site"; rm -rf "$site"

echo "== tests on SQLite, and the doctests of the package =="
$PY -m pytest -n 2 -q tests src/innexport scripts/check_noqa.py --doctest-modules \
  --ignore=src/innexport/web/wsgi.py --ignore=src/innexport/web/migrations "$@"

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$pg_bin" ]; then
  echo "PostgreSQL is not installed (make sysdeps-test installs it): the PostgreSQL run is skipped" >&2
  exit 1
fi

echo "== web tests on PostgreSQL ($("$pg_bin/postgres" --version)) =="
work=$(mktemp -d /tmp/innexport-pg.XXXXXX)
port=$($PY -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
as_pg=()
if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
  chown postgres "$work"
  as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/data" -A trust -U postgres --no-sync >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -l "$work/log" -w \
  -o "-h 127.0.0.1 -p $port -k $work -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
stop_pg() { "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap stop_pg EXIT
DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" $PY -m pytest -n 2 -q -m "not browser" tests/web "$@"
