# The two commands that matter: `make run` and `make test`. Everything installs itself.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

TOOLS  := .venv-tools/.installed

.PHONY: install tools console bench soak run test test-fast test-unit test-integration test-e2e lint clean

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

$(TOOLS): requirements-tools.lock
	$(PYTHON) -m venv .venv-tools
	.venv-tools/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.lock
	touch $(TOOLS)

## the security linter for the Kubernetes manifests, in a virtualenv of its own
tools: $(TOOLS)

## the web console (console/dist), rebuilt only when its sources or lock changed
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/package.json \
	console/package-lock.json console/tsconfig.json console/vite.config.ts
CONSOLE := console/dist/index.html

$(CONSOLE): $(CONSOLE_SOURCES)
	cd console && npm ci --no-audit --no-fund && npm run build
	touch $(CONSOLE)

console: $(CONSOLE)

## all three services in one process: SQLite under ./data, in-process bus, http://127.0.0.1:8000;
## the console at /
run: install $(CONSOLE)
	CRM_LOG_FORMAT=$${CRM_LOG_FORMAT:-text} $(BIN)/crm serve all

## lint, then the whole suite, slow fault-injection tests included (what CI runs); the AsyncAPI parser
## test installs its node tools itself (`npm ci`, package-lock.json) into node_modules
test: install tools lint $(CONSOLE)
	$(BIN)/pytest -q

## what a developer runs often: everything but the slow multi-process / fault tests
test-fast: install
	$(BIN)/pytest -q -m "not slow"

test-unit: install
	$(BIN)/pytest -q tests/unit

test-integration: install
	$(BIN)/pytest -q tests/integration

test-e2e: install
	$(BIN)/pytest -q tests/e2e

## figures beside same-run baselines (PostgreSQL on 127.0.0.1:5432, a tansu broker it starts)
bench: install
	$(BIN)/python bench/run.py

## ten minutes (CRM_SOAK_SECONDS) of commands at half the capacity probed at its start (or
## CRM_SOAK_RATE) across the four services as processes, the broker paused and PostgreSQL cut
## for 30 s once each: lag and memory per minute, every acknowledged command counted in the read models
soak: install
	$(BIN)/python bench/soak.py

## ruff (lint rules, formatting) and mypy (strict on shared/ and the domain modules); `make test` runs it first
lint: install
	$(BIN)/ruff check crm shared services tests bench
	$(BIN)/ruff format --check crm shared services tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-tools data .pytest_cache node_modules console/node_modules console/dist
