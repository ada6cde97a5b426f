"""An in-memory unit of work for the matcher's use cases: the repository's
rows in dictionaries (with the store's two guarantees: no two live meetings
of a host overlap, one live match per request), attempts that are undone
unless kept, and an outbox that validates and records what is emitted.

`tests/integration/test_repository_contract.py` runs one scenario against
this repository and the real one, so the two keep step."""

from __future__ import annotations

import copy
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from services.matcher.model import Agenda
from services.matcher.ranking import Demand
from shared import events, slots
from shared.statuses import LIVE_MATCH_STATUSES, WAITING_REQUEST_STATUSES


def _first(value) -> tuple:
    """NULLS FIRST, then ascending (datetimes with a zone)."""
    return (value is not None, value.timestamp() if value is not None else 0)


class FakeRepository:
    PAGE = 16

    def __init__(self):
        self.hosts: dict = {}
        self.requests: dict = {}
        self.matches: dict = {}
        self.busy: dict = {}  # host id -> [(start, end)]
        self.held: set = set()  # ids another transaction holds (SKIP LOCKED skips)
        self.host_vecs: dict = {}  # host id -> (model, stored vector)
        self.goal_vecs: dict = {}  # request id -> (model, stored vector)

    # -- seeding (what intake writes) -------------------------------------------
    def add_host(self, row: dict) -> dict:
        host = {"last_invited_at": None, "paused_until": None, "listed": False,
                "unavailable": [], "active": True, "site": None, **row}  # fmt: skip
        self.hosts[host["id"]] = host
        return host

    def add_request(self, row: dict) -> dict:
        request = {"status": "submitted", "status_reason": None, "attempts": 0,
                   "retried_at": None, "proposed_at": None, "preferred_host": None,
                   "site": None, "related_ok": True, "correlation_id": uuid.uuid4(),
                   **row}  # fmt: skip
        self.requests[request["id"]] = request
        return request

    # -- reads -----------------------------------------------------------------
    def _live(self, host_id=None, request_id=None):
        return [
            m for m in self.matches.values()
            if m["status"] in LIVE_MATCH_STATUSES
            and (host_id is None or m["host_id"] == host_id)
            and (request_id is None or m["request_id"] == request_id)
        ]  # fmt: skip

    def excluded_hosts(self, request_id) -> set:
        return {
            m["host_id"] for m in self.matches.values()
            if m["request_id"] == request_id and not m["calendar_conflict"]
        }  # fmt: skip

    def _may_take(self, h: dict, request) -> bool:
        duration = int(request.duration.total_seconds() // 60)
        return (
            h["active"]
            and (h["paused_until"] is None or h["paused_until"] <= _today())
            and duration in h["durations"]
            and request.format in h["formats"]
            and set(h["languages"]) & set(request.languages)
            and h["email"] != request.requester_email
            and h["monthly_capacity"] > 0
            and (request.format != "in_person" or h["site"] == request.site)
        )

    def _may_take_of(self, request, fields, excluded) -> list[dict]:
        return [
            h for h in self.hosts.values()
            if self._may_take(h, request) and set(h["fields"]) & set(fields)
            and h["id"] not in excluded
        ]  # fmt: skip

    def _within(self, h: dict, reach: slots.Reach) -> bool:
        """`slots.Reach` as the store's candidate query reads it."""
        days = {e["day"] for e in h["weekly_availability"]}
        busy: list = []  # merged, as a multirange holds them
        for b, c in sorted(self.busy.get(h["id"], [])):
            if busy and b <= busy[-1][1]:
                busy[-1] = (busy[-1][0], max(busy[-1][1], c))
            else:
                busy.append((b, c))
        return bool(
            days & reach.days.get(h["timezone"], reach.days[slots.ANYWHERE])
        ) and not all(any(b <= s and e <= c for b, c in busy) for s, e in reach.windows)

    def candidate_page(self, request, fields, excluded, reach, limit=PAGE, bands=None):
        rows = [
            h for h in self._may_take_of(request, fields, excluded)
            if self._within(h, reach)
        ]  # fmt: skip

        def order(h):
            exact = request.field in h["fields"]
            preferred = h["id"] == request.preferred_host
            band = (bands or {}).get(h["id"], 0)
            return (not (exact and preferred), band, not exact, not preferred,
                    _first(h["last_invited_at"]), str(h["id"]))  # fmt: skip

        rows.sort(key=order)
        return copy.deepcopy(rows[:limit])

    def host_zones(self, limit) -> list[str]:
        count: dict = {}
        for h in self.hosts.values():
            if h["active"]:
                count[h["timezone"]] = count.get(h["timezone"], 0) + 1
        return sorted(count, key=lambda z: (-count[z], z))[:limit]

    def word_hosts(self, model) -> list[dict]:
        return [
            {**copy.deepcopy(h), "profile_at": None}
            for h in self.hosts.values()
            if h["active"] and self.host_vecs.get(h["id"], (None,))[0] == model
        ]

    def vector_versions(self, host_ids, model) -> dict:
        return {
            h: None
            for h, (m, _) in self.host_vecs.items()
            if h in host_ids and m == model
        }

    def host_vectors(self, host_ids, model) -> dict:
        return {
            h: (None, v)
            for h, (m, v) in self.host_vecs.items()
            if h in host_ids and m == model
        }

    def goal_vectors(self, request_ids, model) -> dict:
        return {
            r: v
            for r, (m, v) in self.goal_vecs.items()
            if r in request_ids and m == model
        }

    def store_goal_vectors(self, vectors, model) -> None:
        self.goal_vecs.update(
            {r: (model, v) for r, v in vectors.items() if self.requests[r]["goal"]}
        )

    def unread_hosts(self, model, host_ids, limit):
        return [
            {"id": h["id"], "experience": h.get("experience"), "fields": h["fields"],
             "updated_at": None}
            for h in self.hosts.values()
            if (host_ids is None or h["id"] in host_ids) and h["name"] != ""
            and self.host_vecs.get(h["id"], (None,))[0] != model
        ][:limit]  # fmt: skip

    def store_host_vectors(self, rows, model) -> None:
        self.host_vecs.update(
            {
                h: (model, v) for h, at, v in rows
                if self.hosts[h].get("updated_at") == at and self.hosts[h]["name"]
            }
        )  # fmt: skip

    def forget_vectors(self, *, host_id=None, request_id=None) -> None:
        self.host_vecs.pop(host_id, None)
        self.goal_vecs.pop(request_id, None)

    def drop_emptied_goals(self) -> int:
        gone = [r for r in self.goal_vecs if not self.requests[r].get("goal")]
        for r in gone:
            del self.goal_vecs[r]
        return len(gone)

    def agendas(self, host_ids, now, span=None) -> dict:
        out = {h: Agenda() for h in host_ids}
        start, until = span if span else (now, None)
        start = max(start, now)
        for m in self._live():
            if m["host_id"] in out and m["starts_at"] > now - timedelta(days=63):
                out[m["host_id"]].add(m["starts_at"], m["ends_at"], m["month"])
        for host_id in host_ids:
            for s, e in self.busy.get(host_id, []):
                s, e = max(s, start), e if until is None else min(e, until)
                if s < e:
                    out[host_id].busy.append((s, e))
        return out

    def busy_conflicts(self, host_id) -> list[dict]:
        busy = self.busy.get(host_id, [])
        found = [
            {"id": m["id"], "request_id": m["request_id"]}
            for m in self.matches.values()
            if m["host_id"] == host_id and m["status"] == "proposed"
            and any(s < m["ends_at"] and m["starts_at"] < e for s, e in busy)
        ]  # fmt: skip
        return sorted(found, key=lambda r: str(r["request_id"]))

    def proposed_match(self, match_id):
        m = self.matches.get(match_id)
        return copy.deepcopy(m) if m and m["status"] == "proposed" else None

    def lock_host(self, host_id, skip_locked=False):
        if skip_locked and host_id in self.held:
            return None
        return copy.deepcopy(self.hosts.get(host_id))

    def _waiting(self, rows, limit, skip=True):
        rows = [r for r in rows if r["status"] in WAITING_REQUEST_STATUSES]
        if skip:
            rows = [r for r in rows if r["id"] not in self.held]
        rows.sort(
            key=lambda r: (_first(r["retried_at"]), r["created_at"], str(r["id"]))
        )
        return copy.deepcopy(rows[:limit])

    def waiting_requests(
        self, *, fields=None, related_fields=None, limit=200, untried_before=None
    ):
        rows = list(self.requests.values())
        if untried_before is not None:
            rows = [
                r for r in rows
                if not (r["status"] == "submitted" and r["retried_at"] is None
                        and r["proposed_at"] is None and r["created_at"] > untried_before)
            ]  # fmt: skip
        if fields is not None:
            rows = [
                r for r in rows
                if r["field"] in fields
                or (r["related_ok"] and r["field"] in (related_fields or []))
            ]  # fmt: skip
        return self._waiting(rows, limit)

    def due_expiries(self, now, limit=100):
        rows = [
            m for m in self.matches.values()
            if m["status"] == "proposed" and m["expires_at"] < now
        ]  # fmt: skip
        return copy.deepcopy(sorted(rows, key=lambda m: m["expires_at"])[:limit])

    def invitation_to(self, request_id, host_email):
        for m in self.matches.values():
            if (
                m["request_id"] == request_id
                and m["status"] == "proposed"
                and self.hosts[m["host_id"]]["email"].lower() == host_email.lower()
            ):
                return copy.deepcopy(m)
        return None

    def passed_requests(self, now, lead, limit=200):
        def passed(r):
            duration = timedelta(minutes=r["duration_minutes"])
            windows = slots.parse_windows(r["availability"])
            return all(e - max(s, now + lead) < duration for s, e in windows)

        rows = [
            r for r in self.requests.values()
            if r["status"] in WAITING_REQUEST_STATUSES and passed(r)
            and r["id"] not in self.held
        ]  # fmt: skip
        return copy.deepcopy(sorted(rows, key=lambda r: r["created_at"])[:limit])

    def finished_meetings(self, now, limit=200):
        rows = [
            {"request_id": m["request_id"], "match_id": m["id"],
             "host_id": m["host_id"],
             "correlation_id": self.requests[m["request_id"]]["correlation_id"],
             "ends_at": m["ends_at"]}
            for m in self.matches.values()
            if m["status"] == "accepted" and m["ends_at"] < now
            and self.requests[m["request_id"]]["status"] == "confirmed"
        ]  # fmt: skip
        rows.sort(key=lambda r: r["ends_at"])
        return [{k: v for k, v in r.items() if k != "ends_at"} for r in rows[:limit]]

    def host_fields(self, host_id) -> list[str]:
        host = self.hosts.get(host_id)
        return list(host["fields"]) if host else []

    def field_demand(self, now, window) -> Demand:
        waiting: dict = {}
        recent: dict = {}
        supply: dict = {}
        for r in self.requests.values():
            if r["status"] in WAITING_REQUEST_STATUSES:
                waiting[r["field"]] = waiting.get(r["field"], 0) + 1
            if now - window < r["created_at"] <= now:
                recent[r["field"]] = recent.get(r["field"], 0) + 1
        for h in self.hosts.values():
            if h["active"] and h["monthly_capacity"] > 0:
                for f in h["fields"]:
                    supply[f] = supply.get(f, 0) + h["monthly_capacity"]
        return Demand(waiting=waiting, recent=recent, supply=supply)

    def recent_arrivals(self, since, now, limit):
        rows = [r for r in self.requests.values() if since < r["created_at"] <= now]
        rows.sort(key=lambda r: (r["created_at"], str(r["id"])), reverse=True)
        return copy.deepcopy(rows[:limit])

    def waiting_by_id(self, request_ids):
        return [
            copy.deepcopy(r) for r in self.requests.values()
            if r["id"] in request_ids and r["status"] in WAITING_REQUEST_STATUSES
        ]  # fmt: skip

    def due_requests(self, submitted_before, limit):
        rows = [
            r for r in self.requests.values()
            if r["status"] == "submitted" and r["created_at"] <= submitted_before
            and r["id"] not in self.held
        ]  # fmt: skip
        rows.sort(key=lambda r: (r["created_at"], str(r["id"])))
        return copy.deepcopy(rows[:limit])

    def arrivals_since(self, since) -> int:
        return sum(
            r["status"] == "submitted" and r["created_at"] > since
            for r in self.requests.values()
        )

    def competing(self, fields, taken, limit):
        if limit <= 0 or not fields:
            return []
        rows = [
            r for r in self.requests.values()
            if r["field"] in fields and r["id"] not in taken
        ]  # fmt: skip
        return self._waiting(rows, limit)

    def lock_waiting(self, request_ids):
        rows = [self.requests[r] for r in request_ids if r in self.requests]
        rows = [r for r in rows if r["status"] in WAITING_REQUEST_STATUSES]
        rows.sort(key=lambda r: (r["created_at"], str(r["id"])))
        return copy.deepcopy(rows)

    def hosts_covering(self, fields, limit):
        rows = [
            h for h in self.hosts.values()
            if h["active"] and h["monthly_capacity"] > 0 and set(h["fields"]) & set(fields)
            and (h["paused_until"] is None or h["paused_until"] <= _today())
        ]  # fmt: skip
        if len(rows) > limit:
            return None
        rows.sort(key=lambda h: (_first(h["last_invited_at"]), str(h["id"])))
        return copy.deepcopy(rows)

    def excluded_for(self, request_ids) -> dict:
        return {r: self.excluded_hosts(r) for r in request_ids}

    # -- status changes and booking --------------------------------------------
    def lock_request(self, request_id, *, skip_locked=False):
        if skip_locked and request_id in self.held:
            return None
        return copy.deepcopy(self.requests.get(request_id))

    def set_status(self, request_id, status, reason, now):
        self.requests[request_id].update(status=status, status_reason=reason)

    def expire(self, match_id, now, *, calendar_conflict=False):
        self.matches[match_id].update(
            status="expired", responded_at=now, calendar_conflict=calendar_conflict
        )

    def mark_retried(self, request_ids, now):
        for r in request_ids:
            self.requests[r]["retried_at"] = now

    def complete(self, request_id, now):
        self.set_status(request_id, "completed", None, now)

    def propose(self, *, request_id, host_id, start, end, month, fmt, exact,
                score, expires_at, now):  # fmt: skip
        """As the store does: refused (None) when the host's time overlaps one
        of its live meetings, or the request already has a live match."""
        if self._live(request_id=request_id) or any(
            m["starts_at"] < end and start < m["ends_at"] for m in self._live(host_id)
        ):
            return None
        match_id = uuid.uuid4()
        self.matches[match_id] = {
            "id": match_id, "request_id": request_id, "host_id": host_id,
            "status": "proposed", "starts_at": start, "ends_at": end, "month": month,
            "format": fmt, "exact_field": exact, "score": score,
            "expires_at": expires_at, "calendar_conflict": False, "created_at": now,
            "responded_at": None,
        }  # fmt: skip
        r = self.requests[request_id]
        r.update(status="proposed", status_reason=None, attempts=r["attempts"] + 1)
        r["proposed_at"] = r["proposed_at"] or now
        self.hosts[host_id]["last_invited_at"] = now
        return match_id

    # -- what intake does (for the scenarios) -----------------------------------
    def answer(self, match_id, accept: bool) -> None:
        m = self.matches[match_id]
        m["status"] = "accepted" if accept else "declined"
        self.requests[m["request_id"]]["status"] = (
            "confirmed" if accept else "submitted"
        )


def _today():
    return datetime.now(UTC).date()


class RecordingOutbox:
    def __init__(self, sent: list, correlation_id=None):
        self.sent = sent
        self.correlation_id = correlation_id

    def emit(self, event_type, key, payload, *, correlation_id=None):
        event = events.build(
            event_type, payload, producer="matcher",
            correlation_id=correlation_id or self.correlation_id,
        )  # fmt: skip
        self.sent.append((event_type, str(key), event.payload))
        return event


class FakeUnitOfWork:
    """`with uow:` keeps what was done, or undoes it if the block raised;
    `attempt()` undoes its part unless kept (a savepoint)."""

    def __init__(self, repo: FakeRepository | None = None):
        self.repo = repo or FakeRepository()
        self.sent: list = []
        self._depth = 0

    def _state(self):
        r = self.repo
        return copy.deepcopy((r.hosts, r.requests, r.matches, r.busy, self.sent))

    def _restore(self, state) -> None:
        r = self.repo
        r.hosts, r.requests, r.matches, r.busy, sent = state
        self.sent[:] = sent

    def __enter__(self):
        if self._depth == 0:
            self._saved = self._state()
        self._depth += 1
        return self

    def __exit__(self, exc_type, *exc):
        self._depth -= 1
        if self._depth == 0 and exc_type is not None:
            self._restore(self._saved)
        return False

    def outbox(self, correlation_id=None) -> RecordingOutbox:
        return RecordingOutbox(self.sent, correlation_id)

    @contextmanager
    def attempt(self):
        saved = self._state()

        class Attempt:
            kept = False

            def keep(self):
                self.kept = True

        tried = Attempt()
        try:
            yield tried
        finally:
            if not tried.kept:
                self._restore(saved)

    def emitted(self) -> list[str]:
        return [event_type for event_type, _, _ in self.sent]
