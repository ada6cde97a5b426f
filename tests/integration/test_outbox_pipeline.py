"""Outbox → relay → Kafka → consumer with inbox, on the real broker and database."""

from __future__ import annotations

import json
import uuid

import pytest

from shared import kafka as kafka_clients
from shared import topics
from shared.db import connect
from tests import infra
from tests.integration import pipeline
from tests.support import wait_for


@pytest.fixture
def db(database_url):
    pipeline.prepare(database_url)
    return database_url


@pytest.fixture
def running(db, bootstrap, names):
    """A relay and a consumer, both started; stopped at teardown."""
    parts = {}

    def start(relay=True, consumer=True, **kw):
        if relay:
            parts["relay"] = pipeline.make_relay(db, bootstrap, names).start()
            # the consumer's own service publishes its dead letters
            parts["dlq-relay"] = pipeline.make_relay(
                db, bootstrap, names, producer="matcher"
            ).start()
        if consumer:
            parts["consumer"] = pipeline.make_consumer(
                db, bootstrap, names, **kw
            ).start()
        return parts

    yield start
    if "consumer" in parts:
        parts["consumer"].stop()
        parts["consumer"].pool.close()
    for key in ("relay", "dlq-relay"):
        if key in parts:
            parts[key].stop()


def test_events_written_through_the_outbox_take_effect_once_each(db, running):
    ids = pipeline.write_events(db, 50)
    running()
    counts = wait_for(
        lambda: (c := pipeline.effect_counts(db)) and len(c) == 50 and c,
        60,
        message="50 effects",
    )
    assert set(counts) == set(ids)
    assert set(counts.values()) == {1}
    with connect(db) as conn:
        assert (
            conn.execute(
                "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
            ).fetchone()["n"]
            == 0
        )


def test_same_event_delivered_twice_takes_effect_once(db, bootstrap, names, running):
    ids = pipeline.write_events(db, 2)
    with connect(db) as conn:
        rows = conn.execute(
            "SELECT key, value, headers FROM outbox ORDER BY id"
        ).fetchall()
    twice, marker = rows
    producer = kafka_clients.producer(bootstrap)
    # One key for all three, so one partition: the marker is consumed after both copies.
    for row in (twice, twice, marker):
        producer.send(
            names(topics.INTRO_REQUESTS),
            key=twice["key"].encode(),
            value=bytes(row["value"]),
            headers=[(k, v.encode()) for k, v in row["headers"].items()],
        )
    producer.flush()
    producer.close()
    running(relay=False)
    wait_for(
        lambda: pipeline.effect_counts(db).get(ids[1]), 60, message="marker handled"
    )
    assert pipeline.effect_counts(db) == {ids[0]: 1, ids[1]: 1}


def test_malformed_message_goes_to_dead_letter_topic_and_the_rest_flow(
    db, bootstrap, names, running
):
    producer = kafka_clients.producer(bootstrap)
    key = str(uuid.uuid4()).encode()
    # Same key, so same partition: the bad messages stand in front of the good one.
    producer.send(names(topics.INTRO_REQUESTS), key=key, value=b"{not json")
    producer.send(
        names(topics.INTRO_REQUESTS),
        key=key,
        value=json.dumps({"event_type": "IntroCancelled", "payload": {}}).encode(),
    )
    producer.flush()
    producer.close()
    ids = pipeline.write_events(db, 3)
    running()
    wait_for(
        lambda: len(pipeline.effect_counts(db)) == 3, 60, message="good events handled"
    )
    assert set(pipeline.effect_counts(db)) == set(ids)

    dlq = kafka_clients.consumer(
        bootstrap,
        f"dlq-reader-{uuid.uuid4()}",
        [names(topics.dlq(topics.INTRO_REQUESTS))],
        consumer_timeout_ms=20000,
    )
    received = []
    wait_for(
        lambda: (
            received.extend(r for recs in dlq.poll(500).values() for r in recs)
            or len(received) >= 2
        ),
        60,
        message="two dead letters on the DLQ topic",
    )
    dlq.close()
    assert {r.value for r in received} == {
        b"{not json",
        json.dumps({"event_type": "IntroCancelled", "payload": {}}).encode(),
    }
    for record in received:
        headers = dict(record.headers)
        assert headers["dlq_reason"] == b"invalid"
        assert headers["dlq_consumer"] == b"test-consumer"
        assert headers["dlq_original_topic"] == topics.INTRO_REQUESTS.encode()
        assert record.key == key
    with connect(db) as conn:
        assert (
            conn.execute("SELECT count(*) AS n FROM dead_letters").fetchone()["n"] == 2
        )


