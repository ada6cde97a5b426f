"""Reading calendars in worker processes, each read within one deadline.

A host's calendar is someone else's server and someone else's text: a
server may drip its headers a byte at a time, a feed may hold a rule that
repeats every hour since 2006. So each read — every request to the server
(redirects and CalDAV's several requests included), the parse, and the
expansion of recurring events — runs in a worker process of a small pool
and is given CALENDAR_TIMEOUT in all: past it, the worker is killed and
replaced, and the read fails with `timeout`; a worker may hold at most
`WORKER_MEMORY` of address space (past it the read fails with
`too_complex`). Intake's own threads only
wait for an answer: the calendar's text never reaches them, only the busy
intervals and the validators (`reader.Busy`). A worker logs nothing.

Workers start on first use (a spawned interpreter, about a second), stay
for the next reads, and leave after `IDLE_S` without one.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from services.intake.calendars.fetch import FeedError, Source
from services.intake.calendars.reader import Busy, Reader

IDLE_S = 300.0
WORKER_MEMORY = 512 * 1024 * 1024  # bytes of address space a worker may hold
_CONTEXT = multiprocessing.get_context("spawn")


def _serve(conn, config: dict) -> None:
    """A worker: read what it is asked, answer, until its parent is gone."""
    logging.disable(logging.CRITICAL)  # nothing a calendar holds reaches a log
    resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, WORKER_MEMORY))
    reader = Reader(**config)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = ("ok", reader.read_busy(*task))
        except FeedError as exc:
            answer = ("error", (exc.code, exc.found))
        except MemoryError:
            answer = ("error", ("too_complex", ()))
        except Exception:  # whatever the text did to the library
            answer = ("error", ("not_icalendar", ()))
        try:
            conn.send(answer)
        except (OSError, ValueError):
            return


class _Worker:
    def __init__(self, config: dict):
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_serve, args=(child, config), name="calendar-reader", daemon=True
        )
        self.process.start()
        child.close()
        self.used = time.monotonic()

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.conn.close()


class Sandbox:
    """`read_busy` as a `Reader` gives it, each in a worker process (at most
    `workers` at once; more callers wait their turn within their deadline)."""

    def __init__(self, config: dict, *, workers: int, deadline_s: float):
        self.config = config  # the Reader's: timeout_s, max_bytes, destinations
        self.deadline_s = deadline_s
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def read_busy(
        self,
        source: Source,
        tz: ZoneInfo,
        start: datetime,
        end: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Busy:
        deadline = time.monotonic() + self.deadline_s
        if not self._slots.acquire(timeout=self.deadline_s):
            raise FeedError("timeout")
        worker = None
        try:
            worker = self._take()
            worker.conn.send((source, tz, start, end, etag, last_modified))
            if not worker.conn.poll(max(deadline - time.monotonic(), 0.01)):
                raise FeedError("timeout")
            kind, value = worker.conn.recv()
            self._give_back(worker)
            worker = None
        except (EOFError, OSError):  # the worker died on this calendar
            raise FeedError("not_icalendar") from None
        finally:
            if worker is not None:  # timed out or died: never reused
                worker.stop()
            self._slots.release()
        if kind == "error":
            raise FeedError(*value)
        return value

    def _take(self) -> _Worker:
        with self._lock:
            self._retire_idle()
            if self._idle:
                return self._idle.pop()
        return _Worker(self.config)

    def _give_back(self, worker: _Worker) -> None:
        worker.used = time.monotonic()
        with self._lock:
            self._idle.append(worker)

    def _retire_idle(self) -> None:
        now = time.monotonic()
        keep = []
        for worker in self._idle:
            if now - worker.used > IDLE_S or not worker.process.is_alive():
                worker.stop()
            else:
                keep.append(worker)
        self._idle = keep

    def close(self) -> None:
        with self._lock:
            for worker in self._idle:
                worker.stop()
            self._idle = []
