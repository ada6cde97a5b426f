"""The transactional outbox: events are rows written with the change they report."""

from __future__ import annotations

import uuid

import psycopg
from psycopg.types.json import Jsonb

from shared import events, topics


def add(conn: psycopg.Connection, topic: str, key: str, event: events.Event) -> None:
    conn.execute(
        "INSERT INTO outbox (producer, topic, key, value, headers, event_id, event_type, correlation_id)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (
            event.producer,
            topic,
            key,
            event.to_bytes(),
            Jsonb(event.headers()),
            event.event_id,
            event.event_type,
            event.correlation_id,
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
        "INSERT INTO outbox (producer, topic, key, value, headers, event_id, event_type, correlation_id)"
        " VALUES (%s, %s, %s, %s, %s, NULL, %s, %s)",
        (
            producer,
            topic,
            key or "",
            value,
            Jsonb(headers),
            headers.get("event_type"),
            _uuid_or_none(headers.get("correlation_id")),
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

    def emit(self, event_type: str, key, payload: dict) -> events.Event:
        event = events.build(
            event_type,
            payload,
            producer=self.producer,
            correlation_id=self.correlation_id,
        )
        if self.correlation_id is None:
            self.correlation_id = event.correlation_id
        add(self.conn, topics.topic_of(event_type), str(key), event)
        return event
