# Two commands matter: `make run` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test test-fast lint format install catalogs messages kafka-jars java browser helm bench demo migrate clean

run: install catalogs kafka-jars
	$(PY) -m devstack run

test: lint catalogs kafka-jars browser helm
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
	@# A venv holding urllib3-future (once pulled in by a calendar client)
	@# runs another urllib3 than the one installed: made anew.
	@test ! -x $(PY) || ! $(PY) -c 'import importlib.metadata as m; m.version("urllib3-future")' 2>/dev/null || rm -rf $(VENV)
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

# The Helm chart's checks (tests/deploy) need helm 3: the one on PATH, or one
# built once from the Go module proxy into .cache/bin (Go comes with our
# machines; a cold build took 4 min 20 s here, downloads included). The
# ldflags give it its version and the Kubernetes version it renders and
# lints for (without them helm assumes Kubernetes 1.20). The Go module and
# build caches live under .cache/go while it builds (nothing outside the
# checkout), and are removed once helm is there (about 1.1 GB).
HELM_VERSION   := v3.22.0
HELM_K8S_MINOR := 33
HELM_LDFLAGS   := -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 \
  -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$(HELM_K8S_MINOR) \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
  -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(HELM_K8S_MINOR)
helm:
	@command -v helm >/dev/null || test -x .cache/bin/helm || { \
	  command -v go >/dev/null || { echo "building helm needs Go (https://go.dev/dl/), or put helm 3 on PATH"; exit 1; }; \
	  echo "building helm $(HELM_VERSION) into .cache/bin (once)"; \
	  GOBIN=$(CURDIR)/.cache/bin GOMODCACHE=$(CURDIR)/.cache/go/mod \
	  GOCACHE=$(CURDIR)/.cache/go/build GOFLAGS='-modcacherw -buildvcs=false' \
	  CGO_ENABLED=0 go install -trimpath -ldflags "$(HELM_LDFLAGS)" \
	    helm.sh/helm/v3/cmd/helm@$(HELM_VERSION) && rm -rf .cache/go; }

migrate: install
	$(PY) -m shared.migrations

clean:
	rm -rf .run
