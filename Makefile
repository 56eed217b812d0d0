# Two commands do everything: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: run test install lint format check-migrations test-sqlite test-postgres e2e bench screenshots vendor clean

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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
