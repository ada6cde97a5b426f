"""Several requests at once: the waiting requests a freed host could serve,
or every one, and the rounds that gather requests for a short window. Each
batch is assigned jointly (`assignment.plan`) before every request left
tries its own proposals. Runs inside the caller's unit of work."""

from __future__ import annotations

from datetime import timedelta

from services.matcher import assignment, booking, candidates, matching, ranking
from services.matcher.model import Agenda, Request
from services.matcher.policy import Policy

RETRY_BATCH = 200
# a request submitted this recently and never tried is left to its arrival
# (the consumer, or the round): a retry would hold it, and the consumer
# would wait for the retry's whole batch before trying it
ARRIVAL_GRACE = timedelta(minutes=2)
ROUND_BATCH = 1000  # requests assigned together in one round
ROUND_PATIENCE = 3  # a round waits for a pause in arrivals at most this many windows


def retry_waiting(
    uow,
    policy: Policy,
    *,
    host_fields: list[str] | None = None,
    limit: int = RETRY_BATCH,
    include: list | None = None,
) -> dict:
    """Retry waiting requests (those a host with `host_fields` could serve,
    or all, but not those just submitted and not tried yet), and the
    requests `include` names, assigning them jointly. Returns counts per
    outcome."""
    repo = uow.repo
    rows = repo.lock_waiting(include) if include else []
    untried_before = policy.clock() - ARRIVAL_GRACE
    if host_fields is None:
        rows += repo.waiting_requests(limit=limit, untried_before=untried_before)
    else:
        exact, related = policy.served_by(host_fields)
        rows += repo.waiting_requests(
            fields=exact,
            related_fields=related,
            limit=limit,
            untried_before=untried_before,
        )
    unique = {row["id"]: row for row in rows}
    return assign(uow, policy, list(unique.values()))


def run_round(uow, policy: Policy, *, limit: int = ROUND_BATCH) -> dict:
    """One matching round: the requests submitted at least `round_window`
    ago (or back after a decline or an expiry), with the other waiting
    requests of the fields they compete for (waitlisted, or submitted
    since), assigned jointly. While requests keep arriving (one in the
    last half window), the round waits for a pause, as long as the oldest
    due request has waited less than `ROUND_PATIENCE` windows: a burst is
    then assigned in one round. Returns counts per outcome (empty when
    nothing was due)."""
    repo = uow.repo
    now = policy.clock()
    rows = repo.due_requests(now - policy.round_window, limit)
    if not rows:
        return {}
    if rows[0]["created_at"] > now - ROUND_PATIENCE * policy.round_window and (
        repo.arrivals_since(now - policy.round_window / 2)
    ):  # requests are still pouring in: wait for a pause, within bounds
        return {}
    fields: set = set()
    for row in rows:
        fields.add(row["field"])
        fields |= policy.related(row["field"])
    rows += repo.competing(
        sorted(fields), [row["id"] for row in rows], limit - len(rows)
    )
    return assign(uow, policy, rows)


def assign(uow, policy: Policy, rows: list[dict]) -> dict:
    """Match locked waiting requests together: book the joint plan first,
    then let every request left try its own proposals one at a time. With
    rounds, a request that lost only to hosts busy in another transaction
    is left for the next round rather than waitlisted (`deferred`)."""
    now = policy.clock()
    outcome: dict = {}
    live = []
    uow.repo.mark_retried([row["id"] for row in rows], now)
    for row in rows:
        request = Request.from_row(row)
        if matching.give_up(uow, row, request, policy, now):
            _count(outcome, "unmatched")
        else:
            live.append((row, request))
    requests = {row["id"]: request for row, request in live}
    demand = policy.demand(uow.repo, now)
    options = candidates.rank_batch(uow, policy, requests, now, demand)
    remaining = {
        (p.host.id, p.month): p.host.monthly_capacity - p.score["used_in_month"]
        for props in options.values()
        for p in props
    }
    chosen = assignment.plan(
        [row["id"] for row, _ in live],
        options,
        remaining,
        reslotter(uow, policy, requests, now),
    )
    left = []
    for row, request in live:
        proposal = chosen.chosen.get(row["id"])
        rank = next(
            (
                i
                for i, p in enumerate(options[row["id"]])
                if proposal and p.host.id == proposal.host.id
            ),
            0,
        )
        extra = {"rank": rank, "method": chosen.method}
        if proposal and booking.book(
            uow, policy, row, request, proposal, now, extra, skip_locked=True
        ):
            _count(outcome, "proposed")
        else:
            left.append(row)
    for row in left:
        done = matching.match_row(
            uow,
            policy,
            row,
            options[row["id"]],
            method="single",
            skip_locked=True,
            defer_busy=policy.rounds,
        )
        _count(outcome, done)
    return outcome


def reslotter(uow, policy: Policy, requests: dict, now):
    """For the planner: the slot a host would give `requests[key]` once the
    meetings already planned for it in this batch are on its agenda."""
    booked_agendas: dict = {}

    def reslot(key, proposal, planned):
        host = proposal.host
        if host.id not in booked_agendas:
            booked_agendas[host.id] = uow.repo.agendas([host.id], now)[host.id]
        booked = booked_agendas[host.id]
        agenda = Agenda(list(booked.meetings), dict(booked.per_month), booked.busy)
        for start, end, month in planned:
            agenda.add(start, end, month)
        return ranking.propose(
            host, requests[key], agenda, now=now, not_before=now + policy.lead
        )

    return reslot


def _count(outcome: dict, what: str) -> None:
    outcome[what] = outcome.get(what, 0) + 1
