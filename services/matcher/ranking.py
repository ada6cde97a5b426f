"""Which feasible host comes first, and why.

Strict tiers, then a weighted cost, then tie-breaks:

1. the requester's preferred host first, if it covers the request's field;
2. how well the host's words fit the request's goal, in bands (`fit.Fits`:
   hosts that fit about equally share a band; none without a model);
3. exact field before related field;
4. the requester's preferred host first (of a related field);
5. the cost, a weighted sum (`WEIGHTS`), lowest first:
   - opportunity: the chance that the host, at the rate recent requests
     could have taken it (`forecast.HostRates`), is wanted by more requests
     than it has meetings left before the month of the slot ends
     (`Demand.opportunity`); without host figures, scarcity instead: the
     demand per unit of capacity (`Demand.pressure`) summed over the other
     fields the host covers (its capacity spent here is lost to them);
   - fairness: the share of its monthly capacity the host has used in the
     meeting's month, and whether it was invited in the last `RECENT` days;
   - the wait until the earliest slot, in days;
   - misfit: how much less the host's words fit the goal than the best
     candidate's (`fit.Fits.misfit`; 0 without a model): within a band,
     0.05 of cosine weighs as much as an invitation in the last week;
6. a host speaking the requester's first language, then one on the
   requester's site, then the host id.

Each part and its inputs travel with the match (`matches.score`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.matcher.fit import NO_FITS, Fits
from services.matcher.model import Agenda, Host, Request, refusal, slot_for
from shared import slots

log = logging.getLogger(__name__)

RECENT = timedelta(days=7)
ENOUGH = 12  # feasible candidates gathered (in the fairness order) before ranking them

# The weights of the cost (lower is better). One unit of demand per unit of
# capacity in another field the host covers costs as much as a host whose
# month is full against an idle one; a host certain to be short before its
# month ends if it takes the meeting (`Demand.opportunity`, used instead of
# the field figures when the host figures are known) costs five times that;
# a week of waiting costs 0.35; 0.05 less fit with the goal costs 0.25.
WEIGHTS = {
    "scarcity": 1.0,
    "opportunity": 5.0,
    "load": 1.0,
    "recently_invited": 0.25,
    "wait_days": 0.05,
    "misfit": 5.0,
}


@dataclass(frozen=True)
class Demand:
    """Who else wants each field's hosts: `waiting[f]` requests waiting now,
    `recent[f]` requests that arrived in the trailing window, and `supply[f]`
    the monthly capacity of the active hosts covering f; and per host,
    `rates[h]`, the requests a day that could take it, each recent arrival
    shared among the hosts that could have taken it (`forecast.HostRates`;
    empty: the field figures alone)."""

    waiting: dict = field(default_factory=dict)
    recent: dict = field(default_factory=dict)
    supply: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)

    def opportunity(
        self, host: Host, month: str, used: int, now: datetime
    ) -> tuple[float, float]:
        """The chance that the host is wanted by at least as many requests as
        it has meetings left in `month` from now to the month's end, at its
        rate (a Poisson count): what spending one of them now may cost. A
        host little wanted, or with room to spare, or whose month ends
        before anyone else could use it, costs nothing. Also returns the
        requests expected by the month's end, for the score."""
        rate = self.rates.get(host.id, 0.0)
        left = host.monthly_capacity - used
        if rate <= 0 or left <= 0:
            return 0.0, 0.0
        year, mon = map(int, month.split("-"))
        end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=host.tz)
        expected = rate * max((end - now) / timedelta(days=1), 0.0)
        term = fewer = math.exp(-expected)  # P(N = 0), then P(N < left)
        for j in range(1, left):
            term *= expected / j
            fewer += term
        return max(1.0 - fewer, 0.0), expected

    def pressure(self, f: str) -> float:
        """Demand for field f per unit of its hosts' monthly capacity."""
        wanted = self.waiting.get(f, 0) + self.recent.get(f, 0)
        return wanted / max(self.supply.get(f, 0), 1)

    def scarcity(self, host_fields, request_field: str) -> tuple[float, dict]:
        """The pressure on the fields `host_fields` covers, other than the
        request's own (every candidate of a tier shares that one), and the
        fields that carry it, for the score."""
        parts = {
            f: round(self.pressure(f), 3)
            for f in sorted(set(host_fields) - {request_field})
            if self.pressure(f) > 0
        }
        return sum(parts.values()), parts


NO_DEMAND = Demand()


@dataclass
class Proposal:
    host: Host
    start: datetime
    end: datetime
    month: str
    exact: bool
    key: tuple
    score: dict
    fits: Fits = NO_FITS  # of the request's candidates, read once


