"""Kafka clients as every service configures them (kafka-python 3.x).

Every client takes `bootstrap`: the brokers as a `Brokers` (their addresses
and how to reach them: TLS, SASL, from the settings), or a plain list of
`host:port` for a broker on a trusted network (the tests' and benchmarks').
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import ConfigResource, ConfigResourceType

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Brokers:
    """The brokers' addresses and the security keyword arguments of every
    client that reaches them."""

    servers: tuple[str, ...]
    security: dict = field(default_factory=dict)

    @classmethod
    def of(cls, settings) -> Brokers:
        return cls(tuple(settings.kafka_bootstrap_servers), security_config(settings))

    def config(self) -> dict:
        return {"bootstrap_servers": list(self.servers), **self.security}

    def __repr__(self) -> str:  # never the password
        protocol = self.security.get("security_protocol", "PLAINTEXT")
        return f"Brokers({','.join(self.servers)}, {protocol})"


def security_config(settings) -> dict:
    """kafka-python's keyword arguments for the `KAFKA_SECURITY_PROTOCOL`,
    SASL and TLS settings (validated together by `shared.config`)."""
    protocol = settings.kafka_security_protocol
    config: dict = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        config.update(
            sasl_mechanism=settings.kafka_sasl_mechanism,
            sasl_plain_username=settings.kafka_sasl_username,
            sasl_plain_password=settings.kafka_sasl_password,
        )
    if protocol.endswith("SSL"):
        config["ssl_check_hostname"] = True
        for key, path in (
            ("ssl_cafile", settings.kafka_ssl_cafile),
            ("ssl_certfile", settings.kafka_ssl_certfile),
            ("ssl_keyfile", settings.kafka_ssl_keyfile),
        ):
            if path is not None:
                config[key] = str(path)
    return config


def _brokers(bootstrap: Brokers | Iterable[str]) -> Brokers:
    return bootstrap if isinstance(bootstrap, Brokers) else Brokers(tuple(bootstrap))


def producer(bootstrap, **overrides) -> KafkaProducer:
    config = dict(
        **_brokers(bootstrap).config(),
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
        **_brokers(bootstrap).config(),
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
        **_brokers(bootstrap).config(),
        bootstrap_timeout_ms=3000,
        request_timeout_ms=5000,
        reconnect_backoff_max_ms=1000,
    )
    config.update(overrides)
    return KafkaAdminClient(**config)


def longest_retention(bootstrap, topics) -> timedelta | None:
    """How long the broker keeps the longest-kept of `topics`
    (`retention.ms`, the broker's default included); None when one of them
    keeps its messages forever (-1)."""
    client = admin(bootstrap)
    try:
        answer = client.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, t) for t in topics],
            config_filter="all",
        )
    finally:
        client.close()
    longest = 0
    for configs in answer.get("topic", {}).values():
        ms = int(configs["retention.ms"]["value"])
        if ms < 0:
            return None
        longest = max(longest, ms)
    return timedelta(milliseconds=longest)


def ensure_topics(
    bootstrap,
    names,
    partitions: int,
    configs: dict | None = None,
    replication: int = 1,
) -> None:
    """Create the topics that do not exist yet (idempotent), each with
    `partitions` partitions and `replication` replicas; `configs` maps a
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
                        "replication_factor": replication,
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
