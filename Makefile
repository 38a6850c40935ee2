# Pulsebridge: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-multihost bench lint install clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	WEBHOOK_ALLOW_PRIVATE_NETWORKS=$${WEBHOOK_ALLOW_PRIVATE_NETWORKS:-true} $(BIN)/pulsebridge demo

test: $(STAMP)
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} -m "not multihost" $(PYTEST_ARGS)

# Two web hosts, two worker hosts, a database host, in network namespaces (needs root).
test-multihost: $(STAMP)
	$(BIN)/pytest -m multihost -p no:xdist -p no:cacheprovider -s $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/pulsebridge makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
