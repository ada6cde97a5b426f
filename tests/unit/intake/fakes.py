"""An in-memory unit of work for intake's use cases: the repositories' rows
in dictionaries (held by the FakeRepository, which the host and calendar
repositories read too), and an outbox that validates and records what is
emitted."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

from services.intake import domain
from services.intake.audit import ACTIONS
from shared import events, forgetting
from shared.statuses import LIVE_MATCH_STATUSES, OPEN_REQUEST_STATUSES


def now() -> datetime:
    return datetime.now(UTC)


class RecordingOutbox:
    def __init__(self, sent: list, correlation_id=None):
        self.sent = sent
        self.correlation_id = correlation_id

    def emit(self, event_type, key, payload, *, correlation_id=None):
        event = events.build(
            event_type, payload, producer="intake",
            correlation_id=correlation_id or self.correlation_id,
        )  # fmt: skip
        self.sent.append((event_type, str(key), event.payload))
        return event


class FakeRepository:
    def __init__(self):
        self.requests: dict = {}
        self.hosts: dict = {}
        self.matches: dict = {}
        self.feedback: dict = {}
        self.calendars: dict = {}
        self.redacted: list = []
        self.dead_letters: dict = {}
        self.log: dict = {}

    def log_submission(self, submitter):
        self.log_action(submitter, "request")

    def log_action(self, who, action):
        self.log.setdefault((who, action), []).append(now())

    def recent_actions(self, who, action):
        return sum(
            at > now() - timedelta(hours=1) for at in self.log.get((who, action), [])
        )

    # requests
    def submission_checks(self, email, key, preferred_host, submitter):
        mine = [r for r in self.requests.values() if r["requester_email"] == email]
        existing = next((r for r in mine if key and r["idempotency_key"] == key), None)
        host = self.hosts.get(preferred_host)
        return domain.SubmissionChecks(
            existing=existing,
            preferred_host_email=host["email"] if host and host["active"] else None,
            open=sum(r["status"] in OPEN_REQUEST_STATUSES for r in mine),
            recent=self.recent_actions(submitter, "request"),
        )

    def add_request(
        self, request_id, who, data, *, locale, correlation_id, key, digest
    ):
        row = {
            "id": request_id, "requester_email": who, "requester_name": data["name"],
            "field": data["field"], "status": "submitted", "status_reason": None,
            "correlation_id": correlation_id, "idempotency_key": key,
            "idempotency_hash": digest, "created_at": now(), "locale": locale,
        }  # fmt: skip
        self.requests[request_id] = row
        return copy.deepcopy(row)

    def request(self, request_id):
        return copy.deepcopy(self.requests.get(request_id))

    lock_request = request

    def live_match(self, request_id):
        return next(
            (
                m
                for m in self.matches.values()
                if m["request_id"] == request_id and m["status"] in LIVE_MATCH_STATUSES
            ),
            None,
        )

    def requests_of(self, email, limit=100):
        rows = [r for r in self.requests.values() if r["requester_email"] == email]
        return [(r, self.live_match(r["id"])) for r in rows][:limit]

    def lock_requests_of(self, email):
        rows = [r for r in self.requests.values() if r["requester_email"] == email]
        return sorted(rows, key=lambda r: str(r["id"]))

    def cancel(self, request_id, reason):
        match = self.live_match(request_id)
        before = copy.deepcopy(match)
        if match:
            match["status"] = "cancelled"
        self.requests[request_id].update(status="cancelled", status_reason=reason)
        return copy.deepcopy(self.requests[request_id]), before

    def forget_request(self, request_id):
        self.requests[request_id].update(
            requester_email=forgetting.forgotten_email(request_id), requester_name=""
        )

    # answers
    def invitations(self, email, limit=100):
        return [
            self.invitation(m) for m in self.matches if self._host_email(m) == email
        ]

    def invitation(self, match_id):
        m = self.matches.get(match_id)
        return {**m, "host_email": self._host_email(match_id)} if m else None

    def _host_email(self, match_id):
        return self.hosts[self.matches[match_id]["host_id"]]["email"]

    def lock_for_answer(self, match_id):
        m = self.invitation(match_id)
        if m:
            m["correlation_id"] = self.requests[m["request_id"]]["correlation_id"]
        return m

    def answer(self, match, answer, details):
        m = self.matches[match["id"]]
        request = self.requests[m["request_id"]]
        if answer == "accept":
            m.update(status="accepted", location=details.get("location"))
            request["status"] = "confirmed"
        else:
            m["status"] = "declined"
            request["status"] = "submitted"

    def save_feedback(self, match_id, respondent, useful):
        self.feedback[(match_id, respondent)] = useful

    def request_replay(self, dead_letter_id):
        if dead_letter_id not in self.dead_letters:
            return "missing"
        if self.dead_letters[dead_letter_id]:
            return "already"
        self.dead_letters[dead_letter_id] = True
        return "requested"

    def forget_traces(self, keys, email):
        self.redacted.extend(keys)
        self.mentions_of = email

    def referred_by(self, email):
        return [r for r in self.requests.values() if r.get("referrer_email") == email]

    def forget_referrer(self, email):
        rows = self.referred_by(email)
        for r in rows:
            r.update(referrer_email=None, referrer_name=None)
        return rows


class FakeHostRepository:
    """Host profiles, on the rows of `store` (a FakeRepository)."""

    def __init__(self, store: FakeRepository):
        self.hosts = store.hosts
        self.matches = store.matches
        self.requests = store.requests

    def host_of(self, email):
        return next((h for h in self.hosts.values() if h["email"] == email), None)

    lock_host_of = host_of

    def save_host(self, who, data, locale):
        row = self.host_of(who)
        created = row is None
        if created:
            row = {"id": uuid.uuid4(), "email": who}
            self.hosts[row["id"]] = row
        row.update(name=data["name"], active=data["active"], locale=locale,
                   timezone=data["timezone"])  # fmt: skip
        return copy.deepcopy(row), created

    def lock_live_meetings_of(self, host_id):
        return [
            {**m, "correlation_id": self.requests[m["request_id"]]["correlation_id"]}
            for m in self.matches.values()
            if m["host_id"] == host_id and m["status"] in LIVE_MATCH_STATUSES
        ]

    def leave(self, match, reason):
        self.matches[match["id"]]["status"] = "cancelled"
        self.requests[match["request_id"]].update(
            status="submitted", status_reason=reason
        )

    def forget_host(self, host_id):
        self.hosts[host_id].update(
            email=forgetting.forgotten_email(host_id), active=False
        )


class FakeCalendarRepository:
    """Hosts' own calendars, on the rows of `store` (a FakeRepository)."""

    def __init__(self, store: FakeRepository):
        self.calendars = store.calendars
        self.hosts = store.hosts

    def calendar_of(self, host_id):
        return copy.deepcopy(self.calendars.get(host_id))

    def lock_calendar(self, host_id):
        row = self.calendar_of(host_id)
        return row and {**row, "timezone": self.hosts[host_id]["timezone"]}

    def save_calendar(self, host_id, *, kind, secret, shown, now, next_at):
        old = self.calendars.get(host_id) or {"busy": [], "busy_until": None}
        self.calendars[host_id] = {
            **old, "host_id": host_id, "kind": kind, "secret": secret,
            "shown": shown, "connected_at": now, "next_refresh_at": next_at,
            "etag": None, "last_modified": None, "refreshed_at": None,
            "failing_since": None, "last_error": None, "stale_notified_at": None,
        }  # fmt: skip

    def drop_calendar(self, host_id):
        return self.calendars.pop(host_id, None) is not None

    def claim_due_calendars(self, now, next_at, limit):
        due = [c for c in self.calendars.values() if c["next_refresh_at"] <= now]
        for c in due[:limit]:
            c["next_refresh_at"] = next_at
        return [self.lock_calendar(c["host_id"]) for c in due[:limit]]

    def store_busy(self, host_id, spans, *, until, etag, last_modified, now):
        c = self.calendars[host_id]
        changed = c["busy_until"] is None or _clip(c["busy"], now, c["busy_until"]) != (
            _clip([FakeRange(s, e) for s, e in spans], now, c["busy_until"])
        )
        c.update(busy=[FakeRange(s, e) for s, e in spans], busy_until=until,
                 etag=etag, last_modified=last_modified)  # fmt: skip
        self.calendar_unchanged(host_id, now)
        return changed

    def calendar_unchanged(self, host_id, now):
        self.calendars[host_id].update(
            refreshed_at=now, failing_since=None, last_error=None,
            stale_notified_at=None,
        )  # fmt: skip

    def calendar_failed(self, host_id, code, now):
        c = self.calendars[host_id]
        c.update(failing_since=c["failing_since"] or now, last_error=code)

    def stale_calendars(self, read_before, limit=200):
        return [
            copy.deepcopy(c) for c in self.calendars.values()
            if c["failing_since"] and c["stale_notified_at"] is None
            and (c["refreshed_at"] or c["connected_at"]) < read_before
        ][:limit]  # fmt: skip

    def calendar_stale_told(self, host_id, now):
        self.calendars[host_id]["stale_notified_at"] = now


