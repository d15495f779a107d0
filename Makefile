# bpbench: `make demo` for a first report, `make test` for the test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXP    ?= experiments/demo.yaml
OUT    ?= results
BACKEND ?=
INSTALLED := $(VENV)/.installed

.PHONY: help setup demo run report test test-unit lint format lock-jars lock-python clean distclean

help:
	@echo "make demo                 set up if needed, run experiments/demo.yaml, print the report path"
	@echo "make test                 unit and integration tests (real Kafka, real Spark)"
	@echo "make setup                virtualenv, Python packages, locked jars, JVM helper (idempotent)"
	@echo "make run EXP=FILE [OUT=results] [BACKEND=local]"
	@echo "make report RESULTS=DIR [REPORT=report.html]"
	@echo "make lint | format | lock-jars | lock-python | clean | distclean"

$(INSTALLED): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "error: bpbench needs Python 3.11 or newer ($(PYTHON) is $$($(PYTHON) --version 2>&1)); set PYTHON=python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

setup: $(INSTALLED)
	$(BIN)/bpbench setup

demo: setup
	$(BIN)/bpbench run experiments/demo.yaml --out $(OUT)

run: setup
	$(BIN)/bpbench run $(EXP) --out $(OUT) $(if $(BACKEND),--backend $(BACKEND))

report: $(INSTALLED)
	@test -n "$(RESULTS)" || { echo "error: name the results with RESULTS=DIR"; exit 2; }
	$(BIN)/bpbench report $(RESULTS) -o $(or $(REPORT),$(RESULTS)/report.html)

test: setup
	$(BIN)/pytest

test-unit: $(INSTALLED)
	$(BIN)/pytest tests/unit

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock-jars: $(INSTALLED)
	$(BIN)/bpbench lock-jars

# Pins every Python package of the dev environment; `make setup` installs within these pins.
lock-python: $(INSTALLED)
	$(BIN)/pip freeze --exclude-editable | grep -v '^bpbench' > requirements.lock

clean:
	rm -rf $(VENV) results apps/jvm/target *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $${BPBENCH_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/bpbench}
