# Ripple — run `make help` to list targets.
# `make run` and `make test` set everything up on a fresh machine by themselves.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements/*.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# `make serve` runs one uvicorn process per CPU unless told otherwise.
WORKERS ?= $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)

.DEFAULT_GOAL := help
.PHONY: help install run serve migrate test lint fmt bench check clean

help:  ## list targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "%-10s %s\n", $$1, $$2}'

$(STAMP): requirements/base.txt requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the pinned dev requirements

migrate: install  ## apply migrations
	$(BIN)/python manage.py migrate --no-input

run: migrate  ## serve HTTP + WebSocket on HOST:PORT (SQLite and in-memory layer unless DATABASE_URL/REDIS_URL)
	$(BIN)/python manage.py seed_demo
	@echo "Ripple on http://$(HOST):$(PORT)/  (API docs: /api/docs/, WebSocket: /ws/notifications/)"
	DJANGO_SETTINGS_MODULE=project.settings.dev $(BIN)/uvicorn project.asgi:application \
		--host $(HOST) --port $(PORT) --ws-max-size 65536 --ws-per-message-deflate false --no-access-log

serve:  ## production ASGI server: WORKERS processes (default: one per CPU) on HOST:PORT, settings from the environment
	PATH="$(CURDIR)/$(BIN):$$PATH" DJANGO_SETTINGS_MODULE=$${DJANGO_SETTINGS_MODULE:-project.settings.prod} \
		HOST=$(HOST) PORT=$(PORT) WORKERS=$(WORKERS) docker/serve.sh

# Browser tests and the compose-file check need Debian's chromium and a compose client:
# scripts/ensure-test-tools.sh installs them when missing and it can (as root).
test: lint  ## lint, then run the whole test suite (PostgreSQL when DATABASE_URL is set, else SQLite)
	@scripts/ensure-test-tools.sh
	$(BIN)/python -m pytest

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
