"""One host's calendar cannot stall the service: each read (every request,
the parse and the expansion) runs in a worker process within
CALENDAR_TIMEOUT in all; a server that drips its headers, or a feed that
repeats every hour since 2006, fails that read alone, quickly, and the next
reads go on."""

from __future__ import annotations

import ipaddress
import multiprocessing
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.intake.calendars.fetch import Destinations, FeedError, Source
from services.intake.calendars.sandbox import WORKER_MEMORY, Sandbox
from tests import ics
from tests.feeds import FeedServer

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime.now(UTC)
UNTIL = NOW + timedelta(days=61)
EVERY_HOUR_SINCE_2006 = ics.calendar(
    ics.event("h", ["DTSTART:20060101T000000Z", "DURATION:PT1S", "RRULE:FREQ=HOURLY"])
)
EVERY_SECOND = ics.calendar(
    ics.event("s", ["DTSTART:20260101T000000Z", "DURATION:PT1S", "RRULE:FREQ=SECONDLY"])
)


@pytest.fixture(scope="module")
def feeds():
    with FeedServer() as server:
        server.feeds["/hourly.ics"] = EVERY_HOUR_SINCE_2006
        server.feeds["/secondly.ics"] = EVERY_SECOND
        server.feeds["/cal.ics"] = ics.calendar(
            ics.busy_event(
                "a", NOW + timedelta(days=3), NOW + timedelta(days=3, hours=1)
            )
        )
        yield server


@pytest.fixture(scope="module")
def sandbox():
    loopback = Destinations(((ipaddress.ip_network("127.0.0.0/8"), 0),))
    box = Sandbox(
        {"timeout_s": 2.0, "max_bytes": 1_000_000, "destinations": loopback},
        workers=2,
        deadline_s=2.0,
    )
    yield box
    box.close()


def read(sandbox, url):
    return sandbox.read_busy(Source("ics", url), PARIS, NOW, UNTIL)


def failure(sandbox, url) -> str:
    with pytest.raises(FeedError) as caught:
        read(sandbox, url)
    return caught.value.code


def test_a_calendar_is_read_in_a_worker_and_gives_busy_times_only(sandbox, feeds):
    found = read(sandbox, feeds.url("/cal.ics"))
    assert len(found.spans) == 1 and found.etag


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", ["/hourly.ics", "/secondly.ics"])
def test_a_rule_that_repeats_too_often_fails_its_read_and_no_other(
    sandbox, feeds, path
):
    assert failure(sandbox, feeds.url(path)) == "too_complex"
    assert read(sandbox, feeds.url("/cal.ics")).spans


@pytest.mark.timeout(60)
def test_headers_dripped_a_byte_at_a_time_end_at_the_deadline(sandbox, feeds):
    started = time.monotonic()
    assert failure(sandbox, feeds.url("/drip-headers.ics")) == "timeout"
    assert (
        time.monotonic() - started < 2.0 + 5.0
    )  # the deadline, and a new worker's start
    assert read(sandbox, feeds.url("/cal.ics")).spans  # the worker was replaced


@pytest.mark.timeout(60)
def test_a_truncated_body_is_a_reason_not_a_crash(sandbox, feeds):
    assert failure(sandbox, feeds.url("/truncated.ics")) in (
        "unreachable",
        "not_icalendar",
    )


def test_validators_that_could_not_be_stored_are_dropped(sandbox, feeds):
    found = read(sandbox, feeds.url("/nul-validators.ics"))
    assert found.spans == [] and found.etag is None and found.last_modified is None


def test_a_worker_may_hold_no_more_memory_than_its_limit(sandbox, feeds):
    read(sandbox, feeds.url("/cal.ics"))
    workers = [
        p for p in multiprocessing.active_children() if p.name == "calendar-reader"
    ]
    assert workers
    for worker in workers:
        with open(f"/proc/{worker.pid}/limits") as limits:
            line = next(x for x in limits if x.startswith("Max address space"))
        assert line.split()[3:5] == [str(WORKER_MEMORY), str(WORKER_MEMORY)]
