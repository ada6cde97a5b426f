"""iCalendar text for the tests: a calendar of events, as servers write them."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def event(uid: str, lines: list[str]) -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT"]
    )


def busy_event(uid: str, start: datetime, end: datetime, *extra: str) -> str:
    """An event from `start` to `end` (aware datetimes, written in UTC)."""
    return event(
        uid,
        [f"DTSTART:{stamp(start)}", f"DTEND:{stamp(end)}", "SUMMARY:Private", *extra],
    )


def calendar(*events: str) -> str:
    return (
        "\r\n".join(
            ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//feeds//EN", *events]
            + ["END:VCALENDAR"]
        )
        + "\r\n"
    )


NEW_YORK = "\r\n".join(
    [
        "BEGIN:VTIMEZONE",
        "TZID:America/New_York",
        "BEGIN:STANDARD",
        "DTSTART:20071104T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
        "TZOFFSETFROM:-0400",
        "TZOFFSETTO:-0500",
        "END:STANDARD",
        "BEGIN:DAYLIGHT",
        "DTSTART:20070311T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "TZOFFSETFROM:-0500",
        "TZOFFSETTO:-0400",
        "END:DAYLIGHT",
        "END:VTIMEZONE",
    ]
)

# The cases the parser must get right, with what each must give.
WEEKLY_WITH_EXCEPTIONS = calendar(
    event(
        "weekly",
        [
            "DTSTART;TZID=Europe/Paris:20270104T100000",
            "DTEND;TZID=Europe/Paris:20270104T110000",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            "EXDATE;TZID=Europe/Paris:20270118T100000",  # one cancelled
            "SUMMARY:Team meeting",
            "ATTENDEE:mailto:someone@example.com",
        ],
    ),
    event(  # one moved: from Monday 11th 10:00 to Tuesday 12th 14:00
        "weekly",
        [
            "RECURRENCE-ID;TZID=Europe/Paris:20270111T100000",
            "DTSTART;TZID=Europe/Paris:20270112T140000",
            "DTEND;TZID=Europe/Paris:20270112T150000",
        ],
    ),
)

ACROSS_DST = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//feeds//EN\r\n"
    + NEW_YORK
    + "\r\n"
    + event(
        "ny",
        [
            "DTSTART;TZID=America/New_York:20270313T090000",
            "DTEND;TZID=America/New_York:20270313T100000",
            "RRULE:FREQ=DAILY;COUNT=2",  # Saturday EST, Sunday EDT (14 March 2027)
        ],
    )
    + "\r\nEND:VCALENDAR\r\n"
)

ALL_DAY_FREE_CANCELLED_FLOATING = calendar(
    event("allday", ["DTSTART;VALUE=DATE:20270201", "DTEND;VALUE=DATE:20270202"]),
    event(
        "free",
        ["DTSTART:20270203T090000Z", "DTEND:20270203T100000Z", "TRANSP:TRANSPARENT"],
    ),
    event(
        "cancelled",
        ["DTSTART:20270204T090000Z", "DTEND:20270204T100000Z", "STATUS:CANCELLED"],
    ),
    event("floating", ["DTSTART:20270205T090000", "DTEND:20270205T100000"]),
    event(
        "match-1b4e28ba-2fa1-11d2-883f-0016d3cca427@matchmaker",
        ["DTSTART:20270206T090000Z", "DTEND:20270206T100000Z"],
    ),
)
