"""Matching one request: propose the best host that can still take it;
else waitlist it, or give up when its windows have passed or it was
proposed too often. Runs inside the caller's unit of work and writes its
events through it."""

from __future__ import annotations

from datetime import datetime

from services.matcher import booking, candidates
from services.matcher.model import MAX_ATTEMPTS, Request
from services.matcher.policy import Policy
from shared import slots
from shared.statuses import (
    NO_HOST,
    NO_OTHER_HOST,
    TOO_MANY_PROPOSALS,
    WAITING_REQUEST_STATUSES,
    WINDOWS_PASSED,
)


def match(uow, policy: Policy, request_id, *, skip_locked: bool = False) -> str:
    """Propose the best host for a waiting request; else waitlist or give up.
    Returns what happened: proposed, waitlisted, unmatched or skipped. With
    `skip_locked`, a request or host another transaction holds is passed over."""
    row = uow.repo.lock_request(request_id, skip_locked=skip_locked)
    if row is None or row["status"] not in WAITING_REQUEST_STATUSES:
        return "skipped"
    return match_row(uow, policy, row, skip_locked=skip_locked)


def match_row(
    uow,
    policy: Policy,
    row: dict,
    proposals=None,
    method: str = "single",
    skip_locked: bool = False,
    defer_busy: bool = False,
) -> str:
    """`match` for a request already locked; `proposals` ranked already (a
    round's), or ranked here. With `defer_busy`, a request that lost only
    to hosts another transaction holds is left for the next round
    (`deferred`) rather than waitlisted."""
    now = policy.clock()
    request = Request.from_row(row)
    if give_up(uow, row, request, policy, now):
        return "unmatched"
    if proposals is None:
        proposals = candidates.rank(uow, policy, request, now)
    busy: set = set()
    for position, proposal in enumerate(proposals):
        extra = {"rank": position, "method": method}
        if booking.book(
            uow, policy, row, request, proposal, now, extra, skip_locked, busy
        ):
            return "proposed"
    if defer_busy and busy:  # a host it could have had was busy: next round
        return "deferred"
    waitlist(uow, row, NO_HOST if row["attempts"] == 0 else NO_OTHER_HOST, now)
    return "waitlisted"


def give_up(uow, row: dict, request: Request, policy: Policy, now: datetime) -> bool:
    """Unmatch a request whose windows have passed or that was proposed
    `MAX_ATTEMPTS` times; False if it may still be matched."""
    if slots.windows_passed(request.windows, request.duration, now + policy.lead):
        reason = WINDOWS_PASSED
    elif row["attempts"] >= MAX_ATTEMPTS:
        reason = TOO_MANY_PROPOSALS
    else:
        return False
    uow.repo.set_status(row["id"], "unmatched", reason, now)
    uow.outbox(row["correlation_id"]).emit(
        "RequestUnmatched", row["id"], {"request_id": row["id"], "reason": reason}
    )
    return True


def waitlist(uow, row: dict, reason: str, now: datetime) -> None:
    if row["status"] == "waitlisted":
        return
    uow.repo.set_status(row["id"], "waitlisted", reason, now)
    uow.outbox(row["correlation_id"]).emit(
        "RequestWaitlisted", row["id"], {"request_id": row["id"], "reason": reason}
    )
