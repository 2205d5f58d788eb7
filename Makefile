PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/setterdesk
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test demo lint format services browser install screenshots

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The app against the Calendly sandbox, offline: connect "Calendly", see the subscription go
# active, book through the sandbox and watch the appointment arrive (README, Calendly).
DEMO_SANDBOX := http://127.0.0.1:8765
DEMO_ENV := CALENDLY_API_BASE=$(DEMO_SANDBOX) CALENDLY_AUTH_BASE=$(DEMO_SANDBOX) \
	PUBLIC_BASE_URL=http://127.0.0.1:8000 CALENDLY_OAUTH_CLIENT_ID=demo-client \
	CALENDLY_OAUTH_CLIENT_SECRET=demo-client-secret CALENDLY_WEBHOOK_SIGNING_KEY=demo-app-signing-key

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@$(DEMO_ENV) $(BIN)/python manage.py calendly_demo
	@trap 'kill $$sandbox 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m calendly.sandbox.server --port 8765 --signing-key demo-app-signing-key & sandbox=$$!; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000

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
