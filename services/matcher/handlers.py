"""What the matcher does with each event it consumes: each handler reads
the event and calls one use case (`use_cases`) with the unit of work the
consumer gives it (it joins the consumer's transaction) and the service's
`Policy`. `wiring.ROUTES` says which event calls which handler."""

from __future__ import annotations

from services.matcher import use_cases
from services.matcher.policy import Policy
from shared.events import Event


def intro_requested(uow, event: Event, policy: Policy) -> None:
    use_cases.match_new_request(uow, policy, event.payload["request_id"])


def goals_ahead(uow, events: list[Event], policy: Policy) -> None:
    """Before a batch's handlers, when they match on arrival: the goals of
    its new requests read at once (one call to the model for them all,
    rather than one each). With rounds, the round reads them together."""
    if policy.rounds:
        return
    ids = [e.payload["request_id"] for e in events if e.event_type == "IntroRequested"]
    if len(ids) > 1:
        use_cases.read_goals(uow, policy, ids)


def intro_cancelled(uow, event: Event, policy: Policy) -> None:
    host_id = event.payload.get("host_id")
    if host_id is not None:  # its meeting is freed: someone waiting may take it
        use_cases.serve_freed_host(uow, policy, host_id)


def host_profile_changed(uow, event: Event, policy: Policy) -> None:
    p = event.payload
    fields = p["fields"] if p["active"] else []
    use_cases.serve_new_profile(uow, policy, p["host_id"], fields)


def host_forgotten(uow, event: Event, policy: Policy) -> None:
    use_cases.forget_words(uow, policy, host_id=event.payload["host_id"])


def requester_forgotten(uow, event: Event, policy: Policy) -> None:
    use_cases.forget_words(uow, policy, request_id=event.payload["request_id"])


def host_busy_changed(uow, event: Event, policy: Policy) -> None:
    use_cases.follow_busy_times(uow, policy, event.payload["host_id"])


def match_declined(uow, event: Event, policy: Policy) -> None:
    p = event.payload
    use_cases.next_host_after_decline(uow, policy, p["request_id"], p["host_id"])


def notification_failed(uow, event: Event, policy: Policy) -> None:
    """Only a host's invitation that failed for good matters here."""
    p = event.payload
    if p.get("kind") == "invitation" and p.get("request_id"):
        use_cases.move_on_from_unsent(uow, policy, p["request_id"], p["recipient"])
