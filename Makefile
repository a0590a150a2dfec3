# innexport — set-up, demo and tests. Needs only Python 3.11 (and make).
# `make demo` and `make test` are the two commands of the README.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | $(PYTHON) -c "import hashlib,sys;print(hashlib.sha1(sys.stdin.buffer.read()).hexdigest()[:12])")
OUT    := out

.PHONY: setup demo test bench mutation clean sysdeps sysdeps-test messages serve docs oidc-provider

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; assert sys.version_info >= (3, 11), 'innexport needs Python 3.11 or newer'"
	$(MAKE) --no-print-directory sysdeps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# WeasyPrint (PDF) needs Pango (and subsets fonts faster with HarfBuzz-subset); install them from
# Debian's packages when they are missing.
SYSLIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
sysdeps:
	@if ! ldconfig -p 2>/dev/null | grep -q libpango-1.0 || ! ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(SYSLIBS) for PDF output (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSLIBS) >/dev/null; \
	  else echo "warning: install $(SYSLIBS) for PDF output (WeasyPrint)"; fi; \
	fi

# The test suite also needs a PostgreSQL server and a real browser (Debian's chromium).
TESTLIBS := postgresql chromium
sysdeps-test: oidc-provider
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v chromium >/dev/null; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing $(TESTLIBS) for the tests (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TESTLIBS) >/dev/null; \
	  else echo "warning: install $(TESTLIBS) to run the whole test suite"; fi; \
	fi

# The single sign-on tests' OpenID provider: panva's certified oidc-provider for Node (MIT), pinned by
# tests/web/oidc/package-lock.json (tests/web/test_sso.py also runs this `npm ci` when it is missing).
oidc-provider:
	@if ! command -v npm >/dev/null; then echo "warning: install node and npm for the single sign-on tests"; \
	elif [ ! -d tests/web/oidc/node_modules/oidc-provider ]; then \
	  cd tests/web/oidc && npm ci --no-audit --no-fund --loglevel=error; fi

# The demo: the three example wine SMEs, diagnosed, with their reports in HTML, PDF and JSON.
demo: setup
	@mkdir -p $(OUT)
	$(BIN)/innexport diagnose examples/*.yaml --out $(OUT)/ --format html
	$(BIN)/innexport diagnose examples/*.yaml --out $(OUT)/ --format pdf
	$(BIN)/innexport diagnose examples/*.yaml --out $(OUT)/results.json
	$(BIN)/innexport questionnaire --framework iiep --module wine --lang es --out $(OUT)/cuestionario.xlsx
	@echo "Reports are in $(OUT)/ — open $(OUT)/*.html in a browser. Now the web application (Ctrl-C stops it):"
	$(BIN)/innexport serve

# The web application alone, with the demo organisation (credentials printed on start).
serve: setup
	$(BIN)/innexport serve

test: setup sysdeps-test
	scripts/test.sh

# The documentation site into site/ (MkDocs + Material + mkdocstrings; mkdocs.yml): docs/, the docstrings, and
# pages generated from the code (scripts/docs_hooks.py). Strict: a broken link or reference fails the build.
# `make test` builds it too (scripts/test.sh).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

# Mutation testing of the core (3,600 mutants, about two hours on 2 idle cores; not part of `make test`): at least 95 % of
# the non-equivalent mutants of each core module must be killed. scripts/mutation.py says more.
mutation: setup
	$(BIN)/python scripts/mutation.py

bench: setup
	$(BIN)/python bench/bench_core.py
	$(BIN)/python bench/bench_plans.py
	$(BIN)/python bench/bench_web.py
	$(BIN)/python bench/bench_population.py
	$(BIN)/python bench/bench_benchmark.py
	$(BIN)/python bench/bench_portfolio.py --db both --downloads
	$(BIN)/python bench/bench_ahp.py
	$(BIN)/python bench/bench_reports.py

# Interface catalogues of the web application (needs GNU gettext): extract, then translate the .po
# files and compile them.
# The web screens' catalogues (Django) and the documents' (domain innexport: symbolic msgids, edit
# the .po of each language by hand, then compile; tests/test_i18n.py checks every .mo is up to date).
messages: setup
	cd src/innexport/web && DJANGO_SETTINGS_MODULE=innexport.web.settings ../../../$(BIN)/django-admin makemessages -l fr -l es --no-location
	cd src/innexport/web && DJANGO_SETTINGS_MODULE=innexport.web.settings ../../../$(BIN)/django-admin compilemessages
	$(BIN)/pybabel compile --statistics -D innexport -d src/innexport/rendering/locale

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .hypothesis mutants
