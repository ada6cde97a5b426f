"""The traffic of the fault suite: hosts, a stream of requests through the
public API, and hosts answering their invitations, each call tried again
until the service takes it (the same Idempotency-Key each time)."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import requests

from devstack import samples
from shared.db import connect

PARIS = ZoneInfo("Europe/Paris")
EVERY_HOUR = [
    {"day": d, "start": "00:00", "end": "24:00"}
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]
GIVE_UP_S = 240  # one call, tried again through every fault


def host_email(i: int) -> str:
    return f"host{i:03d}@fault.example"


def requester_email(n: int) -> str:
    return f"r{n:04d}@fault.example"


def call(method: str, url: str, *, user: str, json: dict, key: str | None = None):
    """The answer the service gave once it took the call (any status below 500
    other than 429); every other outcome is tried again."""
    headers = {"X-Remote-User": user}
    if key:
        headers["Idempotency-Key"] = key
    deadline = time.monotonic() + GIVE_UP_S
    while True:
        try:
            r = requests.request(method, url, json=json, headers=headers, timeout=10)
            if r.status_code < 500 and r.status_code != 429:
                return r
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{method} {url} never taken")
        time.sleep(0.5)  # the service is down or restarting: try again


def add_hosts(base: str, count: int, capacity: int) -> None:
    for i in range(count):
        call("PUT", f"{base}/api/v1/hosts/me", user=host_email(i), json={
            "name": f"Host {i}", "fields": ["management"], "languages": ["fr"],
            "formats": ["video"], "site": None, "timezone": "Europe/Paris",
            "durations": [30], "monthly_capacity": capacity,
            "weekly_availability": EVERY_HOUR, "unavailable": [], "active": True,
        }).raise_for_status()  # fmt: skip


def request_body(n: int) -> dict:
    day = (datetime.now(PARIS) + timedelta(days=2 + n % 10)).date()
    start = datetime(day.year, day.month, day.day, 9, tzinfo=PARIS)
    return samples.request_body(
        start=start,
        hours=8,
        name=f"Req{n:04d}",
        goal="See the job",
        related_ok=False,
        referrer=None,
    )


class Requests(threading.Thread):
    """`count` requests posted at `rate` per second, each until taken."""

    def __init__(self, base: str, count: int, rate: float):
        super().__init__(daemon=True)
        self.base, self.count, self.rate = base, count, rate
        self.statuses: dict[int, int] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            for n in range(self.count):
                delay = started + n / self.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)  # the fixed arrival rate
                pool.submit(self._post, n)

    def _post(self, n: int) -> None:
        try:
            r = call("POST", f"{self.base}/api/v1/requests", user=requester_email(n),
                     json=request_body(n), key=f"fault-{n}")  # fmt: skip
            self.statuses[n] = r.status_code
        except Exception as exc:
            self.errors.append(f"request {n}: {exc!r}")


def declines(match_id) -> bool:
    """One invitation in four is declined, the same ones on every run."""
    return uuid.UUID(str(match_id)).int % 4 == 0


class Hosts(threading.Thread):
    """Hosts answering each invitation once it reached them: one in four
    declined."""

    def __init__(self, base: str, database_url: str):
        super().__init__(daemon=True)
        self.base, self.database_url = base, database_url
        self.answered: dict[str, int] = {}
        self.errors: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.3):  # a person's pace, not a sync
            try:
                for match_id, email in self._open():
                    if match_id not in self.answered:
                        self._answer(match_id, email)
            except (psycopg.Error, OSError):
                continue  # the database is down: look again later
            except Exception as exc:
                self.errors.append(repr(exc))

    def _open(self) -> list[tuple[str, str]]:
        with connect(self.database_url, autocommit=True, connect_timeout=2) as conn:
            rows = conn.execute(  # the invitations that reached the host
                "SELECT m.id, h.email FROM matches m JOIN hosts h ON h.id = m.host_id"
                " JOIN notifications n ON n.match_id = m.id AND n.kind = 'invitation'"
                " WHERE m.status = 'proposed' AND n.status = 'sent'"
                " ORDER BY m.created_at"
            ).fetchall()
        return [(str(r["id"]), r["email"]) for r in rows]

    def _answer(self, match_id: str, email: str) -> None:
        answer = "decline" if declines(match_id) else "accept"
        r = call("POST", f"{self.base}/api/v1/matches/{match_id}/{answer}",
                 user=email, json={})  # fmt: skip
        self.answered[match_id] = r.status_code
