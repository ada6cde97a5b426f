"""Invitations that will not be answered: past their answer-by time, sent
to a host whose own calendar is now busy at their time (withdrawn), or
that could not be sent at all. Each is expired and its request matched
again. Runs inside the caller's unit of work."""

from __future__ import annotations

import logging
from datetime import datetime

from services.matcher import matching
from services.matcher.policy import Policy
from shared.statuses import HOST_BUSY

log = logging.getLogger(__name__)


def expire_invitation(
    uow,
    policy: Policy,
    row: dict,
    match: dict,
    reason: str,
    now: datetime,
    *,
    skip_locked: bool = False,
    calendar_conflict: bool = False,
) -> list[str]:
    """Expire `match`, the proposed match of the locked request `row`, emit
    MatchExpired and, if the request still waits on it, match the request
    again (never with that host, unless the invitation was withdrawn for a
    `calendar_conflict`). Returns the fields of the host freed."""
    repo = uow.repo
    repo.expire(match["id"], now, calendar_conflict=calendar_conflict)
    uow.outbox(row["correlation_id"]).emit(
        "MatchExpired",
        row["id"],
        {
            "match_id": match["id"],
            "request_id": row["id"],
            "host_id": match["host_id"],
            "calendar_conflict": calendar_conflict,
        },
    )
    if row["status"] == "proposed":
        repo.set_status(row["id"], "submitted", reason, now)
        matching.match(uow, policy, row["id"], skip_locked=skip_locked)
    return repo.host_fields(match["host_id"])


def withdraw_conflicting(uow, policy: Policy, host_id) -> int:
    """The host's own calendar changed: withdraw each unanswered invitation
    its busy times now overlap and match that request again (the host may
    be proposed again at a free time). An accepted meeting is never moved:
    ops see the conflict. Returns how many invitations were withdrawn."""
    repo = uow.repo
    held = []  # every request and match locked first (in request order),
    for found in repo.busy_conflicts(host_id):  # then hosts, by booking
        row = repo.lock_request(found["request_id"])
        match = row and repo.proposed_match(found["id"])
        if match:  # else answered, expired or cancelled since
            held.append((row, match))
    for row, match in held:
        log.info(
            "request %s: host %s is now busy at the time proposed;"
            " the invitation is withdrawn",
            row["id"],
            host_id,
        )
        expire_invitation(
            uow, policy, row, match, HOST_BUSY, policy.clock(), calendar_conflict=True
        )
    return len(held)


def drop_unsent(uow, policy: Policy, request_id, host_email: str) -> bool:
    """The invitation of the host at `host_email` for this request could not
    be sent, for good: rather than wait for its answer-by time, expire it now
    and go to the next host. False if that invitation no longer waits
    (answered, expired or cancelled since)."""
    repo = uow.repo
    row = repo.lock_request(request_id)
    match = row and repo.invitation_to(request_id, host_email)
    if not match:
        return False
    log.error(
        "request %s: the invitation to host %s could not be sent;"
        " it is expired and the request goes to another host",
        request_id,
        match["host_id"],
    )
    expire_invitation(
        uow, policy, row, match, "invitation could not be sent", policy.clock()
    )
    return True
