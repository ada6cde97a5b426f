"""What a host's page shows as their next free slots: the matcher's own slot
finder on their grid, time off, meetings, capacity and pause."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.intake.domain import next_free_slots

PARIS = ZoneInfo("Europe/Paris")
MONDAY = datetime(2030, 1, 14, 0, 0, tzinfo=UTC)  # a Monday


def host(**overrides) -> dict:
    row = {
        "active": True, "durations": [30, 60], "monthly_capacity": 2,
        "timezone": "Europe/Paris", "unavailable": [], "paused_until": None,
        "weekly_availability": [{"day": "tue", "start": "09:00", "end": "10:30"}],
    }  # fmt: skip
    row.update(overrides)
    return row


def paris(slot) -> str:
    return slot[0].astimezone(PARIS).strftime("%a %d %H:%M")


def test_free_slots_follow_the_grid_in_the_hosts_zone_for_the_shortest_meeting():
    slots = next_free_slots(host(), [], MONDAY, n=4)
    assert [paris(s) for s in slots] == [
        "Tue 15 09:00", "Tue 15 09:30", "Tue 15 10:00", "Tue 22 09:00",
    ]  # fmt: skip


def test_a_meeting_a_full_month_and_a_pause_are_skipped():
    meeting = {
        "starts_at": datetime(2030, 1, 15, 8, 0, tzinfo=UTC),  # 09:00 Paris
        "ends_at": datetime(2030, 1, 15, 8, 30, tzinfo=UTC),
        "month": "2030-01",
    }
    assert paris(next_free_slots(host(), [meeting], MONDAY, n=1)[0]) == "Tue 15 09:30"
    full = next_free_slots(host(monthly_capacity=1), [meeting], MONDAY, n=1)
    assert paris(full[0]) == "Tue 05 09:00"  # February: January is full
    paused = next_free_slots(host(paused_until=date(2030, 1, 20)), [], MONDAY, n=1)
    assert paris(paused[0]) == "Tue 22 09:00"


def test_an_inactive_host_has_no_free_slot():
    assert next_free_slots(host(active=False), [], MONDAY) == []
