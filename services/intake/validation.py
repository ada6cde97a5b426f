"""What intake accepts: marshmallow schemas with every field bounded, then
the checks that need the taxonomy or the clock.

`load_request(body, ...)` and `load_host(body, ...)` return clean data or
raise `Invalid` with `{"field": ["message", ...]}`. The messages are in the
language asked for: `Schemas` holds one instance of each schema per
language, marshmallow's messages translated in it (marshmallow fills in the
numbers); our own messages stay English message ids, translated at the edge
(`i18n.translated`). Without `schemas`, everything is in English.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates_schema,
)

from services.intake.errors import Invalid, NotFound
from shared.calendars import KINDS as CALENDAR_KINDS
from shared.i18n import N_, SOURCE, Catalogs
from shared.payloads import (
    Person,
    WeeklySlot,
    Window,
    language,
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


def languages_field():
    return fields.List(
        fields.String(validate=language),
        required=True,
        validate=[validate.Length(1, 10), unique],
    )


class RequestIn(Strict):
    name = one_line(1, 120, required=True)
    field = one_line(1, 64, required=True)
    goal = text(3, 2000, required=True)
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    duration_minutes = fields.Integer(
        required=True, strict=True, validate=validate.OneOf(DURATIONS)
    )
    languages = languages_field()
    site = one_line(1, 120, allow_none=True, load_default=None)
    timezone = fields.String(
        required=True, validate=[validate.Length(1, 64), time_zone]
    )
    related_ok = fields.Boolean(load_default=True)
    availability = fields.List(
        fields.Nested(Window, unknown=RAISE),
        required=True,
        validate=validate.Length(1, 20),
    )
    referrer = fields.Nested(Person, unknown=RAISE, allow_none=True, load_default=None)
    preferred_host = fields.UUID(allow_none=True, load_default=None)

    @validates_schema
    def site_for_in_person(self, data, **_):
        if data.get("format") == "in_person" and not data.get("site"):
            raise ValidationError(N_("Needed for an in-person meeting."), "site")


class HostIn(Strict):
    name = one_line(1, 120, required=True)
    fields_ = fields.List(
        one_line(1, 64),
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
    site = one_line(1, 120, allow_none=True, load_default=None)
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
        fields.Nested(WeeklySlot, unknown=RAISE),
        required=True,
        validate=validate.Length(0, 28),
    )
    unavailable = fields.List(
        fields.Nested(Window, unknown=RAISE),
        load_default=list,
        validate=validate.Length(0, 50),
    )
    active = fields.Boolean(load_default=True)
    listed = fields.Boolean(load_default=False)
    paused_until = fields.Date(allow_none=True, load_default=None)

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
    since = fields.AwareDateTime(allow_none=True, load_default=None)
    until = fields.AwareDateTime(allow_none=True, load_default=None)

    @validates_schema
    def ordered(self, data, **_):
        if data.get("since") and data.get("until") and data["since"] >= data["until"]:
            raise ValidationError(N_("The start must be before the end."), "until")


class CalendarIn(Strict):
    """A host's own calendar: an iCalendar subscription address, or a CalDAV
    calendar's address with a user name and an application password."""

    kind = fields.String(required=True, validate=validate.OneOf(CALENDAR_KINDS))
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


SCHEMAS = (RequestIn, HostIn, AcceptIn, DeclineIn, CancelIn, RetryMailIn, CalendarIn)

