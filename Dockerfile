# One image for the three services; docker-compose.yml picks the module.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 BIND_HOST=0.0.0.0
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY services ./services
COPY devstack ./devstack
# The compiled message catalogs (shared/locale/*/LC_MESSAGES/messages.mo).
RUN pip install . && pybabel compile -d shared/locale -D messages && useradd --system app
USER app
EXPOSE 8000 8001 8002
CMD ["python", "-m", "services.intake"]
