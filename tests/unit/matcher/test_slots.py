"""The earliest slot: DST, time zones, midnight, time off, lead time, month edges."""

import itertools
import zoneinfo
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, _zoneinfo

import pytest

from services.matcher.model import Agenda, slot_for
from shared import slots
from shared.statuses import DAYS
from tests.unit.matcher.factories import host, request, utc

EARLY = utc("2026-01-01T00:00:00+00:00")


def test_weekly_hours_follow_the_host_wall_clock_across_the_spring_dst_change():
    paris = host(weekly=[{"day": "tue", "start": "09:00", "end": "12:00"}])
    before = request(("2026-03-24T00:00:00+00:00", "2026-03-25T00:00:00+00:00"))
    after = request(("2026-03-31T00:00:00+00:00", "2026-04-01T00:00:00+00:00"))
    assert slot_for(paris, before, Agenda(), EARLY)[0] == utc(
        "2026-03-24T08:00:00+00:00"
    )  # CET
    assert slot_for(paris, after, Agenda(), EARLY)[0] == utc(
        "2026-03-31T07:00:00+00:00"
    )  # CEST


def test_a_window_spanning_the_autumn_change_lasts_one_hour_longer_in_real_time():
    paris = host(weekly=[{"day": "sun", "start": "01:00", "end": "04:00"}])
    occurrences = list(
        slots.weekly_occurrences(
            paris.weekly,
            paris.tz,
            utc("2026-10-24T12:00:00+00:00"),
            utc("2026-10-26T00:00:00+00:00"),
        )
    )
    assert occurrences == [
        (utc("2026-10-24T23:00:00+00:00"), utc("2026-10-25T03:00:00+00:00"))
    ]


def test_on_the_days_the_clock_changes_a_weekly_entry_holds_what_the_clock_reads():
    def occurrences(weekly, start, end):
        paris = host(weekly=weekly)
        return list(
            slots.weekly_occurrences(paris.weekly, paris.tz, utc(start), utc(end))
        )

    late = [{"day": "sun", "start": "02:05", "end": "24:00"}]
    # 29 March 2026, 01:00 UTC: 02:00 becomes 03:00; the entry starts then
    assert occurrences(
        late, "2026-03-28T12:00:00+00:00", "2026-03-30T00:00:00+00:00"
    ) == [(utc("2026-03-29T01:00:00+00:00"), utc("2026-03-29T22:00:00+00:00"))]
    early = [{"day": "sun", "start": "00:00", "end": "02:30"}]
    assert occurrences(
        early, "2026-03-28T12:00:00+00:00", "2026-03-30T00:00:00+00:00"
    ) == [(utc("2026-03-28T23:00:00+00:00"), utc("2026-03-29T01:00:00+00:00"))]
    # 25 October 2026, 01:00 UTC: 03:00 becomes 02:00; 02:00-02:05 comes again
    assert occurrences(
        late, "2026-10-24T12:00:00+00:00", "2026-10-26T00:00:00+00:00"
    ) == [
        (utc("2026-10-25T00:05:00+00:00"), utc("2026-10-25T01:00:00+00:00")),
        (utc("2026-10-25T01:05:00+00:00"), utc("2026-10-25T23:00:00+00:00")),
    ]


def test_host_and_requester_in_different_zones_meet_at_the_same_instant():
    new_york = host(
        tz="America/New_York", weekly=[{"day": "mon", "start": "09:00", "end": "10:00"}]
    )
    # 2026-03-09: New York is already on summer time, Paris not yet (gap weeks)
    paris_afternoon = request(
        ("2026-03-09T13:00:00+01:00", "2026-03-09T17:00:00+01:00")
    )
    start, end = slot_for(new_york, paris_afternoon, Agenda(), EARLY)
    assert start == utc("2026-03-09T13:00:00+00:00")  # 09:00 EDT = 14:00 CET
    assert end - start == timedelta(minutes=30)
    winter = request(("2026-12-07T13:00:00+01:00", "2026-12-07T17:00:00+01:00"))
    assert slot_for(new_york, winter, Agenda(), EARLY)[0] == utc(
        "2026-12-07T14:00:00+00:00"
    )  # 09:00 EST


