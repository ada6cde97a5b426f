"""What the notifier does with each event it consumes: each handler reads
the event and calls one use case (`use_cases`) with the unit of work the
consumer gives it (it joins the consumer's transaction) and the settings.
`wiring.ROUTES` says which event calls which handler."""

from __future__ import annotations

from services.notifier import use_cases
from shared.events import Event


def intro_requested(uow, event: Event, settings) -> None:
    use_cases.acknowledge_request(uow, settings, event, event.payload["request_id"])


def match_proposed(uow, event: Event, settings) -> None:
    use_cases.invite_host(uow, settings, event, event.payload["match_id"])


def match_expired(uow, event: Event, settings) -> None:
    """Only an invitation withdrawn for a calendar conflict is told; a plain
    expiry needs no mail (the next host's invitation follows)."""
    if event.payload["calendar_conflict"]:
        use_cases.tell_withdrawn(uow, settings, event, event.payload["match_id"])


def host_calendar_stale(uow, event: Event, settings) -> None:
    p = event.payload
    use_cases.tell_calendar_stale(
        uow, settings, event, p["host_id"], p["failing_since"], p["reason"]
    )


def match_accepted(uow, event: Event, settings) -> None:
    use_cases.confirm_meeting(uow, settings, event, event.payload["match_id"])


def request_waitlisted(uow, event: Event, settings) -> None:
    p = event.payload
    use_cases.tell_why_waiting(
        uow, settings, event, p["request_id"], "waitlisted", p["reason"]
    )


def request_unmatched(uow, event: Event, settings) -> None:
    p = event.payload
    use_cases.tell_why_waiting(
        uow, settings, event, p["request_id"], "unmatched", p["reason"]
    )


def intro_cancelled(uow, event: Event, settings) -> None:
    p = event.payload
    use_cases.tell_cancelled(
        uow,
        settings,
        event,
        p["request_id"],
        p.get("match_id"),
        p.get("reason"),
        was_confirmed=p.get("match_status") == "accepted",
    )


def match_declined(uow, event: Event, settings) -> None:
    """Only a confirmed meeting the host left is told to the requester; an
    invitation merely declined needs no mail (the next host's invitation
    follows)."""
    if event.payload["was_confirmed"]:
        use_cases.tell_host_left(uow, settings, event, event.payload["match_id"])


def requester_forgotten(uow, event: Event, settings) -> None:
    use_cases.forget_requester(uow, event.payload["request_id"])


def host_forgotten(uow, event: Event, settings) -> None:
    use_cases.forget_host(uow, event.payload["host_id"])


def referrer_forgotten(uow, event: Event, settings) -> None:
    use_cases.forget_referrer(uow, event.payload["request_id"])


def mail_retry_requested(uow, event: Event, settings) -> None:
    p = event.payload
    use_cases.retry_failed_mail(
        uow, p["notification_id"], kind=p["kind"], since=p["since"], until=p["until"]
    )
