# Clausier — the two commands of the README: `make run` and `make test`.
#
# Every Python package comes from the lock files under requirements/ (exact versions, with
# their hashes): `make run` installs runtime.txt, `make test` dev.txt (runtime + test tools).
# `make lock` re-resolves them deliberately from pyproject.toml.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_NO_CONFIG := 1
export CLAUSIER_DATA_DIR ?= $(CURDIR)/var
PYTEST_WORKERS ?= 2
LOCK_FLAGS := --universal --generate-hashes --python-version 3.11 --quiet \
              --custom-compile-command 'make lock'

.PHONY: run test install install-dev lock system-deps debian-packages lint-imports test-sqlite test-postgres test-lock clean

# uv itself, pinned by hash, bootstrapped with the interpreter's own pip.
$(UV): requirements/tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check --require-hashes \
	  -r requirements/tools.txt
	touch $@

$(BIN)/python: | $(UV)
	$(UV) venv --quiet --python $(PYTHON) $(VENV)

# `pip sync` leaves exactly what the lock names (it removes anything else), then Clausier
# itself, editable, built with the locked setuptools. Everything is compiled to bytecode once:
# where PYTHONDONTWRITEBYTECODE is set, every command would otherwise compile what it imports.
define install_lock
	$(UV) pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode \
	  requirements/$(1).txt
	$(UV) pip install --quiet --python $(BIN)/python --no-deps --no-build-isolation -e .
	$(BIN)/python -m compileall -q src
	rm -f $(VENV)/.runtime $(VENV)/.dev
	touch $(VENV)/.$(1)
endef

$(VENV)/.runtime: requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(call install_lock,runtime)

$(VENV)/.dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	$(call install_lock,dev)

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# A runtime install is a subset of the test install: a machine that ran `make test` serves too.
# The demo's mail goes to a local SMTP sink that keeps it under var/mail (no mail relay needed).
run: $(if $(wildcard $(VENV)/.dev),install-dev,install)
	$(BIN)/clausier db upgrade
	$(BIN)/clausier demo load
	$(BIN)/clausier serve --demo-mail

lock: | $(UV)
	$(UV) pip compile $(LOCK_FLAGS) pyproject.toml requirements/build.in \
	  -o requirements/runtime.txt
	$(UV) pip compile $(LOCK_FLAGS) pyproject.toml requirements/build.in \
	  --group pyproject.toml:dev -o requirements/dev.txt
	$(UV) pip compile $(LOCK_FLAGS) requirements/tools.in -o requirements/tools.txt

system-deps: debian-packages node_modules/.installed

debian-packages:
	@bash scripts/ensure-system-deps.sh

# axe-core, which the browser tests inject into pages, exactly as package-lock.json pins it
# (hashes checked, no install scripts); installed again only when the lock file changes.
node_modules/.installed: package-lock.json | debian-packages
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

test: install-dev system-deps lint-imports test-sqlite test-postgres

# The rooms' boundaries ([tool.importlinter] in pyproject.toml): a room reads another room's
# facts through its interface, domain modules never import the web, the API or the CLI.
lint-imports:
	$(BIN)/lint-imports --no-cache

test-sqlite:
	CLAUSIER_TEST_DB=sqlite $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

test-postgres:
	CLAUSIER_TEST_DB=postgresql $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) var test-artifacts node_modules
