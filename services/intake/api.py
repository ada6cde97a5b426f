"""The JSON API, `/api/v1`: translate HTTP into commands and queries."""

from __future__ import annotations

import hashlib
import json
import uuid

from flask import Blueprint, current_app, jsonify, request, url_for

from services.intake import commands, identity, queries, validation
from services.intake.i18n import locale

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def rt():
    return current_app.extensions["runtime"]


def taxonomy():
    return current_app.extensions["taxonomy"]


def body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        raise validation.Invalid({"_schema": ["Invalid input type."]})
    return data if data is not None else {}


def correlation_from_header():
    """A caller (the intranet, say) may carry its own correlation id through."""
    try:
        return uuid.UUID(request.headers.get("X-Correlation-ID", ""))
    except ValueError:
        return None


def transaction():
    """A pooled connection in a transaction: committed on success, rolled back on error."""
    return rt().pool.connection()


@bp.get("/fields")
def fields():
    return jsonify(taxonomy().as_list())


@bp.put("/hosts/me")
@identity.login_required
def put_host():
    who = identity.current()
    data = validation.load_host(body(), taxonomy())
    with transaction() as conn:
        row, created = commands.put_host(conn, who, data, locale=locale())
    return jsonify(queries.host_view(row)), 201 if created else 200


@bp.get("/hosts/me")
@identity.login_required
def get_host():
    with transaction() as conn:
        row = queries.host_by_email(conn, identity.current().email)
    if row is None:
        raise commands.Refused(404, "not_found")
    return jsonify(queries.host_view(row))


@bp.post("/requests")
@identity.login_required
def post_request():
    who = identity.current()
    raw = body()
    data = validation.load_request(
        raw, taxonomy(), horizon_days=rt().settings.horizon_days
    )
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise validation.Invalid(
            {"Idempotency-Key": ["Length must be between 1 and 200."]}
        )
    digest = hashlib.sha256(
        json.dumps(raw, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    with transaction() as conn:
        row, created = commands.submit_request(
            conn,
            who,
            data,
            settings=rt().settings,
            locale=locale(),
            idempotency_key=key,
            body_hash=digest,
            correlation_id=correlation_from_header(),
        )
        match = None if created else queries.live_match(conn, row["id"])
    response = jsonify(queries.request_view(row, match))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_request", request_id=row["id"])
    response.headers["X-Correlation-ID"] = str(row["correlation_id"])
    return response


@bp.get("/requests")
@identity.login_required
def list_requests():
    with transaction() as conn:
        items = queries.list_requests(conn, identity.current().email)
    return jsonify({"requests": [queries.request_view(r, m) for r, m in items]})


@bp.get("/requests/<request_id>")
@identity.login_required
def get_request(request_id):
    with transaction() as conn:
        row, match = queries.get_request(conn, commands.parse_id(request_id))
    who = identity.current()
    if row is None:
        raise commands.Refused(404, "not_found")
    if row["requester_email"] != who.email and not who.is_ops:
        raise commands.Refused(403, "forbidden")
    return jsonify(queries.request_view(row, match))


@bp.post("/requests/<request_id>/cancel")
@identity.login_required
def cancel_request(request_id):
    data = validation.load_simple(validation.CancelIn, body())
    with transaction() as conn:
        row = commands.cancel_request(
            conn, identity.current(), commands.parse_id(request_id), data["reason"]
        )
        match = queries.live_match(conn, row["id"])
    return jsonify(queries.request_view(row, match))


@bp.get("/invitations")
@identity.login_required
def list_invitations():
    with transaction() as conn:
        rows = queries.invitations(conn, identity.current().email)
    return jsonify({"invitations": [queries.invitation_view(m) for m in rows]})


@bp.post("/matches/<match_id>/accept")
@identity.login_required
def accept(match_id):
    data = validation.load_simple(validation.AcceptIn, body())
    with transaction() as conn:
        commands.accept_match(
            conn,
            identity.current(),
            commands.parse_id(match_id),
            data["location"],
            data["note"],
        )
        row = queries.match_for_host(conn, commands.parse_id(match_id))
    return jsonify(queries.invitation_view(row))


@bp.post("/matches/<match_id>/decline")
@identity.login_required
def decline(match_id):
    data = validation.load_simple(validation.DeclineIn, body())
    with transaction() as conn:
        commands.decline_match(
            conn, identity.current(), commands.parse_id(match_id), data["reason"]
        )
        row = queries.match_for_host(conn, commands.parse_id(match_id))
    return jsonify(queries.invitation_view(row))


@bp.get("/me/export")
@identity.login_required
def export_me():
    with transaction() as conn:
        return jsonify(queries.export_person(conn, identity.current().email))


@bp.delete("/me")
@identity.login_required
def forget_me():
    with transaction() as conn:
        counts = commands.forget_person(conn, identity.current())
    return jsonify({"deleted": counts})
