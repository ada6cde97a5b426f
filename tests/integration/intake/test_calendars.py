"""Hosts' calendars through the API on the real database, feeds over real
HTTP: what is stored and shown, the refresh and stale jobs, and what
deleting one's data removes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.calendars import use_cases as cu
from services.intake.unit_of_work import UnitOfWork
from shared.db import connect
from tests import ics
from tests.feeds import FeedServer
from tests.fixtures_intake import user
from tests.integration.intake.helpers import count, host_body

NATHALIE = user("nathalie.renard@example.com")
CAMILLE = user("camille.durand@example.com")
SECRET_PATH = "/private-4f9c2e7a/basic.ics"


def soon(days: float, hour: int = 9) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def feeds():
    with FeedServer() as server:
        server.feeds[SECRET_PATH] = ics.calendar(
            ics.busy_event("a", soon(2), soon(2) + timedelta(hours=1)),
            ics.busy_event("b", soon(40), soon(40) + timedelta(hours=1)),
        )
        yield server


@pytest.fixture
def host(client):
    assert (
        client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).status_code
        == 201
    )


def outbox_events(database_url, event_type) -> int:
    return count(
        database_url, "SELECT count(*) FROM outbox WHERE event_type = %s", event_type
    )


def connect_feed(client, feeds, path=SECRET_PATH):
    return client.put(
        "/api/v1/hosts/me/calendar",
        json={"kind": "ics", "url": feeds.url(path)},
        headers=NATHALIE,
    )


def test_a_connected_calendar_shows_its_busy_periods_never_its_address(
    client, host, feeds, database_url
):
    response = connect_feed(client, feeds)
    assert response.status_code == 200, response.json
    view = response.json
    assert view["status"] == "ok" and view["kind"] == "ics"
    assert view["busy_periods_next_4_weeks"] == 1  # the other is 40 days ahead
    assert view["address"] == "http://127.0.0.1/…"
    assert "4f9c2e7a" not in response.get_data(as_text=True)
    assert client.get("/api/v1/hosts/me/calendar", headers=NATHALIE).json == view
    with connect(database_url) as conn:
        row = conn.execute("SELECT * FROM host_calendars").fetchone()
    assert b"4f9c2e7a" not in bytes(row["secret"])
    assert len(row["busy"]) == 2
    assert outbox_events(database_url, "HostBusyChanged") == 1


def test_a_feed_that_cannot_be_read_is_refused_with_its_reason_and_nothing_kept(
    client, host, feeds, database_url
):
    response = client.put(
        "/api/v1/hosts/me/calendar",
        json={"kind": "ics", "url": feeds.url("/page.html")},
        headers=NATHALIE,
    )
    assert response.status_code == 422
    assert response.json["errors"]["calendar"] == [
        "the address does not give an iCalendar calendar"
    ]
    french = client.put(
        "/api/v1/hosts/me/calendar",
        json={"kind": "ics", "url": feeds.url("/nothing.ics")},
        headers={**NATHALIE, "Accept-Language": "fr"},
    )
    assert french.json["errors"]["calendar"] == [
        "il n'y a pas d'agenda à cette adresse"
    ]
    assert count(database_url, "SELECT count(*) FROM host_calendars") == 0
    assert outbox_events(database_url, "HostBusyChanged") == 0


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "ics", "url": "ftp://example.com/cal.ics"},
        {"kind": "ics", "url": "file:///etc/passwd"},
        {"kind": "outlook", "url": "https://example.com/cal.ics"},
        {"kind": "caldav", "url": "https://example.com/dav/"},
        {"kind": "ics", "url": "https://example.com/a\nb"},
        {"kind": "ics"},
    ],
)
def test_bad_calendar_bodies_are_refused(client, host, body, database_url):
    response = client.put("/api/v1/hosts/me/calendar", json=body, headers=NATHALIE)
    assert response.status_code == 422
    assert count(database_url, "SELECT count(*) FROM host_calendars") == 0


def test_no_calendar_without_a_host_profile(client, feeds):
    assert connect_feed(client, feeds).status_code == 409
    assert client.get("/api/v1/hosts/me/calendar", headers=CAMILLE).status_code == 409


def test_check_reads_now_and_disconnect_forgets(client, host, feeds, database_url):
    connect_feed(client, feeds)
    feeds.feeds[SECRET_PATH] = ics.calendar()
    checked = client.post("/api/v1/hosts/me/calendar/check", headers=NATHALIE)
    assert checked.status_code == 200 and checked.json["busy_periods_next_4_weeks"] == 0
    del feeds.feeds[SECRET_PATH]
    failed = client.post("/api/v1/hosts/me/calendar/check", headers=NATHALIE)
    assert failed.status_code == 422
    assert failed.json["errors"]["calendar"] == ["there is no calendar at this address"]
    shown = client.get("/api/v1/hosts/me/calendar", headers=NATHALIE).json
    assert shown["status"] == "failing" and shown["error"] == "not_found"
    assert (
        client.delete("/api/v1/hosts/me/calendar", headers=NATHALIE).status_code == 204
    )
    assert count(database_url, "SELECT count(*) FROM host_calendars") == 0
    assert client.get("/api/v1/hosts/me/calendar", headers=NATHALIE).status_code == 404
    assert outbox_events(database_url, "HostBusyChanged") == 3  # connect, check, gone


def jobs(runtime, **changes) -> tuple[UnitOfWork, cu.Calendars]:
    settings = dataclasses.replace(runtime.settings, **changes)
    uow = UnitOfWork(runtime.pool)
    salt = cu.installation_salt(UnitOfWork(runtime.pool))
    return uow, cu.Calendars.from_settings(settings, salt=salt)


def test_the_refresh_job_asks_with_validators_and_tells_only_changes(
    client, host, feeds, runtime, database_url
):
    connect_feed(client, feeds)
    uow, cal = jobs(runtime, calendar_refresh=timedelta(seconds=1))
    with connect(database_url) as conn:
        conn.execute("UPDATE host_calendars SET next_refresh_at = now()")
    assert cu.refresh_due(uow, cal) == {
        "read": 1,
        "changed": 0,
        "unchanged": 1,
        "failed": 0,
    }
    assert feeds.not_modified == 1  # answered 304
    feeds.feeds[SECRET_PATH] = ics.calendar(
        ics.busy_event("c", soon(3), soon(3) + timedelta(hours=2))
    )
    with connect(database_url) as conn:
        conn.execute("UPDATE host_calendars SET next_refresh_at = now()")
    assert cu.refresh_due(uow, cal)["changed"] == 1
    assert outbox_events(database_url, "HostBusyChanged") == 2
    assert cu.refresh_due(uow, cal)["read"] == 0  # nothing due until the next period


def test_a_failing_calendar_keeps_its_busy_times_and_is_flagged_stale_once(
    client, host, feeds, runtime, database_url
):
    connect_feed(client, feeds)
    del feeds.feeds[SECRET_PATH]
    uow, cal = jobs(runtime)
    for _ in range(2):
        with connect(database_url) as conn:
            conn.execute(
                "UPDATE host_calendars SET next_refresh_at = now(),"
                " refreshed_at = now() - interval '25 hours'"
            )
        assert cu.refresh_due(uow, cal)["failed"] == 1
        cu.flag_stale(uow, cal)
    with connect(database_url) as conn:
        row = conn.execute("SELECT * FROM host_calendars").fetchone()
    assert len(row["busy"]) == 2 and row["last_error"] == "not_found"
    assert outbox_events(database_url, "HostCalendarStale") == 1
    summary = client.get(
        "/ops/api/summary", headers=user("ops@example.com", "ops", "hr")
    )
    stale = summary.json["calendars"]["stale"]
    assert [s["error"] for s in stale] == ["not_found"]
    page = client.get("/ops", headers=user("ops@example.com", "ops", "hr"))
    assert "there is no calendar at this address" in page.get_data(as_text=True)


def test_deleting_ones_data_removes_the_calendar(client, host, feeds, database_url):
    connect_feed(client, feeds)
    exported = client.get("/api/v1/me/export", headers=NATHALIE).json
    assert exported["calendar"]["busy_periods_next_4_weeks"] == 1
    assert "4f9c2e7a" not in str(exported)
    assert client.delete("/api/v1/me", headers=NATHALIE).status_code == 200
    assert count(database_url, "SELECT count(*) FROM host_calendars") == 0


def test_a_calendar_whose_busy_times_ran_out_is_read_and_reconnected(
    client, host, feeds, runtime, database_url
):
    connect_feed(client, feeds)
    with connect(database_url) as conn:  # failing for longer than the horizon
        conn.execute(
            "UPDATE host_calendars SET busy_until = now() - interval '1 day',"
            " next_refresh_at = now()"
        )
    uow, cal = jobs(runtime)
    assert cu.refresh_due(uow, cal)["changed"] == 1
    with connect(database_url) as conn:
        conn.execute("UPDATE host_calendars SET busy_until = now() - interval '1 day'")
    assert connect_feed(client, feeds).status_code == 200


def test_a_read_of_a_connection_replaced_meanwhile_is_not_stored(
    client, host, feeds, runtime, database_url
):
    connect_feed(client, feeds)
    uow, cal = jobs(runtime)
    feeds.feeds["/other.ics"] = ics.calendar()
    real_read = cal.reader.read_busy

    def read_then_reconnect(*args, **kwargs):
        found = real_read(*args, **kwargs)
        assert connect_feed(client, feeds, "/other.ics").status_code == 200
        return found

    cal.reader.read_busy = read_then_reconnect
    with connect(database_url) as conn:
        conn.execute("UPDATE host_calendars SET next_refresh_at = now()")
    assert cu.refresh_due(uow, cal) == {
        "read": 0,
        "changed": 0,
        "unchanged": 0,
        "failed": 0,
    }
    shown = client.get("/api/v1/hosts/me/calendar", headers=NATHALIE).json
    assert shown["busy_periods_next_4_weeks"] == 0  # the new, empty calendar's


@pytest.mark.parametrize("path", ["/truncated.ics", "/drip.ics"])
def test_a_body_cut_short_or_dripped_is_a_reason_in_the_callers_language(
    client, host, feeds, database_url, path
):
    """A feed that stops mid-body, or drips it past CALENDAR_TIMEOUT: the
    reason, never a 500, and nothing stored."""
    french = {**NATHALIE, "Accept-Language": "fr"}
    answer = client.put(
        "/api/v1/hosts/me/calendar",
        json={"kind": "ics", "url": feeds.url(path)},
        headers=french,
    )
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.json["errors"]["calendar"][0].startswith(("le ", "l’"))
    assert count(database_url, "SELECT count(*) FROM host_calendars") == 0


def test_a_failing_check_is_recorded_with_its_reason(client, host, feeds, database_url):
    assert connect_feed(client, feeds).status_code == 200
    feeds.feeds[SECRET_PATH] = None
    del feeds.feeds[SECRET_PATH]
    feeds.redirects[SECRET_PATH] = feeds.url("/truncated.ics")
    assert (
        client.post("/api/v1/hosts/me/calendar/check", headers=NATHALIE).status_code
        == 422
    )
    shown = client.get("/api/v1/hosts/me/calendar", headers=NATHALIE).json
    assert shown["status"] == "failing" and shown["error"] in (
        "unreachable",
        "not_icalendar",
    )


def test_calendar_reads_a_person_asks_for_are_limited_per_hour(
    client, host, feeds, runtime
):
    limit = runtime.settings.calendar_reads_per_hour
    assert connect_feed(client, feeds).status_code == 200
    for _ in range(limit - 1):
        check = client.post("/api/v1/hosts/me/calendar/check", headers=NATHALIE)
        assert check.status_code == 200
    refused = client.post("/api/v1/hosts/me/calendar/check", headers=NATHALIE)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_calendar"
    assert connect_feed(client, feeds).status_code == 429


def test_saving_a_host_profile_is_limited_per_hour(client, runtime, database_url):
    """Each save wakes the matcher: at most HOST_SAVES_PER_HOUR."""
    limit = runtime.settings.host_saves_per_hour
    for _ in range(limit):
        saved = client.put("/api/v1/hosts/me", json=host_body(), headers=CAMILLE)
        assert saved.status_code in (200, 201)
    refused = client.put("/api/v1/hosts/me", json=host_body(), headers=CAMILLE)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "too_many_host_profile"
    assert outbox_events(database_url, "HostProfileChanged") == limit
