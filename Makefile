# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench demo clean

$(BIN)/citydesk: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/citydesk
	$(BIN)/citydesk migrate --verbosity 0
	$(BIN)/citydesk demo
	$(BIN)/citydesk serve --host $(HOST) --port $(PORT)

lint: $(BIN)/citydesk
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy citydesk
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n 2

bench: $(BIN)/citydesk
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
