"""The ops dashboard and its JSON API, for the group `ops` only."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import logging
from datetime import UTC, date, datetime, time
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from services.intake import identity, ops_use_cases, svg, validation
from services.intake.edge import parse_id, taxonomy, unit_of_work
from services.intake.i18n import field_label, gettext, locale, schemas, status_label
from services.intake.lag import consumer_lag
from shared.config import is_number
from shared.i18n import N_
from shared.statuses import MATCH_STATUSES, REQUEST_STATUSES

HOST_VIEWS = ("busiest", "idle")
FILTERS = ("status", "field", "since", "until")

bp = Blueprint("ops", __name__, url_prefix="/ops")
log = logging.getLogger(__name__)


@bp.before_request
def only_ops():
    if not identity.require().is_ops:
        raise identity.Forbidden()


def rt():
    return current_app.extensions["runtime"]


def _lag() -> list[dict] | dict:
    try:
        return consumer_lag(rt().settings.kafka_bootstrap_servers, rt().names)
    except Exception as exc:  # the dashboard still answers while the broker is down
        log.warning("consumer lag unavailable: %r", exc)
        return {"error": f"Kafka unavailable: {type(exc).__name__}"}


@bp.get("/api/summary")
def summary():
    return jsonify(
        ops_use_cases.summary(
            unit_of_work(), taxonomy(), rt().settings.calendar_stale_after
        )
    )


@bp.get("/api/requests")
def requests_list():
    status, field = (
        request.args.get("status") or None,
        request.args.get("field") or None,
    )
    page = request.args.get("page", "1")
    errors = {}
    if status and status not in REQUEST_STATUSES:
        errors["status"] = [f"Must be one of: {', '.join(REQUEST_STATUSES)}."]
    if field and field not in current_app.extensions["taxonomy"]:
        errors["field"] = ["Unknown field of the taxonomy."]
    if not is_number(page) or not 1 <= int(page) <= 100_000:
        errors["page"] = ["Not a valid integer."]
    if errors:
        return jsonify(errors=errors), 422
    return jsonify(
        ops_use_cases.requests_page(unit_of_work(), status, field, int(page))
    )


@bp.get("/api/requests/<request_id>/timeline")
def timeline(request_id):
    rid = parse_id(request_id)
    events = ops_use_cases.timeline(unit_of_work(), rid)
    return jsonify({"request_id": str(rid), "events": events})


@bp.get("/api/consumers")
def consumers():
    lag = _lag()
    if isinstance(lag, dict):
        return jsonify(lag), 503
    return jsonify({"consumers": lag})


@bp.get("/api/outbox")
def outbox():
    return jsonify(ops_use_cases.outbox_backlog(unit_of_work()))


@bp.get("/api/dead-letters")
def dead_letters():
    return jsonify({"dead_letters": ops_use_cases.dead_letters(unit_of_work())})


@bp.post("/api/dead-letters/<int:dead_letter_id>/replay")
def replay(dead_letter_id):
    ops_use_cases.request_replay(unit_of_work(), dead_letter_id)
    return jsonify({"id": dead_letter_id, "replay": "requested"}), 202


@bp.get("/api/notifications/failed")
def failed_notifications():
    return jsonify({"notifications": ops_use_cases.failed_mail(unit_of_work())})


@bp.post("/api/notifications/<notification_id>/retry")
def retry_notification(notification_id):
    nid = parse_id(notification_id)
    ops_use_cases.retry_failed_mail(unit_of_work(), nid)
    return jsonify({"id": str(nid), "status": "requested"}), 202


@bp.post("/api/notifications/retry")
def retry_all_notifications():
    """Every failed email again, or those of one kind queued in a time range:
    `{"kind": "invitation", "since": "...", "until": "..."}`, all optional."""
    body = request.get_json(silent=True)
    data = validation.load_simple(
        validation.RetryMailIn,
        {} if body is None else body,
        schemas=schemas(),
        lang=locale(),
    )
    n = ops_use_cases.retry_all_failed_mail(
        unit_of_work(), data["kind"], data["since"], data["until"]
    )
    return jsonify({"failed": n, "retry": "requested"}), 202


@bp.post("/notifications/retry")
def retry_all_from_dashboard():
    """The dashboard's button: every failed email, or those of one kind."""
    data = validation.load_simple(
        validation.RetryMailIn,
        {"kind": request.form.get("kind") or None},
        schemas=schemas(),
        lang=locale(),
    )
    ops_use_cases.retry_all_failed_mail(unit_of_work(), data["kind"], None, None)
    return redirect(url_for("ops.dashboard"))


