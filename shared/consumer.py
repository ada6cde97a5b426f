"""The consumer loop: at-least-once from Kafka, exactly-once in effect.

For each message: parse and validate the envelope; in one database
transaction, insert (consumer, event_id) into `inbox` and run the handler
(a duplicate insert means "already done": skip); commit; then commit the
Kafka offset. Messages come in batches (`CONSUMER_BATCH`, 50): the inbox
rows and effects of a batch's messages, in order, share one transaction and
one commit (a service may first do, once for the batch's new messages,
work that costs less for many at once: `ahead`). If one of them fails, the
batch is rolled back, the messages before it are handled again as a batch,
and the failing one goes alone through the path below (its retries and its
dead letter its own); so does a message that does not parse, and every
message while the database is out. A message that cannot be parsed, or
whose handler keeps failing, is recorded in `dead_letters` and copied to
`<topic>.dlq` through the outbox, in one transaction, and the loop goes on. A database that is
down (`db.is_outage`) is waited for, never blamed on the message; a
statement that fails on its own (a time-out, a key too large for its index)
is the message's failure and counts as an attempt. `stop()` lets the message
in hand finish, commits its offset and returns.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from kafka.structs import OffsetAndMetadata

from shared import dead_letters, events, kafka, metrics, outbox, topics
from shared.background import Background
from shared.db import is_outage
from shared.logs import correlation
from shared.topics import Names
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# handler(uow, event, deps): a unit of work bound to the consumer's
# transaction (its `with uow:` joins it; its events go through
# `uow.outbox()`), the event, and what the service hands every handler (its
# settings, its matching policy, ...).
Handler = Callable[[UnitOfWork, events.Event, Any], None]
# topic -> event type -> handler: each service's wiring is one such table.
Routes = dict[str, dict[str, Handler]]
# ahead(uow, events, deps): what a service does once for a batch's new
# events before their handlers run, in the batch's transaction (work that
# costs less done for many at once); a failure undoes only what it did.
Ahead = Callable[[UnitOfWork, list[events.Event], Any], None]


@dataclass
class Delivery:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list


class Consumer(Background):
    def __init__(
        self,
        *,
        name: str,
        service: str,
        routes: Routes,
        unit_of_work: type[UnitOfWork],
        deps: Any = None,
        pool,
        bootstrap,
        names: Names,
        max_attempts: int = 3,
        retry_base_s: float = 0.2,
        batch: int = 50,
        ahead: Ahead | None = None,
    ):
        super().__init__(f"consumer-{name}")
        self.name = name
        self.service = service
        self.routes = routes
        self.unit_of_work = unit_of_work
        self.topics = list(routes)
        self.deps = deps
        self.pool = pool
        self.bootstrap = bootstrap
        self.names = names
        self.max_attempts = max_attempts
        self.retry_base_s = retry_base_s
        self.batch = batch
        self.ahead = ahead
        self._kafka = None

    def serve(self) -> None:
        self._kafka = kafka.consumer(
            self.bootstrap, self.names(self.name), [self.names(t) for t in self.topics]
        )
        try:
            self._loop()
        finally:
            try:
                self._kafka.close(autocommit=False)
            except Exception:
                pass
            self._kafka = None

    def _loop(self) -> None:
        while not self.stopping.is_set():
            batches = self._kafka.poll(timeout_ms=500, max_records=200)
            for tp, records in batches.items():
                deliveries = [
                    Delivery(
                        self.names.logical(r.topic), r.partition, r.offset, r.key,
                        r.value, list(r.headers or []),
                    )
                    for r in records
                ]  # fmt: skip
                done = self.process_all(deliveries)
                if done:
                    last = deliveries[done - 1].offset
                    self._kafka.commit({tp: OffsetAndMetadata(last + 1, "", -1)})
                    self._record_lag(tp, last + 1)
                if self.stopping.is_set():
                    return

    def process_all(self, deliveries: list[Delivery]) -> int:
        """Handle deliveries in order, a batch per transaction where they
        allow; how many are done (the rest: stopped while the database was
        down, left uncommitted)."""
        done = 0
        while done < len(deliveries) and not self.stopping.is_set():
            n, failure = self._process_batch(deliveries[done : done + self.batch])
            done += n
            if n == 0 or failure:  # the next one alone, with its retries
                if not self.process(deliveries[done], failure):
                    break
                done += 1
        return done

    def _record_lag(self, tp, position: int) -> None:
        end = self._kafka.highwater(tp)
        if end is not None:
            metrics.consumer_lag.labels(
                self.name, self.names.logical(tp.topic), tp.partition
            ).set(max(end - position, 0))

    # -- one message -----------------------------------------------------
    def process(self, d: Delivery, failed: Exception | None = None) -> bool:
        """Handle one delivery to completion; False only if stopped before it
        was done. `failed`: how its first attempt failed, in a batch."""
        try:
            event = events.parse(d.value)
        except events.InvalidEvent as exc:
            return self._dead_letter(d, "invalid", str(exc))
        handler = self.handler_of(d.topic, event.event_type)
        skipped = _skipped(event, handler)
        if skipped:
            metrics.events_consumed.labels(self.name, event.event_type, skipped).inc()
            return True
        attempt = 0
        if failed is not None:
            attempt = 1
            if attempt >= self.max_attempts:
                return self._dead_letter(d, "handler-failed", _detail(failed))
            self.stopping.wait(self.retry_base_s)
        while True:
            attempt += 1
            try:
                with (
                    correlation(event.correlation_id),
                    metrics.handler_seconds.labels(self.name, event.event_type).time(),
                ):
                    done = self._handle(event, handler, d)
                metrics.events_consumed.labels(
                    self.name, event.event_type, "handled" if done else "duplicate"
                ).inc()
                return True
            except Exception as exc:
                if is_outage(exc):
                    log.warning(
                        "consumer %s: database unavailable (%s); waiting",
                        self.name,
                        exc,
                    )
                    attempt -= 1  # not the message's fault
                    if self.stopping.wait(1.0):
                        return False
                    continue
                self._log_failure(event, attempt, exc)
                if attempt >= self.max_attempts:
                    return self._dead_letter(d, "handler-failed", _detail(exc))
                self.stopping.wait(self.retry_base_s * 2 ** (attempt - 1))

    def _process_batch(self, chunk: list[Delivery]) -> tuple[int, Exception | None]:
        """The longest run of `chunk` that parses, in one transaction: how
        many were handled (0: let the first go alone) and how the one after
        them failed in the batch, if it did (its first attempt)."""
        run = []
        for d in chunk:
            try:
                run.append((d, events.parse(d.value)))
            except events.InvalidEvent:
                break
        failure = None
        while run:
            outcomes: list[tuple[str, str]] = []
            try:
                with self.pool.connection() as conn, conn.transaction():
                    fresh = self._claim(conn, run)
                    self._ahead(conn, [e for _, e in run if e.event_id in fresh])
                    for k, (d, event) in enumerate(run):
                        try:
                            outcomes.append(self._in_batch(conn, d, event, fresh))
                        except Exception as exc:
                            raise _Failed(k) from exc
            except _Failed as failed:
                if is_outage(failed.__cause__) or _contention(failed.__cause__):
                    # the first goes alone: nothing held, no attempt spent
                    return 0, None
                self._log_failure(run[failed.index][1], 1, failed.__cause__)
                run = run[: failed.index]  # again without it: it goes alone
                failure = failed.__cause__
                continue
            except Exception as exc:  # the commit itself: each alone finds out
                log.warning("consumer %s: a batch failed to commit: %s", self.name, exc)
                return 0, None
            for event_type, outcome in outcomes:
                metrics.events_consumed.labels(self.name, event_type, outcome).inc()
            return len(run), failure
        return 0, failure

    def _claim(self, conn, run: list) -> set:
        """The inbox rows of a batch's events that have a handler, in one
        statement; the ids of those this consumer had not handled before."""
        wanted = [
            (d.topic, e) for d, e in run
            if not _skipped(e, self.handler_of(d.topic, e.event_type))
        ]  # fmt: skip
        if not wanted:
            return set()
        rows = conn.execute(
            "INSERT INTO inbox (consumer, event_id, topic, event_type)"
            " SELECT %s, * FROM unnest(%s::uuid[], %s::text[], %s::text[])"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            (self.name, [e.event_id for _, e in wanted], [t for t, _ in wanted],
             [e.event_type for _, e in wanted]),
        ).fetchall()  # fmt: skip
        return {r["event_id"] for r in rows}

    def _ahead(self, conn, fresh: list[events.Event]) -> None:
        """The service's work for the batch's new events at once, if any; a
        failure leaves each handler to do its own, but an outage of the
        database, which ends the batch as a handler's would."""
        if self.ahead is None or not fresh:
            return
        try:
            with conn.transaction():
                self.ahead(self.unit_of_work(conn=conn), fresh, self.deps)
        except Exception as exc:
            if is_outage(exc):
                raise _Failed(0) from exc
            log.warning(
                "consumer %s: the batch's work ahead failed: %s", self.name, exc
            )

    def _in_batch(
        self, conn, d: Delivery, event: events.Event, fresh: set
    ) -> tuple[str, str]:
        handler = self.handler_of(d.topic, event.event_type)
        skipped = _skipped(event, handler)
        if skipped:
            return event.event_type, skipped
        if event.event_id not in fresh:  # handled before (or earlier in the batch)
            return event.event_type, "duplicate"
        fresh.discard(event.event_id)
        with (
            correlation(event.correlation_id),
            metrics.handler_seconds.labels(self.name, event.event_type).time(),
        ):
            self._apply(conn, event, handler)
        return event.event_type, "handled"

    def _log_failure(self, event: events.Event, attempt: int, exc) -> None:
        log.warning(
            "consumer %s: %s %s failed (attempt %d/%d): %s",
            self.name, event.event_type, event.event_id, attempt,
            self.max_attempts, exc,
        )  # fmt: skip

    def handler_of(self, topic: str, event_type: str) -> Handler | None:
        return self.routes.get(topic, {}).get(event_type)

    def _handle(self, event: events.Event, handler: Handler, d: Delivery) -> bool:
        with self.pool.connection() as conn, conn.transaction():
            return self.run_once(conn, d.topic, event, handler)

    def run_once(self, conn, topic: str, event: events.Event, handler: Handler) -> bool:
        """The inbox row and the handler's effect, in the caller's transaction;
        False if this consumer had handled the event already."""
        fresh = conn.execute(
            "INSERT INTO inbox (consumer, event_id, topic, event_type)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (self.name, event.event_id, topic, event.event_type),
        ).rowcount
        if not fresh:
            return False
        self._apply(conn, event, handler)
        return True

    def _apply(self, conn, event: events.Event, handler: Handler) -> None:
        """The handler's effect, through a unit of work that joins the
        consumer's transaction."""
        uow = self.unit_of_work(conn=conn, correlation_id=event.correlation_id)
        handler(uow, event, self.deps)

    def _dead_letter(self, d: Delivery, reason: str, error: str) -> bool:
        log.error(
            "consumer %s: dead-lettering %s[%d]@%d: %s: %s",
            self.name,
            d.topic,
            d.partition,
            d.offset,
            reason,
            error,
        )
        original = {k: v.decode("utf-8", "replace") for k, v in d.headers}
        headers = {
            **original,
            "dlq_reason": reason,
            "dlq_error": error[:1000],
            "dlq_consumer": self.name,
            "dlq_original_topic": d.topic,
            "dlq_original_partition": str(d.partition),
            "dlq_original_offset": str(d.offset),
        }
        key = d.key.decode("utf-8", "replace") if d.key is not None else None
        while True:
            try:
                with self.pool.connection() as conn, conn.transaction():
                    new = dead_letters.record(
                        conn,
                        consumer=self.name,
                        topic=d.topic,
                        partition=d.partition,
                        offset=d.offset,
                        key=key,
                        value=d.value or b"",
                        headers=original,
                        reason=reason,
                        error=error,
                    )
                    if new:
                        outbox.add_raw(
                            conn,
                            self.service,
                            topics.dlq(d.topic),
                            key,
                            d.value or b"",
                            headers,
                        )
                metrics.dead_letters.labels(self.name, d.topic, reason).inc()
                return True
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning(
                    "consumer %s: database unavailable (%s); waiting", self.name, exc
                )
                if self.stopping.wait(1.0):
                    return False