def test_a_weekly_window_crossing_midnight_holds_a_meeting_across_it():
    tokyo = host(
        tz="Asia/Tokyo", weekly=[{"day": "fri", "start": "22:00", "end": "02:00"}]
    )
    late = request(
        ("2026-12-04T23:30:00+09:00", "2026-12-05T01:30:00+09:00"), duration=60
    )
    assert slot_for(tokyo, late, Agenda(), EARLY) == (
        utc("2026-12-04T23:30:00+09:00"),
        utc("2026-12-05T00:30:00+09:00"),
    )


def test_an_end_of_24_00_runs_to_midnight_and_joins_the_next_day():
    h = host(
        tz="UTC",
        weekly=[
            {"day": "mon", "start": "23:00", "end": "24:00"},
            {"day": "tue", "start": "00:00", "end": "01:00"},
        ],
    )
    r = request(("2026-12-07T23:15:00+00:00", "2026-12-08T01:00:00+00:00"), duration=60)
    assert slot_for(h, r, Agenda(), EARLY)[0] == utc("2026-12-07T23:15:00+00:00")


def test_time_off_and_other_meetings_push_the_slot_later():
    h = host(
        weekly=[{"day": "tue", "start": "09:00", "end": "12:00"}],
        unavailable=[("2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00")],
    )
    r = request(("2026-12-01T08:00:00+01:00", "2026-12-09T12:00:00+01:00"))
    busy = Agenda()
    busy.add(
        utc("2026-12-08T09:00:00+01:00"), utc("2026-12-08T10:00:00+01:00"), "2026-12"
    )
    assert slot_for(h, r, busy, EARLY)[0] == utc("2026-12-08T10:00:00+01:00")


def test_nothing_starts_before_the_lead_time():
    h = host(
        tz="UTC",
        weekly=[
            {"day": "mon", "start": "09:00", "end": "18:00"},
            {"day": "tue", "start": "09:00", "end": "18:00"},
        ],
    )
    r = request(("2026-12-07T00:00:00+00:00", "2026-12-09T00:00:00+00:00"))
    now = utc("2026-12-07T08:00:00+00:00")
    start, _ = slot_for(h, r, Agenda(), now + timedelta(hours=12))
    assert start == utc("2026-12-08T09:00:00+00:00")


def test_a_full_month_in_the_host_zone_moves_the_slot_to_the_next_month():
    h = host(
        capacity=1,
        weekly=[{"day": d, "start": "00:00", "end": "24:00"} for d in slots.DAYS],
    )
    busy = Agenda()
    busy.add(
        utc("2026-11-10T10:00:00+01:00"), utc("2026-11-10T11:00:00+01:00"), "2026-11"
    )
    r = request(("2026-11-30T22:00:00+00:00", "2026-12-01T02:00:00+00:00"))
    start, _ = slot_for(h, r, busy, EARLY)
    # 23:00 UTC on 30 November is already December in Paris
    assert start == utc("2026-11-30T23:00:00+00:00")
    assert slots.month_of(start, h.tz) == "2026-12"
    december_full = Agenda()
    december_full.add(
        utc("2026-12-10T10:00:00+01:00"), utc("2026-12-10T11:00:00+01:00"), "2026-12"
    )
    assert slot_for(h, r, december_full, EARLY)[0] == utc("2026-11-30T22:00:00+00:00")


def test_no_slot_when_windows_never_meet():
    h = host(weekly=[{"day": "wed", "start": "09:00", "end": "12:00"}])
    r = request(("2026-12-01T09:00:00+01:00", "2026-12-01T12:00:00+01:00"))  # a Tuesday
    assert slot_for(h, r, Agenda(), EARLY) is None


def test_slots_start_on_a_quarter_hour_when_the_window_allows():
    h = host(tz="UTC", weekly=[{"day": "tue", "start": "09:00", "end": "12:00"}])
    r = request(("2026-12-01T09:07:00+00:00", "2026-12-01T12:00:00+00:00"))
    assert slot_for(h, r, Agenda(), EARLY)[0] == utc("2026-12-01T09:15:00+00:00")
    tight = request(("2026-12-01T09:07:00+00:00", "2026-12-01T09:37:00+00:00"))
    assert slot_for(h, tight, Agenda(), EARLY)[0] == utc("2026-12-01T09:07:00+00:00")


