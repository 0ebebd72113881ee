# Clausier — the two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export CLAUSIER_DATA_DIR ?= $(CURDIR)/var
PYTEST_WORKERS ?= 2

.PHONY: run test install system-deps test-sqlite test-postgres clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/clausier db upgrade
	$(BIN)/clausier demo load
	$(BIN)/clausier serve

system-deps:
	@bash scripts/ensure-system-deps.sh

test: install system-deps test-sqlite test-postgres

test-sqlite:
	CLAUSIER_TEST_DB=sqlite $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres:
	CLAUSIER_TEST_DB=postgresql $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts
