"""Kafka clients as every service configures them (kafka-python 3.x)."""

from __future__ import annotations

import logging

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

log = logging.getLogger(__name__)


def producer(bootstrap, **overrides) -> KafkaProducer:
    config = dict(
        bootstrap_servers=list(bootstrap),
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_in_flight_requests_per_connection=5,
        bootstrap_timeout_ms=5000,
        request_timeout_ms=10000,
        delivery_timeout_ms=30000,
        reconnect_backoff_max_ms=2000,
    )
    config.update(overrides)
    return KafkaProducer(**config)


def consumer(bootstrap, group_id: str, topics, **overrides) -> KafkaConsumer:
    config = dict(
        bootstrap_servers=list(bootstrap),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        bootstrap_timeout_ms=5000,
        reconnect_backoff_max_ms=2000,
        max_poll_records=200,
        session_timeout_ms=10000,
        heartbeat_interval_ms=2000,
    )
    config.update(overrides)
    c = KafkaConsumer(**config)
    if topics:
        c.subscribe(list(topics))
    return c


def admin(bootstrap, **overrides) -> KafkaAdminClient:
    config = dict(
        bootstrap_servers=list(bootstrap),
        bootstrap_timeout_ms=3000,
        request_timeout_ms=5000,
        reconnect_backoff_max_ms=1000,
    )
    config.update(overrides)
    return KafkaAdminClient(**config)


def ensure_topics(
    bootstrap, names, partitions: int, configs: dict | None = None
) -> None:
    """Create the topics that do not exist yet (idempotent); `configs` maps a
    topic name to the settings it is created with (an existing topic is
    left as it is)."""
    configs = configs or {}
    client = admin(bootstrap)
    try:
        existing = set(client.list_topics())
        missing = [n for n in names if n not in existing]
        if missing:
            client.create_topics(
                {
                    n: {
                        "num_partitions": partitions,
                        "replication_factor": 1,
                        "configs": configs.get(n, {}),
                    }
                    for n in missing
                },
                raise_errors=False,
                wait_for_metadata=True,
            )
            log.info("created topics %s", ", ".join(missing))
    finally:
        client.close()
