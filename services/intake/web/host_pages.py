"""The host's pages: their profile form, its next free slots, and the
connection of their own calendar (connect, check, disconnect)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from services.intake import bodies, use_cases, validation, views
from services.intake.calendars import use_cases as calendar_use_cases
from services.intake.errors import Invalid, NotFound
from services.intake.web import identity
from services.intake.web.edge import calendars, limits, settings, unit_of_work
from services.intake.web.edge import taxonomy as taxonomy_
from services.intake.web.forms import (
    COMMON_LANGUAGES,
    grid_sizes,
    host_body,
    host_form_values,
)
from services.intake.web.language import gettext, locale, ngettext, schemas, translated
from shared.calendars import KINDS as CALENDAR_KINDS
from shared.i18n import N_
from shared.statuses import DAYS, FORMATS

bp = Blueprint("host_pages", __name__)


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
        use_cases.put_host(
            unit_of_work(), identity.current(), data, locale=locale(), limits=limits()
        )
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
    return redirect(url_for("host_pages.host_profile"))


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
        durations=bodies.DURATIONS,
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
            bodies.CalendarIn, body, schemas=schemas(), lang=locale()
        )
        row, spans = calendar_use_cases.connect_calendar(
            unit_of_work(), calendars(), identity.current(), data
        )
    except Invalid as exc:
        return _host_page(_host_ctx(), validation.flatten(translated(exc.errors)), 422)
    flash(_found(views.calendar_view(row, spans), N_("Your calendar is connected.")))
    return redirect(url_for("host_pages.host_profile") + "#calendar")


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
    return redirect(url_for("host_pages.host_profile") + "#calendar")


@bp.post("/host/calendar/disconnect")
@identity.login_required
def disconnect_calendar():
    calendar_use_cases.disconnect_calendar(unit_of_work(), identity.current())
    flash(N_("Your calendar is disconnected; its busy times are forgotten."))
    return redirect(url_for("host_pages.host_profile") + "#calendar")


def _found(calendar: dict, first: str) -> str:
    """`first`, then the busy periods of the next four weeks, as the API counts them."""
    n = calendar["busy_periods_next_4_weeks"]
    found = ngettext(
        "%(num)d busy period found in the next four weeks.",
        "%(num)d busy periods found in the next four weeks.",
        n,
    )
    return gettext(first) + " " + found % {"num": n}
