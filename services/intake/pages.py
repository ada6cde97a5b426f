"""The intranet pages: server-rendered, usable without JavaScript, fr/en."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from services.intake import identity, use_cases, validation, views
from services.intake.calendars import use_cases as calendar_use_cases
from services.intake.edge import calendars, limits, parse_id, settings, unit_of_work
from services.intake.edge import taxonomy as taxonomy_
from services.intake.errors import Invalid, NotFound
from services.intake.i18n import gettext, locale, ngettext, schemas, translated
from shared.calendars import KINDS as CALENDAR_KINDS
from shared.config import is_number
from shared.i18n import LANGUAGES, N_
from shared.statuses import DAYS, FORMATS

bp = Blueprint("pages", __name__)

COMMON_LANGUAGES = ("fr", "en", "de", "es", "it", "pt", "nl", "ar", "zh")
WINDOW_ROWS = 3
DAY_RANGES = 2
TIME_OFF_ROWS = 2
MIDNIGHT = "24:00"  # a weekly end; a time input shows it as 00:00
LAST_MINUTE = timedelta(minutes=1)  # a window ending at midnight ends the day before


@bp.after_app_request
def remember_language(response):
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie("lang", chosen, max_age=365 * 86400, samesite="Lax")
    return response


@bp.get("/")
def home():
    return render_template("pages/home.html")


@bp.route("/dev/login", methods=["GET", "POST"])
def dev_login():
    if settings().auth_mode != "dev":
        abort(404)
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        if identity.valid_email(email):
            session["dev_user"] = email
            session["dev_groups"] = [
                g.strip()
                for g in request.form.get("groups", "").split(",")
                if g.strip()
            ]
            return redirect(
                local_path(request.args.get("next")) or url_for("pages.home")
            )
    return render_template("pages/dev_login.html")


def local_path(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no `//` or `/\\`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def _local_iso(date: str, time: str, tz: str) -> str | None:
    if not date or not time:
        return None
    try:
        zone = ZoneInfo(tz)
    except Exception:
        zone = ZoneInfo("UTC")
    try:
        return datetime.fromisoformat(f"{date}T{time}").replace(tzinfo=zone).isoformat()
    except ValueError:
        return f"{date}T{time}"  # left for the validator to refuse


def request_body(form) -> dict:
    tz = form.get("timezone", "").strip()
    windows = []
    for i in range(WINDOW_ROWS):
        day = form.get(f"win-{i}-date", "").strip()
        if day:
            windows.append(
                {
                    "start": _local_iso(day, form.get(f"win-{i}-start", ""), tz),
                    "end": _local_iso(day, form.get(f"win-{i}-end", ""), tz),
                }
            )
    referrer = None
    if form.get("referrer_name") or form.get("referrer_email"):
        referrer = {
            "name": form.get("referrer_name", "").strip(),
            "email": form.get("referrer_email", "").strip(),
        }
    duration = form.get("duration_minutes", "")
    return {
        "name": form.get("name", "").strip(),
        "field": form.get("field", ""),
        "goal": form.get("goal", "").strip(),
        "format": form.get("format", ""),
        "duration_minutes": int(duration) if is_number(duration) else duration,
        "languages": form.getlist("languages"),
        "site": form.get("site", "").strip() or None,
        "timezone": tz,
        "related_ok": form.get("related_ok") == "on",
        "availability": windows,
        "referrer": referrer,
        "preferred_host": form.get("preferred_host", "").strip() or None,
    }


@bp.route("/requests/new", methods=["GET", "POST"])
@identity.login_required
def new_request():
    taxonomy = taxonomy_()
    if request.method == "GET":
        return render_template(
            "pages/request_form.html",
            form={},
            errors={},
            taxonomy=taxonomy,
            rows=WINDOW_ROWS,
            languages=COMMON_LANGUAGES,
            formats=FORMATS,
            chosen_languages=[locale()],
            directory=use_cases.host_directory(unit_of_work()),
        )
    body = request_body(request.form)
    try:
        data = validation.load_request(
            body,
            taxonomy,
            horizon_days=settings().horizon_days,
            sites=settings().sites,
            schemas=schemas(),
            lang=locale(),
        )
        use_cases.submit_request(
            unit_of_work(),
            identity.current(),
            data,
            limits=limits(),
            locale=locale(),
            idempotency_key=request.form.get("form_id") or None,
        )
    except Invalid as exc:
        errors = validation.flatten(translated(exc.errors))
        return render_template(
            "pages/request_form.html",
            form=request.form,
            errors=errors,
            taxonomy=taxonomy,
            rows=WINDOW_ROWS,
            languages=COMMON_LANGUAGES,
            formats=FORMATS,
            chosen_languages=request.form.getlist("languages"),
            directory=use_cases.host_directory(unit_of_work()),
        ), 422
    flash(N_("Your request was sent. We will email you when a host is proposed."))
    return redirect(url_for("pages.my_requests"))


@bp.get("/requests")
@identity.login_required
def my_requests():
    items = use_cases.list_requests(unit_of_work(), identity.current())
    return render_template(
        "pages/requests.html", items=[views.request_view(r, m) for r, m in items]
    )


@bp.post("/requests/<request_id>/cancel")
@identity.login_required
def cancel(request_id):
    use_cases.cancel_request(
        unit_of_work(), identity.current(), parse_id(request_id), None
    )
    return redirect(url_for("pages.my_requests"))


def _rows(form, prefix: str, least: int) -> int:
    """How many `prefix-<k>-start/end` rows the form holds, and at least `least`."""
    k = 0
    while f"{prefix}-{k}-start" in form or f"{prefix}-{k}-end" in form:
        k += 1
    return max(k, least)


def grid_sizes(form) -> dict:
    """Rows for every weekly range and time-off window the form holds, and a
    spare time-off row to add one more."""
    return {
        "ranges": max(_rows(form, day, DAY_RANGES) for day in DAYS),
        "off_rows": max(_rows(form, "off", 0) + 1, TIME_OFF_ROWS),
    }


def host_body(form) -> dict:
    weekly = []
    for day in DAYS:
        for k in range(_rows(form, day, DAY_RANGES)):
            start, end = (
                form.get(f"{day}-{k}-start", "").strip(),
                form.get(f"{day}-{k}-end", "").strip(),
            )
            if start or end:
                end = (
                    MIDNIGHT if end == "00:00" else end
                )  # the same instant, said plainly
                weekly.append({"day": day, "start": start, "end": end})
    tz = form.get("timezone", "").strip()
    off = []
    for i in range(_rows(form, "off", TIME_OFF_ROWS)):
        start, end = (
            form.get(f"off-{i}-start", "").strip(),
            form.get(f"off-{i}-end", "").strip(),
        )
        if start or end:
            off.append(
                {
                    "start": _local_iso(start, "00:00", tz),
                    "end": _local_iso(end, "23:59", tz),
                }
            )
    capacity = form.get("monthly_capacity", "")
    return {
        "name": form.get("name", "").strip(),
        "fields": form.getlist("fields"),
        "languages": form.getlist("languages"),
        "formats": form.getlist("formats"),
        "site": form.get("site", "").strip() or None,
        "timezone": tz,
        "durations": [int(d) if is_number(d) else d for d in form.getlist("durations")],
        "monthly_capacity": int(capacity) if is_number(capacity) else capacity,
        "weekly_availability": weekly,
        "unavailable": off,
        "active": form.get("active") == "on",
        "listed": form.get("listed") == "on",
        "paused_until": form.get("paused_until", "").strip() or None,
    }


def host_form_values(row, today=None) -> dict:
    """A saved profile as the form's inputs, so saving it again changes nothing.

    An end of "24:00" shows as "00:00" (a time input cannot hold 24:00; both
    mean midnight). Time off shows as whole days in the host's zone, from the
    first day it touches to the last; windows already over are left out.
    """
    if not row:
        return {}
    values = {
        "name": row["name"],
        "site": row["site"] or "",
        "timezone": row["timezone"],
        "monthly_capacity": str(row["monthly_capacity"]),
        "active": "on" if row["active"] else "",
        "listed": "on" if row["listed"] else "",
        "paused_until": row["paused_until"].isoformat() if row["paused_until"] else "",
    }
    seen = {}
    for slot in row["weekly_availability"]:
        k = seen.get(slot["day"], 0)
        seen[slot["day"]] = k + 1
        values[f"{slot['day']}-{k}-start"], values[f"{slot['day']}-{k}-end"] = (
            slot["start"],
            "00:00" if slot["end"] == MIDNIGHT else slot["end"],
        )
    zone = ZoneInfo(row["timezone"])
    today = today or datetime.now(zone).date()
    i = 0
    for window in row["unavailable"]:
        start = datetime.fromisoformat(window["start"]).astimezone(zone)
        last = (datetime.fromisoformat(window["end"]) - LAST_MINUTE).astimezone(zone)
        if last.date() < today:
            continue
        values[f"off-{i}-start"] = start.date().isoformat()
        values[f"off-{i}-end"] = last.date().isoformat()
        i += 1
    return values


@bp.route("/host", methods=["GET", "POST"])
@identity.login_required
def host_profile():
    ctx = _host_ctx()
    taxonomy = ctx["taxonomy"]
    if request.method == "GET":
        return _host_page(ctx)
    body = host_body(request.form)
    lists = {
        k: request.form.getlist(k)
        for k in ("fields", "languages", "formats", "durations")
    }
    try:
        data = validation.load_host(
            body, taxonomy, sites=settings().sites, schemas=schemas(), lang=locale()
        )
        use_cases.put_host(unit_of_work(), identity.current(), data, locale=locale())
    except Invalid as exc:
        return render_template(
            "pages/host_form.html",
            form=request.form,
            lists=lists,
            errors=validation.flatten(translated(exc.errors)),
            **grid_sizes(request.form),
            **ctx,
        ), 422
    flash(N_("Your profile is saved."))
    return redirect(url_for("pages.host_profile"))


def _host_page(ctx: dict, calendar_errors: dict | None = None, status: int = 200):
    """The host form filled with the saved profile, its next free slots and
    its calendar connection."""
    try:
        row = use_cases.get_host(unit_of_work(), identity.current())
    except NotFound:
        row = None
    lists = (
        {
            "fields": row["fields"],
            "languages": row["languages"],
            "formats": row["formats"],
            "durations": [str(d) for d in row["durations"]],
        }
        if row
        else {}
    )
    free = (
        use_cases.next_free_slots(
            unit_of_work(), identity.current(), settings().min_lead_time
        )
        if row
        else []
    )
    values = host_form_values(row)
    return render_template(
        "pages/host_form.html",
        form=values,
        lists=lists,
        errors={},
        free_slots=free,
        host_zone=row["timezone"] if row else None,
        calendar=_calendar(row),
        calendar_kinds=CALENDAR_KINDS,
        calendar_errors=calendar_errors or {},
        calendar_form=request.form if calendar_errors else {},
        **grid_sizes(values),
        **ctx,
    ), status


def _calendar(host: dict | None) -> dict | None:
    if host is None:
        return None
    try:
        row, spans = calendar_use_cases.get_calendar(
            unit_of_work(), calendars(), identity.current()
        )
    except NotFound:
        return None
    return views.calendar_view(row, spans)


def _host_ctx() -> dict:
    return dict(
        taxonomy=taxonomy_(),
        days=DAYS,
        languages=COMMON_LANGUAGES,
        formats=FORMATS,
        durations=validation.DURATIONS,
    )


@bp.post("/host/calendar")
@identity.login_required
def connect_calendar():
    body = {
        k: request.form.get(k, "").strip() or None
        for k in ("kind", "url", "username", "password")
    }
    try:
        data = validation.load_simple(
            validation.CalendarIn, body, schemas=schemas(), lang=locale()
        )
        row, spans = calendar_use_cases.connect_calendar(
            unit_of_work(), calendars(), identity.current(), data
        )
    except Invalid as exc:
        return _host_page(_host_ctx(), validation.flatten(translated(exc.errors)), 422)
    flash(_found(views.calendar_view(row, spans), N_("Your calendar is connected.")))
    return redirect(url_for("pages.host_profile") + "#calendar")


@bp.post("/host/calendar/check")
@identity.login_required
def check_calendar():
    try:
        row, spans = calendar_use_cases.check_calendar(
            unit_of_work(), calendars(), identity.current()
        )
    except Invalid as exc:
        return _host_page(_host_ctx(), validation.flatten(translated(exc.errors)), 422)
    flash(_found(views.calendar_view(row, spans), N_("Your calendar was read.")))
    return redirect(url_for("pages.host_profile") + "#calendar")


@bp.post("/host/calendar/disconnect")
@identity.login_required
def disconnect_calendar():
    calendar_use_cases.disconnect_calendar(unit_of_work(), identity.current())
    flash(N_("Your calendar is disconnected; its busy times are forgotten."))
    return redirect(url_for("pages.host_profile") + "#calendar")


def _found(calendar: dict, first: str) -> str:
    """`first`, then the busy periods of the next four weeks, as the API counts them."""
    n = calendar["busy_periods_next_4_weeks"]
    found = ngettext(
        "%(num)d busy period found in the next four weeks.",
        "%(num)d busy periods found in the next four weeks.",
        n,
    )
    return gettext(first) + " " + found % {"num": n}


@bp.get("/invitations")
@identity.login_required
def invitations():
    rows = use_cases.list_invitations(unit_of_work(), identity.current())
    return render_template("pages/invitations.html", items=rows)


@bp.post("/invitations/<match_id>/<action>")
@identity.login_required
def answer(match_id, action):
    details = validation.answer_from_form(
        action, request.form, schemas=schemas(), lang=locale()
    )
    use_cases.answer_invitation(
        unit_of_work(), identity.current().email, parse_id(match_id), action, details
    )
    return redirect(url_for("pages.invitations"))
