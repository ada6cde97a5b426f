"""The use cases of hosts' own calendars: connect, check, disconnect, and
the two jobs (read the calendars that are due; tell the hosts whose
calendar could not be read for CALENDAR_STALE_AFTER).

Each takes a unit of work (`uow.calendars` for the calendars' rows,
`uow.hosts` for their hosts) and knows no HTTP. A calendar is read outside
any transaction (the network is slow), then what it gave is stored in one.
A read that fails keeps the last good busy times; the matcher goes on with
them. HostBusyChanged tells the matcher when the busy times change;
HostCalendarStale has the notifier email the host, once per failure.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.intake.calendars import busy
from services.intake.calendars.fetch import (
    Destinations,
    FeedError,
    Source,
    normalise_url,
    shown,
)
from services.intake.calendars.reader import Busy
from services.intake.calendars.sandbox import Sandbox
from services.intake.calendars.vault import Unreadable, Vault
from services.intake.domain import Limits
from services.intake.errors import Conflict, Invalid, NotFound, TooMany
from shared.calendars import FAILURES
from shared.clock import utc_now

log = logging.getLogger(__name__)

CLAIM_BATCH = 200
JOB_BUDGET_S = 20.0  # one run of the refresh job claims no new batch after this
FULL_READ_MARGIN = timedelta(days=1)  # re-read in full when the horizon slides this far
INTERACTIVE_READS = 2  # request threads at most reading a calendar at once


class InteractiveReads:
    """The reads a person waits for (connect, check): at most
    INTERACTIVE_READS at once in this process and one per person; beyond
    them, try again shortly (`calendar_busy`). The sandbox keeps a worker
    for each, beside the refresh job's, so none waits for a worker."""

    def __init__(self, slots: int = INTERACTIVE_READS):
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._readers: set[str] = set()

    @contextmanager
    def slot(self, email: str):
        with self._lock:
            if email in self._readers or not self._slots.acquire(blocking=False):
                raise TooMany("calendar_busy")
            self._readers.add(email)
        try:
            yield
        finally:
            with self._lock:
                self._readers.discard(email)
            self._slots.release()


@dataclass
class Calendars:
    """What the calendar use cases need besides a unit of work: the vault,
    the reader (`read_busy`: in production a `Sandbox` of worker processes),
    the times, and the limits on reads a person asks for."""

    vault: Vault
    reader: object
    refresh: timedelta
    stale_after: timedelta
    horizon: timedelta  # how far ahead busy times are kept
    limits: Limits
    concurrency: int = 4
    clock: Callable[[], datetime] = field(default=utc_now)
    interactive: InteractiveReads = field(default_factory=InteractiveReads)

    @classmethod
    def from_settings(cls, s, salt) -> Calendars:
        """`salt`: the installation's salt, or how to read it when first needed."""
        reader = {
            "timeout_s": s.calendar_timeout_s,
            "max_bytes": s.calendar_max_bytes,
            "destinations": Destinations(s.calendar_allowed_servers),
        }
        return cls(
            vault=Vault(s.calendar_key, salt, earlier_secret_key=s.secret_key),
            reader=Sandbox(
                reader,
                workers=s.calendar_concurrency + INTERACTIVE_READS,
                deadline_s=s.calendar_timeout_s,
            ),
            refresh=s.calendar_refresh,
            stale_after=s.calendar_stale_after,
            horizon=timedelta(days=s.horizon_days + 1),
            limits=Limits.from_settings(s),
            concurrency=s.calendar_concurrency,
        )


@dataclass(frozen=True)
class Outcome:
    """One calendar's read: busy times, or unchanged, or a failure code."""

    host_id: object
    spans: list | None = None
    read: Busy | None = None
    error: str | None = None
    resealed: bytes | None = None  # its secret sealed anew, under the current key
    found: tuple = ()  # calendars at an address that is a folder of them
    connected_at: datetime | None = None  # of the connection read (a job's read)


def refused(code: str, found: tuple = ()) -> Invalid:
    """The calendar's reason, and where the address is a folder of
    calendars, the addresses of those found in it."""
    errors = {"calendar": [FAILURES[code]]}
    if found:
        errors["calendars_found"] = list(found)
    return Invalid(errors)


def _host(uow, who) -> dict:
    host = uow.hosts.host_of(who.email)
    if host is None:
        raise Conflict("no_host_profile")
    return host


