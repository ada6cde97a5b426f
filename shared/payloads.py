"""The pieces that API bodies and event payloads share, defined once.

A time window, a weekly availability slot and a person (name and email)
appear in intake's API bodies and in the events' payloads; both validate
them with these schemas, so an event can never carry what the API refuses.
Free text is `text` (paragraphs allowed) or `one_line` (names, places,
slugs: no CR, LF, NEL, U+2028 or U+2029).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import available_timezones

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.i18n import N_
from shared.languages import ISO_639_1
from shared.statuses import DAYS

TIMEZONES = frozenset(available_timezones())
START_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
END_OF_DAY = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")  # an end may be "24:00"
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# half of a UTF-16 pair alone: JSON may carry one ("\ud800"), no text holds it
SURROGATE = re.compile("[\ud800-\udfff]")
# What ends a line, besides the control characters above: CR, LF, NEL and
# Unicode's line and paragraph separators.
LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")


def printable(value: str) -> None:
    """Tabs and line breaks pass (a goal has paragraphs); NUL and other
    control characters do not, nor a lone surrogate (no text holds one)."""
    if CONTROL.search(value) or SURROGATE.search(value):
        raise ValidationError(N_("Contains control characters."))


def length(lo: int, hi: int, too_short: str | None = None) -> list:
    """Between `lo` and `hi` items or characters; `too_short`, when given, is
    what a person is told when there are fewer ("Give your name."), in place
    of marshmallow's "Length must be between 1 and 120."."""
    if too_short is None:
        return [validate.Length(lo, hi)]
    return [validate.Length(min=lo, error=too_short), validate.Length(max=hi)]


def text(lo: int, hi: int, too_short: str | None = None, **kw) -> fields.String:
    return fields.String(validate=[*length(lo, hi, too_short), printable], **kw)


def single_line(value: str) -> None:
    if LINE_BREAK.search(value):
        raise ValidationError(N_("Must be on one line."))


def one_line(lo: int, hi: int, too_short: str | None = None, **kw) -> fields.String:
    """Text that stays on one line (a name, a place, a slug): it may end up
    in a mail header or a subject, where a line break has no place."""
    return fields.String(
        validate=[*length(lo, hi, too_short), printable, single_line], **kw
    )


def plausible(value: datetime) -> None:
    if not EARLIEST <= value <= LATEST:
        raise ValidationError(N_("Must be between 2000 and 2100."))


def language(value: str) -> None:
    if value not in ISO_639_1:
        raise ValidationError(N_("Not an ISO 639-1 language code."))


def time_zone(value: str) -> None:
    if value not in TIMEZONES:
        raise ValidationError(N_("Not an IANA time zone."))


def unique(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError(N_("Duplicate values."))


class Window(Schema):
    start = fields.AwareDateTime(required=True, validate=plausible)
    end = fields.AwareDateTime(required=True, validate=plausible)

    @validates_schema
    def ordered(self, data, **_):
        if data["start"] >= data["end"]:
            raise ValidationError(N_("The start must be before the end."), "end")


class WeeklySlot(Schema):
    day = fields.String(required=True, validate=validate.OneOf(DAYS))
    start = fields.String(
        required=True,
        validate=validate.Regexp(START_OF_DAY, error=N_("Not a time of day (HH:MM).")),
    )
    end = fields.String(
        required=True,
        validate=validate.Regexp(END_OF_DAY, error=N_("Not a time of day (HH:MM).")),
    )

    @validates_schema
    def differ(self, data, **_):
        if data["start"] == data["end"]:
            raise ValidationError(N_("Start and end must differ."), "end")


class Person(Schema):
    name = one_line(1, 120, required=True)
    email = fields.Email(required=True, validate=validate.Length(3, 254))
