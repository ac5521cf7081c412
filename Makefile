# Huikuan: the two commands a new user types are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATE ?= 2026-11-20
ACCOUNTS ?= 20000
DAYS ?= 30

.PHONY: run test lint typecheck bench demo clean install system

$(STAMP): pyproject.toml requirements/constraints.txt scripts/bootstrap.sh
	bash scripts/bootstrap.sh
	touch $(STAMP)

install: $(STAMP)

system:
	bash scripts/ensure-system-packages.sh

run: $(STAMP) system
	$(BIN)/huikuan db upgrade
	$(BIN)/huikuan demo --accounts $(ACCOUNTS) --date $(DATE) --days $(DAYS) --reset
	$(BIN)/huikuan web serve --host 127.0.0.1 --port 8000 --demo-users --workers 2

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck system
	bash scripts/ensure-postgres.sh
	bash scripts/ensure-browser.sh
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m huikuan.bench

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
