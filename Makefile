# narrascope's own set-up: everything a fresh machine needs is installed from here.
PYTHON ?= python3
PIP := $(PYTHON) -m pip --disable-pip-version-check

.PHONY: install demo test test-all bench clean

install:  ## install narrascope and its dependencies (pinned models included)
	$(PIP) install --quiet -e '.[dev]'

demo: install  ## analyse the bundled examples into narrascope.duckdb and write report.html
	$(PYTHON) -m narrascope analyze --examples --taxonomy builtin:belarus_russia
	$(PYTHON) -m narrascope report -o report.html

test: install  ## the test suite (what CI runs)
	$(PYTHON) -m pytest -q

test-all: install  ## the test suite plus slow tests
	$(PYTHON) -m pytest -q --runslow

clean:
	rm -rf narrascope.duckdb narrascope.duckdb.wal report.html .pytest_cache
