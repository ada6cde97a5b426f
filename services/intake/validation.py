"""What intake accepts: marshmallow schemas with every field bounded, then
the checks that need the taxonomy or the clock.

`load_request(body, ...)` and `load_host(body, ...)` return clean data or
raise `Invalid` with `{"field": ["message", ...]}` in English (translated
at the edge).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import available_timezones

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from shared.languages import ISO_639_1
from shared.statuses import DAYS, FORMATS

DURATIONS = (30, 45, 60)
TIMEZONES = frozenset(available_timezones())
TIME_OF_DAY = re.compile(
    r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$"
)  # an end may be midnight, "24:00"
START_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class Invalid(Exception):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class Strict(Schema):
    class Meta:
        unknown = RAISE


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value: str):
    """Tabs and line breaks pass (a goal has paragraphs); NUL and other control characters do not."""
    if CONTROL.search(value):
        raise ValidationError("Contains control characters.")


def text(lo: int, hi: int, **kw):
    return fields.String(validate=[validate.Length(lo, hi), printable], **kw)


def language(value):
    if value not in ISO_639_1:
        raise ValidationError("Not an ISO 639-1 language code.")


def time_zone(value):
    if value not in TIMEZONES:
        raise ValidationError("Not an IANA time zone.")


def unique(values):
    if len(set(values)) != len(values):
        raise ValidationError("Duplicate values.")


def languages_field():
    return fields.List(
        fields.String(validate=language),
        required=True,
        validate=[validate.Length(1, 10), unique],
    )


def plausible(value: datetime):
    if not EARLIEST <= value <= LATEST:
        raise ValidationError("Must be between 2000 and 2100.")


class Window(Strict):
    start = fields.AwareDateTime(required=True, validate=plausible)
    end = fields.AwareDateTime(required=True, validate=plausible)

    @validates_schema
    def ordered(self, data, **_):
        if data["start"] >= data["end"]:
            raise ValidationError("The start must be before the end.", "end")


class Person(Strict):
    name = text(1, 120, required=True)
    email = fields.Email(required=True, validate=validate.Length(3, 254))


class RequestIn(Strict):
    name = text(1, 120, required=True)
    field = text(1, 64, required=True)
    goal = text(3, 2000, required=True)
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    duration_minutes = fields.Integer(
        required=True, strict=True, validate=validate.OneOf(DURATIONS)
    )
    languages = languages_field()
    site = text(1, 120, allow_none=True, load_default=None)
    timezone = fields.String(
        required=True, validate=[validate.Length(1, 64), time_zone]
    )
    related_ok = fields.Boolean(load_default=True)
    availability = fields.List(
        fields.Nested(Window), required=True, validate=validate.Length(1, 20)
    )
    referrer = fields.Nested(Person, allow_none=True, load_default=None)
    preferred_host = fields.UUID(allow_none=True, load_default=None)

    @validates_schema
    def site_for_in_person(self, data, **_):
        if data.get("format") == "in_person" and not data.get("site"):
            raise ValidationError("Needed for an in-person meeting.", "site")


class WeeklySlot(Strict):
    day = fields.String(required=True, validate=validate.OneOf(DAYS))
    start = fields.String(
        required=True,
        validate=validate.Regexp(START_OF_DAY, error="Not a time of day (HH:MM)."),
    )
    end = fields.String(
        required=True,
        validate=validate.Regexp(TIME_OF_DAY, error="Not a time of day (HH:MM)."),
    )

    @validates_schema
    def differ(self, data, **_):
        if data["start"] == data["end"]:
            raise ValidationError("Start and end must differ.", "end")


class HostIn(Strict):
    name = text(1, 120, required=True)
    fields_ = fields.List(
        text(1, 64),
        required=True,
        data_key="fields",
        validate=[validate.Length(1, 10), unique],
    )
    languages = languages_field()
    formats = fields.List(
        fields.String(validate=validate.OneOf(FORMATS)),
        required=True,
        validate=[validate.Length(1, 3), unique],
    )
    site = text(1, 120, allow_none=True, load_default=None)
    timezone = fields.String(
        required=True, validate=[validate.Length(1, 64), time_zone]
    )
    durations = fields.List(
        fields.Integer(strict=True, validate=validate.OneOf(DURATIONS)),
        required=True,
        validate=[validate.Length(1, 3), unique],
    )
    monthly_capacity = fields.Integer(
        required=True, strict=True, validate=validate.Range(0, 20)
    )
    weekly_availability = fields.List(
        fields.Nested(WeeklySlot), required=True, validate=validate.Length(0, 28)
    )
    unavailable = fields.List(
        fields.Nested(Window), load_default=list, validate=validate.Length(0, 50)
    )
    active = fields.Boolean(load_default=True)

    @validates_schema
    def site_for_in_person(self, data, **_):
        if "in_person" in data.get("formats", []) and not data.get("site"):
            raise ValidationError("Needed for an in-person meeting.", "site")


class AcceptIn(Strict):
    location = text(0, 500, allow_none=True, load_default=None)
    note = text(0, 2000, allow_none=True, load_default=None)


class DeclineIn(Strict):
    reason = text(0, 1000, allow_none=True, load_default=None)


class CancelIn(Strict):
    reason = text(0, 1000, allow_none=True, load_default=None)


_INSTANCES: dict[type, Schema] = {}


def flatten(errors, prefix: str = "") -> dict[str, list[str]]:
    """{"availability": {0: {"_schema": [m]}}} -> {"availability.0": [m]}: the
    contract's `{"<field>": ["message", ...]}`, with a dotted path for nested fields."""
    out: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            path = (
                prefix
                if key == "_schema" and prefix
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            for k, v in flatten(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        out[prefix or "_schema"] = list(errors)
    elif isinstance(errors, list):
        for item in errors:
            for k, v in flatten(item, prefix).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [str(errors)]
    return out


def _load(schema_cls: type[Schema], body) -> dict:
    schema = _INSTANCES.get(schema_cls) or _INSTANCES.setdefault(
        schema_cls, schema_cls()
    )
    if not isinstance(body, dict):
        raise Invalid({"_schema": ["Invalid input type."]})
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise Invalid(exc.messages) from None


def load_request(
    body, taxonomy, *, now: datetime | None = None, horizon_days: int = 60
) -> dict:
    data = _load(RequestIn, body)
    now = now or datetime.now(UTC)
    errors: dict = {}
    if data["field"] not in taxonomy:
        errors["field"] = ["Unknown field of the taxonomy."]
    limit = now + timedelta(days=horizon_days)
    window_errors = {}
    for i, w in enumerate(data["availability"]):
        problems = []
        if w["end"] - w["start"] < timedelta(minutes=data["duration_minutes"]):
            problems.append("Shorter than the requested duration.")
        if w["end"] <= now:
            problems.append("Must be in the future.")
        if w["start"] > limit:
            problems.append(f"Too far ahead (at most {horizon_days} days).")
        if problems:
            window_errors[i] = {"_schema": problems}
    if window_errors:
        errors["availability"] = window_errors
    if errors:
        raise Invalid(errors)
    return data


def load_host(body, taxonomy) -> dict:
    data = _load(HostIn, body)
    unknown = [f for f in data["fields_"] if f not in taxonomy]
    if unknown:
        raise Invalid(
            {
                "fields": {
                    str(i): ["Unknown field of the taxonomy."]
                    for i, f in enumerate(data["fields_"])
                    if f in unknown
                }
            }
        )
    return data


def load_simple(schema_cls, body) -> dict:
    return _load(schema_cls, body if body is not None else {})
