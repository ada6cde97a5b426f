"""Bodies and rows for intake tests."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from psycopg.types.json import Jsonb

from devstack import samples
from shared.db import connect


def future(days: float = 3, hours: float = 0) -> datetime:
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return base + timedelta(days=days, hours=hours)


def request_body(**overrides) -> dict:
    return samples.request_body(start=future(3), **overrides)


def host_body(**overrides) -> dict:
    return samples.host_body(**overrides)


def insert_match(
    database_url: str,
    request_id,
    host_id,
    *,
    status="proposed",
    expires_in=timedelta(hours=72),
    start=None,
) -> uuid.UUID:
    """A match as the matcher would write it (the matcher is not under test here)."""
    start = start or future(4)
    match_id = uuid.uuid4()
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO matches (id, request_id, host_id, status, starts_at, ends_at, month, format, exact_field,"
            " score, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, 'video', true, %s, now() + %s)",
            (
                match_id,
                request_id,
                host_id,
                status,
                start,
                start + timedelta(minutes=30),
                start.strftime("%Y-%m"),
                Jsonb({}),
                expires_in,
            ),
        )
        conn.execute(
            "UPDATE requests SET status = 'proposed', proposed_at = coalesce(proposed_at, now())"
            " WHERE id = %s",
            (request_id,),
        )
    return match_id


def count(database_url: str, sql: str, *params) -> int:
    with connect(database_url) as conn:
        return list(conn.execute(sql, params).fetchone().values())[0]


def drain(consumer, want: int, timeout_s: float = 30) -> list:
    """Poll until `want` records arrived (or fail)."""
    from tests.support import wait_for

    got = []
    wait_for(
        lambda: (
            got.extend(r for rs in consumer.poll(300).values() for r in rs)
            or len(got) >= want
        ),
        timeout_s,
        message=f"{want} message(s) on the topic",
    )
    return got


def envelope(record) -> dict:
    return json.loads(record.value)
