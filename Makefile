# Two commands do everything: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: run test install lint format e2e bench screenshots vendor clean

$(BIN)/flask: requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

install: $(BIN)/flask

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask run --debug

test: install
	bash scripts/test-all.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

e2e: install
	$(BIN)/python -m pytest -q -m e2e tests/e2e

# Load benchmark (README "Benchmark"); needs wrk: bash scripts/ci-deps.sh.
# BENCH_ARGS="--quick" for a smoke run, "--reuse" to keep seeded databases.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# PNGs at 1280 and 390 px, light and dark, into the git-ignored screenshots/;
# docs/screenshots/ gets the few small ones the README shows.
screenshots: install
	$(BIN)/python scripts/screenshots.py --out screenshots --docs docs/screenshots

# Refresh Swagger UI and ReDoc in static/vendor from the npm registry (needs npm).
vendor:
	bash scripts/vendor-docs.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
