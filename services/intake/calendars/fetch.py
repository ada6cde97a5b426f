"""What every read of a calendar over the network shares: the guarded
session it goes through, what it gives (`Read`) and why it fails
(`FeedError`).

The addresses are typed by users, so every request goes through one
guarded `requests` session whose adapter (`GuardedAdapter`) resolves the
name once, checks the address it got (`Destinations`), and connects to that
very address (the name still sent as Host and checked against the server's
certificate). A public address is read on ports 80 and 443 only; loopback,
private, link-local and other non-public addresses are refused before any
connection, with one answer whatever is listening there, unless the server
is one the company named (`CALENDAR_ALLOWED_SERVERS`: networks or host
names, each with an optional port). Each redirect is checked the same way,
at most `MAX_REDIRECTS` of them. A body stops at CALENDAR_MAX_BYTES. The
whole read is bounded in time by the worker process it runs in
(`sandbox.py`). No address or password is ever logged.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

MAX_REDIRECTS = 3
USER_AGENT = "matchmaker-calendar/1"
PUBLIC_PORTS = (80, 443)
_CHUNK = 64 * 1024
# Public-looking ranges that reach shared infrastructure (NAT64, 6to4 relays,
# carrier-grade NAT): never read, even though `is_global` may say yes.
BLOCKED = tuple(
    ipaddress.ip_network(n)
    for n in ("100.64.0.0/10", "192.0.0.0/24", "192.88.99.0/24", "64:ff9b::/96",
              "64:ff9b:1::/48", "2002::/16", "2001:20::/28", "5f00::/16", "3fff::/20",
              "::/96", "::ffff:0:0:0/96", "fec0::/10")
)  # fmt: skip


class FeedError(Exception):
    """A read failed; `code` is one of `shared.calendars.FAILURES`. `found`:
    the calendars at the address, when it is a folder of calendars."""

    def __init__(self, code: str, found: tuple = ()):
        super().__init__(code)
        self.code = code
        self.found = tuple(found)


class Refused(requests.RequestException):
    """The address may not be read (said before any connection)."""


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


@dataclass(frozen=True)
class Destinations:
    """Where a read may connect: any public address on ports 80 and 443,
    and the company's own calendar servers (`allowed`, as
    CALENDAR_ALLOWED_SERVERS gives them: networks and host names, each with
    its port, None for 80 and 443, 0 for any)."""

    allowed: tuple = ()

    def check(self, hostname: str, port: int) -> str:
        """The address to connect to for `hostname`, or Refused."""
        try:
            infos = socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise requests.ConnectionError("the name does not resolve") from exc
        ip = ipaddress.ip_address(infos[0][4][0])
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if self._named(hostname, ip, port):
            return str(ip) if ip.version == 4 else f"[{ip}]"
        if port not in PUBLIC_PORTS or not ip.is_global or ip.is_multicast:
            raise Refused(hostname)
        if any(ip in net for net in BLOCKED):
            raise Refused(hostname)
        return str(ip) if ip.version == 4 else f"[{ip}]"

    def _named(self, hostname: str, ip, port: int) -> bool:
        name = hostname.lower().rstrip(".")
        for where, allowed_port in self.allowed:
            if allowed_port is None and port not in PUBLIC_PORTS:
                continue
            if allowed_port not in (None, 0, port):  # 0: any port
                continue
            if isinstance(where, str) and where == name:
                return True
            if (
                not isinstance(where, str)
                and ip.version == where.version
                and ip in where
            ):
                return True
        return False


class GuardedAdapter(HTTPAdapter):
    """Connects to the address `Destinations.check` gave for the URL's name."""

    def __init__(self, destinations: Destinations, https: bool):
        super().__init__()
        self.destinations = destinations
        self.https = https

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert
        )
        name = host_params["host"]
        port = host_params["port"] or (443 if self.https else 80)
        request.headers = CaseInsensitiveDict(request.headers or {})
        host_header = f"[{name}]" if ":" in name else name
        if host_params["port"] is not None:
            host_header += f":{host_params['port']}"
        request.headers["Host"] = host_header
        if self.https:  # the certificate is checked for the name, not the address
            pool_kwargs["assert_hostname"] = name
            pool_kwargs["server_hostname"] = name
        host_params["host"] = self.destinations.check(name, port)
        return host_params, pool_kwargs


class Guard:
    """The guarded sessions of every read, within its size."""

    def __init__(self, *, timeout_s: float, max_bytes: int, destinations: Destinations):
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.destinations = destinations

    def session(self) -> requests.Session:
        """The guarded session every read uses (CalDAV's requests too)."""
        session = _Session(self.timeout_s)
        session.mount("http://", GuardedAdapter(self.destinations, https=False))
        session.mount("https://", GuardedAdapter(self.destinations, https=True))
        session.max_redirects = MAX_REDIRECTS
        session.trust_env = False  # no proxy or .netrc from the environment
        session.headers["User-Agent"] = USER_AGENT
        session.hooks["response"].append(self.bounded)
        return session

    def bounded(self, response, **_):
        """Read the body of every answer here, within CALENDAR_MAX_BYTES,
        taking bytes as they arrive."""
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            response.close()
            raise FeedError("too_large")
        deadline = time.monotonic() + self.timeout_s
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


class _Session(requests.Session):
    """Each request waits at most `timeout_s` to connect and between bytes."""

    def __init__(self, timeout_s: float):
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", (self.timeout_s, self.timeout_s))
        return super().request(method, url, *args, **kwargs)


def validator(value: str | None) -> str | None:
    """An ETag, a Last-Modified or a CTag as the server gave it, if it is one
    we can store and send back: printable, at most 256 characters."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 256 or not value.isprintable():
        return None
    return value


def check_status(status: int) -> None:
    if status in (401, 403):
        raise FeedError("unauthorized")
    if status in (404, 410):
        raise FeedError("not_found")
    if status >= 400:
        raise FeedError("http_error")
