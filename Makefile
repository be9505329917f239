# Setup, demo and tests. `make demo` sets up .venv with what the embedded default needs and runs it;
# `make test` adds every other extra and the browser the page tests drive. Timings: docs/setup_time.md.
#
# uv (from PyPI) installs, resolving once and downloading in parallel, while llama.cpp compiles. llama.cpp
# is compiled once per machine into a wheel in the cache folder, keyed by its version and build flags;
# every later setup (`make test` after `make demo`, another clone) installs that wheel in seconds.
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
TORCH := torch==2.13.0
DEMO_EXTRAS := local,ocr,safety
ALL_EXTRAS := local,openai,gpu,studio,server,distill,ocr,ray,safety,dev
CHROMIUM := /usr/bin/chromium
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/storypainter
# llama.cpp: portable flags (the native build crashes on some CPUs), and only the libraries that the
# bindings load. LLAVA_BUILD=OFF drops the multimodal library; NO_COMMON turns off llama.cpp's
# "common" library (its CLI helpers and HTTP client), which llama-cpp-python forces on but never
# loads. Tools, examples, tests and server are already off in a sub-build.
LLAMA := llama-cpp-python==0.3.36
NO_COMMON := $(CACHE)/llama-no-common.cmake
LLAMA_FLAGS := -DGGML_NATIVE=OFF -DGGML_AMX=OFF -DLLAVA_BUILD=OFF -DCMAKE_PROJECT_llama.cpp_INCLUDE=$(NO_COMMON)
WHEELS := $(CACHE)/wheels/llama-$(shell echo '$(LLAMA) $(LLAMA_FLAGS)' | sha1sum | cut -c1-12)
# uv reads neither pip's configuration nor its environment: hand it pip's wheel folder and constraints
# where a machine has them (so that torch stays the local CPU build); read only when installing.
pip_setting = $(shell python3 -m pip config list 2>/dev/null | sed -n "s/^\(:env:\|global\)\.$(1)='\(.*\)'$$/\2/p" | head -1)
INSTALL = UV_FIND_LINKS="$(call pip_setting,find-links)" UV_CONSTRAINT="$(call pip_setting,constraint)" \
	$(UV) pip install -q --python $(PY) $(TORCH)
# While llama.cpp compiles, uv installs everything else: an override whose marker is never true drops
# llama-cpp-python from that first install; the second one adds the cached wheel (seconds).
NO_LLAMA := $(CACHE)/no-llama.txt
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
# independent steps (the compile, the other packages, chromium) run side by side
MAKEFLAGS += --jobs=3

.PHONY: setup setup-demo demo test lint bench

# The venv has no pip of its own (seconds saved on every clone): the system's pip puts uv into it.
$(PY):
	python3 -m venv --without-pip $(VENV)

$(UV): | $(PY)  # a .venv made before uv keeps its packages
	python3 -m pip --python $(PY) install -q uv

$(NO_COMMON):
	mkdir -p $(@D)
	echo 'set(LLAMA_BUILD_COMMON OFF)  # a normal variable shadows the cache entry that is forced on' > $@

$(NO_LLAMA):
	mkdir -p $(@D)
	echo 'llama-cpp-python ; sys_platform == "never"' > $@

# pip's wheel cache would not tell these flags apart, hence --no-cache-dir; the folder is the cache.
$(WHEELS): | $(NO_COMMON)
	rm -rf $@.$$$$ && CMAKE_ARGS="$(LLAMA_FLAGS)" python3 -m pip wheel -q --no-deps --no-cache-dir -w $@.$$$$ $(LLAMA) \
		&& { mv -T $@.$$$$ $@ || rm -rf $@.$$$$; }  # another clone may have built it meanwhile

$(VENV)/.demo-deps: pyproject.toml | $(UV) $(NO_LLAMA)
	$(INSTALL) --overrides $(NO_LLAMA) -e ".[$(DEMO_EXTRAS)]"
	touch $@

$(VENV)/.demo: $(VENV)/.demo-deps | $(WHEELS)
	$(INSTALL) $(WHEELS)/*.whl -e ".[$(DEMO_EXTRAS)]"
	touch $@

$(VENV)/.deps: pyproject.toml | $(UV) $(NO_LLAMA)
	$(INSTALL) --overrides $(NO_LLAMA) -e ".[$(ALL_EXTRAS)]"
	touch $@

$(VENV)/.installed: $(VENV)/.deps | $(WHEELS)
	$(INSTALL) $(WHEELS)/*.whl -e ".[$(ALL_EXTRAS)]"
	touch $(VENV)/.demo-deps $(VENV)/.demo $@  # every extra holds the demo's: make demo after make test installs nothing

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

setup-demo: $(VENV)/.demo

setup: $(VENV)/.installed $(CHROMIUM)

demo: setup-demo
	$(VENV)/bin/storypainter generate "a rainy bus stop"

# Tests side by side (many wait on processes); idle workers take queued ones. uv installs no bytecode, and where
# the environment sets PYTHONDONTWRITEBYTECODE every test's fresh process (CLI runs, servers, Ray workers) would
# compile torch, transformers and the rest from source again: the tests' processes write it once instead.
test: setup
	PYTHONDONTWRITEBYTECODE= STORYPAINTER_NO_SKIPS=1 $(PY) -m pytest -q -n 3 --dist worksteal

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/embedded_default.py
