# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench demo clean lock audit cluster cluster-stop

# Exactly what requirements.lock names, each file checked against its hash; then citydesk
# itself, built with the locked setuptools (no download at build time).
$(BIN)/citydesk: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# After changing a pin in pyproject.toml (`make lint` fails until the lock agrees).
lock:
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --all-build-deps \
		--strip-extras --no-emit-index-url --no-emit-find-links \
		--extra postgres --extra redis --extra dev -o requirements.lock pyproject.toml

# Known vulnerabilities of what the lock installs: needs a machine that reaches the
# vulnerability database (PyPI's advisories), so it is not part of `make test`.
audit: $(BIN)/citydesk
	$(BIN)/pip-audit --strict --require-hashes --disable-pip -r requirements.lock

run: $(BIN)/citydesk
	$(BIN)/citydesk migrate --verbosity 0
	$(BIN)/citydesk demo
	$(BIN)/citydesk serve --host $(HOST) --port $(PORT)

lint: $(BIN)/citydesk
	$(BIN)/python tools/check_lock.py
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy citydesk
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -n 2

bench: $(BIN)/citydesk
	$(BIN)/python bench/run.py

# The multi-node profile on this machine (deploy/cluster/cluster.py, docs/deploy.md).
cluster: $(BIN)/citydesk
	$(BIN)/python deploy/cluster/cluster.py start

cluster-stop:
	$(BIN)/python deploy/cluster/cluster.py stop

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
