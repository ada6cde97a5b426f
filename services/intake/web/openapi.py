"""OpenAPI 3 of the JSON API, generated from the marshmallow schemas, and
the Swagger UI that shows it. Most of this module is a table: the error
answers, then each path's operations (summary, body, answers), which is
why it runs over 300 lines."""

from __future__ import annotations

import swagger_ui_bundle
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import (
    Blueprint,
    abort,
    jsonify,
    make_response,
    render_template,
    send_from_directory,
)

from services.intake import bodies
from services.intake.web import language
from services.intake.web.security import POLICY
from shared.i18n import N_
from shared.statuses import MATCH_STATUSES, REQUEST_STATUSES

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")

ERRORS = {
    "401": {
        "description": N_("No identity"),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    },
    "403": {
        "description": N_("Wrong identity"),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    },
    "404": {
        "description": N_("Not found"),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    },
    "409": {
        "description": N_("Conflict"),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    },
    "413": {
        "description": N_("Body too large"),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    },
    "422": {
        "description": N_("Invalid input"),
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ValidationErrors"}
            }
        },
    },
    "429": {
        "description": N_("Too many submissions"),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
        },
    },
}
ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
OBJ = {"type": "object", "additionalProperties": True}


# The groups of the reference, in its order; each operation names its own.
TAGS = [
    {"name": "requests", "description": N_("Introduction requests, by the requester")},
    {"name": "hosts", "description": N_("Host profiles and the host directory")},
    {
        "name": "invitations",
        "description": N_("Invitations to a host, and the answers"),
    },
    {
        "name": "calendars",
        "description": N_("A host's own calendar, read for busy times"),
    },
    {"name": "me", "description": N_("The caller's personal data")},
    {"name": "fields", "description": N_("The taxonomy of fields")},
    {
        "name": "ops",
        "description": N_(
            "Staff: the pipeline (OPS_GROUP), the programme and leavers (HR_GROUP), the access trail (AUDIT_GROUP)"
        ),
    },
]


def _op(
    summary,
    *,
    tag,
    body=None,
    ok="200",
    ok_schema=None,
    params=(),
    errors=("401", "403", "404", "422"),
    headers=(),
):
    op = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            ok: {
                "description": N_("OK"),
                "content": {"application/json": {"schema": ok_schema or OBJ}},
            }
        },
    }
    for e in errors:
        op["responses"][e] = ERRORS[e]
    if body:
        op["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": body}},
        }
    if params or headers:
        op["parameters"] = list(params) + list(headers)
    return op


