PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/setterdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test demo migrate lint format services browser install screenshots

# pip's own notices (a newer pip exists, running as root, scripts not on PATH) are not errors, but
# read like them to a newcomer: switched off here; real failures still print.
PIP := PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore PIP_NO_WARN_SCRIPT_LOCATION=1 \
	$(BIN)/pip --quiet --quiet

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing into $(VENV) (a minute the first time)…"
	@$(PIP) install --upgrade pip
	@$(PIP) install -e '.[dev]'
	@touch $@

install: $(BIN)/.installed

# The embedded default: SQLite, and a real Celery worker and beat on a broker that is a folder of
# files (var/broker), so webhooks, auto-booking, follow-ups, the sweep and the reconcilers run
# as in production. Ctrl-C stops the web server, the worker and beat.
PORT ?= 8000
SANDBOX_PORT ?= 8765
export PORT
WORKER_LOGLEVEL ?= WARNING
WORKER := $(BIN)/celery -A config --quiet worker --loglevel $(WORKER_LOGLEVEL) --concurrency 2 \
	--queues default,webhooks,providers --hostname embedded@%h
# Beat in a process of its own, not `worker -B`: a beat forked from a worker that already runs
# threads can hang before it starts, and then no periodic job ever runs.
BEAT := $(BIN)/celery -A config --quiet beat --loglevel $(WORKER_LOGLEVEL)

# Ctrl-C: each process gets its signal and a warm shutdown; one that is still running 10 s later
# (a worker interrupted while it was still starting can wait for ever) is killed with its pool.
# Its unacknowledged tasks run again at the next start (acks_late; every task is idempotent).
STOP_WITHIN_10S = for i in $$(seq 40); do { kill -0 $$worker || kill -0 $$beat; } 2>/dev/null || break; \
	sleep 0.25; done; pkill -KILL -P $$worker 2>/dev/null; kill -KILL $$worker $$beat 2>/dev/null; true

define SERVE
@trap 'kill $$worker $$beat $$sandbox 2>/dev/null; $(STOP_WITHIN_10S); wait' EXIT INT TERM; \
$(1) \
$(2) $(WORKER) & worker=$$!; \
$(2) $(BEAT) & beat=$$!; \
$(2) DJANGO_RUNSERVER_HIDE_WARNING=true $(BIN)/python manage.py runserver --noreload 127.0.0.1:$(PORT)
endef

migrate: install
	@$(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(BIN)/python manage.py seed_demo

run: migrate
	$(call SERVE,,)

# The app against the Calendly sandbox, offline: connect "Calendly", choose it, turn auto-booking
# on, book on the sandbox's booking page and watch every change arrive (README, the demo).
DEMO_SANDBOX := http://127.0.0.1:$(SANDBOX_PORT)
DEMO_ENV := CALENDLY_API_BASE=$(DEMO_SANDBOX) CALENDLY_AUTH_BASE=$(DEMO_SANDBOX) \
	CALENDLY_OAUTH_CLIENT_ID=demo-client CALENDLY_OAUTH_CLIENT_SECRET=demo-client-secret \
	CALENDLY_WEBHOOK_SIGNING_KEY=demo-app-signing-key

demo: migrate
	@$(DEMO_ENV) $(BIN)/python manage.py calendly_demo
	$(call SERVE,$(BIN)/python -m calendly.sandbox.server --port $(SANDBOX_PORT) --signing-key demo-app-signing-key & sandbox=$$!;,$(DEMO_ENV))

services:
	bash .ci/services.sh

browser:
	bash .ci/browser.sh

test: install services browser
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) CELERY_TASK_ALWAYS_EAGER=1 \
		$(BIN)/pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The README's screenshots (docs/screenshots/), drawn by the browser tests' machinery from a
# seeded workspace against the Calendly sandbox.
screenshots: install services browser
	SCREENSHOTS_DIR=docs/screenshots DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
		CELERY_TASK_ALWAYS_EAGER=1 $(BIN)/pytest -q tests/e2e/test_screenshots.py
