# Two commands matter: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install kafka-jars bench demo migrate clean

run: install kafka-jars
	$(PY) -m devstack run

test: install kafka-jars
	$(PY) -m pytest $(PYTEST_ARGS)

bench: install kafka-jars
	$(PY) -m bench

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

kafka-jars: install
	@$(PY) -m devstack fetch-kafka

migrate: install
	$(PY) -m shared.migrations

clean:
	rm -rf .run
