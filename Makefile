# Frontdesk: `make run` opens the app on the demo clinic; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench package lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip setuptools wheel

# The stamp files re-install whenever pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[test]'
	touch $@

# The demo clinic lives beside the code (.demo/), never in a real clinic's data folder.
DEMO_DB ?= .demo/frontdesk.db

run: $(VENV)/.installed-run
	$(BIN)/frontdesk --db $(DEMO_DB) gui --demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy domain services db desktop bench cli main.py

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

package: $(VENV)/.installed-test
	$(BIN)/python -m pip install -e '.[package]'
	$(BIN)/pyinstaller --noconfirm packaging/frontdesk.spec

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
