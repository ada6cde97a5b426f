"""Reading an iCalendar subscription address over HTTP(S), through the
guarded session of `fetch`. Its validators (ETag, Last-Modified) make an
unchanged calendar cost one short answer (304)."""

from __future__ import annotations

from services.intake.calendars import busy
from services.intake.calendars.fetch import (
    FeedError,
    Guard,
    Read,
    Source,
    check_status,
    validator,
)


def read(guard: Guard, source: Source, etag: str | None, last_modified) -> Read:
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    auth = (source.username, source.password or "") if source.username else None
    with guard.session() as session:
        response = session.get(source.url, headers=headers, auth=auth)
    if response.status_code == 304:
        return Read(None, etag, last_modified)
    check_status(response.status_code)
    validators = (
        validator(response.headers.get("ETag")),
        validator(response.headers.get("Last-Modified")),
    )
    try:
        return Read([busy.parse(response.content)], *validators)
    except busy.NotICalendar:
        raise FeedError("not_icalendar") from None
