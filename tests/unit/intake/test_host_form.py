"""A saved host profile shown in the host form's inputs."""

from __future__ import annotations

from datetime import date

from werkzeug.datastructures import MultiDict

from services.intake.web.forms import grid_sizes, host_body, host_form_values


def profile(**overrides) -> dict:
    row = {
        "name": "Nathalie Renard",
        "site": None,
        "timezone": "Europe/Paris",
        "monthly_capacity": 2,
        "active": True,
        "listed": True,
        "paused_until": None,
        "weekly_availability": [],
        "unavailable": [],
    }
    row.update(overrides)
    return row


def test_an_end_at_midnight_shows_as_00_00_and_is_saved_back_as_24_00():
    values = host_form_values(
        profile(weekly_availability=[{"day": "fri", "start": "18:00", "end": "24:00"}])
    )
    assert values["fri-0-end"] == "00:00"
    assert host_body(MultiDict(values))["weekly_availability"] == [
        {"day": "fri", "start": "18:00", "end": "24:00"}
    ]


def test_time_off_shows_in_whole_days_of_the_hosts_zone_and_past_windows_are_left_out():
    values = host_form_values(
        profile(
            unavailable=[
                {
                    "start": "2030-01-01T00:00:00+00:00",
                    "end": "2030-01-02T00:00:00+00:00",
                },
                {
                    "start": "2030-03-01T23:30:00+00:00",
                    "end": "2030-03-03T23:00:00+00:00",
                },
            ]
        ),
        today=date(2030, 2, 1),
    )
    assert values["off-0-start"] == "2030-03-02"  # 00:30 in Paris
    assert values["off-0-end"] == "2030-03-03"  # it ends at midnight in Paris
    assert "off-1-start" not in values


def test_the_grid_has_a_row_for_every_range_and_a_spare_time_off_row():
    values = host_form_values(
        profile(
            weekly_availability=[
                {"day": "mon", "start": f"{h:02}:00", "end": f"{h:02}:30"}
                for h in (8, 10, 12)
            ],
            unavailable=[
                {
                    "start": f"2030-0{m}-01T08:00:00+00:00",
                    "end": f"2030-0{m}-01T20:00:00+00:00",
                }
                for m in (3, 4)
            ],
        ),
        today=date(2030, 2, 1),
    )
    assert grid_sizes(values) == {"ranges": 3, "off_rows": 3}
