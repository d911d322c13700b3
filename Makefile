# kpibot: `make run` starts the bot, `make test` runs the whole suite. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve test quick lint bench clean

# uv installs the same packages as pip from the same index, in a few seconds instead of half a
# minute (it resolves and unpacks in parallel).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The bot's main job on the embedded SQLite database, with a seeded demo history so a newcomer
# sees real answers at once (`make serve` runs on DATABASE_URL instead).
run: $(STAMP)
	$(BIN)/kpibot serve --demo $(ARGS)

serve: $(STAMP)
	$(BIN)/kpibot serve $(ARGS)

# The whole suite, spread over two workers per core (pytest-xdist: much of a test's time is spent
# waiting on loopback servers and the database; each worker gets its own PostgreSQL database).
# `make quick` leaves out the tests marked slow (the full rollup-equivalence matrix).
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))
PYTEST := $(BIN)/pytest -n $(WORKERS) --dist worksteal

test: $(STAMP)
	$(PYTEST) $(ARGS)

quick: $(STAMP)
	$(PYTEST) -m "not slow" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