# marshmallow's messages (its English defaults) for the fields and validators
# above, for `make messages` to extract; `Schemas` translates them by key.
MARSHMALLOW_MESSAGES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid boolean."),
    N_("Not a valid list."),
    N_("Not a valid UUID."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid email address."),
    N_("Must be one of: {choices}."),
    N_("Length must be between {min} and {max}."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be less than or equal to {max}."),
)
TOO_FAR = N_("Too far ahead (at most {n} days).")
ENDS_TOO_FAR = N_("Must end at most {n} days ahead.")
STARTS_TOO_EARLY = N_("Must start at most {n} days ago.")
# A host's time off: from a year back to two years ahead (what a calendar
# holds; the matcher searches a year ahead at most).
TIME_OFF_PAST_DAYS = 366
TIME_OFF_AHEAD_DAYS = 731
# The message templates of marshmallow's validators (Length, Range, OneOf,
# Regexp, Email...), by attribute.
VALIDATOR_MESSAGES = (
    "error",
    "message_min",
    "message_max",
    "message_all",
    "message_equal",
)


class Schemas:
    """One instance of each schema per language of `catalogs`, made once:
    build one and pass it on."""

    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        self.by_language = {
            lang: {
                cls: _translate_schema(cls(), catalogs.translations(lang).gettext)
                for cls in SCHEMAS
            }
            for lang in catalogs.languages
        }

    def get(self, schema_cls: type[Schema], lang: str) -> Schema:
        return self.by_language[self.catalogs.language(lang)][schema_cls]

    def gettext(self, lang: str, msgid: str) -> str:
        return self.catalogs.gettext(lang, msgid)


def _translate_schema(schema: Schema, gettext) -> Schema:
    """`schema` (a fresh instance) with its messages, and those of its fields,
    nested schemas and validators, passed through `gettext`."""
    schema.error_messages = {
        key: gettext(message) for key, message in schema.error_messages.items()
    }
    for field in schema.fields.values():
        _translate_field(field, gettext)
    return schema


def _translate_field(field: fields.Field, gettext) -> None:
    # A schema's fields are shallow copies of the class's: give each its own
    # messages and validators rather than change shared ones.
    field.error_messages = {
        key: gettext(_fixed(field, message)) if isinstance(message, str) else message
        for key, message in field.error_messages.items()
    }
    field.validators = [_translate_validator(v, gettext) for v in field.validators]
    if isinstance(field, fields.List):
        _translate_field(field.inner, gettext)
    if isinstance(field, fields.Nested):
        field._schema = None  # made anew for this field, never shared
        _translate_schema(field.schema, gettext)


def _fixed(field: fields.Field, message: str) -> str:
    """What a field always fills in, filled in: "Not a valid {obj_type}." is
    "Not a valid datetime." for a DateTime field."""
    for placeholder, attribute in (
        ("{obj_type}", "OBJ_TYPE"),
        ("{awareness}", "AWARENESS"),
    ):
        if hasattr(field, attribute):
            message = message.replace(placeholder, getattr(field, attribute))
    return message


def _translate_validator(validator, gettext):
    # A plain function raises our own message, translated at the edge.
    if not isinstance(validator, validate.Validator):
        return validator
    validator = copy.copy(validator)
    for attribute in VALIDATOR_MESSAGES:
        message = getattr(validator, attribute, None)
        if isinstance(message, str):
            setattr(validator, attribute, gettext(message))
    return validator


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


def _message(schemas: Schemas | None, lang: str, msgid: str, n: int) -> str:
    """One of our messages with a number filled in: translated here, since the
    edge cannot recognise it once filled in."""
    return (schemas.gettext(lang, msgid) if schemas else msgid).format(n=n)


def _load(schema_cls: type[Schema], body, schemas: Schemas | None, lang: str) -> dict:
    schema = schemas.get(schema_cls, lang) if schemas else schema_cls()
    if not isinstance(body, dict):
        raise Invalid({"_schema": [N_("Invalid input type.")]})
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise Invalid(exc.messages) from None


def _site(data: dict, sites, errors: dict) -> None:
    """With the company's sites configured, a site must be one of them."""
    if sites and data.get("site") is not None and data["site"] not in sites:
        errors["site"] = [N_("Not one of the company's sites.")]


def load_request(
    body,
    taxonomy,
    *,
    now: datetime | None = None,
    horizon_days: int = 60,
    sites=(),
    schemas: Schemas | None = None,
    lang: str = SOURCE,
) -> dict:
    data = _load(RequestIn, body, schemas, lang)
    now = now or datetime.now(UTC)
    errors: dict = {}
    _site(data, sites, errors)
    if data["field"] not in taxonomy:
        errors["field"] = [N_("Unknown field of the taxonomy.")]
    limit = now + timedelta(days=horizon_days)
    window_errors = {}
    for i, w in enumerate(data["availability"]):
        problems = []
        if w["end"] - w["start"] < timedelta(minutes=data["duration_minutes"]):
            problems.append(N_("Shorter than the requested duration."))
        if w["end"] <= now:
            problems.append(N_("Must be in the future."))
        if w["start"] > limit:
            problems.append(_message(schemas, lang, TOO_FAR, horizon_days))
        elif w["end"] > limit:
            problems.append(_message(schemas, lang, ENDS_TOO_FAR, horizon_days))
        if problems:
            window_errors[i] = {"_schema": problems}
    if window_errors:
        errors["availability"] = window_errors
    if errors:
        raise Invalid(errors)
    return data


def load_host(
    body,
    taxonomy,
    *,
    now: datetime | None = None,
    sites=(),
    schemas: Schemas | None = None,
    lang: str = SOURCE,
) -> dict:
    data = _load(HostIn, body, schemas, lang)
    now = now or datetime.now(UTC)
    errors: dict = {}
    _site(data, sites, errors)
    unknown = {
        str(i): [N_("Unknown field of the taxonomy.")]
        for i, f in enumerate(data["fields_"])
        if f not in taxonomy
    }
    if unknown:
        errors["fields"] = unknown
    earliest = now - timedelta(days=TIME_OFF_PAST_DAYS)
    latest = now + timedelta(days=TIME_OFF_AHEAD_DAYS)
    time_off = {}
    for i, w in enumerate(data["unavailable"]):
        problems = []
        if w["start"] < earliest:
            problems.append(
                _message(schemas, lang, STARTS_TOO_EARLY, TIME_OFF_PAST_DAYS)
            )
        if w["end"] > latest:
            problems.append(_message(schemas, lang, ENDS_TOO_FAR, TIME_OFF_AHEAD_DAYS))
        if problems:
            time_off[i] = {"_schema": problems}
    if time_off:
        errors["unavailable"] = time_off
    if errors:
        raise Invalid(errors)
    return data


def load_simple(
    schema_cls, body, *, schemas: Schemas | None = None, lang: str = SOURCE
) -> dict:
    return _load(schema_cls, body if body is not None else {}, schemas, lang)


ANSWERS = {"accept": AcceptIn, "decline": DeclineIn}


def load_answer(
    answer: str, body, *, schemas: Schemas | None = None, lang: str = SOURCE
) -> dict:
    """The details of a host's answer ("accept" or "decline") from a JSON body."""
    schema = ANSWERS.get(answer)
    if schema is None:
        raise NotFound()
    return load_simple(schema, body, schemas=schemas, lang=lang)


def answer_from_form(
    answer: str, form, *, schemas: Schemas | None = None, lang: str = SOURCE
) -> dict:
    """The same from a form, where an empty field means none."""
    names = ANSWERS[answer]._declared_fields if answer in ANSWERS else ()
    body = {k: form.get(k) or None for k in names}
    return load_answer(answer, body, schemas=schemas, lang=lang)
