"""Consumer lag per group, topic and partition, from Kafka's admin API."""

from __future__ import annotations

import logging

from kafka import TopicPartition
from kafka.errors import CoordinatorNotAvailableError

from shared import kafka as kafka_clients
from shared import topics

log = logging.getLogger(__name__)


def lag_or_unavailable(bootstrap, names) -> list[dict] | dict:
    """The consumer lag, or, while the broker cannot be reached, why not
    (the dashboard still answers)."""
    try:
        return consumer_lag(bootstrap, names)
    except Exception as exc:
        log.warning("consumer lag unavailable: %r", exc)
        return {"error": f"Kafka unavailable: {type(exc).__name__}"}


def consumer_lag(bootstrap, names) -> list[dict]:
    admin = kafka_clients.admin(bootstrap)
    reader = kafka_clients.consumer(bootstrap, None, [])
    try:
        groups = {names(g): g for g in topics.CONSUMERS}
        try:
            committed = admin.list_group_offsets({g: None for g in groups})
        except (
            CoordinatorNotAvailableError
        ):  # no group has committed yet on this cluster
            committed = {}
        partitions = []
        for group, logical in groups.items():
            for topic in topics.CONSUMERS[logical]:
                for p in sorted(reader.partitions_for_topic(names(topic)) or ()):
                    partitions.append((group, TopicPartition(names(topic), p)))
        ends = reader.end_offsets([tp for _, tp in partitions]) if partitions else {}
        out = []
        for group, tp in partitions:
            offset = committed.get(group, {}).get(tp)
            position = offset.offset if offset is not None and offset.offset >= 0 else 0
            end = ends.get(tp, 0)
            out.append(
                {
                    "group": groups[group],
                    "topic": names.logical(tp.topic),
                    "partition": tp.partition,
                    "committed": position,
                    "end": end,
                    "lag": max(end - position, 0),
                }
            )
        return out
    finally:
        reader.close()
        admin.close()
