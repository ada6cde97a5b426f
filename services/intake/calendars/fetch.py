"""What every read of a calendar over the network shares: the guarded
session it goes through, what it gives (`Read`) and why it fails
(`FeedError`).

Every request goes through one guarded `requests` session
(`requests-hardened`): the name is resolved once, the address refused if
it is loopback, private, link-local or otherwise not public (unless
CALENDAR_ALLOW_PRIVATE_ADDRESSES=on), and the connection made to that very
address; each redirect is checked the same way, at most `MAX_REDIRECTS` of
them. A read stops at CALENDAR_TIMEOUT and CALENDAR_MAX_BYTES. No address
or password is ever logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests_hardened import Config, Manager

MAX_REDIRECTS = 3
USER_AGENT = "matchmaker-calendar/1"
_CHUNK = 64 * 1024


class FeedError(Exception):
    """A read failed; `code` is one of `shared.calendars.FAILURES`."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Source:
    kind: str  # "ics" or "caldav"
    url: str
    username: str | None = None
    password: str | None = None


@dataclass(frozen=True)
class Read:
    """What a read found: the calendars (None when unchanged since the
    validators given) and the validators to give next time."""

    calendars: list | None
    etag: str | None = None
    last_modified: str | None = None
    # free-busy only: no UIDs, so the host's copies of our own meetings are in it
    free_busy: bool = False


def normalise_url(url: str) -> str:
    """`webcal://` (what Apple and Google hand out) is HTTPS."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    return url


def shown(url: str) -> str:
    """What is shown back of a secret address: its scheme and server only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}/…"


class Guard:
    """The guarded sessions of every read, within its time and size."""

    def __init__(self, *, timeout_s: float, max_bytes: int, allow_private: bool):
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.manager = Manager(
            Config(
                ip_filter_enable=not allow_private,
                ip_filter_allow_loopback_ips=False,
                never_redirect=False,
                default_timeout=(timeout_s, timeout_s),
                user_agent_override=USER_AGENT,
            )
        )

    def session(self) -> requests.Session:
        """The guarded session every read uses (the CalDAV client's too)."""
        session = self.manager.get_session()
        session.max_redirects = MAX_REDIRECTS
        session.trust_env = False  # no proxy or .netrc from the environment
        session.hooks["response"].append(self.bounded)
        return session

    def bounded(self, response, **_):
        """Read the body of every answer here, within CALENDAR_MAX_BYTES and
        what is left of CALENDAR_TIMEOUT once its headers came, taking bytes
        as they arrive (a server dripping them cannot hold a read)."""
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            response.close()
            raise FeedError("too_large")
        deadline = time.monotonic() + self.timeout_s - response.elapsed.total_seconds()
        chunks, size = [], 0
        while chunk := response.raw.read1(_CHUNK, decode_content=True):
            size += len(chunk)
            if size > self.max_bytes:
                response.close()
                raise FeedError("too_large")
            if time.monotonic() > deadline:
                response.close()
                raise FeedError("timeout")
            chunks.append(chunk)
        response._content = b"".join(chunks)  # what `requests` reads it into
        response._content_consumed = True
        return response


def check_status(status: int) -> None:
    if status in (401, 403):
        raise FeedError("unauthorized")
    if status in (404, 410):
        raise FeedError("not_found")
    if status >= 400:
        raise FeedError("http_error")