def test_handler_that_keeps_failing_is_dead_lettered_after_its_attempts(
    db, bootstrap, names, running
):
    attempts = []

    def flaky(uow, event, _deps=None):
        attempts.append(event.event_id)
        raise RuntimeError("host calendar unavailable")

    ids = pipeline.write_events(db, 1)
    running(handler=flaky, max_attempts=3, retry_base_s=0.01)
    with connect(db, autocommit=True) as conn:
        row = wait_for(
            lambda: conn.execute("SELECT * FROM dead_letters").fetchone(),
            60,
            message="dead letter",
        )
        assert row["reason"] == "handler-failed"
        assert "host calendar unavailable" in row["error"]
        assert conn.execute("SELECT count(*) AS n FROM inbox").fetchone()["n"] == 0
    assert attempts == ids * 3


def test_a_statement_that_fails_on_its_own_is_dead_lettered_not_waited_for(
    db, bootstrap, names, running
):
    """A statement time-out is an OperationalError, but the database is up:
    the message is to blame, and it goes to the dead letters after its
    attempts instead of blocking its partition for ever."""
    attempts = []

    def too_slow(uow, event, _deps=None):
        attempts.append(event.event_id)
        with uow:
            uow.repo.execute("SET LOCAL statement_timeout = '10ms'")
            uow.repo.execute("SELECT pg_sleep(1)")

    ids = pipeline.write_events(db, 2)
    running(handler=too_slow, max_attempts=2, retry_base_s=0.01)
    with connect(db, autocommit=True) as conn:
        rows = wait_for(
            lambda: (
                (r := conn.execute("SELECT * FROM dead_letters ORDER BY id").fetchall())
                and len(r) == 2
                and r
            ),
            60,
            message="both messages dead-lettered",
        )
    assert all("statement timeout" in r["error"] for r in rows)
    assert sorted(attempts) == sorted(ids * 2)


def test_broker_down_while_events_are_written_then_back(database_url, tmp_path, names):
    pipeline.prepare(database_url)
    broker = infra.local_kafka(tmp_path / "own-broker")
    bootstrap = (broker.bootstrap,)
    relay = consumer = None
    try:
        kafka_clients.ensure_topics(bootstrap, names.all(), 3)
        relay = pipeline.make_relay(database_url, bootstrap, names).start()
        consumer = pipeline.make_consumer(database_url, bootstrap, names).start()
        first = pipeline.write_events(database_url, 10)
        wait_for(
            lambda: len(pipeline.effect_counts(database_url)) == 10,
            60,
            message="first events",
        )

        broker.stop()
        during = pipeline.write_events(
            database_url, 20
        )  # written while the broker is down
        with connect(database_url) as conn:
            assert (
                conn.execute(
                    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
                ).fetchone()["n"]
                == 20
            )
        broker.start()
        after = pipeline.write_events(database_url, 10)

        counts = wait_for(
            lambda: (c := pipeline.effect_counts(database_url)) and len(c) == 40 and c,
            120,
            message="every event after the broker came back",
        )
        assert set(counts) == set(first + during + after)
        assert set(counts.values()) == {1}
    finally:
        if consumer:
            consumer.stop()
            consumer.pool.close()
        if relay:
            relay.stop()
        broker.stop()


