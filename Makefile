# Pulsebridge: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The console's browser libraries (package.json + lock), copied where the app serves them from.
VENDOR := src/pulsebridge/console/static/console/vendor
NODE_STAMP := node_modules/.installed

.PHONY: run test test-browser test-fuzz test-multihost test-durability bench lint install clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed for the console's libraries: apt-get install -y npm"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/htmx $(VENDOR)/chartjs $(VENDOR)/leaflet
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE $(VENDOR)/htmx/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/LICENSE.md $(VENDOR)/chartjs/
	cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css \
		node_modules/leaflet/dist/images node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

run: $(STAMP) $(NODE_STAMP)
	WEBHOOK_ALLOW_PRIVATE_NETWORKS=$${WEBHOOK_ALLOW_PRIVATE_NETWORKS:-true} $(BIN)/pulsebridge demo

# The browser tests (a real server and Debian's chromium, minutes) run apart: `make test-browser`.
# worksteal: a worker that runs out of tests takes some of the other's (the slow live tests
# otherwise leave one worker alone at the end).
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n $${PYTEST_WORKERS:-2} --dist worksteal -m "not browser and not multihost and not durability and not fuzz" $(PYTEST_ARGS)

test-browser: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest -n 0 -m browser $(PYTEST_ARGS)

# schemathesis against each dialect's schema on a real server (FUZZ_MAX_EXAMPLES per operation)
test-fuzz: $(STAMP)
	$(BIN)/pytest -n 0 -m fuzz $(PYTEST_ARGS)

# Two web hosts, two worker hosts, a database host, in network namespaces (needs root).
test-multihost: $(STAMP)
	$(BIN)/pytest -m multihost -p no:xdist -p no:cacheprovider -s $(PYTEST_ARGS)

# 1,000 readings through `serve` while its processes are killed with SIGKILL (PostgreSQL:
# DATABASE_URL; a few minutes).
test-durability: $(STAMP)
	$(BIN)/pytest -n 0 -m durability $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/ruff format --check src tests $(wildcard bench)
	$(BIN)/pulsebridge makemigrations --check --dry-run
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules $(VENDOR)
