# Every target installs what it needs first, so `make serve` and `make test` work on a fresh clone
# with nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
PYTEST_ARGS ?=

.PHONY: help install generate check-generated golden migrate migration check-migrations serve test scale bench lint format clean

help:
	@echo "make serve             set up, generate, migrate and serve on http://$(HOST):$(PORT)"
	@echo "make test              set up and run the whole test suite"
	@echo "make scale             time the generated suite of a 20-resource spec on SQLite"
	@echo "make bench             generated app vs bench/baseline under wrk on PostgreSQL (BENCH_QUICK=1: ~1 min)"
	@echo "make generate          regenerate generated/ from spec/"
	@echo "make check-generated   fail if generated/ differs from what spec/ produces"
	@echo "make golden            rewrite tests/generator/cases/*/expected* from the generator; review the diff"
	@echo "make migrate           apply migrations to DATABASE_URL (default: SQLite in data/)"
	@echo "make migration m=\"..\"  autogenerate the next numbered revision after a spec change"
	@echo "make check-migrations  fail if the models and the committed revisions disagree"
	@echo "make lint              ruff check, ruff format --check, mypy, check-generated"
	@echo "make format            ruff format and import sorting (generated/ is left alone)"
	@echo "make clean             remove the virtualenv, caches and the local SQLite database"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python 3.11+ is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(BIN)/python -m generator

check-generated: $(STAMP)
	$(BIN)/python -m generator --check

golden: $(STAMP)
	$(BIN)/python -m tests.generator.update_golden

migrate: generate
	$(BIN)/alembic upgrade head

migration: migrate
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"'; exit 2; }
	$(BIN)/python -m migrations.new_revision "$(m)"

check-migrations: $(STAMP)
	$(BIN)/alembic check || { echo 'The models and migrations/ disagree: run `make migration m="..."`, review and commit it.'; exit 1; }

serve: migrate
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $(WORKERS) --timeout-graceful-shutdown 10

test: generate
	$(BIN)/python -m pytest $(PYTEST_ARGS)

scale: $(STAMP)
	$(BIN)/python -m tests.examples.scale

bench: generate
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m generator --check

format: $(STAMP)
	$(BIN)/ruff check --fix --select I . --exclude generated
	$(BIN)/ruff format . --exclude generated

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
