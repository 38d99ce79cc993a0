# Two entry points for a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/tracker.json

.PHONY: run test lint bench clean

$(BIN)/tracker: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-deps: $(BIN)/tracker
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Opens the tracker on the demo database kept in the checkout (never the user's own).
run: $(BIN)/tracker
	@test -f $(DEMO_DB) || $(BIN)/tracker --db $(DEMO_DB) demo
	$(BIN)/tracker --db $(DEMO_DB)

test: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

bench: $(BIN)/tracker
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache
