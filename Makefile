# Two commands on a fresh machine:  make demo  |  make test
# Setup is idempotent: each step reruns only when its inputs change (stamp files under .venv/ and node_modules/).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY_STAMP  := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
CONTRACTS := $(shell find contracts -name '*.sol' 2>/dev/null)
COMPILED  := build/contracts/.inputs
PYTEST_ARGS ?=

.PHONY: setup demo test lint format bench degenbot-venv lock devnet clean help

help:
	@echo "make demo   set everything up, run the market maker on generated flow on the built-in chain"
	@echo "make test   set everything up, run the whole test suite"
	@echo "make lint | format | bench | lock | devnet | clean"

setup: $(PY_STAMP) $(NPM_STAMP) $(COMPILED)

$(PY_STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-cache-dir --upgrade pip
	$(BIN)/python -m pip install --quiet --no-cache-dir -c requirements.lock -e ".[dev,cluster]"
	@touch $@

# Installs keep no download caches (pip --no-cache-dir, npm's cache in a scratch dir removed afterwards): CI
# machines can be short of disk, and the caches would double what the environments take. For the same reason
# hardhat goes once installed: two artifact packages (@uniswap/swap-router-contracts, @balancer-labs/
# v2-deployments) depend on it, it brings every platform's EDR binary (~230 MB), and nothing here runs it.
$(NPM_STAMP): package.json package-lock.json
	cache=$$(mktemp -d) && npm ci --no-audit --no-fund --loglevel=error --cache "$$cache"; status=$$?; \
	  rm -rf "$$cache"; exit $$status
	rm -rf node_modules/hardhat node_modules/@nomicfoundation
	@touch $@

$(COMPILED): $(NPM_STAMP) $(CONTRACTS) scripts/compile_contracts.mjs
	node scripts/compile_contracts.mjs

devnet: setup
	$(BIN)/amm devnet build

demo: devnet
	$(BIN)/solver run --blocks 10 --seed 1

test: devnet
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: devnet degenbot-venv
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# degenbot, the peer bench_quote.py measures side by side, needs Python >= 3.12 and web3 < 8: its own venv,
# made only where a working python3.12 exists (on PATH, or a pyenv 3.12; bench_quote.py says so otherwise).
DEGENBOT_VENV := .venv-degenbot
degenbot-venv:
	@py=""; for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
	  if $$p -c pass >/dev/null 2>&1; then py=$$p; break; fi; done; \
	if [ -z "$$py" ]; then echo "no python3.12: degenbot is not measured"; exit 0; fi; \
	test -x $(DEGENBOT_VENV)/bin/python || $$py -m venv $(DEGENBOT_VENV); \
	test -f $(DEGENBOT_VENV)/.installed || { $(DEGENBOT_VENV)/bin/python -m pip install --quiet \
	  "degenbot==0.5.0" "web3>=7,<8" "sqlalchemy>=2,<2.1" && touch $(DEGENBOT_VENV)/.installed; }

# Refresh the Python lockfile after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/amm-lock-venv && $(PYTHON) -m venv /tmp/amm-lock-venv
	/tmp/amm-lock-venv/bin/python -m pip install --quiet --upgrade pip
	/tmp/amm-lock-venv/bin/python -m pip install --quiet -e ".[dev,cluster]"
	/tmp/amm-lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf /tmp/amm-lock-venv

clean:
	rm -rf build .pytest_cache .ruff_cache .hypothesis
