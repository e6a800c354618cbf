# The two commands a new user runs: `make demo` and `make test`. Both set up everything themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck tools venv golden bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# Prometheus' and Alertmanager's own binaries (promtool, amtool) check every generated artifact.
tools:
	@bash scripts/ensure-tools.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check platform sample_app tests benchmarks stacks
	$(VENV)/bin/mypy

test: venv tools lint
	$(VENV)/bin/pytest -q

demo: venv tools
	@bash scripts/demo.sh

# Regenerate golden files on purpose, never as a side effect of a test run.
golden: venv
	$(VENV)/bin/pytest -q tests/render --update-golden

bench: venv tools
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist .slostack