def _asked(uow, cal: Calendars, who) -> dict:
    """The caller's host row, once they may ask for one more read now
    (asked while holding their interactive slot: a refusal for lack of
    one costs them no read)."""
    host = _host(uow, who)
    reader = cal.limits.submitter(who.email)
    cal.limits.check("calendar", uow.repo.recent_actions(reader, "calendar"))
    uow.repo.log_action(reader, "calendar")
    return host


def get_calendar(uow, cal: Calendars, who) -> tuple[dict, list]:
    """The caller's calendar connection (no secret) and its busy times."""
    with uow:
        row = uow.calendars.calendar_of(_host(uow, who)["id"])
    if row is None:
        raise NotFound()
    return row, busy.spans(row["busy"])


def connect_calendar(uow, cal: Calendars, who, data: dict) -> tuple[dict, list]:
    """Read the calendar once (refused with the reason if it cannot be read:
    nothing is stored then), store it encrypted with its busy times, and
    tell the matcher (HostBusyChanged)."""
    source = Source(
        data["kind"], normalise_url(data["url"]), data["username"], data["password"]
    )
    with cal.interactive.slot(who.email):
        with uow:
            host = _asked(uow, cal, who)
        now = cal.clock()
        zone = ZoneInfo(host["timezone"])
        outcome = _read(cal, host["id"], source, zone, now, None)
    if outcome.error:
        raise refused(outcome.error, outcome.found)
    with uow:
        host = _host(uow, who)
        uow.calendars.save_calendar(
            host["id"],
            kind=source.kind,
            secret=cal.vault.seal(
                {
                    "url": source.url,
                    "username": source.username,
                    "password": source.password,
                }
            ),  # fmt: skip
            shown=shown(source.url),
            now=now,
            next_at=now + cal.refresh,
        )
        _store(uow, cal, outcome, now, always_tell=True)
        row = uow.calendars.calendar_of(host["id"])
    return row, busy.spans(row["busy"])


def check_calendar(uow, cal: Calendars, who) -> tuple[dict, list]:
    """Read the caller's calendar now, in full; the reason if it fails."""
    with cal.interactive.slot(who.email):
        with uow:
            host = _host(uow, who)
            row = uow.calendars.calendar_of(host["id"])
            if row is None:
                raise NotFound()
            _asked(uow, cal, who)
        now = cal.clock()
        row = {**row, "timezone": host["timezone"]}
        outcome = _read_row(cal, row, now, full=True)
    with uow:
        if uow.calendars.lock_calendar(host["id"]) is None:
            raise NotFound()  # disconnected meanwhile
        _store(uow, cal, outcome, now)
        row = uow.calendars.calendar_of(host["id"])
    if outcome.error:
        raise refused(outcome.error, outcome.found)
    return row, busy.spans(row["busy"])


def installation_salt(uow) -> bytes:
    """This installation's own salt (made by the migrations)."""
    with uow:
        return uow.calendars.installation_salt()


def disconnect_calendar(uow, who) -> None:
    with uow:
        host = _host(uow, who)
        if not uow.calendars.drop_calendar(host["id"]):
            raise NotFound()
        uow.outbox().emit("HostBusyChanged", host["id"], {"host_id": host["id"]})


# -- jobs -----------------------------------------------------------------------


def refresh_due(uow, cal: Calendars) -> dict:
    """Read every calendar that is due, CALENDAR_CONCURRENCY at a time,
    claiming batches for JOB_BUDGET_S; the rest wait for the next run."""
    counts = {"read": 0, "changed": 0, "unchanged": 0, "failed": 0}
    deadline = time.monotonic() + JOB_BUDGET_S
    with ThreadPoolExecutor(cal.concurrency, thread_name_prefix="calendar") as pool:
        while time.monotonic() < deadline:
            now = cal.clock()
            with uow:
                due = uow.calendars.claim_due_calendars(
                    now, now + cal.refresh, CLAIM_BATCH
                )
            if not due:
                break
            reads = pool.map(_read_row, [cal] * len(due), due, [now] * len(due))
            for outcome in reads:
                stored = _store_claimed(uow, cal, outcome, now)
                if stored:
                    counts[stored] += 1
                    counts["read"] += 1
    return counts


