# Two commands: `make demo` and `make test`. Everything else is installed by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The real prices beside the checkout, when they are there (see README.md, "Data").
DATA   ?= $(if $(wildcard ../shared/data/prices/daily.csv),../shared/data/prices,)
OUT    ?= out/deepseek
export IPPOSAKI_STORE ?= out/store.duckdb

.PHONY: demo test install install-dev lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[yahoo]"
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[yahoo,dask,dev]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/ipposaki demo --out $(OUT) $(if $(DATA),--data $(DATA),)

lint: install-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: install-dev
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
