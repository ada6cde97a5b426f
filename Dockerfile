# The production image of the three services; docker-compose.yml and the
# Helm chart (deploy/helm/matchmaker) pick the module to run. Two stages:
# the first builds the wheel (with the compiled message catalogs) and
# installs it with its runtime dependencies, binary wheels only, into a
# virtual environment; the second is that environment on a slim Python,
# run as an unprivileged numeric user. No compiler, no pip, no test or
# development tooling: what `make run` and the tests start beside the
# services (the `local` and `dev` extras) is left out. docs/deploy.md gives
# the image's size.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY devstack ./devstack
# The catalogs (shared/locale/*/LC_MESSAGES/messages.mo) are package data:
# compiled before the wheel is built, they go into it.
RUN pip install "babel>=2.14,<3" \
 && pybabel compile -d shared/locale -D messages \
 && pip wheel --no-deps --wheel-dir /wheels .
RUN python -m venv /opt/matchmaker \
 && /opt/matchmaker/bin/pip install --only-binary=:all: /wheels/matchmaker-*.whl \
 && /opt/matchmaker/bin/pip uninstall --yes pip setuptools
# devstack/ (what `make run` starts) comes with the package, though not its
# dependencies; numpy's and scipy's own test suites are never imported.
RUN site=$(/opt/matchmaker/bin/python -c "import sysconfig; print(sysconfig.get_path('purelib'))") \
 && rm -rf "$site/devstack" \
 && find "$site/numpy" "$site/scipy" -type d -name tests -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
# A numeric user, so that Kubernetes' runAsNonRoot can check it; the chart
# runs it with a read-only root file system (PYTHONDONTWRITEBYTECODE: the
# bytecode was compiled at install, nothing is written beside it).
RUN groupadd --system --gid 10001 matchmaker \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin matchmaker \
 && python -m pip uninstall --yes --no-cache-dir pip setuptools wheel
COPY --from=build /opt/matchmaker /opt/matchmaker
# PYTHONSAFEPATH: `python -m` does not put the working folder on the path.
ENV PATH=/opt/matchmaker/bin:$PATH \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONSAFEPATH=1 \
    BIND_HOST=0.0.0.0
USER 10001:10001
WORKDIR /opt/matchmaker
EXPOSE 8000 8001 8002
CMD ["python", "-m", "services.intake"]
