"""The calendar invite (the .ics part of a message): METHOD:REQUEST on
confirmation, METHOD:CANCEL with the same UID."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event, vCalAddress, vText

from shared.calendars import meeting_uid


def _person(email: str, name: str, role: str | None = None) -> vCalAddress:
    """An organizer (no `role`: RFC 5545 defines ROLE for attendees only) or
    an attendee with its ROLE."""
    address = vCalAddress(f"mailto:{email}")
    address.params["cn"] = vText(name)
    if role:
        address.params["role"] = vText(role)
    return address


def invite(context: dict, method: str, summary: str) -> bytes:
    match, host, requester = context["match"], context["host"], context["requester"]
    cal = Calendar()
    cal.add("prodid", "-//Entretiens reseau//matchmaker//FR")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", meeting_uid(match["id"]))
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", datetime.fromisoformat(match["start"]).astimezone(UTC))
    event.add("dtend", datetime.fromisoformat(match["end"]).astimezone(UTC))
    event.add("summary", summary)
    event.add("sequence", 1 if method == "CANCEL" else 0)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    site = context.get("request", {}).get("site")
    if match.get("location"):
        event.add("location", match["location"])
    elif match.get("format") == "in_person" and site:
        event.add("location", site)  # the host named no room: the site at least
    event.add("organizer", _person(host["email"], host["name"]))
    event.add("attendee", _person(host["email"], host["name"], "CHAIR"), encode=1)
    event.add(
        "attendee",
        _person(requester["email"], requester["name"], "REQ-PARTICIPANT"),
        encode=1,
    )
    cal.add_component(event)
    return cal.to_ical()
