# SolidaRen — `make demo` and `make test` are all a newcomer needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Links in e-mails and the calendar feed point to the address the demo serves (port included).
SITE_URL ?= http://127.0.0.1:$(PORT)
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help install demo demo-reset serve migrate test test-dates lint audit format worker beat bench bench-pdf messages clean e2e

help:
	@echo "make demo    install, migrate, load the Rennes demo data, serve on http://127.0.0.1:$(PORT)"
	@echo "make demo-reset  empty the database (every row!) and start the demo afresh"
	@echo "make test    install and run the whole test suite"
	@echo "make test-dates  the date-sensitive tests again at other instants (TEST_DATES)"
	@echo "make e2e     the three journeys in Chromium (phone and desktop), axe-core on every page"
	@echo "make lint    ruff (with the S security rules) + migrations check"
	@echo "make audit   pip-audit of the installed packages: how many it checked; fails if not all"
	@echo "make worker  run a Celery worker (needs CELERY_BROKER_URL)"
	@echo "make beat    run Celery beat (needs CELERY_BROKER_URL)"
	@echo "make bench   performance at 1,000 and 100,000 volunteers (own databases; BENCH_SCALE=small to try it)"

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
	SITE_URL=$(SITE_URL) $(MANAGE) runserver 127.0.0.1:$(PORT)

# The demo database emptied (flush: every row of every table), then the demo as new.
demo-reset: migrate
	$(MANAGE) flush --noinput
	$(MAKE) demo

serve: install
	SITE_URL=$(SITE_URL) $(MANAGE) runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest

# `make test` runs at the suite's own clock (Wednesday 2 December 2026, 10:00 in Paris: see
# tests/conftest.py). This runs the tests that can depend on the date again at other instants:
# by default Monday 1 March 2027 at 00:30 in Paris, still Sunday in UTC, so that a date taken in
# the wrong time zone, a weekday or a month boundary shows. Left out: tests that never read the
# clock and cost minutes (the form fuzz, answer timings, the security headers and the uploads),
# and those on the real clock (other processes). E.g. TEST_DATES="2027-07-18T21:00:00+02:00
# 2028-02-29T12:00:00+01:00" make test-dates
TEST_DATES ?= 2027-03-01T00:30:00+01:00
DATE_INDEPENDENT_TESTS := test_fuzz_forms test_login_enumeration test_security_headers \
	test_uploads test_audit test_pdf_production_static test_article_sandbox
test-dates: install
	@for moment in $(TEST_DATES); do \
	  echo "== the date-sensitive tests at $$moment"; \
	  SOLIDAREN_TEST_NOW=$$moment $(BIN)/python -m pytest -q -p no:cacheprovider \
	    -m "not real_broker and not real_clock and not e2e" \
	    $(foreach name,$(DATE_INDEPENDENT_TESTS),--ignore=tests/$(name).py) || exit 1; \
	done

# The journeys of a volunteer, a coordinator and an agent in headless Chromium against the demo
# server (tests/e2e/): axe-core and the page width at 390 and 1,280 px on every page visited.
# Debian's chromium is installed when missing (Playwright never downloads a browser here).
# Screenshots: data/e2e/screenshots/; E2E_README_SCREENSHOTS=1 also refreshes static/readme/.
e2e: install
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  echo "Installing Debian's chromium and chromium-driver"; \
	  apt-get update -qq && apt-get install -y -qq chromium chromium-driver; }
	$(BIN)/python -m pytest tests/e2e -m e2e -p no:cacheprovider

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

# Performance (README "Performance"): scale data in databases of its own — PostgreSQL when
# DATABASE_URL names one (databases <name>_bench_1k and <name>_bench_100k are recreated), SQLite
# under data/bench with a warning otherwise — pages through gunicorn, matching, documents; a
# table and .bench/results.json. BENCH_SCALE=small measures 1,000 and 5,000 volunteers (minutes).
# `make bench-pdf` is the former PDF-only benchmark on the demo data.
BENCH_SCALE ?= full
bench: install
	$(MANAGE) bench_portal --scale $(BENCH_SCALE)

bench-pdf: install
	DATA_DIR=$(CURDIR)/data/bench $(MANAGE) migrate --noinput -v0
	DATA_DIR=$(CURDIR)/data/bench $(MANAGE) load_demo > /dev/null
	DATA_DIR=$(CURDIR)/data/bench $(MANAGE) bench_documents

messages: install
	$(MANAGE) makemessages -l en --ignore=.venv --ignore=data --ignore=tests
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
