"""Reading a real CalDAV server (Radicale): calendars and events created
through the protocol, read back as busy times only."""

from __future__ import annotations

import ipaddress
import logging
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.intake.calendars import busy
from services.intake.calendars.fetch import Destinations, FeedError, Source
from services.intake.calendars.reader import Reader
from shared import logs
from tests import ics
from tests.feeds import FeedServer

START = datetime(2027, 1, 1, tzinfo=UTC)
END = START + timedelta(days=90)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def account(radicale):
    """A fresh user with a calendar holding the weekly meeting with exceptions."""
    name, password = f"u{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    radicale.add_user(name, password)
    url = radicale.add_calendar(name, "work", (ics.WEEKLY_WITH_EXCEPTIONS,))
    return {"url": url, "username": name, "password": password,
            "home": f"{radicale.url}{name}/", "radicale": radicale}  # fmt: skip


def reader(allow_private=True) -> Reader:
    allowed = Destinations(((ipaddress.ip_network("127.0.0.0/8"), 0),))
    return Reader(
        timeout_s=5,
        max_bytes=1_000_000,
        destinations=allowed if allow_private else Destinations(),
    )


def read(account, password=None, etag=None, r=None):
    source = Source(
        "caldav", account["url"], account["username"], password or account["password"]
    )
    return (r or reader()).read(source, START, END, etag=etag)


def test_busy_times_are_read_through_the_protocol(account):
    found = read(account)
    assert busy.busy_intervals(found.calendars, PARIS, START, END) == [
        (datetime(2027, 1, 4, 9, tzinfo=UTC), datetime(2027, 1, 4, 10, tzinfo=UTC)),
        (datetime(2027, 1, 12, 13, tzinfo=UTC), datetime(2027, 1, 12, 14, tzinfo=UTC)),
        (datetime(2027, 1, 25, 9, tzinfo=UTC), datetime(2027, 1, 25, 10, tzinfo=UTC)),
    ]
    text = "".join(c.to_ical().decode() for c in found.calendars)
    assert "Team meeting" not in text and "someone@example.com" not in text


def test_an_unchanged_calendar_is_not_read_again_and_a_change_is_seen(account):
    first = read(account)
    assert first.etag
    assert read(account, etag=first.etag).calendars is None
    moment = datetime(2027, 2, 2, 15, tzinfo=UTC)
    account["radicale"].put_event(
        account["username"],
        account["url"],
        ics.calendar(ics.busy_event("later", moment, moment + timedelta(hours=1))),
        "later",
    )
    again = read(account, etag=first.etag)
    assert again.calendars is not None and again.etag != first.etag
    assert (moment, moment + timedelta(hours=1)) in busy.busy_intervals(
        again.calendars, PARIS, START, END
    )


def test_a_wrong_password_is_said_so(account):
    with pytest.raises(FeedError) as failed:
        read(account, password="not-the-password")
    assert failed.value.code == "unauthorized"


def test_a_caldav_server_on_loopback_is_refused_outside_the_test_setting(account):
    with pytest.raises(FeedError) as failed:
        read(account, r=reader(allow_private=False))
    assert failed.value.code == "refused_address"


def test_a_folder_of_calendars_is_refused_naming_the_calendars_in_it(account):
    with pytest.raises(FeedError) as failed:
        read({**account, "url": account["home"]})
    assert failed.value.code == "not_a_calendar"
    assert failed.value.found == (account["url"],)


def test_nothing_a_server_answers_reaches_the_logs(caplog):
    """A server that answers a CalDAV request with a page, not XML: the read
    fails, and neither the page nor the calendar's path is logged, even with
    every logger of ours at DEBUG (and the libraries as the service sets
    them). In the service, reads run in a worker that logs nothing at all."""
    libraries = ("kafka", "waitress", "urllib3")
    levels = {name: logging.getLogger(name).level for name in libraries}
    logs.quiet_libraries(logging.DEBUG)
    try:
        _read_a_page_and_look_at_the_logs(caplog)
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _read_a_page_and_look_at_the_logs(caplog):
    with FeedServer() as server:
        url = server.url("/dav-page/calendars/alice/secret-cal-42/")
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(FeedError):
                reader().read(Source("caldav", url, "alice", "pw"), START, END)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "SECRET-BODY" not in logged and "secret-cal-42" not in logged


def test_make_runs_demo_calendar_holds_busy_times_ahead_and_is_made_once(radicale):
    name, password = f"u{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    radicale.add_user(name, password)
    url = radicale.add_demo_calendar(name)
    assert url == f"{radicale.url}{name}/work/"
    assert radicale.add_demo_calendar(name) == url  # a restart finds it there
    now = datetime.now(UTC)
    found = reader().read(
        Source("caldav", url, name, password), now, now + timedelta(days=14)
    )
    intervals = busy.busy_intervals(
        found.calendars, PARIS, now, now + timedelta(days=14)
    )
    assert len(intervals) >= 2
