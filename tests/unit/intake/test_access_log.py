"""Intake's access log: one line per request, with the route's template,
the status and the time taken; no query string, no id from the address,
nobody's identity."""

from __future__ import annotations

import logging

from flask import Flask

from services.intake.web import access_log

ACCESS = "intake.access"


def small_app() -> Flask:
    app = Flask(__name__)
    access_log.install(app)

    @app.get("/api/v1/requests/<uuid:request_id>")
    def one(request_id):
        return {"id": str(request_id)}

    @app.post("/refused")
    def refused():
        return {"error": "no"}, 422

    return app


def access_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ACCESS]


def test_each_request_is_one_line_with_its_route_template_status_and_time(caplog):
    client = small_app().test_client()
    with caplog.at_level(logging.INFO, logger=ACCESS):
        client.get(
            "/api/v1/requests/0b4e7c1e-7b7e-4d8e-9a39-111111111111?email=a@example.com",
            headers={"X-Remote-User": "camille.durand@example.com"},
        )
        client.post("/refused")
        client.get("/nowhere")
    lines = access_lines(caplog)
    assert len(lines) == 3
    method, route, status, took, unit = lines[0].split()
    assert (method, route, status, unit) == (
        "GET", "/api/v1/requests/<uuid:request_id>", "200", "ms",
    )  # fmt: skip
    assert float(took) >= 0
    assert lines[1].startswith("POST /refused 422 ")
    assert lines[2].startswith("GET (no route) 404 ")
    text = "\n".join(lines)
    for secret in ("0b4e7c1e", "example.com", "email", "?"):
        assert secret not in text
