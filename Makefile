# The two commands: `make run` (app on SQLite with demo data) and `make test`.
# Everything else here is a step of those two.

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench system-packages clean help serve bandit audit validate-html

help:
	@echo "make run    set up and serve the app on http://$(HOST):$(PORT) (SQLite, DEBUG on; PORT=8123 HOST=... to change)"
	@echo "make test   install and run the whole test suite"
	@echo "make lint   ruff check"
	@echo "make bandit          bandit over the app's code (as CI does)"
	@echo "make audit           pip-audit over the pinned requirements (needs a vulnerability service; CI cannot)"
	@echo "make validate-html   the browser tests, then the W3C HTML checker over the pages they visited"

# The virtual environment is rebuilt when a requirements file changes. One without pip
# (left by a `python3 -m venv` that failed for want of python3.X-venv) is made afresh.
# Every runtime package has wheels for Python 3.12 and 3.13 on Linux (x86_64, aarch64)
# and macOS, so no compiler or -dev package is needed.
$(VENV)/.runtime: requirements.txt
	@$(PY) -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && python=$$(scripts/find-python) && "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

system-packages:
	@scripts/install-system-packages

# `make run` is for local use: DEBUG on, so a development SECRET_KEY is allowed and
# demo accounts are created on a new database (seed_demo refuses to run without DEBUG).
run: export DEBUG ?= 1
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_frameworks
	$(PY) manage.py load_organisations
	$(PY) manage.py seed_demo --if-new
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev system-packages
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache node_modules .html-snapshots

bench: $(VENV)/.dev
	$(PY) bench/framework_pages.py
	$(PY) bench/assessment_pages.py
	$(PY) bench/report.py
	$(PY) bench/comparison.py

# The third command: production mode on this machine (DEBUG off, PostgreSQL, gunicorn and
# the background worker). See scripts/serve and the README's "Deployment".
serve: $(VENV)/.runtime system-packages
	scripts/serve

# Security checks (README, "Security checks").
# bandit: what it scans is in pyproject.toml ([tool.bandit]). A finding fails unless
# waived on its line with `# nosec BXXX: reason`; bandit warns about each word of such a
# reason ("is not a test name or id"), and those warnings are left out here.
bandit: $(VENV)/.dev
	@log=$$(mktemp); status=0; \
	$(PY) -m bandit -c pyproject.toml -r . -q 2>"$$log" || status=$$?; \
	grep -v "is not a test name or id, ignoring" "$$log" >&2 || true; rm -f "$$log"; exit $$status

# pip-audit over the pinned requirements, less audit-waivers.txt (scripts/audit). It needs
# PyPI's JSON API or OSV, which CI's machines cannot reach: run it before every upgrade
# and release. AUDIT_ARGS="-s osv" asks OSV instead of PyPI.
audit: $(VENV)/.dev
	scripts/audit $(AUDIT_ARGS)

# The browser tests saving every page they are served, then the W3C Nu HTML Checker over
# those pages (.ci/run does the same within its SQLite `make test`).
validate-html: $(VENV)/.dev system-packages
	rm -rf .html-snapshots
	HTML_SNAPSHOTS=.html-snapshots $(PY) -m pytest tests/browser $(PYTEST_ARGS)
	scripts/validate-html .html-snapshots
