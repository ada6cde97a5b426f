"""Booking a proposal so that no host is ever overbooked, whatever other
matcher processes do at the same time.

Under a lock on the host, with its agenda read afresh, the slot is found
again and the month's capacity checked; then the match and its
MatchProposed are written. All of it is one attempt of the caller's unit of
work (a savepoint): a booking that cannot stand is undone, its lock with it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.matcher import ranking
from services.matcher.model import Host, Request, paused, refusal
from services.matcher.policy import Policy
from shared import metrics


def book(
    uow,
    policy: Policy,
    row: dict,
    request: Request,
    proposal: ranking.Proposal,
    now: datetime,
    extra: dict,
    skip_locked: bool = False,
    busy: set | None = None,
) -> bool:
    """Propose `proposal`'s host for the locked request `row`. False if the
    host can no longer take it (a concurrent booking won, its month filled,
    its profile changed). With `skip_locked`, a host another transaction
    holds is passed over rather than waited for (batches never wait, so
    they cannot deadlock each other) and added to `busy`."""
    repo = uow.repo
    with uow.attempt() as attempt:
        fresh = repo.lock_host(proposal.host.id, skip_locked)
        if fresh is None:
            if busy is not None:  # held by another transaction, not full
                busy.add(proposal.host.id)
            return False
        host = Host.from_row(fresh)
        if refusal(host, request, policy.related_for(request), set()) or paused(
            host, now
        ):
            return False
        agenda = repo.agendas([host.id], now)[host.id]
        final = ranking.propose(
            host,
            request,
            agenda,
            now=now,
            not_before=now + policy.lead,
            fits=proposal.fits,
        )
        # the agenda read under the lock holds every live meeting of the
        # slot's month (it starts after now - 63 days)
        if (
            final is None
            or agenda.per_month.get(final.month, 0) >= host.monthly_capacity
        ):
            return False
        expires_at = answer_by(now, final.start, policy.response_timeout, policy.margin)
        score = {**final.score, **extra}
        match_id = repo.propose(
            request_id=row["id"],
            host_id=host.id,
            start=final.start,
            end=final.end,
            month=final.month,
            fmt=request.format,
            exact=final.exact,
            score=score,
            expires_at=expires_at,
            now=now,
        )
        if match_id is None:  # another process took the host's time
            return False
        uow.outbox(row["correlation_id"]).emit(
            "MatchProposed",
            row["id"],
            {
                "match_id": match_id,
                "request_id": row["id"],
                "host_id": host.id,
                "start": final.start,
                "end": final.end,
                "format": request.format,
                "exact_field": final.exact,
                "expires_at": expires_at,
                "score": score,
            },
        )
        attempt.keep()
    metrics.proposals.labels(extra.get("method", "single")).inc()
    return True


def answer_by(
    now: datetime, start: datetime, timeout: timedelta, margin: timedelta
) -> datetime:
    """When an invitation expires: RESPONSE_TIMEOUT after it is sent, but no
    later than RESPONSE_MARGIN before the meeting starts."""
    return min(now + timeout, start - margin)