def test_windows_passed_only_when_no_window_can_still_hold_the_meeting():
    windows = slots.parse_windows(
        [{"start": "2026-12-01T09:00:00+00:00", "end": "2026-12-01T10:00:00+00:00"}]
    )
    assert not slots.windows_passed(
        windows, timedelta(minutes=30), utc("2026-12-01T09:30:00+00:00")
    )
    assert slots.windows_passed(
        windows, timedelta(minutes=30), utc("2026-12-01T09:31:00+00:00")
    )


def counting_occurrences(monkeypatch) -> dict:
    """Record how far each slot search walks: the span it asks for and the
    host's intervals it visits."""
    seen = {"spans": [], "visited": 0}
    walk = slots.weekly_occurrences

    def counted(weekly, tz, start, end):
        seen["spans"].append(end - start)
        for occurrence in walk(weekly, tz, start, end):
            seen["visited"] += 1
            yield occurrence

    monkeypatch.setattr(slots, "weekly_occurrences", counted)
    return seen


EVERY_MORNING = [
    {"day": d, "start": "09:00", "end": "12:00"}
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]


def test_a_window_to_2100_with_no_free_slot_walks_at_most_the_search_span(
    monkeypatch,
):
    seen = counting_occurrences(monkeypatch)
    h = host(
        weekly=EVERY_MORNING,
        unavailable=[("2026-01-01T00:00:00+00:00", "2100-01-01T00:00:00+00:00")],
    )
    r = request(("2026-01-05T00:00:00+00:00", "2100-01-01T00:00:00+00:00"))
    assert slot_for(h, r, Agenda(), EARLY) is None
    most = timedelta(days=slots.MAX_SEARCH_DAYS)
    assert seen["spans"] and all(span <= most for span in seen["spans"])
    assert seen["visited"] <= slots.MAX_SEARCH_DAYS + 2  # one morning a day


def test_a_window_to_2100_still_gets_the_first_free_slot_after_time_off(
    monkeypatch,
):
    seen = counting_occurrences(monkeypatch)
    h = host(
        weekly=[{"day": "tue", "start": "09:00", "end": "12:00"}],
        unavailable=[("2026-01-01T00:00:00+00:00", "2026-06-01T00:00:00+02:00")],
    )
    r = request(("2026-01-05T00:00:00+00:00", "2100-01-01T00:00:00+00:00"))
    assert slot_for(h, r, Agenda(), EARLY) == (
        utc("2026-06-02T09:00:00+02:00"),
        utc("2026-06-02T09:30:00+02:00"),
    )
    assert all(span <= timedelta(days=slots.MAX_SEARCH_DAYS) for span in seen["spans"])


def test_a_slot_further_than_the_search_span_is_not_looked_for():
    h = host(
        weekly=[{"day": "tue", "start": "09:00", "end": "12:00"}],
        unavailable=[
            (
                "2026-01-01T00:00:00+00:00",
                (EARLY + timedelta(days=slots.MAX_SEARCH_DAYS + 7)).isoformat(),
            )
        ],
    )
    r = request(("2026-01-05T00:00:00+00:00", "2100-01-01T00:00:00+00:00"))
    assert slot_for(h, r, Agenda(), EARLY) is None


def test_reach_is_the_wall_days_and_months_a_window_touches_in_any_zone():
    saturday = datetime(2026, 12, 5, 10, tzinfo=UTC)  # 10:00 to 12:00 UTC
    reach = slots.reach(
        [(saturday, saturday + timedelta(hours=2))],
        timedelta(minutes=30),
        saturday - timedelta(days=1),
        ["Asia/Tokyo", "Pacific/Kiritimati", "Not/AZone"],
    )
    # Saturday evening in Tokyo, and the day before (an entry of Friday may
    # run past midnight); Sunday at UTC+14
    assert reach.days["Asia/Tokyo"] == {"fri", "sat"}
    assert reach.days["Pacific/Kiritimati"] == {"sat", "sun"}
    # elsewhere, Friday evening at UTC-12 to Sunday at UTC+14, and the day before
    assert reach.days[slots.ANYWHERE] == {"thu", "fri", "sat", "sun"}
    assert "Not/AZone" not in reach.days
    assert reach.windows == ((saturday, saturday + timedelta(hours=2)),)


