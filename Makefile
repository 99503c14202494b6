# Nemo Server: `make up` runs everything on this machine; `make test` runs the suite on both store backends.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NEMO_INSTALLED := $(VENV)/.installed-nemo
# The suite's PostgreSQL server (each run creates and drops its own database there).
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: up test lint format system-deps models clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps Resemblyzer==0.1.4
	touch $@

# NeMo's requirements cannot be resolved together with the rest in one pip run (the resolver gives up), so
# it is installed on top, as its own step; the suite runs against exactly this environment.
$(NEMO_INSTALLED): $(INSTALLED)
	$(BIN)/pip install --quiet 'nemo_toolkit[asr]==3.0.0'
	touch $@

models: $(INSTALLED)
	$(BIN)/nemoctl models --verify

up: $(INSTALLED)
	$(BIN)/nemoctl up

system-deps:
	bash deploy/system-deps.sh

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(NEMO_INSTALLED) system-deps lint
	OMP_WAIT_POLICY=PASSIVE NEMO_TEST_STORE=sqlcipher $(BIN)/pytest -q
	OMP_WAIT_POLICY=PASSIVE NEMO_TEST_STORE=postgres NEMO_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -q

clean:
	rm -rf $(VENV) models/cache
