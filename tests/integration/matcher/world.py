"""Hosts, requests and answers written as intake writes them (rows plus
events through the outbox), and the matcher run in-process on the real
broker and database."""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from services.matcher import use_cases
from services.matcher.jobs import round_every
from services.matcher.policy import Policy
from services.matcher.unit_of_work import UnitOfWork
from services.matcher.wiring import ROUTES
from shared import fields
from shared.config import DEFAULT_FIELDS_FILE
from shared.consumer import Consumer
from shared.db import connect, make_pool
from shared.outbox import Outbox
from shared.relay import Relay

ALL_WEEK = [
    {"day": d, "start": "00:00", "end": "24:00"}
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]


def now() -> datetime:
    return datetime.now(UTC)


def mid_month_morning(hours: float = 2.5) -> list[dict]:
    """A window at 10:00 Paris, at least two days ahead, on a day of the month
    no later than the 25th: every slot in it falls in one month."""
    paris = ZoneInfo("Europe/Paris")
    day = (now() + timedelta(days=2)).astimezone(paris).date()
    while day.day > 25:
        day += timedelta(days=1)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=paris)
    return [
        {
            "start": start.isoformat(),
            "end": (start + timedelta(hours=hours)).isoformat(),
        }
    ]


def days_ahead(start_days: float = 2, end_days: float = 9) -> list[dict]:
    return [
        {
            "start": (now() + timedelta(days=start_days)).isoformat(),
            "end": (now() + timedelta(days=end_days)).isoformat(),
        }
    ]


def add_host(
    conn,
    *,
    host_fields=("management",),
    capacity=2,
    weekly=ALL_WEEK,
    email=None,
    languages=("fr",),
    timezone_="Europe/Paris",
    active=True,
    emit=True,
    experience=None,
) -> uuid.UUID:
    host_id = uuid.uuid4()
    email = email or f"host-{host_id.hex[:8]}@example.com"
    with conn.transaction():
        conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, site, timezone, durations,"
            " monthly_capacity, weekly_availability, unavailable, active, experience) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                host_id,
                email,
                "Host",
                list(host_fields),
                list(languages),
                ["video", "phone"],
                "Paris",
                timezone_,
                [30, 60],
                capacity,
                Jsonb(list(weekly)),
                Jsonb([]),
                active,
                experience,
            ),
        )
        if emit:
            Outbox(conn, "intake").emit(
                "HostProfileChanged",
                host_id,
                {
                    "host_id": host_id,
                    "email": email,
                    "name": "Host",
                    "fields": list(host_fields),
                    "languages": list(languages),
                    "formats": ["video", "phone"],
                    "site": "Paris",
                    "timezone": timezone_,
                    "durations": [30, 60],
                    "monthly_capacity": capacity,
                    "weekly_availability": list(weekly),
                    "unavailable": [],
                    "active": active,
                },
            )
    return host_id


def add_request(
    conn,
    *,
    field="management",
    related_ok=True,
    availability=None,
    status="submitted",
    emit=True,
    duration=30,
    goal="Discover",
) -> uuid.UUID:
    request_id, correlation = uuid.uuid4(), uuid.uuid4()
    availability = availability or days_ahead()
    email = f"req-{request_id.hex[:8]}@example.com"
    with conn.transaction():
        conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal, format, duration_minutes,"
            " languages, timezone, related_ok, availability, status, correlation_id) VALUES"
            " (%s, %s, 'Camille', %s, %s, 'video', %s, %s, 'Europe/Paris', %s, %s, %s, %s)",
            (
                request_id,
                email,
                field,
                goal,
                duration,
                ["fr"],
                related_ok,
                Jsonb(availability),
                status,
                correlation,
            ),
        )
        if emit:
            Outbox(conn, "intake", correlation).emit(
                "IntroRequested",
                request_id,
                {
                    "request_id": request_id,
                    "requester": {"name": "Camille", "email": email},
                    "field": field,
                    "goal": goal,
                    "format": "video",
                    "duration_minutes": duration,
                    "languages": ["fr"],
                    "timezone": "Europe/Paris",
                    "related_ok": related_ok,
                    "availability": availability,
                },
            )
    return request_id


def decline(conn, match_id) -> None:
    with conn.transaction():
        m = conn.execute(
            "UPDATE matches SET status = 'declined', decline_reason = 'busy', responded_at = now()"
            " WHERE id = %s RETURNING *",
            (match_id,),
        ).fetchone()
        conn.execute(
            "UPDATE requests SET status = 'submitted' WHERE id = %s", (m["request_id"],)
        )
        Outbox(conn, "intake").emit(
            "MatchDeclined",
            m["request_id"],
            {
                "match_id": m["id"],
                "request_id": m["request_id"],
                "host_id": m["host_id"],
                "reason": "busy",
            },
        )


def cancel(conn, request_id) -> None:
    with conn.transaction():
        conn.execute(
            "UPDATE requests SET status = 'cancelled' WHERE id = %s", (request_id,)
        )
        m = conn.execute(
            "UPDATE matches SET status = 'cancelled' WHERE request_id = %s"
            " AND status IN ('proposed', 'accepted') RETURNING *",
            (request_id,),
        ).fetchone()
        Outbox(conn, "intake").emit(
            "IntroCancelled",
            request_id,
            {
                "request_id": request_id,
                "cancelled_by": "requester",
                "match_id": m and m["id"],
                "host_id": m and m["host_id"],
                "match_status": m and "proposed",
            },
        )


