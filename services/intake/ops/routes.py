"""The staff's dashboard and its JSON API: each route names the roles it is
for (`staff(OPS, HR)`: the pipeline for ops, the programme and people's
data for HR, the access trail for audit), reads its parameters (`params`),
calls a use case (`use_cases`, or `read_dashboard` for the page) with the
caller, and answers JSON, a CSV file (`exports`) or a page (`charts`)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from services.intake import bodies, validation
from services.intake.ops import charts, exports, params, use_cases
from services.intake.ops.dashboard import read_dashboard
from services.intake.ops.lag import lag_or_unavailable
from services.intake.web import identity
from services.intake.web.edge import parse_id, taxonomy, unit_of_work, words
from services.intake.web.language import field_label, locale, schemas
from shared import kafka as kafka_clients
from shared.statuses import MATCH_STATUSES, REQUEST_STATUSES

HOST_VIEWS = ("busiest", "idle")

AUDIT, HR, OPS = identity.AUDIT, identity.HR, identity.OPS
staff = identity.role_required

bp = Blueprint("ops", __name__, url_prefix="/ops")
bp.before_request(identity.require_staff)


@bp.errorhandler(params.Invalid)
def invalid(exc: params.Invalid):
    return jsonify(errors=exc.errors), 422


def rt():
    return current_app.extensions["runtime"]


def who() -> identity.Identity:
    return identity.require()


def _lag() -> list[dict] | dict:
    return lag_or_unavailable(kafka_clients.Brokers.of(rt().settings), rt().names)


@bp.get("/api/summary")
@staff(OPS, HR)
def summary():
    return jsonify(
        use_cases.summary(
            unit_of_work(),
            taxonomy(),
            rt().settings.calendar_stale_after,
            who(),
            words(),
        )
    )


@bp.get("/api/requests")
@staff(HR)
def requests_list():
    status, field = (
        request.args.get("status") or None,
        request.args.get("field") or None,
    )
    errors = {}
    if status and status not in REQUEST_STATUSES:
        errors["status"] = [f"Must be one of: {', '.join(REQUEST_STATUSES)}."]
    if field and field not in current_app.extensions["taxonomy"]:
        errors["field"] = ["Unknown field of the taxonomy."]
    page = params.page(errors)
    if errors:
        raise params.Invalid(errors)
    return jsonify(use_cases.requests_page(unit_of_work(), status, field, page, who()))


@bp.get("/api/requests/<request_id>/timeline")
@staff(OPS, HR)
def timeline(request_id):
    rid = parse_id(request_id)
    events = use_cases.timeline(unit_of_work(), rid, who())
    return jsonify({"request_id": str(rid), "events": events})


@bp.get("/api/consumers")
@staff(OPS)
def consumers():
    lag = _lag()
    if isinstance(lag, dict):
        return jsonify(lag), 503
    return jsonify({"consumers": lag})


@bp.get("/api/outbox")
@staff(OPS)
def outbox():
    return jsonify(use_cases.outbox_backlog(unit_of_work()))


@bp.get("/api/dead-letters")
@staff(OPS, HR)
def dead_letters():
    return jsonify({"dead_letters": use_cases.dead_letters(unit_of_work(), who())})


@bp.post("/api/dead-letters/<int:dead_letter_id>/replay")
@staff(OPS)
def replay(dead_letter_id):
    use_cases.request_replay(unit_of_work(), dead_letter_id, who())
    return jsonify({"id": dead_letter_id, "replay": "requested"}), 202


@bp.get("/api/notifications/failed")
@staff(OPS, HR)
def failed_notifications():
    return jsonify({"notifications": use_cases.failed_mail(unit_of_work(), who())})


@bp.post("/api/notifications/<notification_id>/retry")
@staff(OPS)
def retry_notification(notification_id):
    nid = parse_id(notification_id)
    use_cases.retry_failed_mail(unit_of_work(), nid, who())
    return jsonify({"id": str(nid), "status": "requested"}), 202


@bp.post("/api/notifications/retry")
@staff(OPS)
def retry_all_notifications():
    """Every failed email again, or those of one kind queued in a time range:
    `{"kind": "invitation", "since": "...", "until": "..."}`, all optional."""
    body = request.get_json(silent=True)
    data = validation.load_simple(
        bodies.RetryMailIn,
        {} if body is None else body,
        schemas=schemas(),
        lang=locale(),
    )
    n = use_cases.retry_all_failed_mail(
        unit_of_work(), data["kind"], data["since"], data["until"], who()
    )
    return jsonify({"failed": n, "retry": "requested"}), 202


@bp.post("/notifications/retry")
@staff(OPS)
def retry_all_from_dashboard():
    """The dashboard's button: every failed email, or those of one kind."""
    data = validation.load_simple(
        bodies.RetryMailIn,
        {"kind": request.form.get("kind") or None},
        schemas=schemas(),
        lang=locale(),
    )
    use_cases.retry_all_failed_mail(unit_of_work(), data["kind"], None, None, who())
    return redirect(url_for("ops.dashboard"))


