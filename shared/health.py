"""`/healthz`, `/readyz` and `/metrics`, the same on every process."""

from __future__ import annotations

import threading
import time

from flask import Blueprint, Response, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import kafka, migrations
from shared.db import connect


class Readiness:
    """Checks PostgreSQL, the schema and Kafka; caches the answer briefly."""

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
        except Exception as exc:
            return f"unreachable: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"

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
            return f"unreachable: {type(exc).__name__}"


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
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    return bp
