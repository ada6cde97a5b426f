"""Reading a CalDAV calendar (RFC 4791) through the guarded session of
`fetch`: the few requests the service needs, spoken directly.

1. PROPFIND (Depth 0): is the address a calendar, and its version (the
   CTag, or the sync token: a new value on any change). An address that is
   a folder of calendars (a user's home) is refused, naming the calendars
   found in it (PROPFIND Depth 1).
2. If it changed: a free-busy query (REPORT free-busy-query: the server
   keeps titles and attendees to itself); where the server does not answer
   one, the events of the period (REPORT calendar-query with a time range).

Answers are XML from someone else's server: parsed with defusedxml (no
entities, no DTD), within the size the session allows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urljoin

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException

from services.intake.calendars import busy
from services.intake.calendars.fetch import (
    FeedError,
    Guard,
    Read,
    Source,
    check_status,
    validator,
)

DAV, CALDAV, CS = (
    "DAV:",
    "urn:ietf:params:xml:ns:caldav",
    "http://calendarserver.org/ns/",
)
XML = {"Content-Type": 'application/xml; charset="utf-8"'}
PROPFIND = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/">'
    "<d:prop><d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/></d:prop>"
    "</d:propfind>"
)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def read(
    guard: Guard, source: Source, start: datetime, end: datetime, etag: str | None
) -> Read:
    with guard.session() as session:
        if source.username:
            session.auth = (source.username, source.password or "")
        version = _calendar_version(session, source.url)
        if etag and version and version == etag:
            return Read(None, etag)
        text = _free_busy(session, source.url, start, end)
        if text is not None:
            return Read([busy.parse(text)], version, free_busy=True)
        found = _events(session, source.url, start, end)
        return Read([busy.parse(t) for t in found], version)


def _multistatus(response):
    """(href, {property tag: element}) of each answer whose status is 200."""
    try:
        root = SafeXML.fromstring(response.content, forbid_dtd=True)
    except (SafeXML.ParseError, DefusedXmlException, ValueError):
        raise FeedError("http_error") from None
    if root.tag != _q(DAV, "multistatus"):
        raise FeedError("http_error")
    for answer in root.findall(_q(DAV, "response")):
        href = urljoin(response.url, (answer.findtext(_q(DAV, "href")) or "").strip())
        props = {}
        for propstat in answer.findall(_q(DAV, "propstat")):
            found = propstat.find(_q(DAV, "prop"))
            if found is not None and " 200 " in (
                propstat.findtext(_q(DAV, "status")) or ""
            ):
                for prop in found:
                    props[prop.tag] = prop
        yield href, props


def _is_calendar(props: dict) -> bool:
    kind = props.get(_q(DAV, "resourcetype"))
    return kind is not None and kind.find(_q(CALDAV, "calendar")) is not None


def _propfind(session, url: str, depth: str):
    response = session.request(
        "PROPFIND", url, data=PROPFIND, headers={**XML, "Depth": depth}
    )
    check_status(response.status_code)
    if response.status_code != 207:
        raise FeedError("http_error")
    return list(_multistatus(response))


def _calendar_version(session, url: str) -> str | None:
    """The calendar's CTag or sync token; a folder of calendars is refused,
    naming the calendars in it."""
    answers = _propfind(session, url, "0")
    if not answers:
        raise FeedError("http_error")
    _, props = answers[0]
    if not _is_calendar(props):
        inside = [href for href, p in _propfind(session, url, "1") if _is_calendar(p)]
        raise FeedError("not_a_calendar", found=inside[:20])
    for tag in (_q(CS, "getctag"), _q(DAV, "sync-token")):
        if props.get(tag) is not None and validator(props[tag].text):
            return validator(props[tag].text)
    return None


def _free_busy(session, url: str, start: datetime, end: datetime) -> str | None:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><c:free-busy-query xmlns:c="{CALDAV}">'
        f'<c:time-range start="{_stamp(start)}" end="{_stamp(end)}"/></c:free-busy-query>'
    )
    response = session.request("REPORT", url, data=body, headers={**XML, "Depth": "1"})
    if response.status_code != 200 or b"VFREEBUSY" not in response.content:
        return None
    return response.content.decode("utf-8", errors="replace")


def _events(session, url: str, start: datetime, end: datetime) -> list[str]:
    body = (
        f'<?xml version="1.0" encoding="utf-8"?>'
        f'<c:calendar-query xmlns:d="DAV:" xmlns:c="{CALDAV}">'
        "<d:prop><d:getetag/><c:calendar-data/></d:prop>"
        '<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT">'
        f'<c:time-range start="{_stamp(start)}" end="{_stamp(end)}"/>'
        "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
    )
    response = session.request("REPORT", url, data=body, headers={**XML, "Depth": "1"})
    check_status(response.status_code)
    if response.status_code != 207:
        raise FeedError("http_error")
    found = []
    for _, props in _multistatus(response):
        data = props.get(_q(CALDAV, "calendar-data"))
        if data is not None and data.text:
            found.append(data.text)
    return found