def test_reach_of_a_week_long_window_is_any_day():
    start = datetime(2026, 12, 28, tzinfo=UTC)
    reach = slots.reach(
        [(start, start + timedelta(days=7))], timedelta(minutes=30), start
    )
    assert reach.days[slots.ANYWHERE] == set(DAYS)


def test_reach_ignores_what_is_too_short_or_passed():
    now = datetime(2026, 12, 5, 10, tzinfo=UTC)
    reach = slots.reach(
        [(now - timedelta(days=2), now + timedelta(minutes=20))],
        timedelta(minutes=30),
        now,
    )
    assert reach.windows == () and reach.days[slots.ANYWHERE] == frozenset()


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "entry", "windows", "not_before"),
    [
        # St John's set its clock back from 00:01 to 23:01 the day before
        ("America/St_Johns", {"day": "fri", "start": "23:59", "end": "23:58"},
         [(_utc(2006, 10, 26, 15), _utc(2006, 10, 26, 16)),
          (_utc(2006, 10, 29, 2, 30), _utc(2006, 10, 29, 3, 29))],
         _utc(2006, 10, 26, 12)),
        # Casey went from +11 to +8 at 02:00: Friday became Thursday again
        ("Antarctica/Casey", {"day": "fri", "start": "00:00", "end": "02:00"},
         [(_utc(2010, 3, 4, 13, 5), _utc(2010, 3, 4, 15, 30)),
          (_utc(2010, 3, 6, 17), _utc(2010, 3, 6, 18))],
         _utc(2010, 3, 4, 12)),
    ],
)  # fmt: skip
def test_reach_keeps_the_days_of_a_clock_set_back_across_midnight(
    zone, entry, windows, not_before
):
    weekly = slots.parse_weekly([entry])
    slot = slots.earliest_slot(
        requester_windows=windows,
        weekly=weekly,
        tz=ZoneInfo(zone),
        blocked=[],
        duration=timedelta(minutes=30),
        not_before=not_before,
    )
    assert slot is not None  # the host has a slot: the pre-filter must keep it
    reach = slots.reach(windows, timedelta(minutes=30), not_before, [zone])
    assert entry["day"] in reach.days[zone]


def test_reach_skips_what_is_not_a_zone():
    now = datetime(2026, 12, 5, 10, tzinfo=UTC)
    window = [(now, now + timedelta(hours=2))]
    reach = slots.reach(window, timedelta(minutes=30), now, ["America", "Nope/No"])
    assert set(reach.days) == {slots.ANYWHERE}


ENTRIES = [  # on every day: whole days, early hours, around midnight, overnight
    {"start": "00:00", "end": "00:45"},
    {"start": "00:30", "end": "02:30"},
    {"start": "01:59", "end": "03:01"},
    {"start": "09:00", "end": "12:00"},
    {"start": "23:00", "end": "01:00"},
    {"start": "23:59", "end": "23:58"},
]


def _held_minutes(zone: str, entry: dict, start: datetime, end: datetime):
    """The minutes in [start, end) at which the wall clock in `zone` reads
    inside `entry` on some day: read minute by minute, the slow way."""
    tz, (w,) = ZoneInfo(zone), slots.parse_weekly([{"day": "mon", **entry}])
    held, t = set(), start
    while t < end:
        wall = t.astimezone(tz).replace(tzinfo=None)
        for day in (wall.date(), wall.date() - timedelta(days=1)):
            until = day + timedelta(days=1) if w.overnight else day
            if datetime.combine(day, w.start) <= wall < datetime.combine(until, w.end):
                held.add(t)
        t += timedelta(minutes=1)
    return held


@pytest.mark.parametrize(
    ("zone", "change"),
    [
        ("Europe/Paris", _utc(2026, 3, 29, 1)),
        ("Europe/Paris", _utc(2026, 10, 25, 1)),
        ("America/St_Johns", _utc(2006, 10, 29, 2, 31)),
        ("Antarctica/Casey", _utc(2010, 3, 4, 15)),
        ("Australia/Lord_Howe", _utc(2026, 4, 4, 15)),
        ("Pacific/Apia", _utc(2011, 12, 30, 10)),  # Friday 30 December never was
        ("America/Havana", _utc(2026, 3, 8, 5)),
        ("America/Santiago", _utc(2026, 4, 5, 3)),
        ("Pacific/Chatham", _utc(2026, 9, 26, 14)),
    ],
)
@pytest.mark.parametrize("entry", ENTRIES)
def test_weekly_entries_hold_the_minutes_the_wall_clock_reads_inside_them(
    zone, change, entry
):
    start, end = change - timedelta(days=2), change + timedelta(days=2)
    every_day = slots.parse_weekly([{"day": day, **entry} for day in DAYS])
    held = set()
    for s, e in slots.weekly_occurrences(every_day, ZoneInfo(zone), start, end):
        t = max(s, start)
        while t < min(e, end):
            held.add(t)
            t += timedelta(minutes=1)
    assert held == _held_minutes(zone, entry, start, end)


