# Two commands for a newcomer: `make portal` (build the demo portal into site/) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export NO_MKDOCS_2_WARNING := 1

.PHONY: portal serve test lint format bench schema clean test-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@# A .venv made before the rename to aipo-portal holds the old "aipo" distribution of this
	@# checkout; two of them would register the plugin twice.
	@$(BIN)/pip show aipo 2>/dev/null | grep -q "location: $(CURDIR)$$" && \
	  $(BIN)/pip uninstall --quiet -y aipo || true
	$(BIN)/pip install --quiet -e ".[test]" mike
	touch $(STAMP)

portal: $(STAMP)
	$(BIN)/mkdocs build --strict

serve: $(STAMP)
	$(BIN)/mkdocs serve

# Browser tests drive Debian's chromium through Playwright (never `playwright install`); the
# reproducible-build test moves the clock with libfaketime; the metric-source equality test runs
# Spark (pyspark, from the test extra) on Java 17.
test-deps:
	@( [ -x /usr/bin/chromium ] && command -v faketime >/dev/null 2>&1 && command -v java >/dev/null 2>&1 ) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium faketime openjdk-17-jre-headless)

test: $(STAMP) test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

schema: $(STAMP)
	$(BIN)/aipo schema --output schema

bench: $(STAMP)
	$(BIN)/python benchmarks/build_speed.py --models 100 1000

clean:
	rm -rf site build dist .pytest_cache .ruff_cache
