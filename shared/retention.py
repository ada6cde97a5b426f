"""How long personal data is kept, and the purge every service runs on the
tables it owns (docs/privacy.md).

`Retention` reads the RETAIN_* settings; `Kept` holds the SQL of the purge of
the tables every service shares (its own rows of `outbox`, `inbox` and
`dead_letters`) and of the `purges` log; `in_batches` runs one step of a
purge again, each batch in its own transaction, until a batch comes back
short. Each service's `purge` use case calls them, beside the purge of the
tables only it owns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared import metrics
from shared.clock import utc_now

BATCH = 1000  # rows per transaction
REDELIVERY_MARGIN = timedelta(days=1)  # beyond the longest topic retention


@dataclass(frozen=True)
class Retention:
    events: timedelta  # published outbox rows, dead letters
    # handled events, as long as a topic can deliver them again; None: kept
    inbox: timedelta | None
    mail: timedelta
    introductions: timedelta
    audit: timedelta
    sessions: timedelta = timedelta(hours=8)  # a sign-out, no longer than its sessions

    @classmethod
    def of(cls, settings, longest_topic: timedelta | None) -> Retention:
        """`longest_topic`: how long the broker keeps the longest-kept topic
        (None: forever, or not known), so that a redelivered event is still
        recognised as handled."""
        inbox = None
        if longest_topic is not None:
            inbox = max(settings.retain_events, longest_topic + REDELIVERY_MARGIN)
        return cls(
            events=settings.retain_events,
            inbox=inbox,
            mail=settings.retain_mail,
            introductions=settings.retain_introductions,
            audit=settings.retain_audit,
            sessions=settings.session_lifetime,
        )

    def before(
        self, kept: timedelta | None, now: datetime | None = None
    ) -> datetime | None:
        """The moment before which rows kept for `kept` go; None: never."""
        if kept is None:
            return None
        return (now or utc_now()) - kept


def in_batches(uow, step: Callable[[object], int]) -> int:
    """`step(uow)` in its own transaction until it removes fewer than BATCH."""
    total = 0
    while True:
        with uow:
            n = step(uow)
        total += n
        if n < BATCH:
            return total


class Kept:
    """The purge SQL of one service's rows in the tables every service
    shares, and the log of what each purge removed."""

    def __init__(self, conn, service: str):
        self.conn = conn
        self.service = service

    def _delete(self, table: str, where: str, args: tuple) -> int:
        n = self.conn.execute(
            f"DELETE FROM {table} WHERE ctid = ANY (ARRAY("  # noqa: S608 (names are ours)
            f" SELECT ctid FROM {table} WHERE {where} LIMIT {BATCH}"
            " FOR UPDATE SKIP LOCKED))",
            args,
        ).rowcount
        return self.logged(table, n)

    def outbox(self, before: datetime) -> int:
        """Rows this service published before `before` (never unpublished)."""
        return self._delete(
            "outbox", "producer = %s AND published_at < %s", (self.service, before)
        )

    def inbox(self, before: datetime) -> int:
        return self._delete(
            "inbox", "consumer = %s AND received_at < %s", (self.service, before)
        )

    def dead_letters(self, before: datetime) -> int:
        """This service's dead letters recorded before `before`, replayed or
        not (a replay is asked for within RETAIN_EVENTS, or never)."""
        return self._delete(
            "dead_letters", "consumer = %s AND created_at < %s", (self.service, before)
        )

    def logged(self, table: str, rows: int) -> int:
        """Counted on /metrics and, when it removed rows, in `purges`."""
        if rows:
            self.conn.execute(
                "INSERT INTO purges (service, table_name, rows) VALUES (%s, %s, %s)",
                (self.service, table, rows),
            )
            metrics.purged.labels(self.service, table).inc(rows)
        return rows


def purge_shared(uow, keep: Retention, now: datetime | None = None) -> dict[str, int]:
    """The purge of the service's own rows of the shared tables."""
    now = now or utc_now()
    counts = {
        "outbox": in_batches(
            uow, lambda u: u.kept().outbox(keep.before(keep.events, now))
        ),
        "dead_letters": in_batches(
            uow, lambda u: u.kept().dead_letters(keep.before(keep.events, now))
        ),
    }
    inbox_before = keep.before(keep.inbox, now)
    if inbox_before is not None:
        counts["inbox"] = in_batches(uow, lambda u: u.kept().inbox(inbox_before))
    return counts
