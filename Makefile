# platform-notifications: `make run` starts the demo platform, `make test` runs the test suite.
# Both create a virtual environment under .venv from the project's own files first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= settings.test
# pipefail: the install filters pip's output and must still fail when pip does.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# Some machines list package indexes in pip.conf that are absent on disk; pip warns once per package about them.
QUIET_PIP := grep -v "is ignored: it is neither a file nor a directory" || true

.PHONY: run test test-services lint format bench bench-api bench-email bench-channels bench-stream bench-load schema install clean

$(STAMP): setup.cfg setup.py pyproject.toml tutorplugin/pyproject.toml $(wildcard platform_notifications/locale/*/LC_MESSAGES/*.po)
	@test -x $(BIN)/python || { echo "==> creating $(VENV) (first run only)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing pip, setuptools and wheel"
	@PYTHONWARNINGS=ignore $(BIN)/pip install --quiet --upgrade pip setuptools wheel 2>&1 | { $(QUIET_PIP); }
	@echo "==> installing platform-notifications with its test and demo extras, and the Tutor plugin (about a minute, only when they change)"
	@PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e ".[test,demo]" -e "tutorplugin/[test]" 2>&1 | { $(QUIET_PIP); }
	@touch $(STAMP)

install: $(STAMP)

# tests/browser needs the browser extra and Debian's Chromium: .ci/run installs both and runs it.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -m "not services and not browser" --ignore=tests/browser

run: $(STAMP)
	@DJANGO_SETTINGS_MODULE=settings.dev $(BIN)/python -m demo.run

# The suites that need real servers (see .ci/run, which also starts any server that is down).
test-services: $(STAMP)
	DJANGO_SETTINGS_MODULE=settings.services DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
		$(BIN)/python -m pytest -m services tests/services
	DJANGO_SETTINGS_MODULE=settings.services DATABASE_URL=mysql://root@127.0.0.1:3306/test \
		$(BIN)/python -m pytest -m services tests/services

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench.fanout

bench-email: $(STAMP)
	$(BIN)/python -m bench.digest

bench-channels: $(STAMP)
	$(BIN)/python -m bench.channels

bench-api: $(STAMP)
	$(BIN)/python -m bench.api --db all

# 1,000 live-stream clients on loopback (uvicorn, aiohttp): memory per connection, creation-to-receipt latency.
bench-stream: $(STAMP)
	@PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench.stream

# count/ under 100 locust clients against a constant view, SQLite and PostgreSQL (the bench extra: locust).
bench-load: $(STAMP)
	@PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench.load --db all

schema: $(STAMP)
	$(BIN)/python -m platform_notifications.api.schema docs/openapi.yaml

clean:
	rm -rf $(VENV) var build dist *.egg-info
