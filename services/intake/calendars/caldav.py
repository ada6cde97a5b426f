"""Reading a CalDAV calendar with the `caldav` client, through the guarded
session of `fetch` (every request, redirects included, checked).

The calendar's CTag (or sync token) says whether anything changed since
the last read; if it did, a free-busy query is asked first (RFC 4791
7.10: the server keeps titles and attendees to itself), and where the
server does not answer one, the events of the period are read instead.
"""

from __future__ import annotations

from datetime import datetime

import caldav
from caldav.elements import dav
from caldav.elements.base import ValuedBaseElement
from caldav.lib import error

from services.intake.calendars import busy
from services.intake.calendars.fetch import FeedError, Guard, Read, Source


class GetCTag(ValuedBaseElement):
    tag = "{http://calendarserver.org/ns/}getctag"


def read(
    guard: Guard, source: Source, start: datetime, end: datetime, etag: str | None
) -> Read:
    client = caldav.DAVClient(
        url=source.url,
        username=source.username,
        password=source.password,
        auth_type="basic",  # at once, not after a 401: one round trip less
        timeout=guard.timeout_s,
    )
    client.session = guard.session()
    try:
        calendar = client.calendar(url=source.url)
        version = _version(calendar)
        if etag and version and version == etag:
            return Read(None, etag)
        found, free_busy = _busy_calendars(calendar, start, end)
        return Read(found, version, free_busy=free_busy)
    except error.AuthorizationError:
        raise FeedError("unauthorized") from None
    except error.NotFoundError:
        raise FeedError("not_found") from None
    except busy.NotICalendar:
        raise FeedError("not_icalendar") from None
    except error.DAVError:
        raise FeedError("http_error") from None
    finally:
        client.session.close()


def _version(calendar) -> str | None:
    """The calendar's CTag, or its sync token: a new value on any change."""
    props = calendar.get_properties([GetCTag(), dav.SyncToken()])
    value = props.get(GetCTag.tag) or props.get(dav.SyncToken.tag)
    return str(value) if value else None


def _busy_calendars(calendar, start: datetime, end: datetime) -> tuple[list, bool]:
    """The calendars to read busy times from, and whether they are a free-busy
    answer."""
    try:
        answer = calendar.freebusy_request(start, end)
        text = _text(answer)
        if text and "VFREEBUSY" in text:
            return [busy.parse(text)], True
    except (error.DAVError, error.ReportError, busy.NotICalendar):
        pass  # no free-busy here: read the events
    events = calendar.search(start=start, end=end, event=True, expand=False)
    return [busy.parse(_text(event)) for event in events], False


def _text(obj) -> str:
    data = getattr(obj, "data", None)
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data or ""
