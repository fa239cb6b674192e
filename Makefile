# Two commands: `make demo` and `make test`. Everything else is installed by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The real prices beside the checkout, when they are there (see README.md, "Data").
DATA   ?= $(if $(wildcard ../shared/data/prices/daily.csv),../shared/data/prices,)
OUT    ?= out/deepseek
export IPPOSAKI_STORE ?= out/store.duckdb

.PHONY: demo test test-fast install install-dev system-deps lint typecheck pytest bench clean

# Debian packages the report needs: Chromium for the browser test, Noto CJK for Japanese charts.
SYSTEM_PKGS := chromium fonts-noto-cjk
NOTO_CJK    := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

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

system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || [ ! -f $(NOTO_CJK) ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "installing Debian packages: $(SYSTEM_PKGS)"; \
	  ( $$SUDO apt-get install -y -q --no-install-recommends $(SYSTEM_PKGS) >/dev/null 2>&1 \
	    || ( $$SUDO apt-get update -q >/dev/null 2>&1 \
	         && $$SUDO apt-get install -y -q --no-install-recommends $(SYSTEM_PKGS) >/dev/null 2>&1 ) ) \
	  || echo "warning: could not install $(SYSTEM_PKGS): Japanese charts lack glyphs and the browser test is skipped"; \
	fi

demo: install system-deps
	$(BIN)/ipposaki demo --out $(OUT) $(if $(DATA),--data $(DATA),)

lint: install-dev
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: install-dev
	$(BIN)/mypy

# The suite on one BLAS/OpenMP thread (tests/conftest.py pins the same), with the 20 slowest
# tests and the whole run's wall time at the end.
PYTEST := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	$(BIN)/python -m pytest -q --durations=20

pytest: install-dev system-deps
	$(PYTEST)

test: lint typecheck pytest

# The inner loop: every test but those marked slow (browser, Dask, full pipelines, Monte Carlo).
test-fast: install-dev
	$(PYTEST) -m "not slow"

bench: install-dev
	$(BIN)/python benchmarks/bench_store.py

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache
