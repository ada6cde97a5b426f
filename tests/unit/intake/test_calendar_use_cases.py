"""The calendar use cases against an in-memory unit of work and a reader
that answers what each test says: what is stored, what is kept on a
failure, and when the matcher and the host are told."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from services.intake import use_cases
from services.intake.calendars import use_cases as cu
from services.intake.calendars.busy import parse
from services.intake.calendars.fetch import FeedError, Read
from services.intake.calendars.reader import BusyReading
from services.intake.calendars.vault import Vault
from services.intake.domain import Limits
from services.intake.errors import Conflict, Invalid, TooMany
from services.intake.web.identity import Identity
from tests import ics
from tests.unit.intake.fakes import FakeUnitOfWork
from tests.unit.intake.test_use_cases import host_data

HOST = Identity("nathalie@example.com")
OTHER = Identity("omar@example.com")
LIMITS = Limits(max_open=3, per_hour=10, secret="k" * 32)
T0 = datetime(2027, 1, 4, 8, tzinfo=UTC)
URL = "https://calendar.example.com/private-abc123/basic.ics"


class ScriptedReader(BusyReading):
    """Answers each read with the next of `answers`: iCalendar text, None
    (unchanged) or a failure code."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked: list = []

    def read(self, source, start, end, etag=None, last_modified=None):
        self.asked.append((source, etag))
        answer = self.answers.pop(0)
        if answer is None:
            return Read(None, etag, last_modified)
        if answer in cu.FAILURES:
            raise FeedError(answer)
        return Read([parse(answer)], f'"{len(self.asked)}"')


def meeting(day: int, hour: int) -> str:
    start = datetime(2027, 1, day, hour, tzinfo=UTC)
    return ics.calendar(ics.busy_event(f"e{day}", start, start + timedelta(hours=1)))


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


@pytest.fixture
def uow():
    u = FakeUnitOfWork()
    use_cases.put_host(u, HOST, host_data(), locale="fr", limits=LIMITS)
    return u


def calendars(reader, clock=None) -> cu.Calendars:
    return cu.Calendars(
        vault=Vault("k" * 32, b"salt"), reader=reader, refresh=timedelta(minutes=15),
        stale_after=timedelta(hours=24), horizon=timedelta(days=61),
        limits=LIMITS,
        concurrency=2, clock=clock or Clock(),
    )  # fmt: skip


def connect(uow, cal, url=URL, who=HOST):
    data = {"kind": "ics", "url": url, "username": None, "password": None}
    return cu.connect_calendar(uow, cal, who, data)


class HeldReader(ScriptedReader):
    """Holds the reads of `held` URLs until `release` is set."""

    def __init__(self, *answers, held=URL):
        super().__init__(*answers)
        self.held, self.reading, self.release = (
            held,
            threading.Event(),
            threading.Event(),
        )

    def read(self, source, start, end, etag=None, last_modified=None):
        if source.url == self.held:
            self.reading.set()
            assert self.release.wait(10)
        return super().read(source, start, end, etag, last_modified)


def test_connecting_stores_the_address_encrypted_and_tells_the_matcher(uow):
    row, spans = connect(uow, calendars(ScriptedReader(meeting(5, 9))))
    assert spans == [
        (datetime(2027, 1, 5, 9, tzinfo=UTC), datetime(2027, 1, 5, 10, tzinfo=UTC))
    ]
    stored = next(iter(uow.repo.calendars.values()))
    assert b"abc123" not in stored["secret"]
    assert stored["shown"] == "https://calendar.example.com/…"
    assert [e[0] for e in uow.emitted()][-1] == "HostBusyChanged"


def test_a_calendar_that_cannot_be_read_is_refused_with_why_and_not_stored(uow):
    with pytest.raises(Invalid) as refused:
        connect(uow, calendars(ScriptedReader("unauthorized")))
    assert refused.value.errors == {"calendar": [cu.FAILURES["unauthorized"]]}
    assert uow.repo.calendars == {}
    assert "HostBusyChanged" not in [e[0] for e in uow.emitted()]


def test_only_a_host_may_connect_a_calendar():
    with pytest.raises(Conflict):
        connect(FakeUnitOfWork(), calendars(ScriptedReader(meeting(5, 9))))


def test_a_refresh_tells_the_matcher_only_when_busy_times_change(uow):
    clock = Clock()
    reader = ScriptedReader(meeting(5, 9), meeting(5, 9), None, meeting(6, 9))
    cal = calendars(reader, clock)
    connect(uow, cal)
    told = len(uow.emitted("HostBusyChanged"))
    for _ in range(3):
        clock.now += timedelta(minutes=16)
        cu.refresh_due(uow, cal)
    assert len(uow.emitted("HostBusyChanged")) == told + 1  # only the last one
    assert reader.asked[2][1] == '"2"'  # the validator of the last full read


def test_a_failed_refresh_keeps_the_last_busy_times_and_the_host_is_told_once(uow):
    clock = Clock()
    cal = calendars(ScriptedReader(meeting(5, 9), *["timeout"] * 10), clock)
    connect(uow, cal)
    for _ in range(6):
        clock.now += timedelta(hours=6)
        cu.refresh_due(uow, cal)
        cu.flag_stale(uow, cal)
    stored = next(iter(uow.repo.calendars.values()))
    assert [(r.lower.day, r.lower.hour) for r in stored["busy"]] == [(5, 9)]
    assert stored["last_error"] == "timeout"
    stale = uow.emitted("HostCalendarStale")
    assert len(stale) == 1 and stale[0][2]["reason"] == "timeout"


def test_a_good_read_after_a_failure_ends_it(uow):
    clock = Clock()
    cal = calendars(ScriptedReader(meeting(5, 9), "unreachable", None), clock)
    connect(uow, cal)
    for _ in range(2):
        clock.now += timedelta(minutes=16)
        cu.refresh_due(uow, cal)
    stored = next(iter(uow.repo.calendars.values()))
    assert stored["failing_since"] is None and stored["last_error"] is None


def test_forgetting_the_host_removes_the_calendar(uow):
    connect(uow, calendars(ScriptedReader(meeting(5, 9))))
    use_cases.forget_person(uow, HOST)
    assert uow.repo.calendars == {}


def test_a_read_that_cannot_be_stored_fails_its_calendar_and_no_other(uow):
    use_cases.put_host(uow, OTHER, host_data(), locale="fr", limits=LIMITS)
    clock = Clock()
    cal = calendars(ScriptedReader(*[meeting(5, 9)] * 2, *[meeting(6, 9)] * 2), clock)
    connect(uow, cal, who=OTHER)  # read first in the batch
    connect(uow, cal)
    other = uow.hosts.host_of(OTHER.email)["id"]
    store_busy = uow.calendars.store_busy

    def refuse_other(host_id, *args, **kwargs):
        if host_id == other:
            raise ValueError("a value the database refuses")
        return store_busy(host_id, *args, **kwargs)

    uow.calendars.store_busy = refuse_other
    clock.now += timedelta(minutes=16)
    counts = cu.refresh_due(uow, cal)
    assert counts["failed"] == 1 and counts["changed"] == 1
    assert uow.repo.calendars[other]["last_error"] == "http_error"
    mine = uow.repo.calendars[uow.hosts.host_of(HOST.email)["id"]]
    assert [(r.lower.day, r.lower.hour) for r in mine["busy"]] == [(6, 9)]
    assert mine["refreshed_at"] == clock.now


def test_a_person_reads_one_calendar_at_a_time_and_a_refusal_costs_no_read(uow):
    use_cases.put_host(uow, OTHER, host_data(), locale="fr", limits=LIMITS)
    reader = HeldReader(meeting(5, 9), meeting(6, 9))
    cal = calendars(reader)
    first = threading.Thread(target=connect, args=(uow, cal))
    first.start()
    try:
        assert reader.reading.wait(10)
        with pytest.raises(TooMany):
            connect(uow, cal, url="https://calendar.example.com/other.ics")
        row, _ = connect(uow, cal, url="https://other.example.com/o.ics", who=OTHER)
        assert row["kind"] == "ics"  # another person is not kept waiting
    finally:
        reader.release.set()
        first.join(10)
    submitter = LIMITS.submitter(HOST.email)
    assert uow.repo.recent_actions(submitter, "calendar") == 1
