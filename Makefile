# Epitome - the commands a person runs. Debian bookworm, as root (or with sudo for apt).
# `make demo` and `make test` install whatever is missing themselves. Only `make install` (and `make uninstall`)
# change your QGIS profile; `make demo` runs in a throwaway profile under $(DEMO_DIR)/.

SHELL        := /bin/bash
PY           := /usr/bin/python3
PROFILE_DIR  ?= $(HOME)/.local/share/QGIS/QGIS3/profiles/default
PLUGIN_DIR   ?= $(PROFILE_DIR)/python/plugins/epitome
DEPS_DIR     ?= $(PROFILE_DIR)/python/epitome-deps
# Which PyTorch: plugin/install/torch_builds.py decides per Python and platform (the installer dialog reads the
# same table); TORCH_VARIANT=cu128 etc. for a CUDA build.
TORCH_VARIANT ?= cpu
TORCH_BUILDS := $(PY) plugin/install/torch_builds.py
VENV         := .venv
QGIS_PROCESS := QT_QPA_PLATFORM=offscreen /usr/bin/qgis_process.bin
DEMO_DIR     ?= demo-output
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS     := qgis python3-qgis qgis-providers gdal-bin python3-gdal python3-venv python3-pip \
                python3-matplotlib xvfb zip unzip pyqt5-dev-tools
TS           := i18n/epitome.ts


.PHONY: gpu-check
.PHONY: help system-deps torch-deps dask-deps test-deps install uninstall demo test lint test-main test-py39 test-core bench \
        bench-training bench-epitome package models ts clean

help:
	@echo "make demo     - install what is missing, run the plugin on a generated scene (qgis_process, throwaway profile)"
	@echo "make test     - install what is missing, lint (ruff), run all tests (then the core tests under Python 3.9 and the oldest PyTorch)"
	@echo "make lint     - ruff check (ruff.toml: pyflakes, pycodestyle, naming, import order)"
	@echo "make install  - plugin + PyTorch for the QGIS desktop and qgis_process (current user's QGIS profile)"
	@echo "make package  - plugin zip for the QGIS plugin repository (dist/)"
	@echo "make bench    - benchmarks, results in docs/BENCHMARKS.md"
	@echo "make bench-training - training benchmarks, results in docs/BENCHMARKS_TRAINING.md"
	@echo "make bench-epitome - trained epitomes (embed, epitomic LSR, predict), results in docs/BENCHMARKS_EPITOME.md"
	@echo "make ts       - regenerate the translation template $(TS) (pylupdate5)"
	@echo "make models   - regenerate the example graphical models in resources/models/"

# --- dependencies -------------------------------------------------------------------------------
system-deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# PyTorch goes into a plugin-managed folder that the plugin puts on QGIS's sys.path at load: the build the
# installer dialog would choose for this Python (the CPU build from download.pytorch.org/whl/cpu on Linux, never
# PyPI's CUDA default). numpy and GDAL stay QGIS's own: torch does not depend on numpy, and nothing here upgrades it.
torch-deps: system-deps
	@if PYTHONPATH=$(DEPS_DIR) $(PY) -c "import torch" >/dev/null 2>&1; then \
	  echo "PyTorch present in $(DEPS_DIR)"; \
	else \
	  args="$$($(TORCH_BUILDS) pip-args --variant $(TORCH_VARIANT))" || exit 1; \
	  echo "Installing $$($(TORCH_BUILDS) describe --variant $(TORCH_VARIANT)) into $(DEPS_DIR)"; \
	  echo "  pip install --target $(DEPS_DIR) $$args"; mkdir -p $(DEPS_DIR); \
	  $(PY) -m pip install --quiet --target $(DEPS_DIR) $$args && \
	  rm -rf $(DEPS_DIR)/numpy $(DEPS_DIR)/numpy-*; \
	fi

# Dask distributed (the SCHEDULER parameter: tiles on a cluster, docs/SCALING.md) goes into the same folder; it needs
# no numpy (any numpy pip brings is removed, QGIS's own is used). Packages torch already put there are kept.
DASK_VERSION := 2026.8.0
dask-deps: system-deps
	@if PYTHONPATH=$(DEPS_DIR) $(PY) -c "import dask, distributed" >/dev/null 2>&1; then \
	  echo "Dask distributed present in $(DEPS_DIR)"; \
	else \
	  echo "Installing dask[distributed]==$(DASK_VERSION) into $(DEPS_DIR)"; mkdir -p $(DEPS_DIR); \
	  $(PY) -m pip install --quiet --target $(DEPS_DIR) "dask[distributed]==$(DASK_VERSION)" && \
	  rm -rf $(DEPS_DIR)/numpy $(DEPS_DIR)/numpy-*; \
	fi