class Invalid(Exception):
    """Query parameters that do not hold (422 with the errors per parameter)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@bp.errorhandler(Invalid)
def invalid(exc: Invalid):
    return jsonify(errors=exc.errors), 422


def _page(errors: dict) -> int:
    page = request.args.get("page", "1")
    if not is_number(page) or not 1 <= int(page) <= 100_000:
        errors["page"] = ["Not a valid integer."]
        return 1
    return int(page)


def _moment(name: str, errors: dict) -> datetime | None:
    """`since` / `until`: an ISO date (midnight UTC) or date and time."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            return datetime.combine(date.fromisoformat(raw), time(), UTC)
        moment = datetime.fromisoformat(raw)
    except ValueError:
        errors[name] = ["Not a valid date or date and time."]
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _export_filters(statuses) -> dict:
    errors: dict = {}
    status = request.args.get("status") or None
    field = request.args.get("field") or None
    if status and status not in statuses:
        errors["status"] = [f"Must be one of: {', '.join(statuses)}."]
    if field and field not in current_app.extensions["taxonomy"]:
        errors["field"] = ["Unknown field of the taxonomy."]
    since, until = _moment("since", errors), _moment("until", errors)
    if errors:
        raise Invalid(errors)
    return {"status": status, "field": field, "since": since, "until": until}


def _personal() -> bool:
    """`?personal=1` adds names and emails: only for members of the group
    OPS_PERSONAL_DATA_GROUP (403 for the other members of `ops`)."""
    if request.args.get("personal") not in ("1", "true", "yes"):
        return False
    if rt().settings.ops_personal_data_group not in identity.require().groups:
        raise identity.Forbidden()
    return True


def _csv(table: str, statuses):
    personal = _personal()
    filters = _export_filters(statuses)
    columns, rows = ops_use_cases.export(unit_of_work(), table, filters, personal)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{table}-{stamp}.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/export/requests.csv")
def export_requests():
    return _csv("requests", REQUEST_STATUSES)


@bp.get("/export/matches.csv")
def export_matches():
    return _csv("matches", MATCH_STATUSES)


def _weeks(errors: dict) -> int:
    weeks = request.args.get("weeks", "12")
    if not is_number(weeks) or not 1 <= int(weeks) <= 104:
        errors["weeks"] = ["Must be a whole number of weeks from 1 to 104."]
        return 12
    return int(weeks)


@bp.get("/api/trend")
def trend():
    errors: dict = {}
    weeks = _weeks(errors)
    if errors:
        raise Invalid(errors)
    return jsonify({"weeks": ops_use_cases.trend(unit_of_work(), weeks)})


@bp.get("/api/feedback")
def feedback():
    return jsonify({"feedback": ops_use_cases.feedback(unit_of_work())})


@bp.get("/api/hosts")
def hosts():
    errors: dict = {}
    view = request.args.get("view") or "busiest"
    if view not in HOST_VIEWS:
        errors["view"] = [f"Must be one of: {', '.join(HOST_VIEWS)}."]
    page = _page(errors)
    if errors:
        raise Invalid(errors)
    return jsonify(ops_use_cases.hosts_page(unit_of_work(), view, page))


