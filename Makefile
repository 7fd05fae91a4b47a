# The two commands the README shows: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin
export ROUTERLAB_DATA_MIRROR ?= $(abspath ../shared/data)
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup run test lint typecheck pytest doctor

setup: .venv/.routerlab-installed

.venv/.routerlab-installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

## Set up and run every notebook (offline profile) into outputs/notebooks/.
run: setup
	$(VENV)/routerlab doctor --profile offline
	$(VENV)/routerlab notebooks --profile offline --params default

## Set up and pass the checks: lint, types, tests (including notebooks with small parameters).
test: setup lint typecheck pytest

lint:
	$(VENV)/ruff check src tests benchmarks
	$(VENV)/ruff format --check src tests benchmarks

typecheck:
	$(VENV)/mypy

pytest:
	$(VENV)/pytest -q

doctor: setup
	$(VENV)/routerlab doctor --profile offline
