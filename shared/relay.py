"""The outbox relay: publishes a producer's outbox rows to Kafka, in order.

One relay per writer process runs in a thread; a session advisory lock per
producer name lets only one of them publish at a time, so rows go out in
`id` order (same key, same partition, same order). It looks for new rows
every `POLL_S` while there are none (no NOTIFY: see migration 0018), and
backs off while the broker or the database is down, then catches up.
"""

from __future__ import annotations

import psycopg

from shared import kafka, metrics
from shared.background import Background
from shared.db import connect
from shared.topics import Names

# how often an idle relay looks for new rows: at most this long between a
# commit and its publication, at the cost of one indexed query per period
POLL_S = 0.05
LOCK_S = 1.0  # how often a relay waiting for another's lock tries again


class Relay(Background):
    first_backoff_s = 0.2

    def __init__(
        self,
        database_url: str,
        producer_name: str,
        bootstrap,
        names: Names,
        batch_size: int = 500,
        poll_seconds: float = POLL_S,
    ):
        super().__init__(f"relay-{producer_name}")
        self.database_url = database_url
        self.producer_name = producer_name
        self.bootstrap = bootstrap
        self.names = names
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._producer = None

    def stop(self, timeout: float = 10) -> None:
        super().stop(timeout)

    def after_failure(self) -> None:
        self._drop_producer()

    def after_stop(self) -> None:
        self._drop_producer()

    def serve(self) -> None:
        with connect(self.database_url, autocommit=True) as conn:
            lock = f"outbox-relay:{self.producer_name}"
            while not self.stopping.is_set():
                got = conn.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s)) AS ok", (lock,)
                ).fetchone()
                if got["ok"]:
                    break
                self.stopping.wait(LOCK_S)
            while not self.stopping.is_set():
                if self.publish_batch(conn) < self.batch_size:
                    self.stopping.wait(self.poll_seconds)

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=0)
            except Exception:
                pass
            self._producer = None

    def _kafka(self):
        if self._producer is None:
            self._producer = kafka.producer(self.bootstrap)
        return self._producer

    def publish_batch(self, conn: psycopg.Connection) -> int:
        rows = conn.execute(
            "SELECT id, topic, key, value, headers FROM outbox"
            " WHERE producer = %s AND published_at IS NULL ORDER BY id LIMIT %s",
            (self.producer_name, self.batch_size),
        ).fetchall()
        backlog = (
            conn.execute(
                "SELECT count(*) AS n FROM outbox WHERE producer = %s AND published_at IS NULL",
                (self.producer_name,),
            ).fetchone()["n"]
            if len(rows) == self.batch_size
            else len(rows)
        )
        metrics.outbox_backlog.labels(self.producer_name).set(backlog)
        if not rows:
            return 0
        producer = self._kafka()
        futures = []
        for row in rows:
            headers = [(k, str(v).encode("utf-8")) for k, v in row["headers"].items()]
            futures.append(
                producer.send(
                    self.names(row["topic"]),
                    key=row["key"].encode("utf-8"),
                    value=bytes(row["value"]),
                    headers=headers,
                )
            )
        producer.flush(timeout=30)
        done = []
        failure = None
        for row, future in zip(rows, futures, strict=True):
            try:
                future.get(timeout=0)
            except Exception as exc:
                failure = exc
                break
            done.append(row["id"])
            metrics.outbox_published.labels(self.producer_name, row["topic"]).inc()
        if done:
            conn.execute(
                "UPDATE outbox SET published_at = now() WHERE id = ANY(%s)", (done,)
            )
        metrics.outbox_backlog.labels(self.producer_name).set(
            max(backlog - len(done), 0)
        )
        if failure is not None:
            raise RuntimeError(
                f"publish failed after {len(done)} of {len(rows)} rows: {failure}"
            )
        return len(rows)
