"""The JSON API, `/api/v1`: HTTP in, a use case, the contract's JSON out."""

from __future__ import annotations

import uuid

from flask import Blueprint, current_app, jsonify, request, url_for

from services.intake import bodies, finding, use_cases, validation, views
from services.intake.calendars import use_cases as calendar_use_cases
from services.intake.errors import Invalid, TooMany
from services.intake.web import identity
from services.intake.web.edge import (
    calendars,
    limits,
    parse_id,
    taxonomy,
    unit_of_work,
    words,
)
from services.intake.web.language import locale, schemas
from shared.i18n import N_

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict:
    data = request.get_json(silent=True)
    if data is None and request.get_data():
        raise Invalid({"_schema": [N_("Invalid input type.")]})
    return data if data is not None else {}


def correlation_from_header():
    """A caller (the intranet, say) may carry its own correlation id through."""
    try:
        return uuid.UUID(request.headers.get("X-Correlation-ID", ""))
    except ValueError:
        return None


@bp.get("/fields")
def fields():
    return jsonify(taxonomy().as_list())


@bp.post("/fields/suggestions")
@identity.login_required
def suggest_fields():
    """The fields a goal sounds like: `{"goal": "..."}` in, the best few
    out, each with its label in the reader's language."""
    data = validation.load_simple(
        bodies.SuggestionsIn, body(), schemas=schemas(), lang=locale()
    )
    may_search()
    found = finding.suggest_fields(unit_of_work(), words(), data["goal"])
    label = taxonomy().label
    return jsonify(
        {"fields": [{"field": f, "label": label(f, locale())} for f in found]}
    )


def may_search() -> None:
    """One person's share of the model's time (`throttle`)."""
    wait = current_app.extensions["throttle"].wait_for(identity.current().email)
    if wait:
        raise TooMany("too_many_searches", retry_after=wait)


@bp.put("/hosts/me")
@identity.login_required
def put_host():
    data = validation.load_host(
        body(),
        taxonomy(),
        sites=current_app.extensions["runtime"].settings.sites,
        schemas=schemas(),
        lang=locale(),
    )
    row, created = use_cases.put_host(
        unit_of_work(), identity.current(), data, locale=locale(), limits=limits()
    )
    return jsonify(views.host_view(row)), 201 if created else 200


@bp.get("/hosts")
@identity.login_required
def host_directory():
    """Hosts who agreed to be listed: `?q=` part of a name or what they can
    talk about, `?field=` a slug."""
    query = validation.load_simple(
        bodies.DirectoryQuery, request.args.to_dict(), schemas=schemas(), lang=locale()
    )
    if query["q"]:
        may_search()
    rows = finding.host_directory(unit_of_work(), query["q"], query["field"], words())
    return jsonify({"hosts": [views.directory_view(r) for r in rows]})


@bp.get("/hosts/me")
@identity.login_required
def get_host():
    return jsonify(
        views.host_view(use_cases.get_host(unit_of_work(), identity.current()))
    )


@bp.get("/hosts/me/calendar")
@identity.login_required
def get_calendar():
    row, spans = calendar_use_cases.get_calendar(
        unit_of_work(), calendars(), identity.current()
    )
    return jsonify(views.calendar_view(row, spans))


@bp.put("/hosts/me/calendar")
@identity.login_required
def put_calendar():
    data = validation.load_simple(
        bodies.CalendarIn, body(), schemas=schemas(), lang=locale()
    )
    row, spans = calendar_use_cases.connect_calendar(
        unit_of_work(), calendars(), identity.current(), data
    )
    return jsonify(views.calendar_view(row, spans))


@bp.post("/hosts/me/calendar/check")
@identity.login_required
def check_calendar():
    row, spans = calendar_use_cases.check_calendar(
        unit_of_work(), calendars(), identity.current()
    )
    return jsonify(views.calendar_view(row, spans))


@bp.delete("/hosts/me/calendar")
@identity.login_required
def delete_calendar():
    calendar_use_cases.disconnect_calendar(unit_of_work(), identity.current())
    return "", 204


@bp.post("/requests")
@identity.login_required
def post_request():
    settings = current_app.extensions["runtime"].settings
    data = validation.load_request(
        body(),
        taxonomy(),
        horizon_days=settings.horizon_days,
        sites=settings.sites,
        schemas=schemas(),
        lang=locale(),
    )
    key = request.headers.get("Idempotency-Key")
    if key is not None and not 1 <= len(key) <= 200:
        raise Invalid({"Idempotency-Key": [N_("Length must be between 1 and 200.")]})
    row, match, _ = use_cases.submit_request(
        unit_of_work(),
        identity.current(),
        data,
        limits=limits(),
        locale=locale(),
        idempotency_key=key,
        correlation_id=correlation_from_header(),
    )
    response = jsonify(views.request_view(row, match))
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_request", request_id=row["id"])
    response.headers["X-Correlation-ID"] = str(row["correlation_id"])
    return response


@bp.get("/requests")
@identity.login_required
def list_requests():
    items = use_cases.list_requests(unit_of_work(), identity.current())
    return jsonify({"requests": [views.request_view(r, m) for r, m in items]})


@bp.get("/requests/<request_id>")
@identity.login_required
def get_request(request_id):
    row, match = use_cases.get_request(
        unit_of_work(), identity.current(), parse_id(request_id)
    )
    return jsonify(views.request_view(row, match))


@bp.post("/requests/<request_id>/cancel")
@identity.login_required
def cancel_request(request_id):
    data = validation.load_simple(
        bodies.CancelIn, body(), schemas=schemas(), lang=locale()
    )
    row = use_cases.cancel_request(
        unit_of_work(), identity.current(), parse_id(request_id), data["reason"]
    )
    return jsonify(views.request_view(row, None))


@bp.get("/invitations")
@identity.login_required
def list_invitations():
    rows = use_cases.list_invitations(unit_of_work(), identity.current())
    return jsonify({"invitations": [views.invitation_view(m) for m in rows]})


@bp.post("/matches/<match_id>/<answer>")
@identity.login_required
def answer(match_id, answer):
    details = validation.load_answer(answer, body(), schemas=schemas(), lang=locale())
    row = use_cases.answer_invitation(
        unit_of_work(), identity.current().email, parse_id(match_id), answer, details
    )
    return jsonify(views.invitation_view(row))


@bp.get("/me/export")
@identity.login_required
def export_me():
    found = use_cases.export_person(unit_of_work(), identity.current())
    return jsonify(views.export_view(found))


@bp.delete("/me")
@identity.login_required
def forget_me():
    return jsonify(
        {"deleted": use_cases.forget_person(unit_of_work(), identity.current())}
    )
