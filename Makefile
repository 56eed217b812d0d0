# Two commands do everything: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := run.py

.PHONY: run test deps install lint format e2e bench screenshots vendor \
	vendor-passwords translations clean
# Prerequisites are made in the order written: `make test` installs the system
# packages (python3-venv among them) before it creates the virtualenv.
.NOTPARALLEL:

# python3-venv is the one system package `make run` needs; ci-deps.sh installs
# it as root (or with passwordless sudo) and otherwise says what to run.
$(BIN)/flask: requirements.txt requirements-dev.txt
	@$(PY) -c 'import ensurepip, venv' 2>/dev/null || bash scripts/ci-deps.sh python3-venv
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

install: $(BIN)/flask

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask run --debug

# Debian packages the suite needs (Chromium, PostgreSQL, redis-server, ...):
# installed when missing if we are root or have passwordless sudo; otherwise
# this stops at once with the one command to run.
deps:
	@bash scripts/ci-deps.sh

test: deps install
	bash scripts/test-all.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

e2e: deps install
	$(BIN)/python -m pytest -q -m e2e tests/e2e

# Load benchmark (README "Benchmark"); needs wrk, which `make deps` installs.
# BENCH_ARGS="--quick" for a smoke run, "--reuse" to keep seeded databases.
bench: deps install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# PNGs at 1280 and 390 px, light and dark, into the git-ignored screenshots/;
# docs/screenshots/ gets the four small ones the README shows (through
# pngquant when it is installed: apt-get install pngquant).
screenshots: deps install
	$(BIN)/python scripts/screenshots.py --out screenshots --docs docs/screenshots

# Refresh Swagger UI and ReDoc in static/vendor from the npm registry (needs npm).
vendor:
	bash scripts/vendor-docs.sh

# Refresh app/data/common-passwords.txt.gz (and its licence) from the Django
# wheel, fetched with pip from the configured package index.
DJANGO_VERSION ?= 5.2.19
vendor-passwords: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/pip download --quiet --no-deps --only-binary=:all: \
		--dest "$$tmp" "django==$(DJANGO_VERSION)" && \
	$(BIN)/python -c 'import sys, zipfile; \
		wheel = zipfile.ZipFile(sys.argv[1]); \
		v = sys.argv[2]; \
		pairs = [("django/contrib/auth/common-passwords.txt.gz", "common-passwords.txt.gz"), \
			 (f"django-{v}.dist-info/licenses/LICENSE", "common-passwords.LICENSE")]; \
		[open("app/data/" + dst, "wb").write(wheel.read(src)) for src, dst in pairs]' \
		"$$tmp"/django-$(DJANGO_VERSION)-*.whl $(DJANGO_VERSION) && \
	echo "app/data: common passwords from Django $(DJANGO_VERSION)"

# Catalogues (README "Languages"): extract every string to translate into
# messages.pot, merge it into each language's messages.po (new strings come
# in empty, for a translator to fill), and compile the .mo files. The app
# also compiles a .po newer than its .mo when it starts.
BABEL_EXTRACT := $(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext \
	-k lazy_ngettext:1,2 --sort-output --no-location --project=Wren \
	--copyright-holder="Wren contributors"
translations: install
	$(BABEL_EXTRACT) -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations \
		--ignore-obsolete --no-fuzzy-matching
	$(BIN)/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
