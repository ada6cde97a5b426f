"""A stored host profile the matcher cannot read is passed over."""

import uuid

import pytest

from services.matcher.candidates import host_or_none

ROW = {
    "id": uuid.uuid4(), "email": "h@example.com", "fields": ["management"],
    "languages": ["fr"], "formats": ["video"], "site": None,
    "timezone": "Europe/Paris", "durations": [30], "monthly_capacity": 2,
    "weekly_availability": [{"day": "mon", "start": "09:00", "end": "12:00"}],
    "unavailable": [], "active": True,
}  # fmt: skip


def test_a_readable_profile_is_read():
    assert host_or_none(ROW).email == "h@example.com"


@pytest.mark.parametrize(
    "change",
    [
        {"timezone": "America"},  # a folder of the tz database: an OSError
        {"timezone": "Nope/Nowhere"},
        {"weekly_availability": [{"day": "someday", "start": "09:00", "end": "10:00"}]},
        {"weekly_availability": [{"day": "mon", "start": "9h", "end": "10:00"}]},
    ],
)
def test_an_unreadable_profile_is_passed_over(change):
    assert host_or_none({**ROW, **change}) is None
