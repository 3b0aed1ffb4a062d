# SolidaRen — `make demo` and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help install demo serve migrate test lint audit format worker beat bench messages clean

help:
	@echo "make demo    install, migrate, load the Rennes demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make test    install and run the whole test suite"
	@echo "make lint    ruff (with the S security rules) + migrations check"
	@echo "make audit   pip-audit of the installed packages: how many it checked; fails if not all"
	@echo "make worker  run a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat    run Celery beat (needs CELERY_BROKER_URL)"
	@echo "make bench   benchmarks (PDF generation), on a separate demo database under data/bench"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-installs when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

migrate: install
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) load_demo
	@echo
	@echo "Portail SolidaRen : http://127.0.0.1:$(PORT)/  (back-office : /back-office/)"
	$(MANAGE) runserver 127.0.0.1:$(PORT)

serve: install
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MANAGE) makemigrations --check --dry-run

# Supply chain: pip-audit over the virtualenv. Fails (exit 2) when no vulnerability database
# answered or a package could not be checked, (exit 1) when a package is vulnerable.
audit: install
	$(MANAGE) audit_dependencies

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0): without it tasks run in-process and no worker is needed."; exit 2; }
	$(BIN)/celery -A solidaren worker --loglevel INFO

beat: install
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL first."; exit 2; }
	$(BIN)/celery -A solidaren beat --loglevel INFO --schedule data/celerybeat-schedule

# Benchmarks print figures; they run on their own SQLite database and media under data/bench.
bench: install
	DATA_DIR=$(CURDIR)/data/bench $(MANAGE) migrate --noinput -v0
	DATA_DIR=$(CURDIR)/data/bench $(MANAGE) load_demo > /dev/null
	DATA_DIR=$(CURDIR)/data/bench $(MANAGE) bench_documents

messages: install
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=data --ignore=tests
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
