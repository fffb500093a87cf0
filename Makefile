# Two commands for a new machine with Python 3.11:
#   make run    install, migrate, load the demo programs, serve them with a Celery worker
#   make test   install and run the whole test suite
# The interpreter the virtualenv is made with: the first of these that can make one. Debian's
# CPython is built with profile-guided optimisation and LTO; a pyenv build is not by default, and
# runs this service a sixth slower (pages) to a third slower (pure Python). Override with
# `make install PYTHON=...`; remove .venv first to remake an existing one.
PYTHON ?= $(firstword $(foreach candidate,/usr/bin/python3.11 python3.11 python3,\
	$(shell $(candidate) -c "import ensurepip, venv" >/dev/null 2>&1 && echo $(candidate))) python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run worker test check lint typecheck bench bench-write bench-rescore \
	bench-incremental bench-load messages compile-messages clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo
	@echo "  Pilot Match is starting with a Celery worker and its beat."
	@echo "  Open http://$(HOST):$(PORT)/ (API docs at http://$(HOST):$(PORT)/api/docs/). Ctrl-C stops both."
	@echo
	@$(VENV)/bin/celery -A matchmaker worker --beat --loglevel=INFO --concurrency=2 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

worker: install
	$(VENV)/bin/celery -A matchmaker worker --loglevel=INFO

# Tests keep their files (SQLite, broker folder, mail) apart from the running service's. Most
# tests run on both cores; those with real workers share one broker and those driving a browser
# are timing-sensitive, so they run on their own afterwards.
# SLOW_MARKERS picks the tests of the second part (CI: `bare_machine` ones only on SQLite).
SLOW_MARKERS ?= integration or browser
test: install
	VAR_DIR=$(CURDIR)/var/test $(VENV)/bin/pytest -n 2 -m "not integration and not browser" $(PYTEST_ARGS)
	VAR_DIR=$(CURDIR)/var/test $(VENV)/bin/pytest -m "$(SLOW_MARKERS)" $(PYTEST_ARGS)

check: install
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy matchmaker programs applicants

typecheck: install
	$(VENV)/bin/mypy matchmaker programs applicants

bench: install
	$(PY) -m bench.engine

# Database benchmarks: each creates the PostgreSQL database named here, and drops it at the end.
BENCH_POSTGRES ?= postgres://postgres@127.0.0.1:5432
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/14
BENCH_ARGS ?=

bench-write: install
	DATABASE_URL=$(BENCH_POSTGRES)/bench_write_path REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m bench.write_path $(BENCH_ARGS)

bench-rescore: install
	DATABASE_URL=$(BENCH_POSTGRES)/bench_rescore REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m bench.rescore $(BENCH_ARGS)

bench-incremental: install
	DATABASE_URL=$(BENCH_POSTGRES)/bench_incremental REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m bench.incremental $(BENCH_ARGS)

# Also needs wrk, the HTTP load generator.
bench-load: install
	@command -v wrk >/dev/null 2>&1 || { echo "bench-load needs wrk, which is not installed:" \
		"apt-get install wrk (Debian, Ubuntu) or brew install wrk (macOS)"; exit 1; }
	DATABASE_URL=$(BENCH_POSTGRES)/bench_load REDIS_URL=$(BENCH_REDIS_URL) \
		$(PY) -m bench.load $(BENCH_ARGS)

# Interface translations (needs GNU gettext): `make messages` adds new strings to every catalog
# under locale/; translate them there, then `make compile-messages` (tests/test_translations.py
# fails while a string is untranslated or a catalog is not compiled).
messages: install
	$(PY) manage.py makemessages --locale zh_Hant --locale ru --no-obsolete --add-location file \
		--ignore=.venv --ignore=var --ignore=bench --ignore=tests --ignore=staticfiles \
		--ignore=node_modules --ignore=locale

compile-messages: install
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf var/broker var/mail