def build_spec() -> dict:
    spec = APISpec(
        title=N_("Network interviews API"),
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={
            "description": N_(
                "Introduction requests, host profiles and the hosts' answers."
            )
        },
        tags=TAGS,
    )
    spec.components.schema("RequestIn", schema=bodies.RequestIn)
    spec.components.schema("HostIn", schema=bodies.HostIn)
    spec.components.schema("AcceptIn", schema=bodies.AcceptIn)
    spec.components.schema("DeclineIn", schema=bodies.DeclineIn)
    spec.components.schema("CancelIn", schema=bodies.CancelIn)
    spec.components.schema("CalendarIn", schema=bodies.CalendarIn)
    spec.components.schema("SuggestionsIn", schema=bodies.SuggestionsIn)
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "properties": {
                "error": {
                    "type": "object",
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                    },
                }
            },
        },
    )
    spec.components.schema(
        "Field",
        {
            "type": "object",
            "required": ["slug", "label", "parent"],
            "properties": {
                "slug": {"type": "string", "example": "data-engineering"},
                "label": {
                    "type": "object",
                    "description": N_("The field's name in each language"),
                    "additionalProperties": {"type": "string"},
                    "example": {
                        "fr": "Ingénierie des données",
                        "en": "Data engineering",
                    },
                },
                "parent": {
                    "type": "string",
                    "nullable": True,
                    "example": "engineering",
                },
            },
        },
    )
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    text, when = {"type": "string"}, {"type": "string", "format": "date-time"}
    maybe = lambda schema: {**schema, "nullable": True}  # noqa: E731
    spec.components.schema(
        "Match",
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": list(MATCH_STATUSES)},
                "host": {
                    "type": "object",
                    "description": N_("The host's email only once they accepted"),
                    "properties": {"id": text, "name": text, "email": text},
                },
                "start": when, "end": when, "expires_at": when,
                "format": text, "exact_field": {"type": "boolean"},
                "location": maybe(text),
            },
        },
    )  # fmt: skip
    spec.components.schema(
        "Request",
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "status": {"type": "string", "enum": list(REQUEST_STATUSES)},
                "status_reason": maybe(text),
                "field": text, "goal": text, "format": text,
                "duration_minutes": {"type": "integer"},
                "languages": {"type": "array", "items": text},
                "site": maybe(text), "timezone": text,
                "related_ok": {"type": "boolean"},
                "availability": {"type": "array", "items": {"type": "object"}},
                "referrer": maybe({"type": "object"}),
                "preferred_host": maybe(text),
                "created_at": when, "updated_at": when,
                "match": {"allOf": [ref("Match")], "nullable": True},
            },
        },
    )  # fmt: skip
    spec.components.schema(
        "Requests",
        {"type": "object", "properties": {"requests": {"type": "array", "items": ref("Request")}}},
    )  # fmt: skip
    spec.components.schema(
        "HostProfile",
        {
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "name": text, "email": text, "experience": maybe(text),
                "fields": {"type": "array", "items": text},
                "languages": {"type": "array", "items": text},
                "formats": {"type": "array", "items": text},
                "site": maybe(text), "timezone": text,
                "durations": {"type": "array", "items": {"type": "integer"}},
                "monthly_capacity": {"type": "integer"},
                "weekly_availability": {"type": "array", "items": {"type": "object"}},
                "unavailable": {"type": "array", "items": {"type": "object"}},
                "active": {"type": "boolean"}, "listed": {"type": "boolean"},
                "paused_until": maybe({"type": "string", "format": "date"}),
                "updated_at": when,
            },
        },
    )  # fmt: skip
    spec.components.schema(
        "HostDirectory",
        {
            "type": "object",
            "properties": {
                "hosts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string", "format": "uuid"},
                            "name": {"type": "string"},
                            "fields": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                }
            },
        },
    )
    spec.components.schema(
        "FieldSuggestions",
        {
            "type": "object",
            "properties": {
                "fields": {
                    "type": "array",
                    "description": N_(
                        "At most three fields, best first; none for a goal of"
                        " fewer than four words or without the model"
                    ),
                    "items": {
                        "type": "object",
                        "properties": {
                            "field": {"type": "string", "example": "data-engineering"},
                            "label": {"type": "string", "example": "Data engineering"},
                        },
                    },
                }
            },
        },
    )
    spec.components.schema(
        "ValidationErrors", {"type": "object", "properties": {"errors": OBJ}}
    )
    spec.components.security_scheme(
        "sso", {"type": "apiKey", "in": "header", "name": "X-Remote-User"}
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    idem = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 200},
    }
    spec.path(
        "/api/v1/fields",
        operations={
            "get": _op(
                N_("The taxonomy of fields"),
                tag="fields",
                errors=(),
                ok_schema={"type": "array", "items": ref("Field")},
            )
        },
    )
    spec.path(
        "/api/v1/fields/suggestions",
        operations={
            "post": _op(
                N_("The fields a goal sounds like, read by meaning"),
                tag="fields",
                body=ref("SuggestionsIn"),
                ok_schema=ref("FieldSuggestions"),
                errors=("401", "413", "422", "429"),
            )
        },
    )
    spec.path(
        "/api/v1/hosts",
        operations={
            "get": _op(
                N_(
                    "Hosts who agreed to be listed, to ask for one: by name,"
                    " then by what they can talk about"
                ),
                tag="hosts",
                ok_schema=ref("HostDirectory"),
                params=[
                    {"name": "q", "in": "query", "required": False,
                     "description": N_("Part of a host's name, or words of what they can talk about"),
                     "schema": {"type": "string"}},
                    {"name": "field", "in": "query", "required": False,
                     "description": N_("A field's slug"),
                     "schema": {"type": "string"}},
                ],
                errors=("401", "422", "429"),
            )
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/hosts/me",
        operations={
            "put": _op(
                N_("Create or replace the caller's host profile"),
                tag="hosts",
                body=ref("HostIn"),
                ok_schema=ref("HostProfile"),
                errors=("401", "413", "422"),
            ),
            "get": _op(
                N_("The caller's host profile"),
                tag="hosts",
                ok_schema=ref("HostProfile"),
                errors=("401", "404"),
            ),
        },
    )
    spec.path(
        "/api/v1/hosts/me/calendar",
        operations={
            "put": _op(
                N_(
                    "Connect the caller's own calendar (read once now; refused"
                    " with the reason if it cannot be read)"
                ),
                tag="calendars",
                body=ref("CalendarIn"),
                errors=("401", "409", "413", "422"),
            ),
            "get": _op(
                N_("The caller's calendar connection and busy periods"),
                tag="calendars",
                errors=("401", "404", "409"),
            ),
            "delete": {
                "summary": N_(
                    "Disconnect the caller's calendar and forget its busy times"
                ),
                "tags": ["calendars"],
                "responses": {
                    "204": {"description": N_("Disconnected")},
                    **{e: ERRORS[e] for e in ("401", "404", "409")},
                },
            },
        },
    )
    spec.path(
        "/api/v1/hosts/me/calendar/check",
        operations={
            "post": _op(
                N_("Read the caller's calendar now: its busy periods, or why it fails"),
                tag="calendars",
                errors=("401", "404", "409", "422"),
            )
        },
    )
    spec.path(
        "/api/v1/requests",
        operations={
            "post": _op(
                N_("Ask for an introduction"),
                tag="requests",
                body=ref("RequestIn"),
                ok_schema=ref("Request"),
                ok="202",
                headers=[idem],
                errors=("401", "409", "413", "422", "429"),
            ),
            "get": _op(
                N_("The caller's requests, newest first"),
                tag="requests",
                ok_schema=ref("Requests"),
                errors=("401",),
            ),
        },
    )
    spec.path(
        "/api/v1/requests/{id}",
        operations={
            "get": _op(
                N_("One request"),
                tag="requests",
                params=[ID],
                ok_schema=ref("Request"),
                errors=("401", "403", "404"),
            )
        },
    )
    spec.path(
        "/api/v1/requests/{id}/cancel",
        operations={
            "post": _op(
                N_("Cancel a request"),
                tag="requests",
                params=[ID],
                body=ref("CancelIn"),
                errors=("401", "403", "404", "409", "422"),
            )
        },
    )
    spec.path(
        "/api/v1/invitations",
        operations={
            "get": _op(
                N_("Invitations sent to the caller as host"),
                tag="invitations",
                errors=("401",),
            )
        },
    )
    spec.path(
        "/api/v1/matches/{id}/accept",
        operations={
            "post": _op(
                N_("Accept an invitation"),
                tag="invitations",
                params=[ID],
                body=ref("AcceptIn"),
                errors=("401", "403", "404", "409", "422"),
            )
        },
    )
    spec.path(
        "/api/v1/matches/{id}/decline",
        operations={
            "post": _op(
                N_("Decline an invitation"),
                tag="invitations",
                params=[ID],
                body=ref("DeclineIn"),
                errors=("401", "403", "404", "409", "422"),
            )
        },
    )
    spec.path(
        "/api/v1/me/export",
        operations={
            "get": _op(
                N_("Everything the service holds about the caller"),
                tag="me",
                errors=("401",),
            )
        },
    )
    spec.path(
        "/api/v1/me",
        operations={
            "delete": _op(
                N_("Delete the caller's personal data"), tag="me", errors=("401",)
            )
        },
    )
    _ops_paths(spec)
    out = spec.to_dict()
    out["security"] = [{"sso": []}, {"bearer": []}]
    return out


def _query(name: str, description: str, schema=None) -> dict:
    return {"name": name, "in": "query", "required": False,
            "description": description, "schema": schema or {"type": "string"}}  # fmt: skip


def _ops_paths(spec: APISpec) -> None:
    """The staff's endpoints (docs/ops.md, docs/privacy.md), each for the
    roles docs/security.md's matrix gives it."""
    page = _query("page", N_("From 1"), {"type": "integer", "minimum": 1})
    checked = ("401", "403", "422")
    for path, method, summary, params, errors, ok in (
        ("/ops/api/summary", "get", N_("Counts by status, match rate, times, scarcity per field"), (), ("401", "403"), "200"),
        ("/ops/api/requests", "get", N_("Requests, filtered and paged"), (_query("status", N_("A request status")), _query("field", N_("A field's slug")), page), checked, "200"),
        ("/ops/api/requests/{id}/timeline", "get", N_("Every event of one request across the services, in order"), (ID,), ("401", "403", "404"), "200"),
        ("/ops/api/consumers", "get", N_("Lag per consumer group, topic and partition"), (), ("401", "403"), "200"),
        ("/ops/api/outbox", "get", N_("Unpublished outbox rows and the age of the oldest"), (), ("401", "403"), "200"),
        ("/ops/api/dead-letters", "get", N_("What each consumer gave up on, why, and the replay result"), (), ("401", "403"), "200"),
        ("/ops/api/dead-letters/{id}/replay", "post", N_("Ask the consuming service to replay a dead letter, once"), ({**ID, "schema": {"type": "integer"}},), ("401", "403", "404", "409"), "202"),
        ("/ops/api/notifications/failed", "get", N_("Emails that failed"), (), ("401", "403"), "200"),
        ("/ops/api/notifications/{id}/retry", "post", N_("Send one failed email again"), (ID,), ("401", "403", "404"), "202"),
        ("/ops/api/notifications/retry", "post", N_("Send every failed email again, or those of one kind queued in a period"), (), checked, "202"),
        ("/ops/api/trend", "get", N_("Requests, first proposals and confirmations per ISO week"), (_query("weeks", N_("How many weeks back"), {"type": "integer"}),), checked, "200"),
        ("/ops/api/feedback", "get", N_("The 'was it useful?' answers per field and month"), (), ("401", "403"), "200"),
        ("/ops/api/hosts", "get", N_("Hosts, busiest first or idle only, paged"), (_query("view", N_("busiest or idle")), page), checked, "200"),
        ("/ops/export/requests.csv", "get", N_("Requests as CSV (no personal data unless personal=1 and allowed)"), (_query("personal", N_("1: with names and emails")), _query("status", N_("A request status")), _query("field", N_("A field's slug"))), checked, "200"),
        ("/ops/export/matches.csv", "get", N_("Matches as CSV (no personal data unless personal=1 and allowed)"), (_query("personal", N_("1: with names and emails")), _query("status", N_("A match status")), _query("field", N_("A field's slug"))), checked, "200"),
        ("/ops/api/reports", "get", N_("HR: requests, introductions held, median days to a meeting and feedback per field, site or month"), (_query("by", N_("field, site or month")),), checked, "200"),
        ("/ops/export/reports.csv", "get", N_("HR: the same report as CSV"), (_query("by", N_("field, site or month")),), checked, "200"),
        ("/ops/api/people/forget", "post", N_("HR: forget leavers by address, each as DELETE /api/v1/me would (body: {\"emails\": [...]}, at most 1,000)"), (), checked, "200"),
        ("/ops/api/people/export", "get", N_("HR: everything held about one person (audited)"), (_query("email", N_("The person's address")),), checked, "200"),
        ("/ops/api/audit", "get", N_("DPO: the access trail, newest first"), (_query("person", N_("About this address")), _query("actor", N_("By this staff member")), _query("action", N_("One kind of action")), _query("since", N_("From (ISO date or time)")), _query("until", N_("Until (ISO date or time)"))), checked, "200"),
        ("/ops/export/audit.csv", "get", N_("DPO: the access trail as CSV"), (_query("person", N_("About this address")), _query("actor", N_("By this staff member")), _query("action", N_("One kind of action")), _query("since", N_("From")), _query("until", N_("Until"))), checked, "200"),
    ):  # fmt: skip
        op = _op(summary, tag="ops", ok=ok, params=params, errors=errors)
        if path.endswith(".csv"):  # a download: its refusals are pages
            page = {"text/html": {"schema": {"type": "string"}}}
            op["responses"] = {
                code: {**answer, "content": page}
                for code, answer in op["responses"].items()
            }
            op["responses"][ok]["content"] = {
                "text/csv": {"schema": {"type": "string"}}
            }
        spec.path(path, operations={method: op})


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(in_readers_language(build_spec()))


def in_readers_language(value, key: str = ""):
    """The document's titles, summaries and descriptions in the reader's
    language (the catalogs hold them: each is marked `N_` above)."""
    if isinstance(value, dict):
        return {k: in_readers_language(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [in_readers_language(v, key) for v in value]
    if isinstance(value, str) and key in ("title", "summary", "description"):
        return language.gettext(value)
    return value


# Swagger UI, from the swagger-ui-bundle package: served from here, nothing
# from a CDN (an intranet may have no Internet access).
SWAGGER_ASSETS = (
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
)
# Swagger UI sets styles inline: this page allows inline styles, never scripts.
DOCS_POLICY = POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


@bp.get("/docs")
def docs():
    """The interactive reference (and, without JavaScript, a plain list)."""
    response = make_response(
        render_template("api_docs.html", spec=in_readers_language(build_spec()))
    )
    response.headers["Content-Security-Policy"] = DOCS_POLICY
    return response


@bp.get("/docs/assets/<name>")
def docs_asset(name):
    if name not in SWAGGER_ASSETS:
        abort(404)
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, name, max_age=86400)
