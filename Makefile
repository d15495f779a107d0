# bpbench: `make demo` for a first report, `make test` for the test suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXP    ?= experiments/demo.yaml
OUT    ?= results
BACKEND ?=
INSTALLED := $(VENV)/.installed

.PHONY: help setup setup-browser setup-containers compose engine engine-down images demo up down run simulate report paper paper-full test test-unit test-containers test-e2e bench-report bench-overhead bench-generator bench-simulator bench-soak bench-controllers docs lint format \
	lock-jars lock-python clean distclean

help:
	@echo "make demo                 set up if needed, run experiments/demo.yaml, print the report path"
	@echo "make test                 unit and integration tests (real Kafka, real Spark)"
	@echo "make setup                virtualenv, Python packages, locked jars, JVM helper (idempotent)"
	@echo "make run EXP=FILE [OUT=results] [BACKEND=local|compose|external]"
	@echo "make demo BACKEND=compose  the demo in containers (Docker with Compose v2; see docs/backends.md)"
	@echo "make setup-containers     Debian's docker.io and mmdebstrap (root), Docker Compose built from Go"
	@echo "make engine | engine-down the project's own dockerd (when no engine answers), started / stopped"
	@echo "make images               the compose backend's images, built here without a registry"
	@echo "make test-containers      only the compose backend's tests on a real engine (about 10 minutes)"
	@echo "make up [EXP=FILE]        Kafka and Spark in containers, sized from EXP's platform; prints addresses"
	@echo "make down [VOLUMES=1]     remove the containers and network of make up (volumes only when asked)"
	@echo "make report RESULTS=DIR [REPORT=report.html]"
	@echo "make paper                the reduced Sensors 2022 set, 3 repetitions (about 75 minutes here), then its report"
	@echo "make paper-full           the whole scaled Sensors 2022 set, 3 repetitions of 300 s (a night)"
	@echo "make bench-report         time and memory of building a report for 24 half-hour runs"
	@echo "make bench-generator      generator vs Kafka's ProducerPerformance, and schedule fidelity (3-5 min)"
	@echo "make bench-overhead       what the collectors cost, here and in the driver and broker (about 15 minutes)"
	@echo "make bench-simulator      real runs vs simulated ones (errors against goals) and the simulator's speed (about 10 minutes)"
	@echo "make bench-soak           the harness's own memory and open descriptors over one 30-minute run (about 35 minutes)"
	@echo "make bench-controllers    each rate controller's own time per batch, on experiments/controllers (about 45 minutes)"
	@echo "make simulate EXP=FILE CALIBRATE=RUN_DIR [SIMOUT=results-sim]  simulate a manifest from a recorded run"
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

# The compose backend's tools: Debian's docker.io (client and dockerd) and mmdebstrap (the images'
# Debian base) where missing (needs root), and Docker Compose built from its pinned Go module where
# `docker compose` is missing.
setup-containers:
	@if ! command -v docker >/dev/null 2>&1 || ! command -v dockerd >/dev/null 2>&1 || ! command -v mmdebstrap >/dev/null 2>&1; then \
	  if [ "$$(id -u)" != 0 ]; then echo "error: install docker.io and mmdebstrap (as root: apt-get install docker.io mmdebstrap)"; exit 2; fi; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io mmdebstrap; \
	fi
	@docker compose version >/dev/null 2>&1 || $(MAKE) --no-print-directory compose

compose:
	infra/engine/build-compose.sh

engine: $(INSTALLED) setup-containers
	$(BIN)/bpbench engine up

engine-down: $(INSTALLED)
	$(BIN)/bpbench engine down

images: setup engine
	$(BIN)/bpbench images

demo: setup $(if $(filter compose,$(BACKEND)),setup-containers)
	$(BIN)/bpbench run experiments/demo.yaml --out $(OUT) $(if $(BACKEND),--backend $(BACKEND))

# Kafka and Spark in containers (Docker with Compose v2); `make down VOLUMES=1` also drops volumes.
up: setup setup-containers
	$(BIN)/bpbench up --backend compose $(if $(EXP),--manifest $(EXP))

down: $(INSTALLED)
	$(BIN)/bpbench down --backend compose $(if $(VOLUMES),--volumes)

run: setup $(if $(filter compose,$(BACKEND)),setup-containers)
	$(BIN)/bpbench run $(EXP) --out $(OUT) $(if $(BACKEND),--backend $(BACKEND))

paper: setup
	$(BIN)/bpbench run experiments/sensors2022/reduced.yaml --out $(OUT)

paper-full: setup
	$(BIN)/bpbench run experiments/sensors2022/full.yaml --out $(OUT)

report: $(INSTALLED)
	@test -n "$(RESULTS)" || { echo "error: name the results with RESULTS=DIR"; exit 2; }
	$(BIN)/bpbench report $(RESULTS) -o $(or $(REPORT),$(RESULTS)/report.html)

test: setup
	$(BIN)/pytest

test-unit: $(INSTALLED)
	$(BIN)/pytest tests/unit

# The compose backend on a real engine (the project's own when none answers): about 10 minutes here.
# `make test` runs them too wherever Docker is usable (BPBENCH_CONTAINER_TESTS=0 skips them).
test-containers: setup setup-containers
	$(BIN)/pytest tests/integration/test_compose_backend.py

test-e2e: $(INSTALLED)
	$(BIN)/pytest tests/e2e

# Debian's chromium, for the browser test of the report (needs root or sudo; CI runs it).
setup-browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

bench-report: $(INSTALLED)
	$(BIN)/python benchmarks/report_bench.py

bench-overhead: setup
	$(BIN)/python benchmarks/overhead_bench.py

bench-generator: setup
	$(BIN)/python benchmarks/generator_bench.py

bench-simulator: setup
	$(BIN)/python benchmarks/simulator_bench.py

bench-soak: setup
	$(BIN)/python benchmarks/soak_bench.py

bench-controllers: setup
	$(BIN)/python benchmarks/controllers_bench.py --work $(OUT)

simulate: $(INSTALLED)
	@test -n "$(CALIBRATE)" || { echo "error: name a recorded run with CALIBRATE=RUN_DIR"; exit 2; }
	$(BIN)/bpbench simulate $(EXP) --calibrate $(CALIBRATE) --out $(or $(SIMOUT),results-sim)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The manifest reference is generated from the schema (a unit test fails when it is stale).
docs: $(INSTALLED)
	$(BIN)/python -m harness.spec.reference > docs/manifest.md

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