def propose(
    host: Host,
    request: Request,
    agenda: Agenda,
    *,
    now: datetime,
    not_before: datetime,
    demand: Demand = NO_DEMAND,
    fits: Fits = NO_FITS,
) -> Proposal | None:
    slot = slot_for(host, request, agenda, not_before)
    if slot is None:
        return None
    start, end = slot
    month = slots.month_of(start, host.tz)
    used = agenda.per_month.get(month, 0)
    exact = request.field in host.fields
    preferred = request.preferred_host is not None and request.preferred_host == host.id
    load = used / host.monthly_capacity
    quarter = min(int(4 * load), 3)
    recent = host.last_invited_at is not None and host.last_invited_at > now - RECENT
    first_language = bool(request.languages) and request.languages[0] in host.languages
    same_site = request.site is not None and request.site == host.site
    wait = (start - not_before) / timedelta(minutes=1)
    if demand.rates:  # host figures: they replace the field figures
        scarcity, pressure = 0.0, {}
        opportunity, expected = demand.opportunity(host, month, used, now)
    else:
        scarcity, pressure = demand.scarcity(host.fields, request.field)
        opportunity, expected = 0.0, 0.0
    parts = {
        "scarcity": scarcity,
        "opportunity": opportunity,
        "load": load,
        "recently_invited": float(recent),
        "wait_days": wait / (24 * 60),
        "misfit": fits.misfit(host.id),
    }
    cost = sum(WEIGHTS[k] * v for k, v in parts.items())
    key = (
        *tier(host, request, fits),
        round(cost, 9),
        start,
        not first_language,
        not same_site,
        str(host.id),
    )
    score = {
        "cost": round(cost, 4),
        "scarcity": round(scarcity, 3),
        "field_pressure": pressure,
        "opportunity": round(opportunity, 3),
        "host_rate": round(demand.rates.get(host.id, 0.0), 4),
        "expected_by_month_end": round(expected, 2),
        "weights": dict(WEIGHTS),
        "exact_field": exact,
        **fits.explain(host.id),
        "misfit": round(parts["misfit"], 3),
        "preferred_host": preferred,
        "load": round(load, 3),
        "load_quarter": quarter,
        "used_in_month": used,
        "monthly_capacity": host.monthly_capacity,
        "recently_invited": recent,
        "start": start.isoformat(),
        "wait_minutes": round(wait),
        "first_language": first_language,
        "same_site": same_site,
    }
    return Proposal(host, start, end, month, exact, key, score, fits)


def rank(
    request: Request,
    candidates: Iterable[Host],
    agendas: dict,
    *,
    related: set[str],
    excluded: set,
    now: datetime,
    lead: timedelta,
    enough: int = ENOUGH,
    whole: bool = False,
    demand: Demand = NO_DEMAND,
    examine: int | None = None,
    fits: Fits = NO_FITS,
) -> list[Proposal]:
    """Feasible proposals for `request`, best first. `candidates` come in the
    order of `tier`, then fairness; scanning stops after `enough` feasible
    ones, or (unless `whole`, as joint assignment wants alternatives) at the
    first candidate of a lower tier once one is found. With `examine`, at
    most that many candidates are looked at (a round bounds its work per
    request so)."""
    not_before = now + lead
    found: list[Proposal] = []
    best_tier = None
    for seen, host in enumerate(candidates):
        if examine is not None and seen >= examine:
            break
        if (
            not whole
            and best_tier is not None
            and tier(host, request, fits) > best_tier
        ):
            break
        if refusal(host, request, related, excluded):
            continue
        try:
            proposal = propose(
                host,
                request,
                agendas.get(host.id) or Agenda(),
                now=now,
                not_before=not_before,
                demand=demand,
                fits=fits,
            )
        except (
            ValueError,
            OverflowError,
        ) as exc:  # a profile the slot finder cannot read: pass it over
            log.warning("host %s skipped: %s", host.id, exc)
            continue
        if proposal is not None:
            found.append(proposal)
            best_tier = min(best_tier or proposal.key[:TIERS], proposal.key[:TIERS])
            if len(found) >= enough:
                break
    return sorted(found, key=lambda p: p.key)


TIERS = 4


def tier(host: Host, request: Request, fits: Fits = NO_FITS) -> tuple:
    """The strict part of the ranking (its first `TIERS` terms): the
    preferred host of the request's field, the band of fit, exact field,
    the preferred host."""
    exact = request.field in host.fields
    preferred = request.preferred_host is not None and request.preferred_host == host.id
    return (
        not (exact and preferred),
        fits.band(host.id),
        not exact,
        not preferred,
    )