def _csv(table: str, statuses):
    filters = params.export_filters(statuses)
    columns, rows = use_cases.export(
        unit_of_work(), table, filters, params.personal(), who()
    )
    return attachment(table, exports.csv_text(columns, rows))


def attachment(name: str, text: str):
    response = make_response(text)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-{stamp}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export/requests.csv")
@staff(HR)
def export_requests():
    return _csv("requests", REQUEST_STATUSES)


@bp.get("/export/matches.csv")
@staff(HR)
def export_matches():
    return _csv("matches", MATCH_STATUSES)


@bp.get("/api/trend")
@staff(OPS, HR)
def trend():
    errors: dict = {}
    weeks = params.weeks(errors)
    if errors:
        raise params.Invalid(errors)
    return jsonify({"weeks": use_cases.trend(unit_of_work(), weeks)})


@bp.get("/api/feedback")
@staff(OPS, HR)
def feedback():
    return jsonify({"feedback": use_cases.feedback(unit_of_work())})


@bp.get("/api/hosts")
@staff(HR)
def hosts():
    errors: dict = {}
    view = request.args.get("view") or "busiest"
    if view not in HOST_VIEWS:
        errors["view"] = [f"Must be one of: {', '.join(HOST_VIEWS)}."]
    page = params.page(errors)
    if errors:
        raise params.Invalid(errors)
    return jsonify(use_cases.hosts_page(unit_of_work(), view, page, who()))


def scarcity_rows(fields: dict) -> list[dict]:
    """The fields with demand or capacity, those short of hosts first (the
    largest gap first)."""
    rows = [
        {"slug": slug, "label": field_label(slug), **v}
        for slug, v in fields.items()
        if v["demand"] or v["capacity_coming_weeks"]
    ]
    rows.sort(
        key=lambda r: (
            not r["short"],
            r["capacity_coming_weeks"] - r["demand"],
            r["label"],
        )
    )
    return rows[:15]


@bp.get("")
@bp.get("/")
@staff(OPS, HR)
def dashboard():
    settings = rt().settings
    view = read_dashboard(
        unit_of_work(), taxonomy(), settings.calendar_stale_after, _lag, who(), words()
    )
    s = view["summary"]
    return render_template(
        "ops/dashboard.html",
        s=s,
        charts=charts.dashboard(view),
        backlog=view["backlog"],
        dead=view["dead_letters"],
        failed=view["failed_mail"],
        lag=view["lag"],
        mail_sink=settings.mail_sink_dir is not None,
        scarcity=scarcity_rows(s["fields"]),
        feedback=view["feedback"],
        host_pages=view["busiest"]
        and {"busiest": view["busiest"]["pages"], "idle": view["idle"]["pages"]},
        reports=view["reports"],
        filters=params.carried_filters(),
        roles=who().roles,
    )
