"""A small real pipeline for backbone tests: write through the outbox,
publish with the relay, consume with the inbox, count the effects."""

from __future__ import annotations

import uuid

from shared import outbox, topics
from shared.consumer import Consumer
from shared.db import connect, make_pool
from shared.relay import Relay
from shared.unit_of_work import UnitOfWork

EFFECTS = "CREATE TABLE IF NOT EXISTS effects (event_id uuid NOT NULL, request_id uuid NOT NULL, seen_at timestamptz DEFAULT now())"


def prepare(database_url: str) -> None:
    with connect(database_url, autocommit=True) as conn:
        conn.execute(EFFECTS)


def write_events(
    database_url: str, n: int, producer: str = "intake"
) -> list[uuid.UUID]:
    """n IntroCancelled events, each written in its own transaction."""
    ids = []
    with connect(database_url) as conn:
        for _ in range(n):
            request_id = uuid.uuid4()
            with conn.transaction():
                ob = outbox.Outbox(conn, producer)
                ids.append(
                    ob.emit(
                        "IntroCancelled",
                        request_id,
                        {"request_id": request_id, "cancelled_by": "requester"},
                    ).event_id
                )
    return ids


class EffectsUnitOfWork(UnitOfWork):
    """A test service's unit of work: its "repository" is the bare connection."""

    producer = "matcher"

    def attach(self, conn) -> None:
        self.repo = conn


def record_effect(uow, event, _deps=None) -> None:
    with uow:
        uow.repo.execute(
            "INSERT INTO effects (event_id, request_id) VALUES (%s, %s)",
            (event.event_id, event.payload["request_id"]),
        )


def effect_counts(database_url: str) -> dict[uuid.UUID, int]:
    with connect(database_url) as conn:
        rows = conn.execute(
            "SELECT event_id, count(*) AS n FROM effects GROUP BY event_id"
        ).fetchall()
    return {r["event_id"]: r["n"] for r in rows}


def make_consumer(
    database_url, bootstrap, names, handler=record_effect, name="test-consumer", **kw
) -> Consumer:
    pool = make_pool(database_url, name=name)
    pool.open(wait=True)
    return Consumer(
        name=name,
        service="matcher",
        routes={topics.INTRO_REQUESTS: {"IntroCancelled": handler}},
        unit_of_work=EffectsUnitOfWork,
        pool=pool,
        bootstrap=bootstrap,
        names=names,
        **kw,
    )


def make_relay(database_url, bootstrap, names, producer="intake") -> Relay:
    return Relay(database_url, producer, bootstrap, names)


__all__ = [
    "Consumer",
    "prepare",
    "write_events",
    "record_effect",
    "effect_counts",
    "make_consumer",
    "make_relay",
]
