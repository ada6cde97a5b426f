"""The ops dashboard and its JSON API, for the group `ops` only."""

from __future__ import annotations

import email
import email.policy
import logging
import os
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, render_template, request

from services.intake import commands, identity, ops_queries, svg
from services.intake.i18n import locale, t
from services.intake.lag import consumer_lag
from shared.config import is_number
from shared.statuses import REQUEST_STATUSES

bp = Blueprint("ops", __name__, url_prefix="/ops")
log = logging.getLogger(__name__)


@bp.before_request
def only_ops():
    if not identity.require().is_ops:
        raise identity.Forbidden()


def rt():
    return current_app.extensions["runtime"]


def _db():
    return rt().pool.connection()


def _lag() -> list[dict] | dict:
    try:
        return consumer_lag(rt().settings.kafka_bootstrap_servers, rt().names)
    except Exception as exc:  # the dashboard still answers while the broker is down
        log.warning("consumer lag unavailable: %r", exc)
        return {"error": f"Kafka unavailable: {type(exc).__name__}"}


@bp.get("/api/summary")
def summary():
    with _db() as conn:
        return jsonify(ops_queries.summary(conn, current_app.extensions["taxonomy"]))


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
    with _db() as conn:
        return jsonify(ops_queries.list_requests(conn, status, field, int(page)))


@bp.get("/api/requests/<request_id>/timeline")
def timeline(request_id):
    rid = commands.parse_id(request_id)
    with _db() as conn:
        events = ops_queries.timeline(conn, rid)
    if events is None:
        raise commands.Refused(404, "not_found")
    return jsonify({"request_id": str(rid), "events": events})


@bp.get("/api/consumers")
def consumers():
    lag = _lag()
    if isinstance(lag, dict):
        return jsonify(lag), 503
    return jsonify({"consumers": lag})


@bp.get("/api/outbox")
def outbox():
    with _db() as conn:
        return jsonify(ops_queries.outbox_backlog(conn))


@bp.get("/api/dead-letters")
def dead_letters():
    with _db() as conn:
        return jsonify({"dead_letters": ops_queries.dead_letters(conn)})


@bp.post("/api/dead-letters/<int:dead_letter_id>/replay")
def replay(dead_letter_id):
    with _db() as conn:
        outcome = ops_queries.request_replay(conn, dead_letter_id)
    if outcome == "missing":
        raise commands.Refused(404, "not_found")
    if outcome == "already":
        return jsonify(
            error={
                "code": "already_replayed",
                "message": "This dead letter was already replayed.",
            }
        ), 409
    return jsonify({"id": dead_letter_id, "replay": "requested"}), 202


@bp.get("/api/notifications/failed")
def failed_notifications():
    with _db() as conn:
        return jsonify({"notifications": ops_queries.failed_notifications(conn)})


@bp.post("/api/notifications/<notification_id>/retry")
def retry_notification(notification_id):
    nid = commands.parse_id(notification_id)
    with _db() as conn:
        if not ops_queries.retry_notification(conn, nid):
            raise commands.Refused(404, "not_found")
    return jsonify({"id": str(nid), "status": "pending"}), 202


@bp.get("")
@bp.get("/")
def dashboard():
    taxonomy = current_app.extensions["taxonomy"]
    with _db() as conn:
        s = ops_queries.summary(conn, taxonomy)
        backlog = ops_queries.outbox_backlog(conn)
        dead = ops_queries.dead_letters(conn, limit=20)
        failed = ops_queries.failed_notifications(conn, limit=20)
    lag = _lag()
    lang = locale()

    def label(slug):
        f = taxonomy.fields.get(slug)
        return f.label.get(lang, slug) if f else slug

    demand = sorted(
        (
            (label(k), v["monthly_capacity"], v["open_requests"])
            for k, v in s["fields"].items()
            if v["monthly_capacity"] or v["open_requests"]
        ),
        key=lambda x: -x[2],
    )[:15]
    charts = {
        "funnel": svg.bars(
            t("ops_funnel"), [(t("status_" + k), v) for k, v in s["funnel"].items()]
        ),
        "times": times_chart(s),
        "supply": svg.paired(
            t("ops_supply_demand"), demand, (t("ops_capacity"), t("ops_open_requests"))
        ),
        "waitlist": svg.bars(
            t("ops_waitlist"),
            [(label(k), v) for k, v in s["waitlist_by_field"].items()],
            colour=svg.COLOURS[1],
        ),
        "utilisation": svg.bars(
            t("ops_utilisation"),
            [
                (h["name"], round(100 * h["booked"] / max(h["capacity"], 1)))
                for h in s["host_utilisation"][:15]
            ],
            unit=" %",
            colour=svg.COLOURS[3],
        ),
        "lag": svg.bars(
            t("ops_lag"),
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
    )


def times_chart(s: dict):
    """p50 and p95 to proposal and to confirmation, in the unit that reads best."""
    values = [
        (f"{t(label)} {q}", s[key][q] or 0)
        for label, key in (
            ("ops_to_proposal", "time_to_proposal_s"),
            ("ops_to_confirmation", "time_to_confirmation_s"),
        )
        for q in ("p50", "p95")
    ]
    top = max(v for _, v in values)
    divisor, unit = (
        (1, " s") if top < 120 else (60, " min") if top < 7200 else (3600, " h")
    )
    return svg.bars(
        t("ops_times"),
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
    folder = os.environ.get("MAIL_SINK_DIR")
    return Path(folder) if folder and Path(folder).is_dir() else None


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
