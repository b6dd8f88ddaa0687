PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/dexiu
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test lint messages bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

## make run: SQLite, in-process tasks, demo catalogue, http://127.0.0.1:8000
run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole suite on PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)
test: $(VENV)/.installed-dev
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(VENV)/bin/pytest $(PYTEST_ARGS)

## make bench: scaled catalogue under gunicorn, loaded by wrk; prints ratios, writes bench/results.json
bench: $(VENV)/.installed-dev
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk" >&2; exit 1; }
	$(PY) -m bench.run

## make lint: ruff, and the layer rules of pyproject.toml (lint-imports; templates: tests/test_layers.py)
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

## make messages: extract strings and compile both locales, and locale_wagtail/ (Wagtail's strings, kept by hand)
messages: $(VENV)/.installed
	$(PY) manage.py makemessages --locale zh_Hans --locale en --ignore '.venv/*' --ignore 'bench/*' --ignore 'tests/*' --ignore 'locale_wagtail/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
