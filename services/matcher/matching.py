"""The matcher's use cases: match one request, retry the waiting ones together,
and book a proposal so that no host is ever overbooked.

Every function runs inside the caller's transaction and writes its events
through the outbox in that same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg

from services.matcher import assignment, ranking
from services.matcher import repository as repo
from services.matcher.model import (
    MAX_ATTEMPTS,
    Calendar,
    Host,
    Request,
    paused,
    refusal,
)
from shared import metrics, slots
from shared.fields import Taxonomy
from shared.outbox import Outbox
from shared.statuses import (
    HOST_BUSY,
    NO_HOST,
    NO_OTHER_HOST,
    TOO_MANY_PROPOSALS,
    WAITING_REQUEST_STATUSES,
    WINDOWS_PASSED,
)

PRODUCER = "matcher"
log = logging.getLogger(__name__)
RETRY_BATCH = 200
ROUND_BATCH = 1000  # requests assigned together in one round
ROUND_PATIENCE = 3  # a round waits for a pause in arrivals at most this many windows
ROUND_EXAMINE = 48  # candidates looked at per request in a round (bounds its work)
ROUND_ENOUGH = 16  # feasible proposals kept per request in a round
ROUND_HOSTS = 5000  # beyond this many hosts to read, a round reads them per request
DEMAND_TTL = timedelta(seconds=1)  # demand figures reused this long (matcher clock)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Matcher:
    taxonomy: Taxonomy
    response_timeout: timedelta
    lead: timedelta
    margin: timedelta = timedelta(hours=2)  # the latest answer, before the start
    clock: Callable[[], datetime] = utc_now
    # 0: each request is matched on arrival; else it waits this long for a round
    round_window: timedelta = timedelta(0)
    demand_window: timedelta = timedelta(days=30)  # trailing arrivals counted as demand
    _demand: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def rounds(self) -> bool:
        return self.round_window > timedelta(0)

    def demand(self, conn, now: datetime) -> ranking.Demand:
        """Waiting requests, recent arrivals and capacity per field, read in
        one query and reused for `DEMAND_TTL` of the matcher's clock."""
        cached = self._demand
        if cached is not None and timedelta(0) <= now - cached[0] < DEMAND_TTL:
            return cached[1]
        figures = repo.field_demand(conn, now, self.demand_window)
        self._demand = (now, figures)
        return figures

    # -- the fields a request may take, and the requests a host may serve ----------
    def related(self, field: str) -> set[str]:
        return self.taxonomy.related(field) if field in self.taxonomy else set()

    def served_by(self, host_fields: list[str]) -> tuple[list[str], list[str]]:
        """(fields served exactly, fields served as related) by a host with `host_fields`."""
        exact = set(host_fields)
        related = {f for f in self.taxonomy.fields if self.related(f) & exact} - exact
        return sorted(exact), sorted(related)

    # -- one request -------------------------------------------------------------
    def match(self, ob: Outbox, request_id, *, skip_locked: bool = False) -> str:
        """Propose the best host for a waiting request; else waitlist or give up.
        Returns what happened: proposed, waitlisted, unmatched or skipped. With
        `skip_locked`, a request or host another transaction holds is passed over.
        Everything runs on the outbox's connection, in its transaction."""
        row = repo.lock_request(ob.conn, request_id, skip_locked=skip_locked)
        if row is None or row["status"] not in WAITING_REQUEST_STATUSES:
            return "skipped"
        return self._match_row(ob, row, skip_locked=skip_locked)

    def _match_row(
        self,
        ob: Outbox,
        row,
        proposals=None,
        method: str = "single",
        skip_locked: bool = False,
        defer_busy: bool = False,
    ) -> str:
        now = self.clock()
        request = Request.from_row(row)
        if self.give_up(ob, row, request, now):
            return "unmatched"
        if proposals is None:
            proposals = self.rank(ob.conn, request, now)
        busy: set = set()
        for position, proposal in enumerate(proposals):
            if self.book(
                ob,
                row,
                request,
                proposal,
                now,
                {"rank": position, "method": method},
                skip_locked,
                busy,
            ):
                return "proposed"
        if defer_busy and busy:  # a host it could have had was busy: next round
            return "deferred"
        self.waitlist(
            ob,
            row,
            NO_HOST if row["attempts"] == 0 else NO_OTHER_HOST,
            now,
        )
        return "waitlisted"

    # -- an invitation that will not be answered ----------------------------------
    def expire_invitation(
        self,
        ob: Outbox,
        row,
        match,
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
        repo.expire(ob.conn, match["id"], now, calendar_conflict=calendar_conflict)
        _emit(
            ob,
            row,
            "MatchExpired",
            {
                "match_id": match["id"],
                "request_id": row["id"],
                "host_id": match["host_id"],
                "calendar_conflict": calendar_conflict,
            },
        )
        if row["status"] == "proposed":
            repo.set_status(ob.conn, row["id"], "submitted", reason, now)
            self.match(ob, row["id"], skip_locked=skip_locked)
        return repo.host_fields(ob.conn, match["host_id"])

    def calendar_changed(self, ob: Outbox, host_id) -> int:
        """The host's own calendar changed: withdraw each unanswered invitation
        its busy times now overlap and match that request again (the host may
        be proposed again at a free time). An accepted meeting is never moved:
        ops see the conflict. Returns how many invitations were withdrawn."""
        held = []  # every request and match locked first (in request order),
        for found in repo.busy_conflicts(ob.conn, host_id):  # then hosts, by booking
            row = repo.lock_request(ob.conn, found["request_id"])
            match = row and repo.proposed_match(ob.conn, found["id"])
            if match:  # else answered, expired or cancelled since
                held.append((row, match))
        for row, match in held:
            log.info(
                "request %s: host %s is now busy at the time proposed;"
                " the invitation is withdrawn",
                row["id"],
                host_id,
            )
            self.expire_invitation(
                ob, row, match, HOST_BUSY, self.clock(), calendar_conflict=True
            )
        return len(held)

    def invitation_failed(self, ob: Outbox, request_id, host_email: str) -> bool:
        """The invitation of the host at `host_email` for this request could not
        be sent, for good: rather than wait for its deadline, expire it now and
        go to the next host. False if that invitation no longer waits (answered,
        expired or cancelled since)."""
        row = repo.lock_request(ob.conn, request_id)
        match = row and repo.invitation_to(ob.conn, request_id, host_email)
        if not match:
            return False
        log.error(
            "request %s: the invitation to host %s could not be sent;"
            " it is expired and the request goes to another host",
            request_id,
            match["host_id"],
        )
        self.expire_invitation(
            ob, row, match, "invitation could not be sent", self.clock()
        )
        return True

    def give_up(self, ob: Outbox, row, request: Request, now: datetime) -> bool:
        if slots.windows_passed(request.windows, request.duration, now + self.lead):
            reason = WINDOWS_PASSED
        elif row["attempts"] >= MAX_ATTEMPTS:
            reason = TOO_MANY_PROPOSALS
        else:
            return False
        repo.set_status(ob.conn, row["id"], "unmatched", reason, now)
        _emit(ob, row, "RequestUnmatched", {"request_id": row["id"], "reason": reason})
        return True

    def waitlist(self, ob: Outbox, row, reason: str, now: datetime) -> None:
        if row["status"] == "waitlisted":
            return
        repo.set_status(ob.conn, row["id"], "waitlisted", reason, now)
        _emit(ob, row, "RequestWaitlisted", {"request_id": row["id"], "reason": reason})

    def rank(
        self,
        conn,
        request: Request,
        now: datetime,
        whole: bool = False,
        demand: ranking.Demand | None = None,
    ) -> list[ranking.Proposal]:
        if demand is None:
            demand = self.demand(conn, now)
        excluded = repo.excluded_hosts(conn, request.id)
        related = self.related(request.field) if request.related_ok else set()
        calendars: dict = {}
        span = windows_span(request)
        tiers = [(True, [request.field])] + (
            [(False, sorted(related))] if related else []
        )

        def candidates():  # exact-field hosts, then related ones, a page at a time
            for exact, fields in tiers:
                offset, size = 0, repo.PAGE
                while True:  # pages grow fourfold: few round trips when nobody fits
                    page = repo.candidate_page(
                        conn, request, fields, excluded, offset, size, exact=exact
                    )
                    hosts = [h for h in map(_host_or_none, page) if h is not None]
                    calendars.update(
                        repo.calendars(conn, [h.id for h in hosts], now, span)
                    )
                    yield from hosts
                    if len(page) < size:
                        break
                    offset, size = offset + len(page), size * 4

        return ranking.rank(
            request,
            candidates(),
            calendars,
            related=related,
            excluded=excluded,
            now=now,
            lead=self.lead,
            whole=whole,
            demand=demand,
        )

    def rank_batch(
        self, conn, requests: dict, now: datetime, demand: ranking.Demand
    ) -> dict:
        """Every request's proposals, best first, for a joint assignment:
        the hosts they may take and their calendars read once for the whole
        batch, at most `ROUND_EXAMINE` candidates looked at per request (exact
        field first, the preferred host first, then the hosts whose fields
        are least wanted, then the least recently invited). Falls back to `rank` per request when
        the batch would read more than `ROUND_HOSTS` hosts."""
        if not requests:
            return {}
        fields: set = set()
        related_of: dict = {}
        for key, request in requests.items():
            related_of[key] = (
                self.related(request.field) if request.related_ok else set()
            )
            fields |= {request.field} | related_of[key]
        rows = repo.hosts_covering(conn, sorted(fields), ROUND_HOSTS)
        if rows is None:
            return {
                key: self.rank(conn, request, now, whole=True, demand=demand)
                for key, request in requests.items()
            }
        hosts = [h for h in map(_host_or_none, rows) if h is not None]
        by_id = {h.id: h for h in hosts}
        # the least wanted hosts first (the demand on all their fields; within
        # a tier the request's own field adds the same to each), then the
        # least recently invited: the cap on candidates cuts the scarce ones
        wanted = {h.id: sum(demand.pressure(f) for f in h.fields) for h in hosts}
        order = {h.id: (round(wanted[h.id], 6), i) for i, h in enumerate(hosts)}
        by_field: dict = {}
        for h in sorted(hosts, key=lambda h: order[h.id]):
            for f in h.fields:
                by_field.setdefault(f, []).append(h)
        calendars = repo.calendars(
            conn, list(by_id), now, windows_span(*requests.values())
        )
        excluded = repo.excluded_for(conn, list(requests))
        out = {}
        for key, request in requests.items():
            related, gone = related_of[key], excluded[key]

            def candidates(request=request, related=related, gone=gone):
                seen = set()
                preferred = by_id.get(request.preferred_host)
                tiers = [by_field.get(request.field, [])]
                tiers.append(
                    sorted(
                        {
                            h.id: h for f in related for h in by_field.get(f, [])
                        }.values(),
                        key=lambda h: order[h.id],
                    )
                )
                for tier in tiers:
                    ordered = tier
                    if preferred is not None and preferred in tier:
                        ordered = [preferred] + [h for h in tier if h is not preferred]
                    for h in ordered:
                        if h.id in seen:
                            continue
                        seen.add(h.id)
                        if not refusal(h, request, related, gone):
                            yield h

            out[key] = ranking.rank(
                request,
                candidates(),
                calendars,
                related=related,
                excluded=gone,
                now=now,
                lead=self.lead,
                whole=True,
                demand=demand,
                enough=ROUND_ENOUGH,
                examine=ROUND_EXAMINE,
            )
        return out

    # -- booking -----------------------------------------------------------------
    def book(
        self,
        ob: Outbox,
        row,
        request: Request,
        proposal: ranking.Proposal,
        now: datetime,
        extra: dict,
        skip_locked: bool = False,
        busy: set | None = None,
    ) -> bool:
        """Under a lock on the host, with its meetings read afresh: find the slot
        again, check the month's capacity, write the match and its event. False
        if the host can no longer take it (a concurrent booking won); its lock is
        then released with the savepoint. With `skip_locked`, a host another
        transaction holds is passed over rather than waited for (batches never
        wait, so they cannot deadlock each other)."""
        conn = ob.conn
        try:
            with conn.transaction():
                fresh = repo.lock_host(conn, proposal.host.id, skip_locked)
                if fresh is None:
                    if busy is not None:  # held by another transaction, not full
                        busy.add(proposal.host.id)
                    raise psycopg.Rollback()
                host = Host.from_row(fresh)
                related = self.related(request.field) if request.related_ok else set()
                if refusal(host, request, related, set()) or paused(host, now):
                    raise psycopg.Rollback()
                calendar = repo.calendars(conn, [host.id], now)[host.id]
                final = ranking.propose(
                    host, request, calendar, now=now, not_before=now + self.lead
                )
                # the calendar read under the lock holds every live meeting of
                # the slot's month (it starts after now - 63 days)
                if (
                    final is None
                    or calendar.per_month.get(final.month, 0) >= host.monthly_capacity
                ):
                    raise psycopg.Rollback()
                expires_at = answer_by(
                    now, final.start, self.response_timeout, self.margin
                )
                score = {**final.score, **extra}
                match_id = repo.propose(
                    conn,
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
                _emit(
                    ob,
                    row,
                    "MatchProposed",
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
                metrics.proposals.labels(extra.get("method", "single")).inc()
                return True
            return False
        except (psycopg.errors.ExclusionViolation, psycopg.errors.UniqueViolation):
            return False

    # -- several requests at once -----------------------------------------------------
    def retry_waiting(
        self,
        ob: Outbox,
        *,
        host_fields: list[str] | None = None,
        limit: int = RETRY_BATCH,
        include: list | None = None,
    ) -> dict:
        """Retry waiting requests (those a host with `host_fields` could serve, or
        all), and the requests `include` names, assigning them jointly (a
        round). Returns counts per outcome."""
        rows = repo.lock_waiting(ob.conn, include) if include else []
        if host_fields is None:
            rows += repo.waiting_requests(ob.conn, limit=limit)
        else:
            exact, related = self.served_by(host_fields)
            rows += repo.waiting_requests(
                ob.conn, fields=exact, related_fields=related, limit=limit
            )
        unique = {row["id"]: row for row in rows}
        return self.assign(ob, list(unique.values()))

    def round(self, ob: Outbox, *, limit: int = ROUND_BATCH) -> dict:
        """One matching round: the requests submitted at least `round_window`
        ago (or back after a decline or an expiry), with the other waiting
        requests of the fields they compete for (waitlisted, or submitted
        since), assigned jointly. While requests keep arriving (one in the
        last half window), the round waits for a pause, as long as the
        oldest due request has waited less than `ROUND_PATIENCE` windows: a
        burst is then assigned in one round. Returns counts per outcome
        (empty when nothing was due)."""
        now = self.clock()
        rows = repo.due_requests(ob.conn, now - self.round_window, limit)
        if not rows:
            return {}
        if rows[0]["created_at"] > now - ROUND_PATIENCE * self.round_window and (
            repo.arrivals_since(ob.conn, now - self.round_window / 2)
        ):  # requests are still pouring in: wait for a pause, within bounds
            return {}
        fields: set = set()
        for row in rows:
            fields.add(row["field"])
            fields |= self.related(row["field"])
        rows += repo.competing(
            ob.conn, sorted(fields), [row["id"] for row in rows], limit - len(rows)
        )
        return self.assign(ob, rows)

    def assign(self, ob: Outbox, rows: list[dict]) -> dict:
        """Match locked waiting requests together: book the joint plan first,
        then let every request left try its own proposals one at a time. With
        rounds, a request that lost only to hosts busy in another transaction
        is left for the next round rather than waitlisted (`deferred`)."""
        now = self.clock()
        outcome: dict = {}
        live = []
        conn = ob.conn
        repo.mark_retried(conn, [row["id"] for row in rows], now)
        for row in rows:
            request = Request.from_row(row)
            if self.give_up(ob, row, request, now):
                _count(outcome, "unmatched")
            else:
                live.append((row, request))
        requests = {row["id"]: request for row, request in live}
        options = self.rank_batch(conn, requests, now, self.demand(conn, now))
        remaining = {
            (p.host.id, p.month): p.host.monthly_capacity - p.score["used_in_month"]
            for props in options.values()
            for p in props
        }
        reslot = self.reslotter(conn, requests, now)

        chosen = assignment.plan(
            [row["id"] for row, _ in live], options, remaining, reslot
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
            if proposal and self.book(
                ob,
                row,
                request,
                proposal,
                now,
                {"rank": rank, "method": chosen.method},
                skip_locked=True,
            ):
                _count(outcome, "proposed")
            else:
                left.append(row)
        for row in left:
            _count(
                outcome,
                self._match_row(
                    ob,
                    row,
                    options[row["id"]],
                    method="single",
                    skip_locked=True,
                    defer_busy=self.rounds,
                ),
            )
        return outcome

    def reslotter(self, conn, requests: dict, now: datetime):
        """For the planner: the slot a host would give `requests[key]` once the
        meetings already planned for it in this batch are on its calendar."""
        booked_calendars: dict = {}

        def reslot(key, proposal, planned):
            host = proposal.host
            if host.id not in booked_calendars:
                booked_calendars[host.id] = repo.calendars(conn, [host.id], now)[
                    host.id
                ]
            booked = booked_calendars[host.id]
            calendar = Calendar(
                list(booked.meetings), dict(booked.per_month), booked.busy
            )
            for start, end, month in planned:
                calendar.add(start, end, month)
            return ranking.propose(
                host, requests[key], calendar, now=now, not_before=now + self.lead
            )

        return reslot


def windows_span(*requests: Request) -> tuple | None:
    """From the first start to the last end of the windows of `requests`: no
    busy time outside it matters to them."""
    windows = [w for r in requests for w in r.windows]
    if not windows:
        return None
    return min(s for s, _ in windows), max(e for _, e in windows)


def answer_by(
    now: datetime, start: datetime, timeout: timedelta, margin: timedelta
) -> datetime:
    """When an invitation expires: RESPONSE_TIMEOUT after it is sent, but no
    later than RESPONSE_MARGIN before the meeting starts."""
    return min(now + timeout, start - margin)


def _emit(ob: Outbox, row: dict, event_type: str, payload: dict) -> None:
    """Each event carries its own request's correlation id (one handler or
    job may act on several requests)."""
    ob.emit(event_type, row["id"], payload, correlation_id=row["correlation_id"])


def _host_or_none(row: dict) -> Host | None:
    """A profile that does not parse is passed over (and logged), never fatal to a match."""
    try:
        return Host.from_row(row)
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        log.warning("host %s skipped: unreadable profile: %s", row.get("id"), exc)
        return None


def _count(outcome: dict, what: str) -> None:
    outcome[what] = outcome.get(what, 0) + 1
