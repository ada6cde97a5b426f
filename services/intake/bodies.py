"""What a body may hold: the marshmallow schemas of intake's API and
forms, every field bounded. The checks that need the taxonomy or the clock
follow in `validation.py`; `translated_schemas.py` holds each schema once
per language."""

from __future__ import annotations

from marshmallow import (
    EXCLUDE,
    RAISE,
    Schema,
    ValidationError,
    validate,
    validates_schema,
)
from marshmallow import fields as mf

from shared.calendars import KINDS as CALENDAR_KINDS
from shared.i18n import N_
from shared.payloads import (
    Person,
    WeeklySlot,
    Window,
    language,
    length,
    one_line,
    text,
    time_zone,
    unique,
)
from shared.statuses import FORMATS

DURATIONS = (30, 45, 60)


class Strict(Schema):
    class Meta:
        unknown = RAISE


GIVE_NAME = N_("Give your name.")


def languages_field():
    return mf.List(
        mf.String(validate=language),
        required=True,
        validate=[*length(1, 10, N_("Tick at least one language.")), unique],
    )


GOAL_CHARS = 2000  # what a requester would like to learn


class RequestIn(Strict):
    name = one_line(1, 120, GIVE_NAME, required=True)
    field = one_line(1, 64, N_("Choose the field you aim for."), required=True)
    goal = text(
        3,
        GOAL_CHARS,
        N_("Say in a few words what you would like to learn (3 characters at least)."),
        required=True,
    )
    format = mf.String(required=True, validate=validate.OneOf(FORMATS))
    duration_minutes = mf.Integer(
        required=True, strict=True, validate=validate.OneOf(DURATIONS)
    )
    languages = languages_field()
    site = one_line(1, 120, allow_none=True, load_default=None)
    timezone = mf.String(required=True, validate=[validate.Length(1, 64), time_zone])
    related_ok = mf.Boolean(load_default=True)
    availability = mf.List(
        mf.Nested(Window, unknown=RAISE),
        required=True,
        validate=length(1, 20, N_("Add at least one time when you are free.")),
    )
    referrer = mf.Nested(Person, unknown=RAISE, allow_none=True, load_default=None)
    preferred_host = mf.UUID(allow_none=True, load_default=None)

    @validates_schema
    def site_for_in_person(self, data, **_):
        if data.get("format") == "in_person" and not data.get("site"):
            raise ValidationError(N_("Needed for an in-person meeting."), "site")


EXPERIENCE_CHARS = 1000  # what a host can talk about, in their words


class HostIn(Strict):
    name = one_line(1, 120, GIVE_NAME, required=True)
    experience = text(0, EXPERIENCE_CHARS, allow_none=True, load_default=None)
    fields = mf.List(
        one_line(1, 64),
        required=True,
        validate=[*length(1, 10, N_("Tick at least one field.")), unique],
    )
    languages = languages_field()
    formats = mf.List(
        mf.String(validate=validate.OneOf(FORMATS)),
        required=True,
        validate=[*length(1, 3, N_("Tick at least one format.")), unique],
    )
    site = one_line(1, 120, allow_none=True, load_default=None)
    timezone = mf.String(required=True, validate=[validate.Length(1, 64), time_zone])
    durations = mf.List(
        mf.Integer(strict=True, validate=validate.OneOf(DURATIONS)),
        required=True,
        validate=[*length(1, 3, N_("Tick at least one duration.")), unique],
    )
    monthly_capacity = mf.Integer(
        required=True, strict=True, validate=validate.Range(0, 20)
    )
    weekly_availability = mf.List(
        mf.Nested(WeeklySlot, unknown=RAISE),
        required=True,
        validate=validate.Length(0, 28),
    )
    unavailable = mf.List(
        mf.Nested(Window, unknown=RAISE),
        load_default=list,
        validate=validate.Length(0, 50),
    )
    active = mf.Boolean(load_default=True)
    listed = mf.Boolean(load_default=False)
    paused_until = mf.Date(allow_none=True, load_default=None)

    @validates_schema
    def site_for_in_person(self, data, **_):
        if "in_person" in data.get("formats", []) and not data.get("site"):
            raise ValidationError(N_("Needed for an in-person meeting."), "site")


class AcceptIn(Strict):
    location = one_line(0, 500, allow_none=True, load_default=None)
    note = text(0, 2000, allow_none=True, load_default=None)


class DeclineIn(Strict):
    reason = text(0, 1000, allow_none=True, load_default=None)


class CancelIn(Strict):
    reason = text(0, 1000, allow_none=True, load_default=None)


class RetryMailIn(Strict):
    """Which failed mail ops send again: every one, or of one kind, queued
    in a time range."""

    kind = one_line(1, 64, allow_none=True, load_default=None)
    since = mf.AwareDateTime(allow_none=True, load_default=None)
    until = mf.AwareDateTime(allow_none=True, load_default=None)

    @validates_schema
    def ordered(self, data, **_):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError(N_("The start must be before the end."), "until")


class CalendarIn(Strict):
    """A host's own calendar: an iCalendar subscription address, or a CalDAV
    calendar's address with a user name and an application password."""

    kind = mf.String(required=True, validate=validate.OneOf(CALENDAR_KINDS))
    url = one_line(1, 2000, required=True)
    username = one_line(1, 200, allow_none=True, load_default=None)
    password = one_line(1, 500, allow_none=True, load_default=None)

    @validates_schema
    def complete(self, data, **_):
        scheme = data["url"].strip().split(":", 1)[0].lower()
        if scheme not in ("http", "https", "webcal") or "://" not in data["url"]:
            raise ValidationError(
                N_("Must be an address starting with https://, http:// or webcal://."),
                "url",
            )
        if data["kind"] == "caldav" and not (data["username"] and data["password"]):
            raise ValidationError(
                N_("A CalDAV calendar needs a user name and a password."), "password"
            )


# every schema, each held once per language by translated_schemas.Schemas

MAX_LEAVERS = 1000  # addresses in one request (and MAX_BODY_BYTES bounds the body)


class LeaversIn(Strict):
    """The people HR forgets: employees who left, by address."""

    emails = mf.List(
        mf.Email(), required=True, validate=validate.Length(1, MAX_LEAVERS)
    )


class SuggestionsIn(Strict):
    """A goal as the requester types it, for the fields it sounds like."""

    goal = text(0, GOAL_CHARS, required=True)


class DirectoryQuery(Schema):
    """The host directory's query string: part of a name or words of what
    hosts can talk about, a field's slug (other parameters are ignored)."""

    class Meta:
        unknown = EXCLUDE

    q = one_line(0, 120, load_default=None)
    field = one_line(0, 64, load_default=None)


SCHEMAS = (
    RequestIn, HostIn, AcceptIn, DeclineIn, CancelIn, RetryMailIn, CalendarIn,
    DirectoryQuery, LeaversIn, SuggestionsIn,
)  # fmt: skip
