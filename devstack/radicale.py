"""A real Radicale CalDAV server, for `make run` and the tests.

Radicale (the `radicale` package) runs as a child process on 127.0.0.1,
with everything it needs in one folder: its config file, a plain-text
htpasswd file, its calendar storage and its log. Each user owns the
collections under their own name (`/alice/...`) and nothing else.

Radicale reads the htpasswd file on every request, so `add_user` also
works while the server is running.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

from devstack import proc
from devstack.ports import free_port

HOST = "127.0.0.1"


DEMO_CALENDAR = "work"


def demo_events() -> tuple[str, ...]:
    """Weekly busy times from this week on (so they lie ahead whenever
    `make run` starts): a team meeting on Tuesdays at 10:00 and focus time
    on Thursdays from 14:00, Paris time."""
    monday = date.today() - timedelta(days=date.today().weekday())
    return tuple(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matchmaker//devstack//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:demo-{uid}@devstack\r\nDTSTAMP:20260101T000000Z\r\n"
        f"DTSTART;TZID=Europe/Paris:{(monday + timedelta(days=day)):%Y%m%d}T{start}\r\n"
        f"DTEND;TZID=Europe/Paris:{(monday + timedelta(days=day)):%Y%m%d}T{end}\r\n"
        f"RRULE:FREQ=WEEKLY;COUNT=26\r\nSUMMARY:{summary}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
        for uid, day, start, end, summary in (
            ("team", 1, "100000", "110000", "Team meeting"),
            ("focus", 3, "140000", "160000", "Focus time"),
        )
    )


class RadicaleError(RuntimeError):
    pass


class Radicale:
    def __init__(
        self,
        folder: Path,
        port: int | None = None,
        users: dict[str, str] | None = None,
    ):
        self.folder = Path(folder)
        self.port = port or free_port()
        self.users: dict[str, str] = dict(users or {})
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    @property
    def config_file(self) -> Path:
        return self.folder / "radicale.ini"

    @property
    def htpasswd_file(self) -> Path:
        return self.folder / "users"

    @property
    def storage_folder(self) -> Path:
        return self.folder / "collections"

    @property
    def log_file(self) -> Path:
        return self.folder / "radicale.log"

    def add_user(self, name: str, password: str) -> None:
        if not name or any(c in name for c in ":/\r\n"):
            raise ValueError(f"unusable user name: {name!r}")
        if any(c in password for c in "\r\n"):
            raise ValueError("a password cannot contain a line break")
        self.users[name] = password
        if self.folder.exists():
            self._write_htpasswd()

    def add_calendar(
        self, user: str, name: str, events: tuple[str, ...] = (), title: str = ""
    ) -> str:
        """A calendar `name` of `user`, holding `events` (iCalendar texts),
        made through the protocol (MKCOL, PUT); its address."""
        home = f"{self.url}{user}/"
        url = f"{home}{name}/"
        _dav("PROPFIND", home, user, self.users[user], {"Depth": "0"})  # makes the home
        body = (
            '<?xml version="1.0" encoding="utf-8"?><d:mkcol xmlns:d="DAV:"'
            ' xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:resourcetype>'
            "<d:collection/><c:calendar/></d:resourcetype>"
            f"<d:displayname>{title or name}</d:displayname></d:prop></d:set></d:mkcol>"
        )
        _dav("MKCOL", url, user, self.users[user], {}, body.encode())
        for i, text in enumerate(events):
            self.put_event(user, url, text, f"event-{i}")
        return url

    def has_calendar(self, user: str, name: str) -> bool:
        try:
            _dav("PROPFIND", f"{self.url}{user}/{name}/", user, self.users[user],
                 {"Depth": "0"})  # fmt: skip
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return False
            raise
        return True

    def add_demo_calendar(self, user: str) -> str:
        """`user`'s calendar `DEMO_CALENDAR` with a few weekly busy times
        (made once: the storage outlives a restart); its address."""
        if self.has_calendar(user, DEMO_CALENDAR):
            return f"{self.url}{user}/{DEMO_CALENDAR}/"
        return self.add_calendar(user, DEMO_CALENDAR, demo_events(), "Work")

    def put_event(self, user: str, calendar_url: str, text: str, name: str) -> None:
        _dav("PUT", f"{calendar_url}{name}.ics", user, self.users[user],
             {"Content-Type": "text/calendar; charset=utf-8"}, text.encode())  # fmt: skip

    def start(self, timeout_s: float = 20) -> Radicale:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.storage_folder.mkdir(exist_ok=True)
        self._write_htpasswd()
        self.config_file.write_text(self._config())
        with open(self.log_file, "ab") as log:
            self.process = proc.popen(
                [sys.executable, "-m", "radicale", "--config", str(self.config_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_ready(timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout_s: float = 10) -> None:
        proc.terminate(self.process, timeout_s)
        self.process = None

    def __enter__(self) -> Radicale:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _config(self) -> str:
        return (
            "[server]\n"
            f"hosts = {HOST}:{self.port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {self.htpasswd_file}\n"
            "htpasswd_encryption = plain\n"
            "[rights]\n"
            "type = owner_only\n"
            "[storage]\n"
            f"filesystem_folder = {self.storage_folder}\n"
            "[logging]\n"
            "level = warning\n"
        )

    def _write_htpasswd(self) -> None:
        lines = "".join(f"{name}:{pw}\n" for name, pw in self.users.items())
        tmp = self.htpasswd_file.with_suffix(".part")
        tmp.write_text(lines)
        tmp.chmod(0o600)
        tmp.replace(self.htpasswd_file)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RadicaleError(
                    f"radicale exited with {self.process.returncode}:\n"
                    f"{self._log_tail()}"
                )
            try:
                answers(self.url)
                return
            except OSError as exc:
                last = exc
            time.sleep(0.05)
        raise RadicaleError(
            f"radicale not answering on {self.url} after {timeout_s}s ({last}):\n"
            f"{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _dav(method: str, url: str, user: str, password: str, headers: dict,
         body: bytes | None = None) -> int:  # fmt: skip
    """One WebDAV request as `user`; its status (an error status raises)."""
    import base64

    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(
        url, data=body, method=method,
        headers={**headers, "Authorization": f"Basic {auth}"},
    )  # fmt: skip
    if body is not None and "Content-Type" not in headers:
        request.add_header("Content-Type", 'application/xml; charset="utf-8"')
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def answers(url: str) -> None:
    """Return if an HTTP server answers at `url`, whatever its status."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            pass
    except urllib.error.HTTPError:
        pass


def _user(text: str) -> tuple[str, str]:
    name, sep, password = text.partition(":")
    if not sep or not name:
        raise argparse.ArgumentTypeError("expected name:password")
    return name, password


def main() -> None:
    parser = argparse.ArgumentParser(description="local Radicale CalDAV server")
    parser.add_argument("--folder", default=".run/radicale")
    parser.add_argument("--port", type=int, default=5232)
    parser.add_argument(
        "--user",
        type=_user,
        action="append",
        default=[],
        help="name:password (repeatable)",
    )
    parser.add_argument(
        "--demo-calendar",
        action="append",
        default=[],
        metavar="USER",
        help=f"give USER a calendar '{DEMO_CALENDAR}' with weekly busy times",
    )
    args = parser.parse_args()
    server = Radicale(Path(args.folder), args.port, dict(args.user)).start()
    print(f"radicale on {server.url} (storage in {args.folder})", flush=True)
    for user in args.demo_calendar:
        url = server.add_demo_calendar(user)
        print(f"radicale: {user}'s calendar with busy times at {url}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
