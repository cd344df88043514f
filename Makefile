# hemei-tools: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := data/demo
SEED ?= 2023

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-17s %s\n", $$1, $$2}'

env: $(STAMP) ## Create .venv and install the package with its dev extras (uv if it installs, else pip)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install -q uv >/dev/null 2>&1; then \
	  echo "installing with uv"; $(BIN)/python -m uv pip install --python $(BIN)/python -q -e '.[dev]'; \
	else \
	  echo "uv unavailable: installing with pip"; $(BIN)/python -m pip install -q -e '.[dev]'; \
	fi
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@touch $(STAMP)

demo: $(STAMP) ## Generate the synthetic Tongling demo data into data/demo
	@test -f $(DEMO)/villages.csv || $(BIN)/hemei demo --out $(DEMO) --seed $(SEED)

reports: demo ## Set up, generate demo data and build the county reports into outputs/
	$(BIN)/hemei validate $(DEMO)
	$(BIN)/hemei batch --data $(DEMO) --out outputs/demo

PROVINCE := data/demo-anhui

reports-province: $(STAMP) ## Anhui-scale demo (16 cities, 114 counties): province, city and county reports in outputs/
	@test -f $(PROVINCE)/villages.parquet || $(BIN)/hemei demo --scale anhui --out $(PROVINCE) --seed $(SEED)
	$(BIN)/hemei batch --data $(PROVINCE) --out outputs/demo-anhui --level city,county

test: $(STAMP) ## Set up and run the whole test suite (the process-fault tests run on their own, after)
	$(BIN)/python -m pytest -n 2 -q -m "not serial"
	$(BIN)/python -m pytest -q -m serial

lint: $(STAMP) ## ruff over the package, tests and benchmarks
	$(BIN)/ruff check hemei_tools tests benchmarks

clean: ## Remove outputs and generated demo data (keeps .venv)
	rm -rf outputs/* $(DEMO) $(PROVINCE)

.PHONY: help env demo reports reports-province test lint clean
