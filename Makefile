# kpibot: `make run` starts the bot, `make test` runs the whole suite. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run serve test quick lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The bot's main job on the embedded SQLite database, with a seeded demo history so a newcomer
# sees real answers at once (`make serve` runs on DATABASE_URL instead).
run: $(STAMP)
	$(BIN)/kpibot serve --demo $(ARGS)

serve: $(STAMP)
	$(BIN)/kpibot serve $(ARGS)

# The whole suite, spread over the machine's cores (pytest-xdist; each worker gets its own
# PostgreSQL database). `make quick` leaves out the tests marked slow (the full rollup matrix).
test: $(STAMP)
	$(BIN)/pytest -n auto $(ARGS)

quick: $(STAMP)
	$(BIN)/pytest -n auto -m "not slow" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
