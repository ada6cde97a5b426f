"""Busy intervals from a host's calendar: pure functions, no I/O.

Only when a host is busy is kept, never what they do: titles, attendees,
places and descriptions are read by the parser and dropped here.

- Recurring events are expanded with their exceptions (EXDATE) and moved or
  cancelled occurrences (RECURRENCE-ID) by `recurring-ical-events`.
- A time with a zone is an instant; a floating time (no zone) and an
  all-day event are read as wall time in the host's zone.
- An event marked free (TRANSP:TRANSPARENT) or cancelled is not busy; nor
  is the host's copy of one of our own confirmed meetings (its UID), which
  the matcher already counts.
- A free-busy answer (VFREEBUSY, what a CalDAV free-busy query returns)
  gives its BUSY, BUSY-TENTATIVE and BUSY-UNAVAILABLE periods.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from shared.calendars import is_meeting_uid

Interval = tuple[datetime, datetime]

MAX_INTERVALS = 20_000  # more busy periods over the horizon than anyone has
# A recurring event is walked from its first occurrence: a rule repeating
# every second since 2006 is millions of steps before the window even
# starts. Counted from each one's DTSTART up to the end of the window, the
# recurring events of one calendar may take no more steps than this (twenty
# daily meetings for ten years would).
MAX_STEPS = 100_000
SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86_400,
           "WEEKLY": 604_800, "MONTHLY": 2_629_746, "YEARLY": 31_556_952}  # fmt: skip
# how many occurrences one step of a rule may give, per BY part
EXPANDS = {"BYSECOND": 60, "BYMINUTE": 60, "BYHOUR": 24, "BYDAY": 7,
           "BYMONTHDAY": 31, "BYYEARDAY": 366, "BYWEEKNO": 53, "BYMONTH": 12}  # fmt: skip
# Floating times and dates are placed in the host's zone only after the
# expansion, which reads them as UTC: a day's margin each side keeps them.
MARGIN = timedelta(days=1)


class NotICalendar(ValueError):
    """The text is not an iCalendar calendar."""


class TooComplex(ValueError):
    """A recurring event would take more than MAX_STEPS to walk."""


def parse(text: bytes | str) -> icalendar.Calendar:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise NotICalendar("no VCALENDAR")
    try:
        return icalendar.Calendar.from_ical(text)
    except Exception as exc:  # the parser's faults on text anyone may serve
        raise NotICalendar(type(exc).__name__) from None


def busy_intervals(
    calendars: Iterable[icalendar.Calendar],
    tz: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """The merged busy intervals (UTC) of `calendars` within [start, end)."""
    found: list[Interval] = []
    for cal in calendars:
        check_rules(cal, tz, end)
        found.extend(_events(cal, tz, start, end))
        found.extend(_free_busy(cal, tz))
        if len(found) > MAX_INTERVALS:
            break
    return merge(found, start, end)


def merge(
    intervals: Iterable[Interval], start: datetime, end: datetime
) -> list[Interval]:
    """Sorted, clipped to [start, end), overlapping and touching ones joined."""
    out: list[Interval] = []
    for s, e in sorted((max(s, start), min(e, end)) for s, e in intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out[:MAX_INTERVALS]


def without(intervals: list[Interval], taken: list[Interval]) -> list[Interval]:
    """`intervals` less the `taken` ones (both sorted or not)."""
    out = []
    cuts = sorted(taken)
    for s, e in intervals:
        for cs, ce in cuts:
            if ce <= s or cs >= e:
                continue
            if cs > s:
                out.append((s, cs))
            s = max(s, ce)
            if s >= e:
                break
        if s < e:
            out.append((s, e))
    return out


def spans(ranges) -> list[Interval]:
    """Stored busy times (a multirange) as (start, end) pairs."""
    return [(r.lower, r.upper) for r in ranges]


def count_between(intervals: Iterable[Interval], start: datetime, end: datetime) -> int:
    return sum(1 for s, e in intervals if s < end and e > start)


def check_rules(cal, tz: ZoneInfo, end: datetime) -> None:
    """Refuse a calendar whose recurring events would take more than
    MAX_STEPS, all together, to walk from each one's first occurrence to
    `end` (each step of its frequency, times what its BY parts multiply it
    by, and each date it lists): the work is bounded before the library
    starts, whatever the window. A rule that repeats every 0 periods never
    ends: refused too."""
    steps = 0.0
    for event in cal.walk("VEVENT"):
        for prop in ("RDATE", "EXDATE"):
            for listed in _as_list(event.get(prop)):
                steps += len(getattr(listed, "dts", []) or [listed])
        rules = event.get("RRULE")
        if rules is None or "DTSTART" not in event:
            continue
        first = _instant(event["DTSTART"].dt, tz)
        for rule in _as_list(rules):
            steps += _steps(rule, first, end)
        if steps > MAX_STEPS:
            raise TooComplex("too many steps")


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# A period's days for BYDAY: a weekday once a week, about 5 times a month,
# 53 times a year.
PER_PERIOD_DAYS = {"WEEKLY": 1, "MONTHLY": 5, "YEARLY": 53}


def _steps(rule, first: datetime, end: datetime) -> float:
    freq = str((rule.get("FREQ") or ["DAILY"])[0]).upper()
    try:
        interval = int((rule.get("INTERVAL") or [1])[0])
    except (TypeError, ValueError):
        interval = 1
    if interval < 1:
        raise TooComplex("INTERVAL below 1")
    span = max((end - first).total_seconds(), 0.0)
    steps = span / (SECONDS.get(freq, 1) * interval) + 1
    for part, most in EXPANDS.items():
        values = rule.get(part)
        if values:
            count = min(len(values) if isinstance(values, list) else 1, most)
            if part == "BYDAY":
                count *= PER_PERIOD_DAYS.get(freq, 1)
            steps *= count
    return steps


def _events(cal, tz: ZoneInfo, start: datetime, end: datetime):
    """The occurrences within the window (one query of the library, which
    walks each series once), at most MAX_INTERVALS of them."""
    query = recurring_ical_events.of(cal, skip_bad_series=True)
    occurrences = query.between(start - MARGIN, end + MARGIN)
    for event in itertools.islice(occurrences, MAX_INTERVALS):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
            continue
        if is_meeting_uid(str(event.get("UID", ""))):
            continue
        span = _span(event, tz)
        if span is not None:
            yield span


def _span(event, tz: ZoneInfo) -> Interval | None:
    if "DTSTART" not in event:
        return None
    begin = event["DTSTART"].dt
    if "DTEND" in event:
        finish = event["DTEND"].dt
    elif "DURATION" in event:
        finish = begin + event["DURATION"].dt
    else:  # RFC 5545: a day for a date, nothing for a time
        finish = begin + timedelta(days=1) if not isinstance(begin, datetime) else begin
    s, e = _instant(begin, tz), _instant(finish, tz)
    return (s, e) if e > s else None


def _instant(value, tz: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):  # a date: the day starts in the host's zone
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:  # floating: the host's wall time
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _free_busy(cal, tz: ZoneInfo):
    for component in cal.walk("VFREEBUSY"):
        periods = component.get("FREEBUSY", [])
        for prop in periods if isinstance(periods, list) else [periods]:
            kind = str(prop.params.get("FBTYPE", "BUSY")).upper()
            if kind == "FREE":
                continue
            yield from _periods(prop)


def _periods(prop):
    values = prop.dt if isinstance(prop.dt, list) else [prop.dt]
    for value in values:
        if not isinstance(value, tuple):
            continue
        begin, other = value
        s = _instant(begin, UTC)
        e = s + other if isinstance(other, timedelta) else _instant(other, UTC)
        if e > s:
            yield (s, e)


__all__ = [
    "NotICalendar",
    "TooComplex",
    "parse",
    "busy_intervals",
    "merge",
    "count_between",
]