def export_filters() -> dict[str, dict]:
    """The page's filters carried to each export's link (a status only where
    the table has it)."""
    given = {k: request.args[k] for k in FILTERS if request.args.get(k)}
    statuses = {"requests": REQUEST_STATUSES, "matches": MATCH_STATUSES}
    return {
        table: {k: v for k, v in given.items() if k != "status" or v in statuses[table]}
        for table in statuses
    }


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
def dashboard():
    s = ops_use_cases.summary(
        unit_of_work(), taxonomy(), rt().settings.calendar_stale_after
    )
    backlog = ops_use_cases.outbox_backlog(unit_of_work())
    dead = ops_use_cases.dead_letters(unit_of_work(), limit=20)
    failed = ops_use_cases.failed_mail(unit_of_work(), limit=20)
    lag = _lag()
    weekly = ops_use_cases.trend(unit_of_work(), 12)
    busiest = ops_use_cases.hosts_page(unit_of_work(), "busiest", 1)
    idle = ops_use_cases.hosts_page(unit_of_work(), "idle", 1)
    demand = sorted(
        (
            (field_label(k), v["monthly_capacity"], v["open_requests"])
            for k, v in s["fields"].items()
            if v["monthly_capacity"] or v["open_requests"]
        ),
        key=lambda x: -x[2],
    )[:15]
    charts = {
        "funnel": svg.bars(
            gettext("Funnel: requests that reached each stage"),
            [(status_label(k), v) for k, v in s["funnel"].items()],
        ),
        "times": times_chart(s),
        "supply": svg.paired(
            gettext("Supply and demand by field"),
            demand,
            (gettext("monthly capacity"), gettext("open requests")),
        ),
        "waitlist": svg.bars(
            gettext("Waitlist by field"),
            [(field_label(k), v) for k, v in s["waitlist_by_field"].items()],
            colour=svg.COLOURS[1],
        ),
        "utilisation": svg.bars(
            gettext("Host utilisation this month"),
            [
                (h["name"], round(100 * h["booked"] / max(h["capacity"], 1)))
                for h in busiest["hosts"][:15]
            ],
            unit=" %",
            colour=svg.COLOURS[3],
        ),
        "trend": svg.columns(
            gettext("Requests, proposals and confirmations per week"),
            [
                (w["week"][-3:], (w["requests"], w["proposals"], w["confirmations"]))
                for w in weekly
            ],
            (gettext("requests"), gettext("proposals"), gettext("confirmations")),
        ),
        "lag": svg.bars(
            gettext("Consumer lag"),
            lag_by_topic(lag) if isinstance(lag, list) else [],
            colour=svg.COLOURS[4],
        ),
    }
    return render_template(
        "ops/dashboard.html",
        s=s,
        charts=charts,
        backlog=backlog,
        dead=dead,
        failed=failed,
        lag=lag,
        mail_sink=mail_folder() is not None,
        scarcity=scarcity_rows(s["fields"]),
        feedback=ops_use_cases.feedback(unit_of_work())[:24],
        host_pages={"busiest": busiest["pages"], "idle": idle["pages"]},
        filters=export_filters(),
        personal_allowed=rt().settings.ops_personal_data_group
        in identity.require().groups,
    )


def times_chart(s: dict):
    """p50 and p95 to proposal and to confirmation, in the unit that reads best."""
    values = [
        (f"{gettext(label)} {q}", s[key][q] or 0)
        for label, key in (
            (N_("to proposal"), "time_to_proposal_s"),
            (N_("to confirmation"), "time_to_confirmation_s"),
        )
        for q in ("p50", "p95")
    ]
    top = max(v for _, v in values)
    divisor, unit = (
        (1, " s") if top < 120 else (60, " min") if top < 7200 else (3600, " h")
    )
    return svg.bars(
        gettext("Time to proposal and to confirmation"),
        [(label, round(v / divisor, 1)) for label, v in values],
        unit=unit,
        colour=svg.COLOURS[2],
    )


def lag_by_topic(rows: list[dict]) -> list[tuple[str, int]]:
    """The chart sums partitions; /ops/api/consumers keeps them apart."""
    total: dict[str, int] = {}
    for r in rows:
        key = f"{r['group']} · {r['topic']}"
        total[key] = total.get(key, 0) + r["lag"]
    return list(total.items())


def mail_folder() -> Path | None:
    return rt().settings.mail_sink_dir


@bp.get("/mail")
def mail_list():
    folder = mail_folder()
    if folder is None:
        abort(404)
    items = []
    for path in sorted(folder.glob("*.eml"), reverse=True)[:200]:
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        items.append(
            {
                "name": path.name,
                "subject": msg["Subject"],
                "to": msg["To"],
                "date": msg["Date"],
                "kind": msg["X-Matchmaker-Kind"],
            }
        )
    return render_template("ops/mail_list.html", items=items)


@bp.get("/mail/<name>")
def mail_one(name):
    folder = mail_folder()
    if (
        folder is None
        or "/" in name
        or not name.endswith(".eml")
        or not (folder / name).is_file()
    ):
        abort(404)
    msg = email.message_from_bytes(
        (folder / name).read_bytes(), policy=email.policy.default
    )
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    parts = [p.get_content_type() for p in msg.walk() if not p.is_multipart()]
    return render_template(
        "ops/mail_one.html",
        msg=msg,
        text=text.get_content() if text else "",
        html=html.get_content() if html else "",
        parts=parts,
        name=name,
    )
