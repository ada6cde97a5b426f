"""`/healthz`, `/readyz` and `/metrics`, the same on every process."""

from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import kafka, migrations
from shared.db import connect

log = logging.getLogger(__name__)


class Readiness:
    """Checks PostgreSQL, the schema and Kafka; caches the answer briefly.
    The answer names what is down and nothing more: the port is public, and
    an error's text carries host names and user names."""

    def __init__(self, database_url: str, bootstrap, ttl_s: float = 2.0):
        self.database_url = database_url
        self.bootstrap = bootstrap
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = 0.0
        self._state: dict = {}
        self._admin = None

    def check(self) -> dict:
        with self._lock:
            if time.monotonic() - self._at > self.ttl_s:
                self._state = {"database": self._database(), "kafka": self._kafka()}
                self._at = time.monotonic()
            return dict(self._state)

    def _database(self) -> str:
        try:
            with connect(self.database_url, autocommit=True, connect_timeout=2) as conn:
                return "ok" if migrations.is_current(conn) else "schema not migrated"
        except Exception as exc:  # the detail (host, user) is for the log only
            log.warning("readiness: database unreachable: %s", str(exc).strip())
            return "unreachable"

    def _kafka(self) -> str:
        try:
            if self._admin is None:
                self._admin = kafka.admin(self.bootstrap)
            self._admin.list_topics()
            return "ok"
        except Exception as exc:
            if self._admin is not None:
                try:
                    self._admin.close()
                except Exception:
                    pass
                self._admin = None
            log.warning("readiness: kafka unreachable: %r", exc)
            return "unreachable"


def blueprint(readiness: Readiness, service: str) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=service)

    @bp.get("/readyz")
    def readyz():
        state = readiness.check()
        down = {k: v for k, v in state.items() if v != "ok"}
        body = {
            "status": "ready" if not down else "not ready",
            "service": service,
            "checks": state,
        }
        if down:
            body["down"] = sorted(down)
        return jsonify(body), 200 if not down else 503

    @bp.get("/metrics")
    def metrics_view():
        """The process's own metrics, then what the app collects itself
        (`app.extensions["metrics"]`, a registry of collectors: intake reads
        the store's figures at scrape time)."""
        body = generate_latest()
        extra = current_app.extensions.get("metrics")
        if extra is not None:
            body += generate_latest(extra)
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    return bp
