# Ripple — run `make help` to list targets.
# `make run` and `make test` set everything up on a fresh machine by themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per set of requirements, named after their checksum: editing a file reinstalls.
# `make run` needs only the runtime set; tests, lint and bench add the dev tools.
RUNTIME_STAMP := $(VENV)/.runtime-$(shell cat requirements/base.txt | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# `make serve` runs one uvicorn process per CPU unless told otherwise.
WORKERS ?= $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
# The unit tier: no real PostgreSQL/Redis/uvicorn workers, no fuzzing, no browser.
FAST_TESTS := -m "not services and not slow and not browser"
# Two test processes (pytest-xdist), each with a test database of its own: most tests wait
# on sockets, workers and timeouts rather than the CPU. loadgroup keeps the tests of one
# xdist_group in one process (tests/conftest.py). `PYTEST_ARGS=-n0` runs in this process.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.DEFAULT_GOAL := help
.PHONY: help install install-runtime run serve worker beat migrate test test-fast lint fmt bench check clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-15s %s\n", $$1, $$2}'

$(RUNTIME_STAMP): requirements/base.txt
	@test -x $(BIN)/python || { echo "Creating the virtualenv $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "Installing what serving needs (requirements/base.txt) into $(VENV)"
	$(BIN)/python -m pip install -r requirements/base.txt
	@rm -f $(VENV)/.runtime-*
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements/dev.txt
	@echo "Installing the test, lint and benchmark tools (requirements/dev.txt) into $(VENV)"
	$(BIN)/python -m pip install -r requirements/dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install-runtime: $(RUNTIME_STAMP)  ## create .venv with what serving needs (make run, make serve)

install: $(DEV_STAMP)  ## the runtime plus the test, lint and benchmark tools

# check_database turns a missing database or an unreachable server into one line.
migrate: install-runtime  ## apply migrations
	@$(BIN)/python manage.py check_database
	$(BIN)/python manage.py migrate --no-input

run: migrate  ## serve HTTP + WebSocket on HOST:PORT (SQLite and in-memory layer unless DATABASE_URL/REDIS_URL)
	@$(BIN)/python manage.py seed_demo
	@HOST=$(HOST) PORT=$(PORT) $(BIN)/python -m scripts.devserver

# The workers' metrics files go to var/ (emptied by serve.sh at every start), one directory per port.
serve: install-runtime  ## production ASGI server: WORKERS processes (default: one per CPU) on HOST:PORT, settings from the environment
	PATH="$(abspath $(BIN)):$$PATH" DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-project.settings.prod} \
		PROMETHEUS_MULTIPROC_DIR=$${PROMETHEUS_MULTIPROC_DIR:-$(CURDIR)/var/metrics-$(PORT)} \
		HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) docker/serve.sh

# One process per CPU by default (Celery's prefork pool); each keeps one HTTP session, on
# its own event loop, with connections to each push service. Without REDIS_URL (or CELERY_BROKER_URL) there is no broker and no need for
# a worker: `make run` sends pushes in-process after each commit, off the request.
# WORKER_METRICS_PORT=9100 serves its /healthz and /metrics (project/worker.py), its
# processes' counters in var/worker-metrics/ (never the web's directory: emptied at start).
worker: install-runtime  ## background worker (Celery) that sends Web Push and digests; needs REDIS_URL
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-project.settings.prod} \
		PROMETHEUS_MULTIPROC_DIR=$${WORKER_METRICS_PORT:+$(CURDIR)/var/worker-metrics} \
		$(BIN)/celery -A project worker --loglevel=INFO --concurrency=$(WORKERS)

beat: install-runtime  ## the scheduler that starts an email digest round every hour (one per deployment)
	DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-project.settings.prod} \
		$(BIN)/celery -A project beat --loglevel=INFO --schedule=$(CURDIR)/var/celerybeat-schedule

# Browser tests and the compose-file check need Debian's chromium and a compose client:
# scripts/ensure-test-tools.sh installs them when missing and it can (as root).
test: lint  ## lint, then run the whole test suite (PostgreSQL when DATABASE_URL is set, else SQLite)
	@scripts/ensure-test-tools.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# --reuse-db keeps the PostgreSQL test database between runs and applies new migrations to
# it; ARGS=--create-db rebuilds it. ARGS go to pytest, e.g. `make test-fast ARGS="tests/posts -x"`
# (`ARGS=-n0` for one process, e.g. to use a debugger).
test-fast: install  ## the unit tier only, on a kept test database: no services, slow or browser tests
	$(BIN)/python -m pytest --reuse-db $(FAST_TESTS) $(PYTEST_ARGS) -q $(ARGS)

# The contracts and the mypy settings are in pyproject.toml.
lint: install  ## ruff lint + format check, import contracts (lint-imports), types (mypy)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

fmt: install  ## auto-fix lint and format
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

bench: install  ## run the benchmarks in bench/ (needs PostgreSQL and Redis: DATABASE_URL, REDIS_URL)
	$(BIN)/python -m bench

clean:  ## remove the virtualenv, the SQLite database and caches
	rm -rf $(VENV) db.sqlite3 .pytest_cache .ruff_cache .mypy_cache .import_linter_cache var
