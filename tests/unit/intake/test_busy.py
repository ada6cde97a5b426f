"""Busy intervals from iCalendar text: recurrences, zones, all-day events,
and what is not busy."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.intake.calendars import busy
from tests import ics

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 1, 1, tzinfo=UTC)
END = datetime(2027, 4, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def intervals(text: str, tz=PARIS, start=START, end=END):
    return busy.busy_intervals([busy.parse(text)], tz, start, end)


def test_a_weekly_meeting_with_one_occurrence_moved_and_one_cancelled():
    assert intervals(ics.WEEKLY_WITH_EXCEPTIONS) == [
        (utc(2027, 1, 4, 9), utc(2027, 1, 4, 10)),
        (utc(2027, 1, 12, 13), utc(2027, 1, 12, 14)),  # moved to Tuesday 14:00
        (utc(2027, 1, 25, 9), utc(2027, 1, 25, 10)),  # the 18th cancelled
    ]


def test_an_event_in_another_zone_keeps_its_wall_time_across_a_dst_change():
    assert intervals(ics.ACROSS_DST) == [
        (utc(2027, 3, 13, 14), utc(2027, 3, 13, 15)),  # 09:00 EST
        (utc(2027, 3, 14, 13), utc(2027, 3, 14, 14)),  # 09:00 EDT
    ]


def test_all_day_and_floating_events_are_the_hosts_wall_time():
    found = intervals(ics.ALL_DAY_FREE_CANCELLED_FLOATING)
    assert found == [
        (utc(2027, 1, 31, 23), utc(2027, 2, 1, 23)),  # 1 February in Paris
        (utc(2027, 2, 5, 8), utc(2027, 2, 5, 9)),  # 09:00 floating, Paris
    ]


def test_free_cancelled_and_our_own_meetings_are_not_busy():
    found = intervals(ics.ALL_DAY_FREE_CANCELLED_FLOATING)
    for day in (3, 4, 6):
        assert not [s for s, _ in found if s.date() == utc(2027, 2, day).date()]


def test_the_host_zone_decides_where_an_all_day_event_falls():
    tokyo = intervals(ics.ALL_DAY_FREE_CANCELLED_FLOATING, tz=ZoneInfo("Asia/Tokyo"))
    assert tokyo[0] == (utc(2027, 1, 31, 15), utc(2027, 2, 1, 15))


def test_only_the_period_asked_is_kept_and_overlaps_are_merged():
    text = ics.calendar(
        ics.busy_event("a", utc(2027, 1, 10, 9), utc(2027, 1, 10, 11)),
        ics.busy_event("b", utc(2027, 1, 10, 10), utc(2027, 1, 10, 12)),
        ics.busy_event("c", utc(2026, 12, 31, 22), utc(2027, 1, 1, 2)),
        ics.busy_event("d", utc(2027, 5, 1, 9), utc(2027, 5, 1, 10)),
    )
    assert intervals(text) == [
        (START, utc(2027, 1, 1, 2)),
        (utc(2027, 1, 10, 9), utc(2027, 1, 10, 12)),
    ]


def test_a_free_busy_answer_gives_its_busy_periods_only():
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\n"
        "DTSTART:20270101T000000Z\r\nDTEND:20270301T000000Z\r\n"
        "FREEBUSY;FBTYPE=BUSY:20270107T100000Z/20270107T110000Z,"
        "20270108T100000Z/PT30M\r\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270110T100000Z/20270110T110000Z\r\n"
        "FREEBUSY;FBTYPE=FREE:20270109T100000Z/20270109T110000Z\r\n"
        "END:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    assert intervals(text) == [
        (utc(2027, 1, 7, 10), utc(2027, 1, 7, 11)),
        (utc(2027, 1, 8, 10), utc(2027, 1, 8, 10, 30)),
        (utc(2027, 1, 10, 10), utc(2027, 1, 10, 11)),
    ]


@pytest.mark.parametrize(
    "text", ["<html><body>Sign in</body></html>", "", "BEGIN:VCALENDAR\r\nBROKEN"]
)
def test_what_is_not_icalendar_is_refused(text):
    with pytest.raises(busy.NotICalendar):
        busy.busy_intervals([busy.parse(text)], PARIS, START, END)


def test_nothing_but_times_is_kept():
    found = intervals(ics.WEEKLY_WITH_EXCEPTIONS)
    assert all(isinstance(s, datetime) and isinstance(e, datetime) for s, e in found)
    assert "Team meeting" not in repr(found) and "someone" not in repr(found)


def test_webcal_is_https_and_only_the_server_is_shown_back():
    from services.intake.calendars.fetch import normalise_url, shown

    url = normalise_url(" webcal://p01-caldav.icloud.com/published/2/MTIz ")
    assert url == "https://p01-caldav.icloud.com/published/2/MTIz"
    assert shown(url) == "https://p01-caldav.icloud.com/…"


def test_a_rule_repeating_every_second_is_refused_before_it_is_expanded():
    text = ics.calendar(
        ics.event(
            "m",
            [
                "DTSTART:20270101T000000Z",
                "DTEND:20270101T000030Z",
                "RRULE:FREQ=SECONDLY",
            ],
        )
    )
    with pytest.raises(busy.TooComplex):
        intervals(text)


def test_the_work_of_a_rule_is_counted_from_its_first_occurrence_not_the_window():
    """200 bytes that repeat every hour since 2006: refused at once, before
    the library walks the 180,000 hours up to the window."""
    hourly = ics.calendar(
        ics.event(
            "h", ["DTSTART:20060101T000000Z", "DURATION:PT1S", "RRULE:FREQ=HOURLY"]
        )
    )
    with pytest.raises(busy.TooComplex):
        intervals(hourly)
    weekly = ics.calendar(  # a weekly meeting set up twenty years ago is fine
        ics.event(
            "w", ["DTSTART:20060102T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY"]
        )
    )
    assert len(intervals(weekly)) == 13


def test_floating_and_all_day_events_of_today_count_far_west_of_utc():
    los_angeles = ZoneInfo("America/Los_Angeles")
    text = ics.calendar(
        ics.event("f", ["DTSTART:20270105T110000", "DTEND:20270105T120000"]),
        ics.event("d", ["DTSTART;VALUE=DATE:20270106", "DTEND;VALUE=DATE:20270107"]),
    )
    now = utc(2027, 1, 5, 18)  # 10:00 in Los Angeles
    assert intervals(text, los_angeles, now, END) == [
        (utc(2027, 1, 5, 19), utc(2027, 1, 5, 20)),
        (utc(2027, 1, 6, 8), utc(2027, 1, 7, 8)),
    ]


def test_our_own_meetings_are_taken_out_of_a_free_busy_answer():
    nine, ten, eleven = utc(2027, 1, 5, 9), utc(2027, 1, 5, 10), utc(2027, 1, 5, 11)
    assert busy.without([(nine, eleven)], [(ten, eleven)]) == [(nine, ten)]
    assert busy.without([(nine, ten)], [(nine, ten)]) == []
    assert busy.without([(nine, eleven)], []) == [(nine, eleven)]
