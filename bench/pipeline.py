"""Events per second through outbox → relay → Kafka → consumer with inbox,
against kafka-python's raw produce/consume rate on the same broker, same run."""

from __future__ import annotations

import time
import uuid

from bench.infra import fresh_database, servers
from shared import kafka as kafka_clients
from shared.db import connect
from shared.topics import Names
from tests.integration import pipeline

N = 20_000


def raw_rate(bootstrap, n: int) -> tuple[float, float]:
    topic = f"raw-{uuid.uuid4().hex[:8]}"
    kafka_clients.ensure_topics(bootstrap, [topic], 3)
    value = (
        b'{"event_type":"IntroCancelled","payload":{"request_id":"'
        + str(uuid.uuid4()).encode()
        + b'"}}'
    )
    producer = kafka_clients.producer(bootstrap)
    t = time.perf_counter()
    for i in range(n):
        producer.send(topic, key=str(i % 500).encode(), value=value)
    producer.flush()
    produce = n / (time.perf_counter() - t)
    producer.close()
    consumer = kafka_clients.consumer(bootstrap, f"raw-{uuid.uuid4()}", [topic])
    seen, t = 0, time.perf_counter()
    while seen < n:
        for records in consumer.poll(500).values():
            seen += len(records)
    consume = n / (time.perf_counter() - t)
    consumer.close()
    return produce, consume


def outbox_rate(url: str, bootstrap, n: int) -> float:
    """Written events through the relay and the consumer, both running."""
    names = prepared(url, bootstrap, n)
    relay = pipeline.make_relay(url, bootstrap, names)
    consumer = pipeline.make_consumer(url, bootstrap, names)
    t = time.perf_counter()
    relay.start()
    consumer.start()
    wait_effects(url, n)
    rate = n / (time.perf_counter() - t)
    consumer.stop()
    consumer.pool.close()
    relay.stop()
    return rate


def consumer_rate(url: str, bootstrap, n: int, batch: int) -> float:
    """Events already on the topic, through the consumer alone (inbox row
    and effect per event), `batch` per transaction."""
    names = prepared(url, bootstrap, n)
    relay = pipeline.make_relay(url, bootstrap, names)
    relay.start()
    with connect(url, autocommit=True) as conn:
        while conn.execute(
            "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL"
        ).fetchone()["n"]:
            time.sleep(0.05)  # the relay publishing everything first
    relay.stop()
    consumer = pipeline.make_consumer(url, bootstrap, names, batch=batch)
    t = time.perf_counter()
    consumer.start()
    wait_effects(url, n)
    rate = n / (time.perf_counter() - t)
    consumer.stop()
    consumer.pool.close()
    return rate


def prepared(url: str, bootstrap, n: int) -> Names:
    pipeline.prepare(url)
    names = Names(f"b{uuid.uuid4().hex[:6]}-")
    kafka_clients.ensure_topics(bootstrap, names.all(), 3)
    pipeline.write_events(url, n)  # written before the clock starts
    return names


def wait_effects(url: str, n: int) -> None:
    with connect(url, autocommit=True) as conn:
        while conn.execute("SELECT count(*) AS n FROM effects").fetchone()["n"] < n:
            time.sleep(0.05)  # polling the effects table


def main() -> None:
    with servers() as (pg, broker):
        bootstrap = (broker.bootstrap,)
        produce, consume = raw_rate(bootstrap, N)
        end_to_end = outbox_rate(fresh_database(pg, "pipeline"), bootstrap, N)
        alone = {
            batch: consumer_rate(fresh_database(pg, f"consumer{batch}"), bootstrap,
                                 N, batch)
            for batch in (1, 50)
        }  # fmt: skip
    raw = 1 / (1 / produce + 1 / consume)  # produce then consume, one after the other
    print(f"pipeline benchmark, {N} events")
    print(f"  raw kafka-python produce          {produce:10.0f} msg/s")
    print(f"  raw kafka-python consume (group)  {consume:10.0f} msg/s")
    print(f"  raw produce+consume, serial       {raw:10.0f} msg/s")
    print(f"  outbox→relay→kafka→inbox consumer {end_to_end:10.0f} events/s")
    print(f"  ratio pipeline / raw serial       {end_to_end / raw:10.2f}")
    for batch, rate in alone.items():
        print(
            f"  consumer alone, CONSUMER_BATCH={batch:<3} {rate:8.0f} events/s,"
            f" ratio to raw consume {rate / consume:.2f}"
        )


if __name__ == "__main__":
    main()
