"""Rendering and composing messages (pure logic)."""

from __future__ import annotations

import email
import email.policy
import uuid
from datetime import timedelta
from types import SimpleNamespace

import icalendar
import pytest

from services.notifier import ledger, render, sender
from services.notifier.handlers import SCHEDULED

KINDS = sorted(p.name for p in render.TEMPLATES.iterdir())
SETTINGS = SimpleNamespace(
    mail_from="Entretiens réseau <no-reply@matchmaker.local>",
    notify_retry_base=timedelta(seconds=30),
)
PERSON = {
    "email": "camille.durand@example.com",
    "name": "Camille Durand",
    "locale": "fr",
    "timezone": "Europe/Paris",
}
HOST = {
    "email": "nathalie.renard@example.com",
    "name": "Nathalie Renard",
    "locale": "en",
    "timezone": "America/New_York",
}
CONTEXT = {
    "to": PERSON,
    "requester": PERSON,
    "host": HOST,
    "role": "requester",
    "reason": "no host free",
    "calendar": None,
    "request": {
        "id": str(uuid.uuid4()),
        "field": "management",
        "goal": "Discover the job",
        "format": "video",
        "duration_minutes": 30,
        "referrer_name": "Jean Martin",
        "referrer_email": "jean@example.com",
        "status_reason": None,
    },
    "match": {
        "id": str(uuid.uuid4()),
        "start": "2026-12-01T14:00:00+00:00",
        "end": "2026-12-01T14:30:00+00:00",
        "format": "video",
        "expires_at": "2026-11-29T09:00:00+00:00",
        "location": "Salle 4",
        "note": None,
        "status": "accepted",
    },
    "links": {
        "accept": "http://127.0.0.1:8000/l/a",
        "decline": "http://127.0.0.1:8000/l/d",
        "useful": "http://127.0.0.1:8000/l/u",
        "not_useful": "http://127.0.0.1:8000/l/n",
    },
}


def test_every_kind_has_its_three_templates():
    assert len(KINDS) == 11
    for kind in KINDS:
        assert {p.name for p in (render.TEMPLATES / kind).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }
    assert set(SCHEDULED) <= set(KINDS)


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind, lang):
    subject, text, html = render.render(kind, lang, CONTEXT)
    assert subject and "\n" not in subject
    assert "Camille Durand" in text and "<p>" in html
    assert ("Bonjour" in text) == (lang == "fr")


def test_times_are_shown_in_the_recipients_zone_and_language():
    assert (
        render.when("2026-12-01T14:00:00+00:00", "Europe/Paris", "fr")
        == "mardi 1 décembre 2026 à 15:00 (Europe/Paris)"
    )
    assert (
        render.when("2026-12-01T14:00:00+00:00", "America/New_York", "en")
        == "Tuesday 1 December 2026 at 09:00 (America/New_York)"
    )


def test_message_id_is_stable_per_event_recipient_and_kind():
    event = uuid.uuid4()
    a = ledger.message_id(event, "a@example.com", "invitation", SETTINGS.mail_from)
    assert a == ledger.message_id(
        event, "a@example.com", "invitation", SETTINGS.mail_from
    )
    assert a != ledger.message_id(
        event, "a@example.com", "reminder", SETTINGS.mail_from
    )
    assert a.endswith("@matchmaker.local>")


def test_composed_message_is_multipart_with_a_calendar_when_due():
    row = {
        "kind": "meeting_confirmed",
        "locale": "en",
        "recipient": PERSON["email"],
        "message_id": "<x@y>",
        "context": {**CONTEXT, "calendar": "REQUEST"},
    }
    parsed = email.message_from_bytes(
        render.compose(row, SETTINGS).as_bytes(), policy=email.policy.default
    )
    assert (
        parsed["Message-ID"] == "<x@y>"
        and parsed["To"].addresses[0].display_name == "Camille Durand"
    )
    types = [p.get_content_type() for p in parsed.walk()]
    assert {"text/plain", "text/html", "text/calendar"} <= set(types)
    cal = icalendar.Calendar.from_ical(
        [p for p in parsed.walk() if p.get_content_type() == "text/calendar"][
            0
        ].get_content()
    )
    vevent = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "REQUEST"
    assert vevent.decoded("DTSTART").isoformat() == "2026-12-01T14:00:00+00:00"
    assert str(vevent["UID"]) == f"match-{CONTEXT['match']['id']}@matchmaker"


def test_header_values_lose_their_line_breaks():
    assert render.one_line("Eve\r\nBcc: x@example.com") == "Eve Bcc: x@example.com"


def test_backoff_grows_with_jitter_and_a_ceiling():
    first = [sender.backoff(SETTINGS, 1).total_seconds() for _ in range(50)]
    assert all(24 <= s <= 36 for s in first)
    assert 48 <= sender.backoff(SETTINGS, 2).total_seconds() <= 72
    assert sender.backoff(SETTINGS, 30).total_seconds() <= 3600 * 1.2
