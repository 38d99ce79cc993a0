# Two entry points for a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/tracker.json

.PHONY: run test test-fast typecheck lint bench check-readers clean

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

# Everything, as CI runs it.
test: $(VENV)/.test-deps typecheck
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

# The loop while you work: ruff, then every test not marked slow (under 90 s on an
# otherwise quiet 2-core machine; `make test` before you push still runs them all).
test-fast: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -m "not slow"

# mypy over the three folders as they install (tracker/, storage/ -> tracker.storage,
# screens/ -> tracker.screens): a tree of symlinks gives it that layout.
typecheck: $(VENV)/.test-deps
	@rm -rf build/typecheck && mkdir -p build/typecheck/tracker
	@for f in tracker/*; do ln -s ../../../$$f build/typecheck/tracker/; done
	@ln -s ../../../storage build/typecheck/tracker/storage
	@ln -s ../../../screens build/typecheck/tracker/screens
	cd build/typecheck && ../../$(BIN)/mypy --cache-dir ../.mypy_cache -p tracker

bench: $(BIN)/tracker
	$(BIN)/python bench/run.py

# The exports printed by their readers (Chromium, LibreOffice), pages counted against
# the bounds of docs/snapshot-format.md. Needs chromium, libreoffice-calc-nogui and
# poppler-utils (Debian); too heavy for CI, so not part of `make test`.
check-readers: $(BIN)/tracker
	$(BIN)/python scripts/check_readers.py $(CHECK_READERS_ARGS)

clean:
	rm -rf $(VENV) .demo .pytest_cache .ruff_cache build
