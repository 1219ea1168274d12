# SRDH — the README's two commands are `make up` and `make test`.
# Everything they need is installed here; nothing is expected on the machine but
# Python 3.11, make and the package registries.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv is taken from PATH, or bootstrapped into .tools/ on first use.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
export UV_LINK_MODE ?= copy
export SRDH_HOME ?= $(CURDIR)/.srdh
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RESIDENTS ?= 20000
SEED ?= 42
LANDING ?=
# CI has 2 cores; each worker builds its own session fixtures, so more is not faster there
TEST_WORKERS ?= 2

.PHONY: help install install-pipeline install-bi install-browser up down test lint benchmark screenshots clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check 'uv==0.13.9'

install: install-pipeline install-bi install-browser ## install both environments and the test browser

install-pipeline: $(UV) ## the pipeline environment (.venv): Airflow, dbt, Splink, GX, DuckDB
	$(UV) sync --frozen

install-bi: $(UV) ## the BI environment (dashboards/.venv): Superset + duckdb-engine
	cd dashboards && $(UV) sync --frozen

install-browser: ## Debian's Chromium for the dashboard rendering tests (skipped when present)
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then echo "chromium: $$(/usr/bin/chromium --version 2>/dev/null)"; \
	else $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-core >/dev/null; fi

up: install ## generate a demo state (unless LANDING=dir), run the pipeline, serve the UIs
	./scripts/up.sh "$(LANDING)" "$(RESIDENTS)" "$(SEED)"

down: ## stop Airflow and Superset started by `make up`
	-$(UV) run --frozen srdh airflow stop
	-dashboards/.venv/bin/python dashboards/manage.py stop

test: install ## run the whole test suite (TEST_WORKERS=2 pytest-xdist workers; 0 for one process)
	$(UV) run --frozen pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

lint: install-pipeline ## ruff over the Python code
	$(UV) run --frozen ruff check .

benchmark: install-pipeline ## run the benchmarks and rewrite BENCHMARKS.md
	$(UV) run --frozen --group bench python benchmarks/run_all.py

screenshots: install ## regenerate docs/screenshots from a fresh demo state (RESIDENTS, SEED; ~9 min)
	./scripts/screenshots.sh "$(RESIDENTS)" "$(SEED)"

clean: ## remove generated state (.srdh/); keeps the environments
	rm -rf .srdh
