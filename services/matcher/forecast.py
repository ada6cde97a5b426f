"""How much each host is wanted, forecast from the past only: the requests
that arrived in the trailing demand window, each shared among the hosts that
could have taken it (every hard rule, and a slot in its windows from its
arrival plus the lead on, other meetings ignored), per day. A host that many
recent requests could have had, and few other hosts could, has a high rate;
`ranking.Demand.opportunity` turns the rate into the chance that a meeting
spent now leaves the host short before its month ends."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from services.matcher.model import UNREADABLE, Host, Request, refusal
from shared import slots

log = logging.getLogger(__name__)

SAMPLE = 1000  # the latest arrivals read (the rate is over their span then)
# rates reused this long (policy clock): the forecast reads up to SAMPLE
# requests and every host of their fields, too much for every second of a
# matcher taking 50 requests a second; a month's forecast moves slowly
TTL = timedelta(seconds=60)
READ = 32  # arrivals not seen before read per call, latest first (bounds the work)
HOSTS = 5000  # beyond this many hosts to read, no host rates (field pressure alone)


class HostRates:
    """Per host, the requests a day it could take (each arrival shared among
    the hosts that could take it). Which hosts could take a request is kept
    per request while the hosts' profiles stay as they are."""

    def __init__(self) -> None:
        self._profiles: frozenset | None = None
        self._could: dict = {}  # request id -> host ids that could take it
        self._last: tuple | None = None  # (when, rates), when there were some

    def rates(self, repo, policy, now: datetime) -> dict:
        """Host id -> requests a day, reused for `TTL` (but for none while
        nothing arrived: that costs one query)."""
        last = self._last
        if last is not None and timedelta(0) <= now - last[0] < TTL:
            return last[1]
        rows = repo.recent_arrivals(now - policy.demand_window, now, SAMPLE)
        rates = self._read(repo, policy, now, rows) if rows else {}
        self._last = (now, rates) if rows else None
        return rates

    def _read(self, repo, policy, now: datetime, rows: list[dict]) -> dict:
        fields: set = set()
        for row in rows:
            fields.add(row["field"])
            if row["related_ok"]:
                fields |= policy.related(row["field"])
        host_rows = repo.hosts_covering(sorted(fields), HOSTS)
        if not host_rows:
            return {}
        profiles = frozenset(
            (h["id"], str(h.get("updated_at")), h["monthly_capacity"], h["active"])
            for h in host_rows
        )
        if profiles != self._profiles:
            self._profiles, self._could = profiles, {}
        hosts: dict | None = None  # field -> the hosts covering it
        could: dict = {}
        shares: dict = {}
        read = 0
        for row in rows:  # latest first
            ids = self._could.get(row["id"])
            if ids is None:
                if read >= READ:  # left for the next calls
                    continue
                if hosts is None:
                    hosts = {}
                    for h in map(_host, host_rows):
                        for f in h.fields if h is not None else ():
                            hosts.setdefault(f, []).append(h)
                ids = _could_take(hosts, row, policy)
                read += 1
            could[row["id"]] = ids
            for h in ids:
                shares[h] = shares.get(h, 0.0) + 1.0 / len(ids)
        self._could = could  # only the requests still in the window
        if not could:
            return {}
        scale = len(rows) / len(could)  # the arrivals not read yet, as those read
        span = policy.demand_window
        if len(rows) >= SAMPLE:  # capped: the rate over the span read
            span = max(now - min(r["created_at"] for r in rows), timedelta(days=1))
        days = span / timedelta(days=1)
        return {h: n * scale / days for h, n in shares.items()}


def _could_take(by_field: dict, row: dict, policy) -> tuple:
    try:
        request = Request.from_row(row)
    except UNREADABLE:
        return ()
    related = policy.related_for(request)
    not_before = row["created_at"] + policy.lead
    pool = {h.id: h for f in [request.field, *related] for h in by_field.get(f, ())}
    out = []
    for h in pool.values():
        if refusal(h, request, related, set()):
            continue
        try:
            slot = slots.earliest_slot(
                requester_windows=request.windows,
                weekly=h.weekly,
                tz=h.tz,
                blocked=list(h.unavailable),
                duration=request.duration,
                not_before=not_before,
            )
        except (ValueError, OverflowError):
            continue
        if slot is not None:
            out.append(h.id)
    return tuple(out)


def _host(row: dict) -> Host | None:
    try:
        return Host.from_row(row)
    except UNREADABLE:
        return None
