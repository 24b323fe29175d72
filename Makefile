# The two commands of the README: `make run` (a real optimization) and `make test`.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
TORCH_VERSION := 2.13.0

.PHONY: install install-test run test test-all lint typecheck bench-quick

# torch first and pinned: letting pip resolve it on its own pulls a multi-GB CUDA build.
install:
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==$(TORCH_VERSION)"
	$(PIP) install -e ".[sklearn,plot]"

install-test:
	$(PYTHON) -c "import torch" 2>/dev/null || $(PIP) install "torch==$(TORCH_VERSION)"
	$(PIP) install -e ".[test]"

run: install
	$(PYTHON) examples/tune_sklearn.py --storage sqlite:///apogee.db

lint:
	$(PYTHON) -m ruff check .
	lint-imports

typecheck:
	$(PYTHON) -m mypy

test: install-test lint typecheck
	$(PYTHON) -m pytest -m "not slow" -q

test-all: install-test lint typecheck
	$(PYTHON) -m pytest -q
