"""A local HTTP server of iCalendar feeds, for the tests and the benchmarks:
real sockets, each feed with an ETag and a 304 when it is unchanged,
redirects on demand. The tests add answers a calendar server should not
give (too slow, too large, not iCalendar)."""

from __future__ import annotations

import hashlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FeedServer:
    """`feeds[path] = text` publishes a calendar at `url(path)`; `hits`
    counts the requests of each path, `not_modified` the 304 answers."""

    def __init__(self, handler: type[BaseHTTPRequestHandler] | None = None):
        self.feeds: dict[str, str] = {}
        self.redirects: dict[str, str] = {}
        self.hits: dict[str, int] = {}
        self.authorizations: dict[str, str] = {}  # the last Authorization per path
        self.not_modified = 0
        self.lock = threading.Lock()
        handler = handler or FeedHandler
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), type("Bound", (handler,), {"feeds": self})
        )
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
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


class FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    feeds: FeedServer

    def log_message(self, *_):
        pass

    def do_GET(self):
        feeds, path = self.feeds, self.path
        with feeds.lock:
            feeds.hits[path] = feeds.hits.get(path, 0) + 1
            if "Authorization" in self.headers:
                feeds.authorizations[path] = self.headers["Authorization"]
        if path in feeds.redirects:
            return self.send(302, b"", {"Location": feeds.redirects[path]})
        if self.special(path):
            return None
        text = feeds.feeds.get(path)
        if text is None:
            return self.send(404, b"no such feed")
        body = text.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            with feeds.lock:
                feeds.not_modified += 1
            return self.send(304, b"", {"ETag": etag})
        return self.send(200, body, {"ETag": etag})

    def special(self, path: str) -> bool:
        """Answer a path of a subclass's own; False if it has none."""
        return False

    def send(self, status, body: bytes, headers=None, chunked=False):
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
