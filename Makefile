# Quick start: `make build` builds the sample archive, `make test` runs the suite.
# `make build` installs what Vestka needs to run; `make test` adds what the suite needs
# (system programs through apt when root, the browser-test helpers, the test extras).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: build test serve check clean lint bench screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) tools/install-test-deps.sh tools/package-lock.json
	VENV=$(VENV) PYTHON=$(PYTHON) tools/install-test-deps.sh  # touches $(TEST_STAMP)

build: $(STAMP)
	$(BIN)/vestka build --site .

check: $(STAMP)
	$(BIN)/vestka check --site .

serve: $(STAMP)
	$(BIN)/vestka serve --site .

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 -q

# Refreshes the README's screenshots in docs/screenshots/ (the suite itself writes only to temporary folders).
screenshots: $(TEST_STAMP)
	VESTKA_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_screenshots.py

lint: $(TEST_STAMP)
	$(BIN)/ruff check generator tests benchmarks

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/run.py

# Also removes the state files that older versions of Vestka left beside output/.
clean:
	rm -rf output .vestka-cache .vestka-previous-* .vestka-lock-* .vestka-staging-* .vestka-old-* .pytest_cache
