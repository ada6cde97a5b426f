"""Which feasible host comes first, and why.

The order is lexicographic, so each part can be read on its own:

1. exact field before related field;
2. the requester's preferred host first;
3. fairness: the quarter of its monthly capacity the host has already used
   in the meeting's month (0 = under 25 %), then not invited in the last
   `RECENT` days before invited;
4. the earliest slot;
5. a host speaking the requester's first language, then one on the
   requester's site.

The parts travel with the match (`matches.score`) for the dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.matcher import slots
from services.matcher.model import Calendar, Host, Request, refusal, slot_for

log = logging.getLogger(__name__)

RECENT = timedelta(days=7)
ENOUGH = 12  # feasible candidates gathered (in the fairness order) before ranking them


@dataclass
class Proposal:
    host: Host
    start: datetime
    end: datetime
    month: str
    exact: bool
    key: tuple
    score: dict


def propose(
    host: Host,
    request: Request,
    calendar: Calendar,
    *,
    now: datetime,
    not_before: datetime,
) -> Proposal | None:
    slot = slot_for(host, request, calendar, not_before)
    if slot is None:
        return None
    start, end = slot
    month = slots.month_of(start, host.tz)
    used = calendar.per_month.get(month, 0)
    exact = request.field in host.fields
    preferred = request.preferred_host is not None and request.preferred_host == host.id
    load = used / host.monthly_capacity
    quarter = min(int(4 * load), 3)
    recent = host.last_invited_at is not None and host.last_invited_at > now - RECENT
    first_language = bool(request.languages) and request.languages[0] in host.languages
    same_site = request.site is not None and request.site == host.site
    wait = (start - not_before) / timedelta(minutes=1)
    key = (
        not exact,
        not preferred,
        quarter,
        recent,
        start,
        not first_language,
        not same_site,
        str(host.id),
    )
    score = {
        "exact_field": exact,
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
    return Proposal(host, start, end, month, exact, key, score)


def rank(
    request: Request,
    candidates: Iterable[Host],
    calendars: dict,
    *,
    related: set[str],
    excluded: set,
    now: datetime,
    lead: timedelta,
    enough: int = ENOUGH,
    whole: bool = False,
) -> list[Proposal]:
    """Feasible proposals for `request`, best first. `candidates` come in the
    fairness order; scanning stops after `enough` feasible ones, or (unless
    `whole`, as joint assignment wants alternatives) at the first candidate of a
    lower tier (related after exact, others after the preferred host) once one
    is found."""
    not_before = now + lead
    found: list[Proposal] = []
    best_tier = None
    for host in candidates:
        if not whole and best_tier is not None and tier(host, request) > best_tier:
            break
        if refusal(host, request, related, excluded):
            continue
        try:
            proposal = propose(
                host,
                request,
                calendars.get(host.id) or Calendar(),
                now=now,
                not_before=not_before,
            )
        except (
            ValueError,
            OverflowError,
        ) as exc:  # a profile the slot finder cannot read: pass it over
            log.warning("host %s skipped: %s", host.id, exc)
            continue
        if proposal is not None:
            found.append(proposal)
            best_tier = min(best_tier or proposal.key[:2], proposal.key[:2])
            if len(found) >= enough:
                break
    return sorted(found, key=lambda p: p.key)


def tier(host: Host, request: Request) -> tuple:
    return (
        request.field not in host.fields,
        not (request.preferred_host is not None and request.preferred_host == host.id),
    )
