"""One log line per request intake answers: the method, the route's
template (`/api/v1/requests/<request_id>`, never the address as
asked: no ids, no query string), the status and the time taken. Nothing
that says who asked."""

from __future__ import annotations

import logging
import time

from flask import Flask, g, request

log = logging.getLogger("intake.access")


def install(app: Flask) -> None:
    @app.before_request
    def start_clock():
        g.access_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        started = g.get("access_started")
        took_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        route = request.url_rule.rule if request.url_rule else "(no route)"
        log.info(
            "%s %s %d %.1f ms", request.method, route, response.status_code, took_ms
        )
        return response
