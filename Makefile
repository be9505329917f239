# Setup, demo and tests. `make demo` sets up .venv with what the embedded default needs and runs it;
# `make test` adds every other extra and the browser the page tests drive. Timings: docs/setup_time.md.
#
# uv (from PyPI) installs, resolving once and downloading in parallel. llama.cpp is compiled once per
# machine into a wheel in the cache folder, keyed by its version and build flags; every later setup
# (`make test` after `make demo`, another clone) installs that wheel in seconds.
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
	$(UV) pip install -q --python $(PY) $(TORCH) $(WHEELS)/*.whl
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: setup setup-demo demo test lint bench

$(UV):  # a .venv made before uv keeps its packages
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q uv

$(NO_COMMON):
	mkdir -p $(@D)
	echo 'set(LLAMA_BUILD_COMMON OFF)  # a normal variable shadows the cache entry that is forced on' > $@

# pip's wheel cache would not tell these flags apart, hence --no-cache-dir; the folder is the cache.
$(WHEELS): | $(NO_COMMON) $(UV)
	rm -rf $@.$$$$ && CMAKE_ARGS="$(LLAMA_FLAGS)" $(PY) -m pip wheel -q --no-deps --no-cache-dir -w $@.$$$$ $(LLAMA) \
		&& { mv -T $@.$$$$ $@ || rm -rf $@.$$$$; }  # another clone may have built it meanwhile

$(VENV)/.demo: pyproject.toml | $(WHEELS) $(UV)
	$(INSTALL) -e ".[$(DEMO_EXTRAS)]"
	touch $@

$(VENV)/.installed: pyproject.toml | $(WHEELS) $(UV)
	$(INSTALL) -e ".[$(ALL_EXTRAS)]"
	touch $@ $(VENV)/.demo

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

setup-demo: $(VENV)/.demo

setup: $(VENV)/.installed $(CHROMIUM)

demo: setup-demo
	$(VENV)/bin/storypainter generate "a rainy bus stop"

test: setup
	STORYPAINTER_NO_SKIPS=1 $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) benchmarks/embedded_default.py
