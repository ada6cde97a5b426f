"""What the matcher does with each event it consumes."""

from __future__ import annotations

from services.matcher import repository as repo
from services.matcher.matching import Matcher

EVENT_BATCH = 50  # waiting requests retried in the transaction of one event


def handlers(matcher: Matcher) -> dict:
    def intro_requested(conn, event, _outbox):
        matcher.match(conn, event.payload["request_id"])

    def intro_cancelled(conn, event, _outbox):
        host_id = event.payload.get("host_id")
        if host_id is not None:  # its meeting is freed: someone waiting may take it
            matcher.retry_waiting(
                conn, host_fields=repo.host_fields(conn, host_id), limit=EVENT_BATCH
            )

    def host_profile_changed(conn, event, _outbox):
        if event.payload["active"]:
            matcher.retry_waiting(
                conn, host_fields=event.payload["fields_"], limit=EVENT_BATCH
            )

    def match_declined(conn, event, _outbox):
        matcher.match(conn, event.payload["request_id"])
        matcher.retry_waiting(
            conn,
            host_fields=repo.host_fields(conn, event.payload["host_id"]),
            limit=EVENT_BATCH,
        )

    return {
        "IntroRequested": intro_requested,
        "IntroCancelled": intro_cancelled,
        "HostProfileChanged": host_profile_changed,
        "MatchDeclined": match_declined,
    }