def notification_failed(conn, request_id, recipient, kind="invitation") -> uuid.UUID:
    """A message about `request_id` failed for good, written as the notifier
    writes it; returns the event's id."""
    with conn.transaction():
        event = Outbox(conn, "notifier").emit(
            "NotificationFailed",
            request_id,
            {
                "notification_id": uuid.uuid4(),
                "request_id": request_id,
                "kind": kind,
                "recipient": recipient,
                "error": "cannot compose: HeaderParseError: bad display name",
            },
        )
    return event.event_id


def handled(conn, event_id) -> bool:
    """The matcher's consumer has taken this event (its inbox holds it)."""
    return (
        conn.execute(
            "SELECT 1 FROM inbox WHERE consumer = 'matcher' AND event_id = %s",
            (event_id,),
        ).fetchone()
        is not None
    )


def host_email(conn, host_id) -> str:
    return conn.execute("SELECT email FROM hosts WHERE id = %s", (host_id,)).fetchone()[
        "email"
    ]


def status(conn, request_id) -> str:
    return conn.execute(
        "SELECT status FROM requests WHERE id = %s", (request_id,)
    ).fetchone()["status"]


def matches(conn, request_id) -> list[dict]:
    return conn.execute(
        "SELECT * FROM matches WHERE request_id = %s ORDER BY created_at", (request_id,)
    ).fetchall()


def events(conn, request_id) -> list[str]:
    rows = conn.execute(
        "SELECT event_type FROM outbox WHERE producer = 'matcher' AND key = %s ORDER BY id",
        (str(request_id),),
    ).fetchall()
    return [r["event_type"] for r in rows]


class Jobs:
    """The matcher's jobs, each a use case in a unit of work of its own, as
    the service runs them (`services/matcher/jobs.py`), called on demand."""

    def __init__(self, pool, policy: Policy):
        self.pool = pool
        self.policy = policy

    def expire_invitations(self) -> int:
        return use_cases.expire_unanswered(UnitOfWork(self.pool), self.policy)

    def retry_waitlist(self) -> dict:
        return use_cases.retry_waitlist(UnitOfWork(self.pool), self.policy)

    def match_round(self) -> dict:
        return use_cases.match_round(UnitOfWork(self.pool), self.policy)


class Rounds:
    """The matcher's round job, run every half window in a thread, as the
    service runs it."""

    def __init__(self, jobs: Jobs):
        self.jobs = jobs
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="rounds", daemon=True)

    def run(self) -> None:
        every = round_every(self.jobs.policy)
        while not self.stopping.wait(every):
            try:
                self.jobs.match_round()
            except Exception:  # the test's teardown may close the database first
                logging.getLogger(__name__).exception("matching round failed")

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)


class InProcess:
    """The intake relay, the matcher's consumer and its matching rounds, in
    this process (rounds only when `round_window` is not zero)."""

    def __init__(
        self,
        database_url,
        bootstrap,
        names,
        response_timeout=timedelta(hours=72),
        round_window=timedelta(seconds=3),
        encoder=None,
    ):
        self.policy = Policy(
            taxonomy=fields.load_taxonomy(DEFAULT_FIELDS_FILE),
            response_timeout=response_timeout,
            lead=timedelta(hours=12),
            round_window=round_window,
            encoder=encoder,
        )
        self.pool = make_pool(database_url, name="matcher-test")
        self.pool.open(wait=True)
        self.jobs = Jobs(self.pool, self.policy)
        self.rounds = Rounds(self.jobs) if self.policy.rounds else None
        self.relay = Relay(database_url, "intake", bootstrap, names)
        self.consumer = Consumer(
            name="matcher",
            service="matcher",
            routes=ROUTES,
            unit_of_work=UnitOfWork,
            deps=self.policy,
            pool=self.pool,
            bootstrap=bootstrap,
            names=names,
        )

    def start(self) -> InProcess:
        self.relay.start()
        self.consumer.start()
        if self.rounds:
            self.rounds.thread.start()
        return self

    def stop(self) -> None:
        if self.rounds:
            self.rounds.stop()
        self.consumer.stop()
        self.relay.stop()
        self.pool.close()


__all__ = [
    "connect",
    "InProcess",
    "Jobs",
    "add_host",
    "add_request",
    "decline",
    "cancel",
    "status",
    "matches",
    "events",
    "notification_failed",
    "handled",
    "host_email",
]


def set_busy(conn, host_id, spans: list[tuple[datetime, datetime]]) -> uuid.UUID:
    """The host's calendar read with these busy times, written as intake
    writes it (the row, then HostBusyChanged); returns the event's id."""
    busy = Multirange([Range(s, e, "[)") for s, e in spans])
    with conn.transaction():
        conn.execute(
            "INSERT INTO host_calendars (host_id, kind, secret, shown, busy,"
            " busy_until, refreshed_at) VALUES (%s, 'ics', '\\x00', 'https://x/…',"
            " %s, now() + interval '61 days', now()) ON CONFLICT (host_id)"
            " DO UPDATE SET busy = EXCLUDED.busy",
            (host_id, busy),
        )
        event = Outbox(conn, "intake").emit(
            "HostBusyChanged", host_id, {"host_id": host_id}
        )
    return event.event_id
