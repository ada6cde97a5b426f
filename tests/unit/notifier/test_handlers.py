"""The notifier's handlers against an in-memory ledger: who is told what,
for which event, and what is withdrawn; and the wiring of every service
against the topic registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.matcher import wiring as matcher_wiring
from services.notifier import handlers, wiring
from shared import config, events, topics


def now():
    return datetime.now(UTC)


SETTINGS = config.Settings(
    database_url="postgresql://x@127.0.0.1/x", kafka_bootstrap_servers=("127.0.0.1:9092",),
    smtp_host="127.0.0.1", smtp_port=1025, smtp_user="", smtp_password="",
    smtp_security="none", mail_from="Entretiens <no-reply@example.com>",
    public_base_url="http://127.0.0.1:8000", secret_key="k" * 32, auth_mode="dev",
)  # fmt: skip


class FakeUnitOfWork:
    """The notifier's unit of work on an in-memory ledger."""

    def __init__(self, ledger):
        self.repo = ledger

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeLedger:
    """The repository's reads from dictionaries; queued messages recorded."""

    def __init__(self):
        self.requests: dict = {}
        self.matches: dict = {}
        self.hosts: dict = {}
        self.queued: list = []
        self.cancelled: list = []
        self.forgotten: list = []
        self.retried: list = []

    def request(self, request_id):
        return self.requests.get(request_id)

    def match_rows(self, match_id):
        m = self.matches.get(match_id)
        return (
            (m, self.hosts[m["host_id"]], self.requests[m["request_id"]]) if m else None
        )

    def queue(self, *, event, kind, person, context, settings, request_id=None,
              match_id=None, due_at=None):  # fmt: skip
        self.queued.append((kind, person["email"], due_at))

    def cancel_pending(self, request_id, kinds=None):
        self.cancelled.append((request_id, kinds))

    def forget_request(self, request_id):
        self.forgotten.append(request_id)

    def forget_published(self, key):
        self.forgotten.append(("published", key))

    def retry_failed(self, notification_id=None, **filters):
        self.retried.append(notification_id or filters)

    def host(self, host_id):
        return self.hosts.get(host_id)

    def was_sent(self, match_id, kind):
        return (match_id, kind) in self.sent

    sent: set = frozenset()


@pytest.fixture
def ledger():
    fake = FakeLedger()
    rid, hid, mid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    fake.requests[rid] = {
        "id": rid, "requester_email": "camille@example.com", "requester_name": "Camille",
        "locale": "fr", "timezone": "Europe/Paris", "field": "management", "goal": "Learn",
        "format": "video", "duration_minutes": 30, "referrer_name": None,
        "referrer_email": None, "status_reason": None, "status": "proposed",
    }  # fmt: skip
    fake.hosts[hid] = {
        "id": hid, "email": "nathalie@example.com", "name": "Nathalie",
        "locale": "en", "timezone": "Europe/Paris",
    }  # fmt: skip
    start = now() + timedelta(days=3)
    fake.matches[mid] = {
        "id": mid, "request_id": rid, "host_id": hid, "starts_at": start,
        "ends_at": start + timedelta(minutes=30), "format": "video",
        "expires_at": now() + timedelta(days=1), "location": None, "note": None,
        "status": "proposed",
    }  # fmt: skip
    fake.ids = (rid, hid, mid)
    return fake


def event(event_type: str, payload: dict) -> events.Event:
    return events.build(event_type, payload, producer="test")


def test_a_proposal_invites_the_host_and_tells_the_requester(ledger):
    rid, hid, mid = ledger.ids
    payload = {
        "match_id": mid, "request_id": rid, "host_id": hid, "start": now(), "end": now(),
        "format": "video", "exact_field": True, "expires_at": now(), "score": {},
    }  # fmt: skip
    handlers.match_proposed(
        FakeUnitOfWork(ledger), event("MatchProposed", payload), SETTINGS
    )
    assert [(k, to) for k, to, _ in ledger.queued] == [
        ("invitation", "nathalie@example.com"),
        ("host_invited", "camille@example.com"),
    ]


def expired(ledger, calendar_conflict: bool) -> None:
    rid, hid, mid = ledger.ids
    payload = {"match_id": mid, "request_id": rid, "host_id": hid,
               "calendar_conflict": calendar_conflict}  # fmt: skip
    handlers.match_expired(
        FakeUnitOfWork(ledger), event("MatchExpired", payload), SETTINGS
    )


def test_an_invitation_withdrawn_for_the_hosts_calendar_is_explained_to_both(ledger):
    ledger.sent = {(ledger.ids[2], "invitation")}
    expired(ledger, calendar_conflict=True)
    assert [(k, to) for k, to, _ in ledger.queued] == [
        ("invitation_withdrawn", "nathalie@example.com"),
        ("slot_withdrawn", "camille@example.com"),
    ]


