"""Calendar feeds over real HTTP for the tests: the local feed server
(devstack/feeds.py) with the answers a calendar server should not give
too (too slow, too large, not iCalendar)."""

from __future__ import annotations

import time

from devstack import feeds

SLOW_S = 5.0  # how long the slow feed keeps the client waiting


class AwkwardHandler(feeds.FeedHandler):
    def special(self, path: str) -> bool:
        if path == "/slow.ics":
            time.sleep(SLOW_S)  # the server's own delay, past the client's limit
            self.send(200, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
        elif path.startswith("/large"):
            size = int(path.rsplit("-", 1)[1])
            body = b"BEGIN:VCALENDAR\r\n" + b"X" * size
            self.send(200, body, chunked=path.startswith("/large-chunked"))
        elif path == "/drip.ics":  # a byte at a time, each within the read time-out
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.2)
        elif path == "/page.html":
            self.send(200, b"<html><body>Sign in</body></html>")
        elif path.startswith("/dav-page/"):  # a WebDAV answer that is a web page
            self.send(207, b"<html><body>SECRET-BODY token=abc123</body></html>")
        elif path == "/truncated.ics":  # promises 1000 bytes, sends 17, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"BEGIN:VCALENDAR\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif path == "/nul-validators.ics":  # validators no database may store
            body = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nEND:VCALENDAR\r\n"
            self.send_response(200)
            self.send_header("ETag", '"v1\x00evil"')
            self.send_header("Last-Modified", "Mon, 04 Jan 2027 08:00:00 GMT\x00")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif path == "/drip-headers.ics":  # the status line a byte at a time
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.5)
        else:
            return False
        return True

    def do_PROPFIND(self):
        self.do_GET()

    do_REPORT = do_PROPFIND


def FeedServer() -> feeds.FeedServer:  # noqa: N802 (used as a class)
    return feeds.FeedServer(AwkwardHandler)


_SHARED: list[feeds.FeedServer] = []


def shared_server() -> feeds.FeedServer:
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
