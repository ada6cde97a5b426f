"""A local HTTP server of calendar feeds for the tests: real HTTP, real
sockets, with the answers a calendar server gives (ETag and 304, redirects)
and those it should not (too slow, too large, not iCalendar)."""

from __future__ import annotations

import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOW_S = 5.0  # how long the slow feed keeps the client waiting


class FeedServer:
    """`feeds[path] = text` publishes a calendar at `url(path)`; `hits`
    counts the requests of each path and `not_modified` the 304 answers."""

    def __init__(self):
        self.feeds: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        self.not_modified = 0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler(feeds: FeedServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_GET(self):
            path = self.path
            with feeds.lock:
                feeds.hits[path] = feeds.hits.get(path, 0) + 1
            if path in feeds.redirects:
                return self._send(302, b"", {"Location": feeds.redirects[path]})
            if path == "/slow.ics":
                time.sleep(SLOW_S)  # the server's own delay, past the client's limit
                return self._send(200, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
            if path.startswith("/large"):
                size = int(path.rsplit("-", 1)[1])
                body = b"BEGIN:VCALENDAR\r\n" + b"X" * size
                return self._send(200, body, chunked=path.startswith("/large-chunked"))
            if path == "/page.html":
                return self._send(200, b"<html><body>Sign in</body></html>")
            text = feeds.feeds.get(path)
            if text is None:
                return self._send(404, b"no such feed")
            body = text.encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                with feeds.lock:
                    feeds.not_modified += 1
                return self._send(304, b"", {"ETag": etag})
            return self._send(200, body, {"ETag": etag})

        def _send(self, status, body: bytes, headers=None, chunked=False):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(0, len(body), 65536):
                    part = body[i : i + 65536]
                    self.wfile.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    Handler.protocol_version = "HTTP/1.1"
    return Handler


_SHARED: list[FeedServer] = []


def shared_server() -> FeedServer:
    """One feed server for the whole test session, started on first use, with
    a calendar at `/cal.ics` (one busy hour, far ahead)."""
    if not _SHARED:
        server = FeedServer().__enter__()
        server.feeds["/cal.ics"] = ONE_MEETING
        _SHARED.append(server)
    return _SHARED[0]


ONE_MEETING = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//tests//feeds//EN\r\n"
    "BEGIN:VEVENT\r\nUID:one\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20990105T090000Z\r\nDTEND:20990105T100000Z\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)