class FakeRange:
    """A stored busy interval, as psycopg gives one (`lower`, `upper`)."""

    def __init__(self, lower, upper):
        self.lower, self.upper = lower, upper

    def __eq__(self, other):
        return (self.lower, self.upper) == (other.lower, other.upper)


def _clip(ranges, start, end):
    return [
        (max(r.lower, start), min(r.upper, end))
        for r in ranges
        if r.upper > start and r.lower < end
    ]


class FakeReports:
    def __init__(self):
        self.failed: set = set()

    def is_failed_mail(self, notification_id):
        return notification_id in self.failed


class FakeAudit:
    """The access trail: (actor, action, about, detail) per line."""

    def __init__(self):
        self.lines: list[tuple] = []

    def record(self, who, action, about=None, detail=""):
        assert action in ACTIONS, action
        self.lines.append((who.email, action, about, detail))


class FakeSessions:
    def __init__(self):
        self.signed_out: dict[str, object] = {}

    def forget(self, email):
        self.signed_out.pop(email, None)


class FakeUnitOfWork:
    """`committed` counts the blocks left without an exception; what a
    refused use case emitted is dropped, as a rollback would."""

    def __init__(self):
        self.repo = FakeRepository()
        self.hosts = FakeHostRepository(self.repo)
        self.calendars = FakeCalendarRepository(self.repo)
        self.reports = FakeReports()
        self.audit = FakeAudit()
        self.sessions = FakeSessions()
        self.events: list = []
        self._pending: list = []
        self.committed = 0

    def __enter__(self):
        self._pending = []
        return self

    def __exit__(self, exc_type, *_):
        if exc_type is None:
            self.events.extend(self._pending)
            self.committed += 1
        self._pending = []
        return False

    def outbox(self, correlation_id=None):
        return RecordingOutbox(self._pending, correlation_id)

    def emitted(self, event_type=None) -> list:
        return [e for e in self.events if event_type in (None, e[0])]
