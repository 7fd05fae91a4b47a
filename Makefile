# The two commands the README shows: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv/bin
export ROUTERLAB_DATA_MIRROR ?= $(abspath ../shared/data)
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false

.PHONY: setup run test lint typecheck pytest doctor report

setup: .venv/.routerlab-installed

.venv/.routerlab-installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

## Set up and run every notebook (offline profile) into outputs/notebooks/, then render them as
## the HTML report in outputs/report/ (browser-checked, with a screenshot, where Chromium is
## installed: `make report` or .ci/run install it).
run: setup
	$(VENV)/routerlab doctor --profile offline
	$(VENV)/routerlab notebooks --profile offline --params default
	$(VENV)/routerlab report $$(test -x /usr/bin/chromium && echo --screenshot)

## Render the executed notebooks (outputs/notebooks) to a static HTML site in outputs/report/,
## checked in headless Chromium, with a screenshot of the index (outputs/report/index.png).
report: setup
	$(VENV)/routerlab report --screenshot

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
