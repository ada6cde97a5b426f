"""Every Kafka topic, its single writer, and the events it carries."""

from __future__ import annotations

INTRO_REQUESTS = "intro-requests"
HOST_PROFILES = "host-profiles"
HOST_RESPONSES = "host-responses"
MATCHES = "matches"
NOTIFICATIONS = "notifications"
OPS_REQUESTS = "ops-requests"

WRITERS = {
    INTRO_REQUESTS: "intake",
    HOST_PROFILES: "intake",
    HOST_RESPONSES: "intake",
    MATCHES: "matcher",
    NOTIFICATIONS: "notifier",
    OPS_REQUESTS: "intake",
}

EVENTS = {
    INTRO_REQUESTS: (
        "IntroRequested",
        "IntroCancelled",
        "RequesterForgotten",
        "ReferrerForgotten",
    ),
    HOST_PROFILES: (
        "HostProfileChanged",
        "HostForgotten",
        "HostBusyChanged",
        "HostCalendarStale",
    ),
    HOST_RESPONSES: ("MatchAccepted", "MatchDeclined"),
    MATCHES: (
        "MatchProposed",
        "MatchExpired",
        "RequestWaitlisted",
        "RequestUnmatched",
        "RequestCompleted",
    ),
    NOTIFICATIONS: ("NotificationSent", "NotificationFailed"),
    OPS_REQUESTS: ("MailRetryRequested",),
}

ALL = tuple(WRITERS)

# Consumer groups (and inbox names) and the topics each reads.
CONSUMERS = {
    "matcher": (INTRO_REQUESTS, HOST_PROFILES, HOST_RESPONSES, NOTIFICATIONS),
    "notifier": (MATCHES, HOST_RESPONSES, INTRO_REQUESTS, HOST_PROFILES, OPS_REQUESTS),
}


# Topics whose events carry names, addresses or people's words: kept on the
# broker only PERSONAL_DATA_RETENTION (their consumers read them within
# seconds; ops replay dead letters from the database, not from Kafka).
PERSONAL = (INTRO_REQUESTS, HOST_PROFILES, HOST_RESPONSES, NOTIFICATIONS)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


def topic_of(event_type: str) -> str:
    for topic, events in EVENTS.items():
        if event_type in events:
            return topic
    raise KeyError(event_type)


class Names:
    """Physical topic names: the contract's names behind an optional prefix
    (tests use a fresh prefix each, so they never see each other's messages)."""

    def __init__(self, prefix: str = ""):
        self.prefix = prefix

    def __call__(self, logical: str) -> str:
        return f"{self.prefix}{logical}"

    def logical(self, physical: str) -> str:
        return (
            physical[len(self.prefix) :]
            if physical.startswith(self.prefix)
            else physical
        )

    def configs(self, retention_ms: int) -> dict[str, dict]:
        """The settings each topic is created with (dead-letter copies too)."""
        personal = [self(t) for t in PERSONAL]
        return {
            n: {"retention.ms": str(retention_ms)}
            for n in personal + [dlq(n) for n in personal]
        }

    def all(self, with_dlq: bool = True) -> list[str]:
        names = [self(t) for t in ALL]
        return names + [dlq(n) for n in names] if with_dlq else names
