# Setup, demo and tests. `make demo` and `make test` each set up .venv on first use.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0
LLAMA := llama-cpp-python==0.3.36
# llama.cpp's native build crashes on some CPUs; this portable build is safe everywhere.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AMX=OFF
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: setup demo test lint bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(TORCH)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q --no-cache-dir $(LLAMA)
	$(PY) -m pip install -q -e ".[local,openai,gpu,studio,server,distill,ocr,ray,safety,dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(VENV)/bin/storypainter generate "a rainy bus stop"

test: setup
	STORYPAINTER_NO_SKIPS=1 $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/embedded_default.py