def _skipped(event: events.Event, handler: Handler | None) -> str | None:
    """Why an event is passed over with no inbox row ("redacted": its person
    was forgotten; "ignored": no handler here), or None."""
    if event.redacted:
        return "redacted"
    return "ignored" if handler is None else None


def _detail(exc: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()


def _contention(exc: BaseException | None) -> bool:
    """A deadlock or a serialization failure: two transactions in each
    other's way (batches of two processes), not the message's fault."""
    return isinstance(
        exc, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
    )


class _Failed(Exception):
    """The message at `index` of a batch failed (its exception is the cause)."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


def replay_dead_letters(consumer: Consumer, limit: int = 50) -> int:
    """Replay the dead letters of `consumer` that ops asked to replay, each
    once in effect: the inbox keeps a replayed event from taking effect twice.
    A replay whose handler fails again is recorded, not dead-lettered anew,
    and ops may ask for it again; one that cannot work (the message does not
    parse, no handler) is recorded as done."""
    done = 0
    for _ in range(limit):
        with consumer.pool.connection() as conn, conn.transaction():
            row = dead_letters.next_replay(conn, consumer.name)
            if row is None:
                return done
            result, final = _replay_one(consumer, conn, row)
            if final:
                dead_letters.mark_replayed(conn, row["id"], result)
            else:
                dead_letters.replay_failed(conn, row["id"], result)
            done += 1
    return done


def _replay_one(consumer: Consumer, conn, row) -> tuple[str, bool]:
    """(what happened, whether it is final)."""
    try:
        event = events.parse(bytes(row["value"]))
    except events.InvalidEvent as exc:
        return f"invalid: {exc}"[:1000], True
    handler = consumer.handler_of(row["topic"], event.event_type)
    if handler is None:
        return "ignored: no handler", True
    try:
        with conn.transaction(), correlation(event.correlation_id):
            # a savepoint: a failing handler leaves nothing behind
            if not consumer.run_once(conn, row["topic"], event, handler):
                return "duplicate: already handled", True
    except Exception as exc:
        if is_outage(exc):
            raise  # the job tries again once the database is back
        return f"failed again: {exc}"[:1000], False
    metrics.events_consumed.labels(consumer.name, event.event_type, "replayed").inc()
    return "handled", True
