# Two commands matter: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test test-fast lint format install catalogs messages kafka-jars java browser bench demo migrate clean

run: install catalogs kafka-jars
	$(PY) -m devstack run

test: lint catalogs kafka-jars browser
	$(PY) -m pytest $(PYTEST_ARGS)

# While developing: lint, catalogs and the unit tests (no server, no broker).
test-fast: lint catalogs
	$(PY) -m pytest -q tests/unit $(PYTEST_ARGS)

# ruff, configured in pyproject.toml: `make test` fails on a new violation.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install catalogs kafka-jars
	$(PY) -m bench

# Against the service that `make run` started (in another terminal).
demo: install catalogs
	$(PY) -m devstack.demo

install: $(STAMP)

# The translations (shared/i18n.py): each shared/locale/<lang>/LC_MESSAGES/
# messages.po compiled to messages.mo; fails on an error in a catalog.
catalogs: install
	$(VENV)/bin/pybabel compile -d shared/locale -D messages

# After changing a message in the code or the templates: extract them all
# (babel.cfg) into messages.pot and merge it into every catalog; then
# translate what is new or marked fuzzy in each messages.po.
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg --ignore-dirs='.* __pycache__' \
	  -c Translators: --sort-by-file --project=matchmaker -o shared/locale/messages.pot .
	$(VENV)/bin/pybabel update -i shared/locale/messages.pot -d shared/locale -D messages --previous

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

kafka-jars: install java
	@$(PY) -m devstack fetch-kafka

# Kafka needs Java 17+ and Maven (both on our machines; installed where missing and we may).
java:
	@command -v java >/dev/null && command -v mvn >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends openjdk-17-jre-headless maven >/dev/null; \
	    else echo "Kafka needs Java 17+ and Maven: sudo apt-get install openjdk-17-jre-headless maven"; fi; }

# The browser tests drive Debian's Chromium; install it where we may.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium chromium-driver >/dev/null; \
	    else echo "browser tests need chromium and chromium-driver: sudo apt-get install chromium chromium-driver"; fi; }

migrate: install
	$(PY) -m shared.migrations

clean:
	rm -rf .run