def test_no_word_of_a_withdrawal_when_the_invitation_never_went_or_it_merely_expired(
    ledger,
):
    expired(ledger, calendar_conflict=True)  # its invitation was never sent
    ledger.sent = {(ledger.ids[2], "invitation")}
    expired(ledger, calendar_conflict=False)
    assert ledger.queued == []


def test_a_stale_calendar_is_told_to_its_host_with_the_reason(ledger):
    _, hid, _ = ledger.ids
    ledger.hosts[hid]["active"] = True
    payload = {"host_id": hid, "failing_since": now(), "reason": "unauthorized"}
    handlers.host_calendar_stale(
        FakeUnitOfWork(ledger), event("HostCalendarStale", payload), SETTINGS
    )
    assert [(k, to) for k, to, _ in ledger.queued] == [
        ("calendar_stale", "nathalie@example.com")
    ]


def test_an_acceptance_confirms_to_both_and_schedules_reminders_and_follow_ups(ledger):
    rid, hid, mid = ledger.ids
    payload = {"match_id": mid, "request_id": rid, "host_id": hid}
    handlers.match_accepted(
        FakeUnitOfWork(ledger), event("MatchAccepted", payload), SETTINGS
    )
    kinds = sorted((k, to) for k, to, _ in ledger.queued)
    assert kinds == sorted(
        [(k, to) for k in ("reminder", "followup") for to in ("camille@example.com",
         "nathalie@example.com")]
        + [("meeting_confirmed", "camille@example.com"),
           ("host_confirmed", "nathalie@example.com")]
    )  # fmt: skip
    start = ledger.matches[mid]["starts_at"]
    assert all(due == start - SETTINGS.reminder_before for k, _, due in ledger.queued
               if k == "reminder")  # fmt: skip


def test_a_waitlisted_event_for_a_request_matched_since_sends_nothing(ledger):
    rid, _, _ = ledger.ids  # the request is "proposed" now
    payload = {"request_id": rid, "reason": "no available host"}
    handlers.request_waitlisted(
        FakeUnitOfWork(ledger), event("RequestWaitlisted", payload), SETTINGS
    )
    assert ledger.queued == []


def test_a_cancellation_withdraws_reminders_and_tells_both(ledger):
    rid, hid, mid = ledger.ids
    payload = {
        "request_id": rid, "reason": None, "cancelled_by": "requester",
        "match_id": mid, "host_id": hid, "match_status": "accepted",
    }  # fmt: skip
    handlers.intro_cancelled(
        FakeUnitOfWork(ledger), event("IntroCancelled", payload), SETTINGS
    )
    assert ledger.cancelled == [(rid, ("reminder", "followup"))]
    assert [(k, to) for k, to, _ in ledger.queued] == [
        ("host_cancelled", "nathalie@example.com"),
        ("cancelled", "camille@example.com"),
    ]


def test_ops_retry_and_forgetting_reach_the_ledger(ledger):
    rid, _, _ = ledger.ids
    nid = uuid.uuid4()
    handlers.mail_retry_requested(
        FakeUnitOfWork(ledger),
        event("MailRetryRequested", {"notification_id": nid}),
        SETTINGS,
    )
    handlers.requester_forgotten(
        FakeUnitOfWork(ledger),
        event("RequesterForgotten", {"request_id": rid}),
        SETTINGS,
    )
    assert ledger.retried == [nid] and ledger.forgotten == [
        rid,
        ("published", str(rid)),
    ]


@pytest.mark.parametrize(
    "group,routes", [("matcher", matcher_wiring.ROUTES), ("notifier", wiring.ROUTES)]
)
def test_each_service_consumes_the_topics_the_registry_names_and_their_events(
    group, routes
):
    assert set(routes) == set(topics.CONSUMERS[group])
    for topic, table in routes.items():
        assert set(table) <= set(topics.EVENTS[topic]), topic


def test_a_confirmed_meeting_whose_host_left_is_cancelled_to_the_requester(ledger):
    rid, hid, mid = ledger.ids
    payload = {"match_id": mid, "request_id": rid, "host_id": hid,
               "reason": "the host left the programme", "was_confirmed": True}  # fmt: skip
    handlers.match_declined(
        FakeUnitOfWork(ledger), event("MatchDeclined", payload), SETTINGS
    )
    assert [(k, to) for k, to, _ in ledger.queued] == [
        ("host_withdrew", "camille@example.com")
    ]
    assert ledger.cancelled == [(rid, ("reminder", "followup"))]
    ledger.queued.clear()
    payload["was_confirmed"] = False  # a mere decline: the next invitation follows
    handlers.match_declined(
        FakeUnitOfWork(ledger), event("MatchDeclined", payload), SETTINGS
    )
    assert ledger.queued == []


def test_ops_can_retry_every_failed_message_of_a_kind(ledger):
    payload = {
        "notification_id": None,
        "kind": "invitation",
        "since": None,
        "until": None,
    }
    handlers.mail_retry_requested(
        FakeUnitOfWork(ledger), event("MailRetryRequested", payload), SETTINGS
    )
    assert ledger.retried == [{"kind": "invitation", "since": None, "until": None}]
