# Two commands matter: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint format install kafka-jars java browser bench demo migrate clean

run: install kafka-jars
	$(PY) -m devstack run

test: lint kafka-jars browser
	$(PY) -m pytest $(PYTEST_ARGS)

# ruff, configured in pyproject.toml: `make test` fails on a new violation.
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: install kafka-jars
	$(PY) -m bench

# Against the service that `make run` started (in another terminal).
demo: install
	$(PY) -m devstack.demo

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
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
