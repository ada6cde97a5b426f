"""Reading candidates: the hosts a request may take, read from the store a
page at a time (one request) or once for a batch (a round), each with its
agenda, and ranked (`ranking.rank`). Runs inside the caller's unit of work."""

from __future__ import annotations

import logging
from datetime import datetime
from itertools import chain
from operator import itemgetter

from services.matcher import ranking, vectors
from services.matcher.model import UNREADABLE, Host, Request, refusal
from services.matcher.policy import Policy
from shared import slots

log = logging.getLogger(__name__)
ROUND_EXAMINE = 48  # candidates looked at per request in a round (bounds its work)
ROUND_ENOUGH = 16  # feasible proposals kept per request in a round
ROUND_HOSTS = 5000  # beyond this many hosts to read, a round reads them per request
CHUNK = 16  # candidates of a page read (profile and agenda) at a time


def rank(
    uow,
    policy: Policy,
    request: Request,
    now: datetime,
    whole: bool = False,
    demand: ranking.Demand | None = None,
) -> list[ranking.Proposal]:
    """The proposals for one request, best first: the hosts that may take
    it read in the order of `ranking.tier` (their fit with its goal read
    first), a page at a time (pages grow fourfold: few round trips when
    nobody fits)."""
    repo = uow.repo
    if demand is None:
        demand = policy.demand(repo, now)
    excluded = repo.excluded_hosts(request.id)
    related = policy.related_for(request)
    fields = [request.field, *sorted(related)]
    fits = vectors.candidate_fits(uow, policy, request, fields, excluded)
    # only the hosts behind the best: often none (texts alike), so the
    # query orders as it would on fields alone
    bands = fits.behind()
    agendas: dict = {}
    span = windows_span(request)
    reach = slots.reach(
        request.windows, request.duration, now + policy.lead, policy.zones(repo, now)
    )

    def candidates():
        seen: set = set()
        size = repo.PAGE
        while True:
            # each page read from the top of the order again, the hosts read
            # before skipped: a proposal another transaction commits in
            # between moves its host in the order (last invited), and an
            # offset would then pass over a host or read one twice
            limit = len(seen) + size
            page = repo.candidate_page(
                request, fields, excluded, reach, limit, bands=bands
            )
            fresh = [row for row in page if row["id"] not in seen]
            seen.update(row["id"] for row in fresh)
            # read and given their agendas a few at a time: the ranking
            # often has enough long before the page ends
            for k in range(0, len(fresh), CHUNK):
                hosts = [h for h in map(host_or_none, fresh[k : k + CHUNK]) if h]
                agendas.update(repo.agendas([h.id for h in hosts], now, span))
                yield from hosts
            if len(page) < limit or not fresh:
                break
            size *= 4

    return ranking.rank(
        request,
        candidates(),
        agendas,
        related=related,
        excluded=excluded,
        now=now,
        lead=policy.lead,
        whole=whole,
        demand=demand,
        fits=fits,
    )


def rank_batch(
    uow, policy: Policy, requests: dict, now: datetime, demand: ranking.Demand
) -> dict:
    """Every request's proposals, best first, for a joint assignment: the
    hosts they may take and their agendas read once for the whole batch, at
    most `ROUND_EXAMINE` candidates looked at per request (in the order of
    `ranking.tier`, then the hosts whose fields are least wanted, then the
    least recently invited). Falls back to `rank` per
    request when the batch would read more than `ROUND_HOSTS` hosts."""
    if not requests:
        return {}
    repo = uow.repo
    fields: set = set()
    related_of: dict = {}
    for key, request in requests.items():
        related_of[key] = policy.related_for(request)
        fields |= {request.field} | related_of[key]
    rows = repo.hosts_covering(sorted(fields), ROUND_HOSTS)
    if rows is None:
        return {
            key: rank(uow, policy, request, now, whole=True, demand=demand)
            for key, request in requests.items()
        }
    hosts = [h for h in map(host_or_none, rows) if h is not None]
    by_id = {h.id: h for h in hosts}
    # the least wanted hosts first (the demand on all their fields; within
    # a tier the request's own field adds the same to each), then the
    # least recently invited: the cap on candidates cuts the scarce ones
    wanted = {h.id: sum(demand.pressure(f) for f in h.fields) for h in hosts}
    if demand.rates:  # the host figures, per unit of capacity, when known
        wanted = {h.id: demand.rates.get(h.id, 0.0) / h.monthly_capacity for h in hosts}
    by_field: dict = {}  # (position, host) pairs in that order
    least_wanted = sorted(hosts, key=lambda h: round(wanted[h.id], 6))
    for position, h in enumerate(least_wanted):
        for f in h.fields:
            by_field.setdefault(f, []).append((position, h))
    agendas = repo.agendas(list(by_id), now, windows_span(*requests.values()))
    excluded = repo.excluded_for(list(requests))
    goals = vectors.goals(uow, policy, list(requests.values()))
    stored = vectors.batch_vectors(uow, policy, list(by_id)) if goals else {}
    out = {}
    for key, request in requests.items():
        related, gone = related_of[key], excluded[key]
        pool = _union([by_field.get(f, []) for f in [request.field, *related]])
        goal = goals.get(request.id)
        fits = vectors.fits_of(
            goal,
            request,
            {h.id: (h.fields, stored[h.id]) for _, h in pool if h.id in stored}
            if goal is not None
            else {},
        )

        def candidates(
            request=request, related=related, gone=gone, fits=fits, pool=pool
        ):
            # stable: within a tier, the order of `pool`
            ordered = sorted(pool, key=lambda p: ranking.tier(p[1], request, fits))
            for _, h in ordered:
                if not refusal(h, request, related, gone):
                    yield h

        out[key] = ranking.rank(
            request,
            candidates(),
            agendas,
            related=related,
            excluded=gone,
            now=now,
            lead=policy.lead,
            whole=True,
            demand=demand,
            enough=ROUND_ENOUGH,
            examine=ROUND_EXAMINE,
            fits=fits,
        )
    return out


def _union(lists: list[list]) -> list:
    """The (position, host) pairs of `lists`, in the order of position,
    each host once."""
    if len(lists) == 1:
        return lists[0]
    return list(dict(sorted(chain.from_iterable(lists), key=itemgetter(0))).items())


def windows_span(*requests: Request) -> tuple | None:
    """From the first start to the last end of the windows of `requests`: no
    busy time outside it matters to them."""
    windows = [w for r in requests for w in r.windows]
    if not windows:
        return None
    return min(s for s, _ in windows), max(e for _, e in windows)


def host_or_none(row: dict) -> Host | None:
    """A profile that does not parse is passed over (and logged), never fatal to a match."""
    try:
        return Host.from_row(row)
    except UNREADABLE as exc:
        log.warning("host %s skipped: unreadable profile: %s", row.get("id"), exc)
        return None
