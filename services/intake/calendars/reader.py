"""Reading a host's calendar over the network, whatever its kind: an
iCalendar subscription address (`ics`) or a CalDAV calendar (`caldav`),
both through the guarded session of `fetch`. Whatever goes wrong is a
`FeedError` naming why.
"""

from __future__ import annotations

import logging
from datetime import datetime

import requests
from requests_hardened.ip_filter import InvalidIPAddress

from services.intake.calendars import caldav, ics
from services.intake.calendars.fetch import FeedError, Guard, Read, Source

log = logging.getLogger(__name__)


class Reader(Guard):
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
                return self._read_caldav(source, start, end, etag)
            return ics.read(self, source, etag, last_modified)
        except FeedError:
            raise
        except InvalidIPAddress:
            raise FeedError("refused_address") from None
        except requests.TooManyRedirects:
            raise FeedError("too_many_redirects") from None
        except requests.Timeout:
            raise FeedError("timeout") from None
        except (requests.RequestException, ValueError):  # ValueError: an odd name
            raise FeedError("unreachable") from None

    def _read_caldav(self, source: Source, start, end, etag) -> Read:
        try:
            return caldav.read(self, source, start, end, etag)
        except (FeedError, requests.RequestException):
            raise
        except Exception as exc:  # a server's odd answer the client cannot take
            log.warning("a CalDAV answer could not be read: %s", type(exc).__name__)
            raise FeedError("http_error") from None
