"""Prometheus metrics shared by every process (one registry per process)."""

from prometheus_client import Counter, Gauge, Histogram

events_consumed = Counter(
    "events_consumed_total",
    "Events taken from Kafka by a consumer",
    ["consumer", "event_type", "outcome"],
)
dead_letters = Counter(
    "dead_letters_total",
    "Messages a consumer gave up on",
    ["consumer", "topic", "reason"],
)
outbox_published = Counter(
    "outbox_published_total",
    "Outbox rows published to Kafka",
    ["producer", "topic"],
)
outbox_backlog = Gauge(
    "outbox_backlog",
    "Unpublished outbox rows seen by the relay",
    ["producer"],
)
consumer_lag = Gauge(
    "consumer_lag",
    "Messages behind the end of each partition",
    ["consumer", "topic", "partition"],
)
handler_seconds = Histogram(
    "event_handler_seconds",
    "Time to handle one event in its transaction",
    ["consumer", "event_type"],
)
emails = Counter(
    "emails_total",
    "Emails handled by the notifier",
    ["kind", "outcome"],  # outcome: sent, retried, failed, withdrawn
)
mail_paused = Gauge(
    "mail_sending_paused", "1 while sending waits for the mail server (an outage)"
)
proposals = Counter(
    "proposals", "Invitations proposed by this matcher process", ["method"]
)
expiries = Counter(
    "expiries", "Invitations that expired unanswered (this matcher process)"
)
host_answers = Counter(
    "host_answers", "Invitations answered through this intake process", ["answer"]
)
purged = Counter(
    "purged_rows_total",
    "Rows removed or emptied by the retention purge (RETAIN_*)",
    ["service", "table"],
)
