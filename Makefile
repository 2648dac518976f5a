# Two commands for a newcomer: `make demo` and `make test`. Python 3.11+ and PyPI are all they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster

.PHONY: demo test lint ui validate vocabulary install install-dev clean-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

## Run the weekly pipeline on the embedded PostgreSQL server with demo data.
demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/risk-report demo

## Run the test suite (starts its own PostgreSQL server).
# Four files at a time (most of the suite waits on daemons and servers; `--dist loadfile` keeps each file's module
# fixtures in one process). Measured on 2 cores, 2026-12-07, 711 tests: 1,032 s with 3, 957 s with 4, 966 s with 5.
TEST_WORKERS ?= 4
test: install-dev
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## Lint and types: ruff and mypy, configured in pyproject.toml; zero findings.
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

## The Dagster UI on http://127.0.0.1:3000, on the same instance as `make demo`.
ui: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/risk-report ui

## Regenerate the R engine's copy of the vocabulary and threshold defaults.
vocabulary: install
	$(BIN)/python -m risk_assets.vocabulary > r/vocabulary.json

## Check the code location (dg, Dagster) and the configuration with its delivery settings (risk-report).
validate: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dg check defs
	$(BIN)/dagster definitions validate
	$(BIN)/risk-report validate

## Stop the embedded server and delete its data, snapshots and the Dagster instance.
clean-data: install
	-$(BIN)/risk-report db stop
	rm -rf .data .dagster
