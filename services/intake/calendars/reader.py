"""Reading a host's calendar over the network, whatever its kind: an
iCalendar subscription address (`ics`) or a CalDAV calendar (`caldav`),
both through the guarded session of `fetch`, and the busy times found
there (`read_busy`). Whatever goes wrong is a `FeedError` naming why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import requests

from services.intake.calendars import busy, caldav, ics
from services.intake.calendars.fetch import FeedError, Guard, Read, Refused, Source


@dataclass(frozen=True)
class Busy:
    """What a read gives the use cases: the busy intervals (None when the
    calendar is unchanged since the validators given), and the validators
    to give next time."""

    spans: list | None
    etag: str | None = None
    last_modified: str | None = None
    free_busy: bool = False  # no UIDs: the host's copies of our meetings are in it


class BusyReading:
    """`read_busy` from a `read` that gives calendars (the reader's, or a
    test's own)."""

    def read_busy(
        self,
        source: Source,
        tz: ZoneInfo,
        start: datetime,
        end: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Busy:
        read = self.read(source, start, end, etag=etag, last_modified=last_modified)
        if read.calendars is None:
            return Busy(None, read.etag, read.last_modified)
        try:
            spans = busy.busy_intervals(read.calendars, tz, start, end)
        except (busy.TooComplex, MemoryError):
            raise FeedError("too_complex") from None
        except Exception:  # a calendar the library cannot expand, whatever the fault
            raise FeedError("not_icalendar") from None
        return Busy(spans, read.etag, read.last_modified, read.free_busy)


class Reader(Guard, BusyReading):
    """The guarded session (`fetch.Guard`), and a read of either kind through it."""

    def read(
        self,
        source: Source,
        start: datetime,
        end: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Read:
        try:
            if source.kind == "caldav":
                return caldav.read(self, source, start, end, etag)
            return ics.read(self, source, etag, last_modified)
        except FeedError:
            raise
        except busy.NotICalendar:
            raise FeedError("not_icalendar") from None
        except Refused:
            raise FeedError("refused_address") from None
        except requests.TooManyRedirects:
            raise FeedError("too_many_redirects") from None
        except requests.Timeout:
            raise FeedError("timeout") from None
        except Exception:  # an odd name, a broken answer, a dropped connection
            raise FeedError("unreachable") from None
