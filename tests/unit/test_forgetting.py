"""Forgetting a person in stored messages reaches only the fields that name
them, found by their address: never a word of someone else's data."""

from __future__ import annotations

import json
import uuid

from shared import events, forgetting


def intro(requester: str, referrer: str | None = None, name="Camille") -> bytes:
    payload = {
        "request_id": uuid.uuid4(), "requester": {"name": name, "email": requester},
        "field": "management", "goal": "Requested to learn management",
        "format": "video", "duration_minutes": 30, "languages": ["fr"],
        "timezone": "Europe/Paris", "related_ok": True,
        "availability": [{"start": "2026-12-10T09:00:00+01:00",
                          "end": "2026-12-10T12:00:00+01:00"}],
        "referrer": {"name": "Ana", "email": referrer} if referrer else None,
    }  # fmt: skip
    return events.build("IntroRequested", payload, producer="intake").to_bytes()


def test_the_people_a_message_names_are_its_requester_and_referrer_by_address():
    raw = intro("camille@example.com", "Ana@Example.com")
    assert forgetting.raw_subjects(raw) == sorted(
        [forgetting.digest("camille@example.com"), forgetting.digest("ana@example.com")]
    )


def test_a_referrer_forgotten_leaves_the_rest_of_the_message_as_it_was():
    raw = intro("camille@example.com", "ana@example.com")
    after = forgetting.without_mention(raw, "ANA@example.com", 7)
    body, before = json.loads(after), json.loads(raw)
    assert body["payload"]["referrer"] is None
    before["payload"]["referrer"] = None
    assert body == before  # "management", "Requested", the requester: untouched
    events.parse(after)  # still a valid event


def test_a_name_that_other_words_contain_changes_nothing_of_them():
    """'Ana' is in 'management', 'Requested' in 'IntroRequested', 'ent' in
    both: a person is found by address, so their names reach no other text."""
    raw = intro("camille@example.com", "jean@example.com")
    for email in ("ana@example.com", "requested@example.com", "ent@example.com"):
        assert forgetting.without_mention(raw, email, 1) == raw
        assert forgetting.digest(email) not in forgetting.raw_subjects(raw)


def test_a_mail_to_the_person_loses_their_address_and_its_error():
    payload = {
        "notification_id": uuid.uuid4(), "request_id": uuid.uuid4(),
        "kind": "invitation", "recipient": "ana@example.com",
        "error": "550 <ana@example.com> unknown",
    }  # fmt: skip
    raw = events.build("NotificationFailed", payload, producer="notifier").to_bytes()
    rewritten = forgetting.without_mention(raw, "ana@example.com", 42)
    after = json.loads(rewritten)
    assert after["payload"]["recipient"] == "forgotten+42@forgotten.invalid"
    assert after["payload"]["error"] == "redacted"
    events.parse(rewritten)  # still a valid event: its address validates
    assert forgetting.raw_subjects(json.dumps(after).encode()) != [
        forgetting.digest("ana@example.com")
    ]


def test_a_message_that_does_not_parse_names_nobody_and_is_left_as_it_is():
    assert forgetting.raw_subjects(b"not json ana@example.com") == []
    assert forgetting.without_mention(b"\xff\xfe", "ana@example.com", 1) == b"\xff\xfe"


def test_a_message_about_the_person_keeps_only_its_envelope():
    body = json.loads(forgetting.emptied(intro("ana@example.com")))
    assert body["payload"] == events.REDACTED and body["event_type"] == "IntroRequested"
