# Every target installs what it needs first, so `make serve` and `make test` work on a fresh clone
# with nothing but Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCKED := $(VENV)/.locked
# What `make install` installs: exact versions with hashes, the same on every machine and in CI.
# requirements/app.txt (the served app) and generator.txt (+ the generator) are subsets of it.
LOCK := requirements/dev.txt
# uv resolves the locks (`make lock`) and nothing else; installing never needs it. It has its own
# virtualenv, so `make lock` works while .venv is out of date with pyproject.toml.
UV_VERSION := 0.13.9
UV_VENV := .venv-uv
UV_STAMP := $(UV_VENV)/.uv-$(UV_VERSION)
LOCK_ARGS ?=
# One lock for every platform and Python from 3.11, with the hashes of every file of each version.
UV_COMPILE := --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock"
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
PYTEST_ARGS ?=

.PHONY: help install lock generate check-generated golden migrate migration check-migrations serve test contract scale bench lint format clean

help:
	@echo "make serve             set up, generate, migrate and serve on http://$(HOST):$(PORT)"
	@echo "make test              set up and run the whole test suite"
	@echo "make contract BASE_URL=https://host  the generated contract tests over HTTP against a running server"
	@echo "make scale             time the generated suite of a 20-resource spec on SQLite"
	@echo "make bench             generated app vs bench/baseline under wrk on PostgreSQL (BENCH_QUICK=1: ~1 min)"
	@echo "make install           the virtualenv, exactly as requirements/dev.txt pins it"
	@echo "make lock              re-resolve requirements/*.txt from pyproject.toml (LOCK_ARGS=--upgrade)"
	@echo "make generate          regenerate generated/ from spec/"
	@echo "make check-generated   fail if generated/ differs from what spec/ produces"
	@echo "make golden            rewrite tests/generator/cases/*/expected* from the generator; review the diff"
	@echo "make migrate           apply migrations to DATABASE_URL (default: SQLite in data/)"
	@echo "make migration m=\"..\"  autogenerate the next numbered revision after a spec change"
	@echo "make check-migrations  fail if the models and the committed revisions disagree"
	@echo "make lint              ruff check, ruff format --check, mypy, check-generated"
	@echo "make format            ruff format and import sorting (generated/ is left alone)"
	@echo "make clean             remove the virtualenv, caches and the local SQLite database"

# A changed lock rebuilds the virtualenv from scratch, so it holds exactly what the lock says
# (nothing left over from an earlier lock); pip checks every file's hash. A changed
# pyproject.toml only reinstalls the project itself.
$(LOCKED): $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "error: Python 3.11+ is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	@touch $(LOCKED)

$(STAMP): $(LOCKED) pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check || { echo 'pyproject.toml needs what $(LOCK) lacks: run `make lock`'; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

$(UV_STAMP):
	$(PYTHON) -m venv --clear $(UV_VENV)
	$(UV_VENV)/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'
	@touch $(UV_STAMP)

# The superset first; the subsets are constrained by it, so a package has one version in all three.
lock: $(UV_STAMP)
	$(UV_VENV)/bin/uv pip compile pyproject.toml --extra generator --group dev $(UV_COMPILE) $(LOCK_ARGS) -o requirements/dev.txt
	$(UV_VENV)/bin/uv pip compile pyproject.toml --extra generator -c requirements/dev.txt $(UV_COMPILE) -o requirements/generator.txt
	$(UV_VENV)/bin/uv pip compile pyproject.toml -c requirements/dev.txt $(UV_COMPILE) -o requirements/app.txt

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
	$(BIN)/uvicorn app.main:app --host $(HOST) --port $(PORT) --workers $(WORKERS) --timeout-graceful-shutdown 10 --no-access-log

test: generate
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Fresh random owners only: the rows of every other owner are never read or written. The tests
# leave their own rows behind (under owners named owner-*/other-*).
contract: $(STAMP)
	@test -n "$(BASE_URL)" || { echo 'usage: make contract BASE_URL=https://host[/prefix]'; exit 2; }
	CONTRACT_BASE_URL="$(BASE_URL)" $(BIN)/python -m pytest generated/tests -p no:cacheprovider $(PYTEST_ARGS)

scale: $(STAMP)
	$(BIN)/python -m tests.examples.scale

bench: generate
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m generator --check

format: $(STAMP)
	$(BIN)/ruff check --fix --select I . --exclude generated
	$(BIN)/ruff format . --exclude generated

clean:
	rm -rf $(VENV) $(UV_VENV) .pytest_cache .mypy_cache .ruff_cache data *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
