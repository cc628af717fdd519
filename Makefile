# narrascope's own set-up: everything a fresh machine needs is installed from here.
PYTHON ?= python3
PIP := $(PYTHON) -m pip --disable-pip-version-check

.PHONY: install install-browser demo test test-all bench clean

install:  ## install narrascope and its dependencies (pinned models included)
	$(PIP) install --quiet -e '.[dev]'

# The browser tests drive Debian's chromium through Playwright (no browser download).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
install-browser:  ## install Debian's chromium for the browser tests, if it is missing
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || { echo "chromium is missing and could not be installed" >&2; exit 1; }

demo: install  ## analyse the bundled examples into narrascope.duckdb and write report.html
	$(PYTHON) -m narrascope analyze --examples --taxonomy builtin:belarus_russia
	$(PYTHON) -m narrascope report -o report.html

test: install install-browser  ## the test suite (what CI runs)
	$(PYTHON) -m pytest -q

test-all: install install-browser  ## the test suite plus slow tests
	$(PYTHON) -m pytest -q --runslow

clean:
	rm -rf narrascope.duckdb narrascope.duckdb.wal report.html .pytest_cache
