# Afterglow: the index of commands. `make` (or `make help`) lists them.
#
# Everything runs from a project-local virtual environment in .venv, built from the
# pinned lock files in requirements/ (pip-compile output of pyproject.toml).

PYTHON ?= python3
VENV = .venv
PORT ?= 8000
# Extra pytest arguments, e.g. `make test ARGS="-k intake -x"`.
ARGS ?=
# pytest-xdist workers for `make test` ("0" runs in one process). On the 2-core machine
# -n 2 measured 75-80 s against 85-100 s serial for the suite with its browser tests.
WORKERS ?= 2

BIN = $(VENV)/bin
PIP = $(BIN)/python -m pip --disable-pip-version-check
PIP_INSTALL = $(PIP) install --quiet --progress-bar off

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

.PHONY: help install install-dev demo serve worker test test-postgres lint format bench bench-audit bench-web screenshots lock clean

help: ## List the commands
	@echo "Afterglow — make targets (variables: PYTHON=$(PYTHON) PORT=$(PORT) WORKERS=$(WORKERS) ARGS=...)"
	@echo
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-15s %s\n", $$1, $$2}'

# --- virtual environment ------------------------------------------------------------

$(BIN)/pip:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
		echo "error: Afterglow needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo 'not found')." >&2; \
		echo "       Install a newer Python and run e.g. 'make install PYTHON=python3.12'." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(BIN)/pip
	@scripts/ensure-pdf-libs.sh
	$(PIP_INSTALL) -r requirements/base.txt
	$(PIP_INSTALL) --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/pip
	@scripts/ensure-pdf-libs.sh
	$(PIP_INSTALL) -r requirements/dev.txt
	$(PIP_INSTALL) --no-deps -e .
	@touch $@

install: $(VENV)/.installed-base ## Create .venv with the runtime dependencies (incremental)

install-dev: $(VENV)/.installed-dev ## Create .venv with runtime + test + lint dependencies (incremental)

# --- run ---------------------------------------------------------------------------

demo: install ## Migrate, seed the demo clinic, print its logins, serve on 127.0.0.1:PORT with the worker
	$(BIN)/afterglow migrate --noinput
	$(BIN)/afterglow demo
	@echo "Starting the background worker (invitations, reminders, alerts; emails print here)."
	@PORT=$(PORT) $(BIN)/afterglow worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null || true' EXIT INT TERM; \
	PORT=$(PORT) $(BIN)/afterglow runserver 127.0.0.1:$(PORT)

serve: install ## Production web server (gunicorn) on 127.0.0.1:PORT; see docs/deploy.md
	PORT=$(PORT) $(BIN)/afterglow serve

worker: install ## Run the background worker alone (schedule sweeps, invitations, reminders)
	$(BIN)/afterglow migrate --noinput
	$(BIN)/afterglow worker

# --- checks ------------------------------------------------------------------------

test: install-dev ## Run the test suite (installs Chromium and nginx via apt when root and missing)
	@chromium="$$(scripts/ensure-chromium.sh)"; \
	nginx="$$(scripts/ensure-nginx.sh)"; \
	xdist=(); if [ "$(WORKERS)" != "0" ]; then xdist=(-n "$(WORKERS)"); fi; \
	echo "pytest: browser=$$chromium workers=$(WORKERS) database=$${DATABASE_URL:-sqlite (default)}"; \
	rc=0; AFTERGLOW_CHROMIUM="$$chromium" AFTERGLOW_NGINX="$$nginx" $(BIN)/pytest "$${xdist[@]}" $(ARGS) || rc=$$?; \
	if [ "$$rc" -eq 5 ]; then \
		echo "error: pytest collected no tests (exit code 5); treating that as a failure." >&2; \
	fi; \
	exit "$$rc"

test-postgres: install-dev ## Run the test suite against a throwaway PostgreSQL cluster
	scripts/with-postgres.sh $(MAKE) --no-print-directory test

lint: install-dev ## ruff check, ruff format --check, mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev ## Apply ruff's formatter and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install-dev ## Engine benchmarks, then registry scale: 1 M CSV/Parquet, 10 M Parquet (files cached in var/bench)
	$(BIN)/python -m afterglow.bench
	$(BIN)/python -m afterglow.bench_registry

bench-audit: install-dev ## Time the patient chart with and without its audit event (demo data, SQLite file)
	$(BIN)/python -m afterglow.bench_audit

bench-web: install-dev ## Serve the demo and a 10,000-patient clinic with gunicorn; time every page (+ Chromium)
	AFTERGLOW_CHROMIUM="$$(scripts/ensure-chromium.sh)" $(BIN)/python -m afterglow.bench_web

# Browser tests that save a docs/screenshots/*.png through tests/browser/docshots.py.
DOC_SHOT_TESTS ?= tests/browser/test_crisis.py

screenshots: install-dev ## Regenerate docs/screenshots/*.png (phone screenshots) from the browser tests
	AFTERGLOW_DOC_SHOTS=1 AFTERGLOW_CHROMIUM="$$(scripts/ensure-chromium.sh)" $(BIN)/pytest -q $(DOC_SHOT_TESTS)
	scripts/screenshots-today.sh

# --- maintenance -------------------------------------------------------------------

lock: install-dev ## Regenerate requirements/*.txt from pyproject.toml with pip-compile
	$(BIN)/pip-compile --strip-extras --no-emit-index-url --no-emit-find-links --no-header \
		-o requirements/base.txt pyproject.toml
	$(BIN)/pip-compile --strip-extras --no-emit-index-url --no-emit-find-links --no-header \
		--extra dev -o requirements/dev.txt pyproject.toml

clean: ## Remove .venv, var/ (local database!), caches and build output
	rm -rf $(VENV) var/ .pytest_cache/ .mypy_cache/ .ruff_cache/ .hypothesis/ \
		test-artifacts/ build/ dist/
	find . -path ./.git -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 \
		| xargs -0 rm -rf
