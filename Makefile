# The single entry point: the README's commands, CI's command and a developer's command are these.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# 1 (default, and CI): `unit` runs pytest against a throwaway PostgreSQL that scripts/postgres.sh
# starts and always stops; 0: no server, the PostgreSQL tests skip with their reason.
POSTGRES ?= 1

.PHONY: run report test lint typecheck imports unit bench bench-quick bench-complexity bench-scenarios builtin clean help

help:
	@echo "make run    - set up, print the EAEU value-chain report on the built-in data, then serve"
	@echo "              the web interface at http://127.0.0.1:8000 (Ctrl-C stops it)"
	@echo "make report - only the report"
	@echo "make test   - set up and run ruff, mypy, import contracts and the test suite"
	@echo "make bench  - run the benchmarks (figures go to BENCHMARKS.md by hand)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job: the EAEU value-chain report on the built-in data, then the web interface on it
# (with the registry's cited seed loaded; idempotent) at http://127.0.0.1:8000 until Ctrl-C.
run: $(STAMP)
	$(BIN)/karavan report
	$(BIN)/karavan registry seed
	@echo "Karavan web interface: http://127.0.0.1:8000 (Ctrl-C stops it)"
	$(BIN)/karavan serve --host 127.0.0.1 --port 8000

# Only the report (exits).
report: $(STAMP)
	$(BIN)/karavan report

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP) browser-deps
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
	$(BIN)/python scripts/build_product_space_layout.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Registry benchmarks (issue 6): 1,000,000 organisations (and a product each) on SQLite, the
# loopback load test over that database, then the same on a throwaway PostgreSQL. 20 to 30
# minutes on 2 cores; `make bench-registry REGISTRY_BENCH_ARGS=--quick
# REGISTRY_LOAD_ARGS="--duration 5"` (20,000 organisations) in about 2.
REGISTRY_BENCH_DB ?= /tmp/karavan-registry-bench.sqlite3
REGISTRY_BENCH_ARGS ?=
REGISTRY_LOAD_ARGS ?=
.PHONY: bench-registry
bench-registry: $(STAMP)
	rm -f $(REGISTRY_BENCH_DB) $(REGISTRY_BENCH_DB)-wal $(REGISTRY_BENCH_DB)-shm
	$(BIN)/python benchmarks/bench_registry.py $(REGISTRY_BENCH_ARGS) --keep $(REGISTRY_BENCH_DB)
	$(BIN)/python benchmarks/bench_load.py $(REGISTRY_LOAD_ARGS) --database $(REGISTRY_BENCH_DB)
	rm -f $(REGISTRY_BENCH_DB) $(REGISTRY_BENCH_DB)-wal $(REGISTRY_BENCH_DB)-shm
	bash scripts/postgres.sh run -- sh -c '$(BIN)/python benchmarks/bench_registry.py \
		$(REGISTRY_BENCH_ARGS) --backend postgresql && \
		$(BIN)/python benchmarks/bench_load.py $(REGISTRY_LOAD_ARGS)'

# Matching (issue 7): precision@5 / recall@10 on the labelled set and Matcher.match latency at
# 1,000,000 organisations. MATCHING_BENCH_ARGS="--organisations 20000" for a quick run.
MATCHING_BENCH_ARGS ?=
.PHONY: bench-matching
bench-matching: $(STAMP)
	$(BIN)/python benchmarks/bench_matching.py $(MATCHING_BENCH_ARGS)

# Browser tests (issue 9): Playwright drives Debian's Chromium (never `playwright install`, which
# downloads browsers). Installs the OS package when /usr/bin/chromium is missing (as root; else
# says how), and `unit` then requires the browser tests to run instead of skipping them.
CHROMIUM ?= /usr/bin/chromium
.PHONY: browser-deps
browser-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
		else \
			echo "browser-deps: $(CHROMIUM) is missing; run as root: apt-get install -y --no-install-recommends chromium" >&2; \
			exit 1; \
		fi; \
	fi
unit: export KARAVAN_REQUIRE_BROWSER = 1

# First render of each web page on the built-in data (server side and in Chromium), against the
# 1 s target; figures go to BENCHMARKS.md ("Web pages") by hand.
.PHONY: bench-pages
bench-pages: $(STAMP) browser-deps
	$(BIN)/python benchmarks/bench_pages.py
