"""The transactional outbox: events are rows written with the change they report."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.types.json import Jsonb

from shared import events, forgetting, topics


def add(conn: psycopg.Connection, topic: str, key: str, event: events.Event) -> None:
    """One event; `subjects` names (by digest) the people its payload names."""
    value = event.to_bytes()
    conn.execute(
        "INSERT INTO outbox (producer, topic, key, value, headers, event_id,"
        " event_type, correlation_id, subjects) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.producer,
            topic,
            key,
            value,
            Jsonb(event.headers()),
            event.event_id,
            event.event_type,
            event.correlation_id,
            forgetting.raw_subjects(value),
        ),
    )


def add_raw(
    conn: psycopg.Connection,
    producer: str,
    topic: str,
    key: str | None,
    value: bytes,
    headers: dict[str, str],
) -> None:
    """An arbitrary message (a dead letter's original bytes, say)."""
    conn.execute(
        "INSERT INTO outbox (producer, topic, key, value, headers, event_id,"
        " event_type, correlation_id, subjects) VALUES (%s, %s, %s, %s, %s, NULL, %s, %s, %s)",
        (
            producer,
            topic,
            key or "",
            value,
            Jsonb(headers),
            headers.get("event_type"),
            _uuid_or_none(headers.get("correlation_id")),
            forgetting.raw_subjects(value),
        ),
    )


def _uuid_or_none(value):
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


class Outbox:
    """What a handler or a view uses to emit events inside its transaction."""

    def __init__(self, conn: psycopg.Connection, producer: str, correlation_id=None):
        self.conn = conn
        self.producer = producer
        self.correlation_id = correlation_id

    def emit(
        self, event_type: str, key, payload: dict, *, correlation_id=None
    ) -> events.Event:
        """Validate and queue one event. `correlation_id` overrides this
        outbox's own (a handler that acts on several requests gives each
        event its request's); the first event fixes one where none was set."""
        event = events.build(
            event_type,
            payload,
            producer=self.producer,
            correlation_id=correlation_id or self.correlation_id,
        )
        if self.correlation_id is None and correlation_id is None:
            self.correlation_id = event.correlation_id
        add(self.conn, topics.topic_of(event_type), str(key), event)
        return event


# -- what others read of the outbox, and the one rewrite: forgetting ---------


def forget_about(
    conn: psycopg.Connection, key: str, producer: str | None = None
) -> None:
    """Every row written under `key` (a forgotten person's request or host
    profile), whoever wrote it, published or not, loses its payload; a dead
    letter's raw copy loses its bytes and its error header. Unpublished rows
    go out emptied, and consumers pass them over."""
    sql = "SELECT id, value, headers FROM outbox WHERE key = %s"
    if producer is not None:  # only the rows of one writer
        sql += " AND producer = %s"
    for row in conn.execute(sql, (key, producer) if producer else (key,)).fetchall():
        conn.execute(
            "UPDATE outbox SET value = %s, headers = %s, subjects = '{}' WHERE id = %s",
            (forgetting.emptied(bytes(row["value"])),
             Jsonb(forgetting.safe_headers(row["headers"])), row["id"]),
        )  # fmt: skip


def forget_mentions(conn: psycopg.Connection, email: str, own_keys: list[str]) -> int:
    """Rows about other people that name the forgotten person at `email` in
    a person's field (as referrer, as a mail's recipient), found by the
    digest of that address: that field replaced, each event still valid.
    Returns how many rows changed."""
    rows = conn.execute(
        "SELECT id, value, headers FROM outbox WHERE subjects @> %s"
        " AND NOT (key = ANY(%s))",
        ([forgetting.digest(email)], own_keys),
    ).fetchall()
    for row in rows:
        value = forgetting.without_mention(bytes(row["value"]), email, row["id"])
        conn.execute(
            "UPDATE outbox SET value = %s, headers = %s, subjects = %s WHERE id = %s",
            (value, Jsonb(forgetting.safe_headers(row["headers"])),
             forgetting.raw_subjects(value), row["id"]),
        )  # fmt: skip
    return len(rows)


def timeline(conn: psycopg.Connection, key: str, correlation_id) -> list[dict]:
    """Every row written under one key or one correlation id, in order."""
    return conn.execute(
        "SELECT id, producer, topic, key, value, event_type, event_id, created_at,"
        " published_at FROM outbox WHERE key = %s OR correlation_id = %s ORDER BY id",
        (key, correlation_id),
    ).fetchall()


def backlog(conn: psycopg.Connection) -> list[dict]:
    """Unpublished rows and the age of the oldest, per producer."""
    return conn.execute(
        "SELECT producer, count(*) AS unpublished,"
        " extract(epoch FROM now() - min(created_at)) AS oldest_age_s"
        " FROM outbox WHERE published_at IS NULL GROUP BY producer ORDER BY producer"
    ).fetchall()