$(VENV)/.done: requirements-test.txt | system-deps
	$(PY) -m venv --system-site-packages $(VENV)
	$(VENV)/bin/pip install --quiet -r requirements-test.txt
	touch $@

test-deps: torch-deps dask-deps $(VENV)/.done

# --- plugin -------------------------------------------------------------------------------------
package:
	$(PY) scripts/package.py --out dist

install: system-deps torch-deps dask-deps package
	rm -rf $(PLUGIN_DIR) && mkdir -p $(dir $(PLUGIN_DIR))
	cd $(dir $(PLUGIN_DIR)) && unzip -q -o $(CURDIR)/dist/epitome.zip
	$(PY) scripts/enable_plugin.py "$(PROFILE_DIR)"
	@echo "Installed to $(PLUGIN_DIR); PyTorch and Dask in $(DEPS_DIR)."
	@echo "Try: $(QGIS_PROCESS) help epitome:selfepitomiclsr"

uninstall:
	rm -rf $(PLUGIN_DIR)

# The translation template: every tr() of the plugin's sources (pylupdate5, the Qt tool for PyQt) and the
# Processing parameters' titles and help, declared as data (scripts/i18n_strings.py writes them as
# QT_TRANSLATE_NOOP markers). A translator copies it to i18n/epitome_<locale>.ts, translates it in Qt
# Linguist, and `lrelease` makes the .qm the plugin loads for that locale.
ts: system-deps
	QT_QPA_PLATFORM=offscreen $(PY) scripts/i18n_strings.py build/i18n/declared_strings.py
	pylupdate5 -noobsolete $$(find plugin -name '*.py' | LC_ALL=C sort) build/i18n/declared_strings.py -ts $(TS)

models: system-deps
	QT_QPA_PLATFORM=offscreen $(PY) scripts/make_model.py

# --- the two commands ---------------------------------------------------------------------------
# The demo never touches your QGIS profile: qgis_process runs with HOME=$(DEMO_DIR)/qgis-home and the plugin
# unpacked from dist/epitome.zip into $(DEMO_DIR)/plugins (QGIS_PLUGINPATH). PyTorch is read from $(DEPS_DIR)
# (installed there when missing: the folder `make install` and `make test` use too).
demo: system-deps torch-deps package
	EPITOME_DEPS=$(DEPS_DIR) $(PY) scripts/demo.py --out $(DEMO_DIR) --plugin-zip dist/epitome.zip

# The lint (ruff.toml), every test, each skip listed with its reason (-rs; EPITOME_STRICT=1, as .ci/run sets, fails
# on any skip), then the core tests under Python 3.9 with the oldest PyTorch Epitome allows (tests/py39/run.sh says
# what runs).
test: test-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-main
	$(MAKE) --no-print-directory test-py39

lint: $(VENV)/.done
	$(VENV)/bin/ruff check .

test-main: test-deps
	QT_QPA_PLATFORM=offscreen EPITOME_DEPS=$(DEPS_DIR) $(VENV)/bin/python -m pytest -q -rs tests

test-py39: system-deps
	PY=$(PY) bash tests/py39/run.sh

test-core: test-deps
	EPITOME_DEPS=$(DEPS_DIR) $(VENV)/bin/python -m pytest -q -rs tests/core

bench: test-deps
	EPITOME_DEPS=$(DEPS_DIR) $(PY) scripts/bench.py --out docs/BENCHMARKS.md

bench-training: test-deps
	EPITOME_DEPS=$(DEPS_DIR) $(PY) scripts/bench_training.py --out docs/BENCHMARKS_TRAINING.md

# Everything GPU in one prepared script (a few minutes on a CUDA machine): correctness against the CPU, the fp32
# rule, the out-of-memory fallback, LSR / training / prediction speed -> docs/BENCHMARKS_GPU.md. Without CUDA it
# says so, runs the CPU part (report in build/gpu-check-cpu.md) and exits 0.
gpu-check: torch-deps
	EPITOME_DEPS=$(DEPS_DIR) $(PY) scripts/gpu_check.py

bench-epitome: test-deps
	EPITOME_DEPS=$(DEPS_DIR) $(PY) scripts/bench_epitome.py --out docs/BENCHMARKS_EPITOME.md

clean:
	rm -rf dist build $(DEMO_DIR) .pytest_cache .pkgroot .venv-py39
