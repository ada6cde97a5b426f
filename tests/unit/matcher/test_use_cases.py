"""The matcher's use cases against an in-memory unit of work: booking,
expiry, withdrawal and rounds, each rule in milliseconds. The same rules
run against PostgreSQL and the broker in tests/integration/matcher."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.matcher import use_cases
from services.matcher.policy import Policy
from shared import fields
from shared.config import DEFAULT_FIELDS_FILE
from tests.unit.matcher.fakes import FakeRepository, FakeUnitOfWork

ALL_WEEK = [
    {"day": d, "start": "00:00", "end": "24:00"}
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, mid-month


class Clock:
    def __init__(self, t: datetime = T0):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def policy(clock: Clock, round_window=timedelta(0)) -> Policy:
    return Policy(
        taxonomy=fields.load_taxonomy(DEFAULT_FIELDS_FILE),
        response_timeout=timedelta(hours=72),
        lead=timedelta(hours=12),
        clock=clock,
        round_window=round_window,
    )


def host(
    repo: FakeRepository, *, host_fields=("management",), capacity=2, **kw
) -> uuid.UUID:
    host_id = uuid.uuid4()
    repo.add_host(
        {"id": host_id, "email": f"h-{host_id.hex[:6]}@example.com", "name": "Host",
         "fields": list(host_fields), "languages": ["fr"], "formats": ["video"],
         "timezone": "Europe/Paris", "durations": [30, 60],
         "monthly_capacity": capacity, "weekly_availability": ALL_WEEK, **kw}
    )  # fmt: skip
    return host_id


def request(repo: FakeRepository, *, field="management", hours=3.0, day=2, **kw):
    request_id = uuid.uuid4()
    start = T0 + timedelta(days=day)
    repo.add_request(
        {"id": request_id, "requester_email": f"r-{request_id.hex[:6]}@example.com",
         "requester_name": "Camille", "field": field, "goal": "Learn",
         "format": "video", "duration_minutes": 30, "languages": ["fr"],
         "timezone": "Europe/Paris",
         "availability": [{"start": start.isoformat(),
                           "end": (start + timedelta(hours=hours)).isoformat()}],
         "created_at": T0 - timedelta(minutes=1), **kw}
    )  # fmt: skip
    return request_id


def live(repo: FakeRepository, request_id) -> list[dict]:
    return [
        m for m in repo.matches.values()
        if m["request_id"] == request_id and m["status"] in ("proposed", "accepted")
    ]  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def test_a_request_is_proposed_a_fitting_host_who_must_answer_before_the_margin(
    uow, clock
):
    h = host(uow.repo)
    r = request(uow.repo)
    assert use_cases.match_new_request(uow, policy(clock), r) == "proposed"
    (m,) = live(uow.repo, r)
    assert m["host_id"] == h and uow.repo.requests[r]["status"] == "proposed"
    assert m["expires_at"] == min(
        T0 + timedelta(hours=72), m["starts_at"] - timedelta(hours=2)
    )
    assert uow.emitted() == ["MatchProposed"]


def test_a_host_whose_month_is_full_is_not_booked_and_the_request_is_waitlisted(
    uow, clock
):
    host(uow.repo, capacity=1)
    first, second = request(uow.repo), request(uow.repo)
    p = policy(clock)
    assert use_cases.match_new_request(uow, p, first) == "proposed"
    assert use_cases.match_new_request(uow, p, second) == "waitlisted"
    assert live(uow.repo, second) == []
    assert uow.emitted() == ["MatchProposed", "RequestWaitlisted"]


def test_a_booking_the_store_refuses_leaves_no_match_and_no_event(uow, clock):
    """Another process took the host's time between the read and the write:
    the repository answers None, and the attempt is undone."""
    host(uow.repo)
    r = request(uow.repo)
    uow.repo.propose = lambda **_: None
    assert use_cases.match_new_request(uow, policy(clock), r) == "waitlisted"
    assert uow.repo.matches == {}
    assert uow.repo.hosts and all(
        h["last_invited_at"] is None for h in uow.repo.hosts.values()
    )
    assert uow.emitted() == ["RequestWaitlisted"]


def test_a_host_another_transaction_holds_is_passed_over_and_a_round_defers_the_request(
    uow, clock
):
    held = host(uow.repo)
    request(uow.repo)
    uow.repo.held.add(held)
    outcome = use_cases.match_round(
        uow, policy(clock, round_window=timedelta(seconds=1))
    )
    assert outcome == {"deferred": 1}
    assert uow.repo.matches == {} and uow.sent == []


def test_an_unanswered_invitation_expires_and_goes_to_the_next_host_never_back(
    uow, clock
):
    first = host(uow.repo, last_invited_at=None)
    second = host(uow.repo, last_invited_at=T0)  # invited recently: comes second
    r = request(uow.repo, hours=30)
    p = policy(clock)
    use_cases.match_new_request(uow, p, r)
    (m,) = live(uow.repo, r)
    assert m["host_id"] == first
    clock.t = m["expires_at"] + timedelta(minutes=1)  # its answer-by time passed
    assert use_cases.expire_unanswered(uow, p) == 1
    (m,) = live(uow.repo, r)
    assert m["host_id"] == second
    clock.t = m["expires_at"] + timedelta(minutes=1)
    use_cases.expire_unanswered(uow, p)
    assert live(uow.repo, r) == [] and uow.repo.requests[r]["status"] == "waitlisted"
    assert uow.emitted().count("MatchExpired") == 2


def test_an_invitation_the_hosts_calendar_now_overlaps_is_withdrawn_and_reproposed_later(
    uow, clock
):
    h = host(uow.repo)
    r = request(uow.repo, hours=6)
    p = policy(clock)
    use_cases.match_new_request(uow, p, r)
    (m,) = live(uow.repo, r)
    uow.repo.busy[h] = [(m["starts_at"], m["ends_at"])]
    assert use_cases.follow_busy_times(uow, p, h) == 1
    assert uow.repo.matches[m["id"]]["status"] == "expired"
    assert uow.repo.matches[m["id"]]["calendar_conflict"]
    (again,) = live(uow.repo, r)  # the same host, at a time its calendar leaves free
    assert again["host_id"] == h and again["starts_at"] >= m["ends_at"]


def test_an_invitation_that_could_not_be_sent_is_expired_at_once(uow, clock):
    h = host(uow.repo)
    other = host(uow.repo, last_invited_at=T0)
    r = request(uow.repo)
    p = policy(clock)
    use_cases.match_new_request(uow, p, r)
    email = uow.repo.hosts[h]["email"]
    assert use_cases.move_on_from_unsent(uow, p, r, email.upper())
    assert live(uow.repo, r)[0]["host_id"] == other
    assert not use_cases.move_on_from_unsent(uow, p, r, email)  # no longer waits


def test_a_round_serves_both_requests_giving_the_scarce_host_to_the_one_only_it_can_serve(
    uow, clock
):
    """Both hosts can serve the first request; only the scarce one the second.
    Taken in order, the first would take the scarce host; jointly both are served."""
    scarce = host(uow.repo, host_fields=("management", "recruitment"), capacity=1)
    plenty = host(uow.repo, host_fields=("management",), capacity=1, last_invited_at=T0)
    first = request(uow.repo, field="management", related_ok=False)
    second = request(uow.repo, field="recruitment", related_ok=False)
    outcome = use_cases.match_round(
        uow, policy(clock, round_window=timedelta(seconds=1))
    )
    assert outcome == {"proposed": 2}
    assert live(uow.repo, first)[0]["host_id"] == plenty
    assert live(uow.repo, second)[0]["host_id"] == scarce


def test_the_waitlist_retry_leaves_a_request_not_tried_yet_to_its_arrival_for_a_while(
    uow, clock
):
    """Retrying would hold the request for the retry's whole batch while the
    consumer, about to try it, waits; one whose arrival never came through
    (its event dead-lettered) is retried once the grace is over."""
    host(uow.repo)
    fresh = request(uow.repo, created_at=T0 - timedelta(seconds=30))
    waitlisted = request(uow.repo, status="waitlisted")
    assert use_cases.retry_waitlist(uow, policy(clock)) == {"proposed": 1}
    assert live(uow.repo, waitlisted) and not live(uow.repo, fresh)
    clock.t = T0 + timedelta(minutes=2)
    assert use_cases.retry_waitlist(uow, policy(clock)) == {"proposed": 1}
    assert live(uow.repo, fresh)


def test_a_request_whose_windows_have_passed_is_unmatched(uow, clock):
    host(uow.repo)
    r = request(uow.repo, day=0, hours=1)  # starts before the lead time allows
    assert use_cases.unmatch_passed(uow, policy(clock)) == 1
    assert uow.repo.requests[r]["status"] == "unmatched"
    assert uow.emitted() == ["RequestUnmatched"]


def test_a_confirmed_meeting_that_is_over_is_completed(uow, clock):
    host(uow.repo)
    r = request(uow.repo)
    p = policy(clock)
    use_cases.match_new_request(uow, p, r)
    (m,) = live(uow.repo, r)
    uow.repo.answer(m["id"], accept=True)
    clock.t = m["ends_at"] + timedelta(minutes=1)
    assert use_cases.complete_meetings(uow, p) == 1
    assert uow.repo.requests[r]["status"] == "completed"
    assert uow.emitted()[-1] == "RequestCompleted"


def test_a_use_case_that_fails_leaves_nothing_behind(uow, clock):
    host(uow.repo)
    r = request(uow.repo)

    def broken(*_a, **_k):
        raise RuntimeError("the store went away")

    uow.repo.excluded_hosts = broken
    with pytest.raises(RuntimeError):
        use_cases.match_new_request(uow, policy(clock), r)
    assert uow.repo.requests[r]["status"] == "submitted" and uow.sent == []


def test_a_host_moved_in_the_order_between_two_pages_is_neither_passed_over_nor_read_twice(
    uow, clock
):
    """Candidates are read in pages (16, then 64, ...); between two pages
    another transaction's proposal moves a host to the end of the order
    (invited just now). The only host that can take the request, 17th
    before the move, is still read, and no host is read twice."""
    busy = [host(uow.repo, unavailable=[{"start": "2026-03-01", "end": "2026-03-31"}],
                 last_invited_at=T0 - timedelta(days=30 - i)) for i in range(16)]  # fmt: skip
    free = host(uow.repo, last_invited_at=T0 - timedelta(days=1))
    r = request(uow.repo)
    page = uow.repo.candidate_page
    read: list = []

    def candidate_page(*args, **kw):
        rows = page(*args, **kw)
        if not read:  # after the first page: the first host invited just now
            uow.repo.hosts[busy[0]]["last_invited_at"] = T0
        read.extend(row["id"] for row in rows)
        return rows

    agendas = uow.repo.agendas
    given: list = []

    def agendas_of(host_ids, now, *span):
        if span:  # the candidates' (the booking reads its host's again)
            given.extend(host_ids)
        return agendas(host_ids, now, *span)

    uow.repo.candidate_page, uow.repo.agendas = candidate_page, agendas_of
    assert use_cases.match_new_request(uow, policy(clock), r) == "proposed"
    assert live(uow.repo, r)[0]["host_id"] == free
    assert len(given) == len(set(given)) == 17
