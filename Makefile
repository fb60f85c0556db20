# The single entry point: the README's commands, CI's command and a developer's command are these.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# 1 (default, and CI): `unit` runs pytest against a throwaway PostgreSQL that scripts/postgres.sh
# starts and always stops; 0: no server, the PostgreSQL tests skip with their reason.
POSTGRES ?= 1

.PHONY: run test lint typecheck imports unit bench bench-quick bench-complexity bench-scenarios builtin clean help

help:
	@echo "make run    - set up and print the EAEU value-chain report on the built-in data"
	@echo "make test   - set up and run ruff, mypy, import contracts and the test suite"
	@echo "make bench  - run the benchmarks (figures go to BENCHMARKS.md by hand)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/karavan report

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
ifeq ($(POSTGRES),0)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
else
	bash scripts/postgres.sh run -- $(BIN)/python -m pytest $(PYTEST_ARGS)
endif

test: lint typecheck imports unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick

bench-complexity: $(STAMP)
	$(BIN)/python benchmarks/bench_complexity.py

bench-scenarios: $(STAMP)
	$(BIN)/python benchmarks/bench_scenarios.py

# Rebuild the committed built-in dataset from ../shared/data (not needed to use Karavan).
builtin: $(STAMP)
	$(BIN)/python scripts/build_wiod_sectors.py
	$(BIN)/python scripts/build_builtin.py
	$(BIN)/python scripts/build_trade.py
	$(BIN)/python scripts/build_classifications.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