def _offset_changes(name: str, last_year: int = 2100) -> list[float]:
    """The instants (seconds since 1970, UTC) at which zone `name` changes
    its UTC offset, to `last_year`: read with the standard library's
    pure-Python reader of the tz database (its transitions, then the
    zone's rule after the last of them)."""
    z = _zoneinfo.ZoneInfo.no_cache(name)
    out, now = [], z._tti_before.utcoff if z._tti_before else None
    for t, kind in zip(z._trans_utc, z._ttinfos, strict=True):
        if now is not None and kind.utcoff != now:
            out.append(t)
        now = kind.utcoff
    rule = z._tz_after
    if isinstance(rule, _zoneinfo._TZStr):
        last = z._trans_utc[-1] if z._trans_utc else float("-inf")
        first = 1970 if not z._trans_utc else datetime.fromtimestamp(last, UTC).year
        ruled = []
        for year in range(first - 1, last_year + 1):
            starts, ends = rule.transitions(year)
            ruled.append((starts - rule.std.utcoff.total_seconds(), rule.dst.utcoff))
            ruled.append((ends - rule.dst.utcoff.total_seconds(), rule.std.utcoff))
        for t, after in sorted(ruled):
            if t > last and after != now:
                out.append(t)
                now = after
    return out


def test_no_zone_changes_its_offset_twice_within_48_hours():
    """What the slot search rests on (shared/slots.py): a day whose two
    midnights read one offset has no change inside it. A tz database
    update that breaks it fails here, not in people's slots."""
    closest = min(
        (b - a, name)
        for name in zoneinfo.available_timezones()
        for a, b in itertools.pairwise(_offset_changes(name))
    )
    assert closest[0] > 48 * 3600, closest


CASEY = ZoneInfo(
    "Antarctica/Casey"
)  # 5 March 2010, 02:00 (+11) became 4 March, 23:00 (+8)


def test_a_horizon_ending_just_after_a_clock_set_back_across_midnight_reads_the_day_before_it():
    friday = slots.parse_weekly([{"day": "fri", "start": "00:00", "end": "02:00"}])
    start, end = (
        _utc(2010, 3, 4, 13),
        _utc(2010, 3, 4, 15, 30),
    )  # ends on Thursday's clock
    assert list(slots.weekly_occurrences(friday, CASEY, start, end)) == [
        (_utc(2010, 3, 4, 13), _utc(2010, 3, 4, 15))
    ]
    assert slots.earliest_slot(
        requester_windows=[(start, end)], weekly=friday, tz=CASEY, blocked=[],
        duration=timedelta(minutes=60), not_before=start,
    ) == (_utc(2010, 3, 4, 13), _utc(2010, 3, 4, 14))  # fmt: skip


def test_entries_of_neighbouring_days_around_a_midnight_read_twice_come_in_order():
    week = slots.parse_weekly(
        [
            {"day": "thu", "start": "23:00", "end": "23:30"},
            {"day": "fri", "start": "00:00", "end": "00:20"},
        ]
    )
    found = slots.weekly_occurrences(week, CASEY, _utc(2010, 3, 3), _utc(2010, 3, 6))
    assert list(found) == [
        (_utc(2010, 3, 4, 12), _utc(2010, 3, 4, 12, 30)),  # Thursday 23:00 (+11)
        (_utc(2010, 3, 4, 13), _utc(2010, 3, 4, 13, 20)),  # Friday 00:00 (+11)
        (_utc(2010, 3, 4, 15), _utc(2010, 3, 4, 15, 30)),  # Thursday 23:00 again (+8)
        (_utc(2010, 3, 4, 16), _utc(2010, 3, 4, 16, 20)),  # Friday 00:00 again (+8)
    ]