def test_stop_finishes_the_message_in_hand_and_commits_its_offset(
    db, bootstrap, names, running
):
    import threading

    from kafka.structs import TopicPartition

    entered, release = threading.Event(), threading.Event()

    def slow(uow, event, _deps=None):
        entered.set()
        release.wait(30)
        pipeline.record_effect(uow, event)

    ids = pipeline.write_events(db, 1)
    parts = running(handler=slow)
    assert entered.wait(60)
    stopper = threading.Thread(target=parts["consumer"].stop)
    stopper.start()
    release.set()
    stopper.join(60)
    assert pipeline.effect_counts(db) == {ids[0]: 1}

    reader = kafka_clients.consumer(bootstrap, names("test-consumer"), [])
    try:
        partitions = [TopicPartition(names(topics.INTRO_REQUESTS), p) for p in range(3)]
        ends = reader.end_offsets(partitions)
        committed = {tp: reader.committed(tp) or 0 for tp in partitions}
        assert committed == ends  # nothing left to redeliver
    finally:
        reader.close()


def publish_before_consuming(db, running) -> None:
    """Every event written so far on the topic before a consumer starts, so
    that it finds them waiting (and takes them in batches)."""
    running(relay=True, consumer=False)
    with connect(db, autocommit=True) as conn:
        wait_for(
            lambda: (
                not conn.execute(
                    "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
                ).fetchone()["n"]
            ),
            30,
            message="every event on the topic before the consumer starts",
        )


def test_a_failing_event_in_a_batch_goes_alone_and_the_others_take_effect_once(
    db, bootstrap, names, running
):
    """Events waiting on the topic come in batches (one transaction each):
    the one whose handler fails is taken out of its batch, tried its three
    times alone and dead-lettered; every other event takes effect once."""
    pipeline.prepare(db)
    ids = pipeline.write_events(db, 24)
    bad, attempts = ids[9], []

    def handler(uow, event, deps=None):
        if event.event_id == bad:
            attempts.append(event.event_id)
            raise RuntimeError("this one, every time")
        pipeline.record_effect(uow, event, deps)

    publish_before_consuming(db, running)
    running(relay=False, handler=handler, max_attempts=3, retry_base_s=0.01)
    counts = wait_for(
        lambda: (c := pipeline.effect_counts(db)) and len(c) == 23 and c,
        60,
        message="the 23 good events",
    )
    assert set(counts) == set(ids) - {bad} and set(counts.values()) == {1}
    with connect(db, autocommit=True) as conn:
        row = wait_for(
            lambda: conn.execute("SELECT * FROM dead_letters").fetchone(),
            30,
            message="the bad one's dead letter",
        )
        assert conn.execute("SELECT count(*) AS n FROM inbox").fetchone()["n"] == 23
    assert row["reason"] == "handler-failed"
    assert attempts == [bad] * 3


def test_a_batchs_work_ahead_sees_its_new_events_once_and_its_failure_undoes_only_itself(
    db, running
):
    """A service's `ahead` runs once per batch, before the handlers, on the
    batch's new events; the first one fails after writing: what it wrote is
    undone, the handlers still take effect, and later batches' work stays."""
    ids = pipeline.write_events(db, 24)
    seen: list[list] = []
    marks: list = []

    def ahead(uow, events, deps=None):
        seen.append([e.event_id for e in events])
        mark = uuid.uuid4()
        with uow:
            uow.repo.execute(
                "INSERT INTO effects (event_id, request_id) VALUES (%s, %s)",
                (mark, mark),
            )
        marks.append(mark)
        if len(seen) == 1:
            raise RuntimeError("the work ahead fails once")

    publish_before_consuming(db, running)
    running(relay=False, ahead=ahead)
    counts = wait_for(
        lambda: (c := pipeline.effect_counts(db)) and set(ids) <= set(c) and c,
        60,
        message="the 24 events' effects",
    )
    given = [event_id for batch in seen for event_id in batch]
    assert sorted(given, key=str) == sorted(ids, key=str)  # each once
    assert max(len(batch) for batch in seen) > 1  # batches, not one by one
    assert marks[0] not in counts  # the failed work ahead undone
    assert all(counts[m] == 1 for m in marks[1:])
    assert all(counts[i] == 1 for i in ids)
