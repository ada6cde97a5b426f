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
# Floating times and dates are placed in the host's zone only after the
# expansion, which reads them as UTC: a day's margin each side keeps them.
MARGIN = timedelta(days=1)


class NotICalendar(ValueError):
    """The text is not an iCalendar calendar."""


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


def _events(cal, tz: ZoneInfo, start: datetime, end: datetime):
    """Occurrences in order, stopping past `end` or after MAX_INTERVALS (a rule
    repeating every minute for years costs no more than that)."""
    query = recurring_ical_events.of(cal, skip_bad_series=True)
    occurrences = query.after(start - MARGIN)
    for event in itertools.islice(occurrences, MAX_INTERVALS):
        if "DTSTART" in event and _instant(event["DTSTART"].dt, tz) > end + MARGIN:
            break
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


__all__ = ["NotICalendar", "parse", "busy_intervals", "merge", "count_between"]
