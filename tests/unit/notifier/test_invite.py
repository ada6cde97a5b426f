"""The calendar part keeps a hostile name inside its parameter: a line break
in a name cannot add a property or an attendee."""

import uuid

import icalendar
import pytest

from services.notifier import invite

START = "2026-12-01T14:00:00+00:00"
END = "2026-12-01T14:30:00+00:00"
PEOPLE = {
    "host": {"email": "host@example.com", "name": "Nathalie Renard"},
    "requester": {"email": "camille@example.com", "name": "Camille Durand"},
}


def the_event(context: dict):
    """The VEVENT of the invite `context` makes."""
    raw = invite.invite(context, "REQUEST", "Entretien")
    return icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\u2028", "\u0085"])
def test_a_line_break_in_a_name_adds_no_property_or_attendee(breaker):
    hostile = f"Eve{breaker}ATTENDEE:mailto:evil@example.com{breaker}X-EVIL:1"
    context = {
        "match": {"id": str(uuid.uuid4()), "start": START, "end": "2026-12-01T14:30:00+00:00",
                  "location": f"Salle 4{breaker}X-EVIL:2"},
        "host": {"email": "host@example.com", "name": hostile},
        "requester": {"email": "camille@example.com", "name": "Camille"},
    }  # fmt: skip
    raw = invite.invite(context, "REQUEST", "Entretien")
    assert b"\nX-EVIL" not in raw and b"\rX-EVIL" not in raw
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    attendees = {str(a).lower() for a in event.get("ATTENDEE")}
    assert attendees == {"mailto:host@example.com", "mailto:camille@example.com"}
    assert "X-EVIL" not in event


def test_the_organizer_carries_no_role_and_each_attendee_has_one():
    event = the_event(
        {"match": {"id": str(uuid.uuid4()), "start": START, "end": END}, **PEOPLE}
    )
    assert "ROLE" not in event["ORGANIZER"].params
    assert {str(a.params["ROLE"]) for a in event["ATTENDEE"]} == {
        "CHAIR", "REQ-PARTICIPANT",
    }  # fmt: skip


def test_an_in_person_meeting_without_a_room_is_located_at_its_site():
    event = the_event({
        "match": {"id": str(uuid.uuid4()), "start": START, "end": END,
                  "format": "in_person", "location": None},
        "request": {"site": "Paris-La Défense"},
        **PEOPLE,
    })  # fmt: skip
    assert str(event["LOCATION"]) == "Paris-La Défense"
