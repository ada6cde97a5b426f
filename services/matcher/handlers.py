"""What the matcher does with each event it consumes.

Each handler runs in the consumer's transaction, with the outbox it is
given and the service's `Matcher`; `wiring.ROUTES` says which event calls
which handler.
"""

from __future__ import annotations

from services.matcher import repository as repo
from services.matcher.matching import Matcher
from shared.events import Event
from shared.outbox import Outbox

EVENT_BATCH = 50  # waiting requests retried in the transaction of one event


def intro_requested(conn, event: Event, ob: Outbox, matcher: Matcher) -> None:
    if not matcher.rounds:  # with rounds, it stays submitted until a round takes it
        matcher.match(ob, event.payload["request_id"])


def intro_cancelled(conn, event: Event, ob: Outbox, matcher: Matcher) -> None:
    host_id = event.payload.get("host_id")
    if host_id is not None:  # its meeting is freed: someone waiting may take it
        fields = repo.host_fields(conn, host_id)
        matcher.retry_waiting(ob, host_fields=fields, limit=EVENT_BATCH)


def host_profile_changed(conn, event: Event, ob: Outbox, matcher: Matcher) -> None:
    if event.payload["active"]:
        fields = event.payload["fields_"]
        matcher.retry_waiting(ob, host_fields=fields, limit=EVENT_BATCH)


def host_busy_changed(conn, event: Event, ob: Outbox, matcher: Matcher) -> None:
    """The host's own calendar changed: withdraw the invitations it now makes
    impossible, and offer the host's freed times to those waiting."""
    host_id = event.payload["host_id"]
    matcher.calendar_changed(ob, host_id)
    fields = repo.host_fields(conn, host_id)
    if fields:
        matcher.retry_waiting(ob, host_fields=fields, limit=EVENT_BATCH)


def match_declined(conn, event: Event, ob: Outbox, matcher: Matcher) -> None:
    fields = repo.host_fields(conn, event.payload["host_id"])
    if matcher.rounds:  # the request and those the freed host could serve, jointly
        matcher.retry_waiting(
            ob,
            host_fields=fields,
            limit=EVENT_BATCH,
            include=[event.payload["request_id"]],
        )
        return
    matcher.match(ob, event.payload["request_id"])
    matcher.retry_waiting(ob, host_fields=fields, limit=EVENT_BATCH)


def notification_failed(conn, event: Event, ob: Outbox, matcher: Matcher) -> None:
    """A host's invitation failed for good (it cannot be built, or the address
    refuses it): the request goes to its next host now, not at the deadline.
    Waiting requests are not offered to that host here: its next invitation
    would likely fail the same way."""
    payload = event.payload
    if payload.get("kind") == "invitation" and payload.get("request_id"):
        matcher.invitation_failed(ob, payload["request_id"], payload["recipient"])
