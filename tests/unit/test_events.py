import json
import uuid
from datetime import UTC, datetime

import pytest

from shared import events, topics


def test_build_then_parse_round_trips_with_headers():
    request_id = uuid.uuid4()
    event = events.build(
        "MatchExpired",
        {"match_id": uuid.uuid4(), "request_id": request_id, "host_id": uuid.uuid4()},
        producer="matcher",
    )
    parsed = events.parse(event.to_bytes())
    assert (
        parsed.event_id == event.event_id and parsed.payload["request_id"] == request_id
    )
    assert event.headers() == {
        "event_type": "MatchExpired",
        "event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
    }
    body = json.loads(event.to_bytes())
    assert set(body) == {
        "event_id",
        "event_type",
        "schema_version",
        "occurred_at",
        "correlation_id",
        "producer",
        "payload",
    }
    assert datetime.fromisoformat(body["occurred_at"]).tzinfo is not None


def test_build_refuses_an_invalid_payload():
    with pytest.raises(ValueError, match="RequestWaitlisted"):
        events.build(
            "RequestWaitlisted",
            {"request_id": "not-a-uuid", "reason": "x"},
            producer="matcher",
        )
    with pytest.raises(ValueError):
        events.build(
            "RequestWaitlisted",
            {"request_id": uuid.uuid4(), "reason": "x", "extra": 1},
            producer="matcher",
        )


@pytest.mark.parametrize(
    "raw", [None, b"\xff\xfe", b"[]", b"{}", b'{"event_type": "Nope"}']
)
def test_parse_rejects_what_is_not_a_valid_envelope(raw):
    with pytest.raises(events.InvalidEvent):
        events.parse(raw)


def test_parse_ignores_fields_added_by_a_newer_producer():
    event = events.build(
        "RequestUnmatched",
        {"request_id": uuid.uuid4(), "reason": "windows passed"},
        producer="matcher",
    )
    body = json.loads(event.to_bytes())
    body["payload"]["new_field"] = 1
    body["new_envelope_field"] = True
    assert events.parse(json.dumps(body).encode()).payload["reason"] == "windows passed"


def test_every_event_of_the_contract_has_a_schema_and_a_topic():
    for topic, names in topics.EVENTS.items():
        for name in names:
            assert name in events.PAYLOADS
            assert topics.topic_of(name) == topic
    assert topics.WRITERS[topics.MATCHES] == "matcher"


def test_correlation_id_is_kept():
    cid = uuid.uuid4()
    e = events.build(
        "RequestUnmatched",
        {"request_id": uuid.uuid4(), "reason": "r"},
        producer="matcher",
        correlation_id=cid,
    )
    assert e.correlation_id == cid
    assert events.parse(e.to_bytes()).occurred_at <= datetime.now(UTC)


def test_the_events_page_is_generated_from_the_schemas():
    from shared import events_doc
    from tests.support import ROOT

    assert (ROOT / "docs" / "events.md").read_text() == events_doc.render()


@pytest.mark.parametrize(
    "change",
    [
        {"event_id": "nope"},
        {"event_id": None},
        {"correlation_id": 12},
        {"event_type": "Nope"},
        {"schema_version": 0},
        {"schema_version": True},
        {"schema_version": "1"},
        {"occurred_at": "2026-12-03T10:00:00"},  # no offset: not aware
        {"occurred_at": "yesterday"},
        {"producer": None},
        {"payload": []},
    ],
)
def test_parse_checks_each_field_of_the_envelope(change):
    body = json.loads(
        events.build(
            "RequestUnmatched", {"request_id": uuid.uuid4(), "reason": "r"},
            producer="matcher",
        ).to_bytes()
    )  # fmt: skip
    assert events.parse(json.dumps(body).encode()).producer == "matcher"
    with pytest.raises(events.InvalidEvent, match=next(iter(change))):
        events.parse(json.dumps({**body, **change}).encode())
    missing = {k: v for k, v in body.items() if k != next(iter(change))}
    with pytest.raises(events.InvalidEvent):
        events.parse(json.dumps(missing).encode())