def _store_claimed(uow, cal: Calendars, outcome: Outcome, now) -> str | None:
    """Store one claimed read; if what it gave cannot be stored, that is
    this calendar's failure (`http_error`), never the rest of its batch's."""
    try:
        with uow:
            locked = uow.calendars.lock_calendar(outcome.host_id)
            if locked is None or locked["connected_at"] != outcome.connected_at:
                return None  # disconnected, or connected anew, while being read
            return _store(uow, cal, outcome, now)
    except Exception as exc:
        log.warning("calendar of host %s not stored: %s", outcome.host_id,
                    type(exc).__name__)  # fmt: skip
    with uow:
        if uow.calendars.lock_calendar(outcome.host_id) is None:
            return None
        uow.calendars.calendar_failed(outcome.host_id, "http_error", now)
    return "failed"


def flag_stale(uow, cal: Calendars) -> int:
    """Hosts whose calendar has failed for CALENDAR_STALE_AFTER: told once
    (HostCalendarStale); ops see them on the dashboard."""
    now = cal.clock()
    with uow:
        rows = uow.calendars.stale_calendars(now - cal.stale_after)
        for row in rows:
            uow.calendars.calendar_stale_told(row["host_id"], now)
            uow.outbox().emit(
                "HostCalendarStale",
                row["host_id"],
                {
                    "host_id": row["host_id"],
                    "failing_since": row["failing_since"],
                    "reason": row["last_error"] or "unreachable",
                },
            )
    return len(rows)


# -- reading and storing ----------------------------------------------------------


def _read_row(cal: Calendars, row: dict, now: datetime, full: bool = False) -> Outcome:
    """One claimed calendar read; whatever goes wrong is this calendar's
    failure, never the batch's."""
    try:
        outcome = _read_source(cal, row, now, full)
    except Exception as exc:
        log.warning("calendar of host %s: %s", row["host_id"], type(exc).__name__)
        outcome = Outcome(row["host_id"], error="http_error")
    return dataclasses.replace(outcome, connected_at=row["connected_at"])


def _read_source(cal: Calendars, row: dict, now: datetime, full: bool) -> Outcome:
    try:
        opened = cal.vault.open(row["secret"])
    except Unreadable:
        return Outcome(row["host_id"], error="unreadable")
    secret = opened.value
    source = Source(row["kind"], secret["url"], secret["username"], secret["password"])
    horizon_moved = row["busy_until"] is None or row["busy_until"] < (
        now + cal.horizon - FULL_READ_MARGIN
    )
    validators = None if full or horizon_moved else row
    outcome = _read(
        cal, row["host_id"], source, ZoneInfo(row["timezone"]), now, validators
    )
    if opened.stale:
        return dataclasses.replace(outcome, resealed=cal.vault.seal(secret))
    return outcome


def _read(cal, host_id, source: Source, tz: ZoneInfo, now, validators) -> Outcome:
    try:
        read = cal.reader.read_busy(
            source,
            tz,
            now,
            now + cal.horizon,
            etag=validators and validators["etag"],
            last_modified=validators and validators["last_modified"],
        )
    except FeedError as exc:
        log.info("calendar of host %s not read: %s", host_id, exc.code)
        return Outcome(host_id, error=exc.code, found=exc.found)
    return Outcome(host_id, read.spans, read)


def _store(uow, cal: Calendars, outcome: Outcome, now, always_tell=False) -> str:
    host_id = outcome.host_id
    if outcome.resealed is not None:
        uow.calendars.reseal(host_id, outcome.resealed)
    if outcome.error:
        uow.calendars.calendar_failed(host_id, outcome.error, now)
        return "failed"
    if outcome.spans is None:
        uow.calendars.calendar_unchanged(host_id, now)
        return "unchanged"
    spans = outcome.spans
    if outcome.read.free_busy:  # the host's copies of their accepted meetings
        spans = busy.without(spans, uow.calendars.accepted_meetings_of(host_id))
    changed = uow.calendars.store_busy(
        host_id,
        spans,
        until=now + cal.horizon,
        etag=outcome.read.etag,
        last_modified=outcome.read.last_modified,
        now=now,
    )
    if changed or always_tell:
        uow.outbox().emit("HostBusyChanged", host_id, {"host_id": host_id})
    return "changed" if changed else "unchanged"
