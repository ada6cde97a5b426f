"""Every email, to the right people, once: real SMTP, Kafka and PostgreSQL."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import icalendar
import pytest

from shared import kafka as kafka_clients
from shared import topics
from shared.db import connect
from shared.outbox import Outbox
from tests.fixtures_intake import user
from tests.integration.intake.helpers import (
    count,
    future,
    host_body,
    insert_match,
    request_body,
)
from tests.support import wait_for

CAMILLE = user("camille.durand@example.com", lang="fr")
NATHALIE = user("nathalie.renard@example.com", lang="en")


def as_matcher(database_url, event_type, key, payload, correlation_id=None):
    with connect(database_url) as conn, conn.transaction():
        Outbox(conn, "matcher", correlation_id).emit(event_type, key, payload)


def propose(
    client, database_url, start=None, host_overrides=None, request_overrides=None
):
    host_id = client.put(
        "/api/v1/hosts/me", json=host_body(**(host_overrides or {})), headers=NATHALIE
    ).json["id"]
    rid = client.post(
        "/api/v1/requests",
        json=request_body(**(request_overrides or {})),
        headers=CAMILLE,
    ).json["id"]
    mid = insert_match(database_url, rid, host_id, start=start)
    as_matcher(
        database_url,
        "MatchProposed",
        rid,
        {
            "match_id": mid,
            "request_id": rid,
            "host_id": host_id,
            "start": (start or future(4)).isoformat(),
            "end": ((start or future(4)) + timedelta(minutes=30)).isoformat(),
            "format": "video",
            "exact_field": True,
            "expires_at": future(3).isoformat(),
            "score": {},
        },
    )
    return rid, mid, host_id


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def calendar_of(message) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_content())
    raise AssertionError("no calendar part")


def follow(client, url: str, form: dict) -> int:
    path = url.split("127.0.0.1:8000", 1)[1]
    page = client.get(path).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(path, data={**form, "csrf_token": token}).status_code


@pytest.fixture
def flowing(notifier, relay, matcher_relay):
    return notifier


def test_lifecycle_mails_reach_the_right_people(client, database_url, smtp, flowing):
    start = future(4)
    rid, mid, _ = propose(client, database_url, start=start)

    received = wait_for(
        lambda: smtp.to("camille.durand@example.com", "request_received"),
        30,
        message="request received",
    )[0]
    assert "Votre demande" in received["Subject"]  # Camille writes in French
    invitation = wait_for(
        lambda: smtp.to("nathalie.renard@example.com", "invitation"),
        30,
        message="invitation",
    )[0]
    body = text_of(invitation)
    assert (
        "Camille Durand" in body
        and "Jean Martin" in body
        and "Discover the job before applying" in body
    )
    assert "(Europe/Paris)" in body  # the time in the host's own time zone
    assert invitation.get_body(("html",)) is not None
    hosted = wait_for(
        lambda: smtp.to("camille.durand@example.com", "host_invited"), 30
    )[0]
    assert (
        "nathalie.renard@example.com" not in hosted.as_string()
    )  # not before the host accepts

    accept_url = re.search(r"Accept: (\S+)", body).group(1)
    assert accept_url.startswith("http://127.0.0.1:8000/l/")
    assert (
        follow(client, accept_url, {"location": "https://visio.example.com/abc"}) == 200
    )

    confirmed = wait_for(
        lambda: smtp.to("camille.durand@example.com", "meeting_confirmed"), 30
    )[0]
    assert "nathalie.renard@example.com" in text_of(confirmed)
    cal = calendar_of(confirmed)
    event = cal.walk("VEVENT")[0]
    assert str(cal["METHOD"]) == "REQUEST"
    assert event.decoded("DTSTART") == start and event.decoded(
        "DTEND"
    ) == start + timedelta(minutes=30)
    assert str(event["LOCATION"]) == "https://visio.example.com/abc"
    attendees = {str(a).lower() for a in event.get("ATTENDEE")}
    assert attendees == {
        "mailto:camille.durand@example.com",
        "mailto:nathalie.renard@example.com",
    }
    host_copy = wait_for(
        lambda: smtp.to("nathalie.renard@example.com", "host_confirmed"), 30
    )[0]
    assert calendar_of(host_copy).walk("VEVENT")[0]["UID"] == event["UID"]

    # A reminder a day before and a follow-up after, for both, kept until due.
    with connect(database_url) as conn:
        due = conn.execute(
            "SELECT kind, recipient, due_at FROM notifications WHERE kind IN ('reminder', 'followup')"
            " ORDER BY kind, recipient"
        ).fetchall()
    assert [(d["kind"], d["recipient"]) for d in due] == [
        ("followup", "camille.durand@example.com"),
        ("followup", "nathalie.renard@example.com"),
        ("reminder", "camille.durand@example.com"),
        ("reminder", "nathalie.renard@example.com"),
    ]
    assert {d["due_at"] for d in due if d["kind"] == "reminder"} == {
        start - timedelta(hours=24)
    }
    with connect(database_url) as conn:  # let time pass
        conn.execute(
            "UPDATE notifications SET due_at = now() WHERE kind IN ('reminder', 'followup')"
        )
    followup = wait_for(lambda: smtp.to("camille.durand@example.com", "followup"), 30)[
        0
    ]
    assert "Nathalie Renard" in text_of(followup) and "Jean Martin" in text_of(
        followup
    )  # thank them both
    assert re.search(r"/l/\S+", text_of(followup))
    wait_for(lambda: len(smtp.to("nathalie.renard@example.com", "reminder")) == 1, 30)

    # Cancelling: a METHOD:CANCEL with the same UID, to both.
    assert (
        client.post(f"/api/v1/requests/{rid}/cancel", headers=CAMILLE).status_code
        == 200
    )
    cancel = wait_for(
        lambda: smtp.to("nathalie.renard@example.com", "host_cancelled"), 30
    )[0]
    cancel_cal = calendar_of(cancel)
    assert str(cancel_cal["METHOD"]) == "CANCEL"
    assert cancel_cal.walk("VEVENT")[0]["UID"] == event["UID"]
    assert calendar_of(
        wait_for(lambda: smtp.to("camille.durand@example.com", "cancelled"), 30)[0]
    )


def test_following_the_feedback_link_records_the_answer(
    client, database_url, smtp, flowing
):
    rid, mid, _ = propose(client, database_url)
    invitation = wait_for(
        lambda: smtp.to("nathalie.renard@example.com", "invitation"), 30
    )[0]
    follow(client, re.search(r"Accept: (\S+)", text_of(invitation)).group(1), {})
    wait_for(
        lambda: (
            count(
                database_url,
                "SELECT count(*) FROM notifications WHERE kind = 'followup'",
            )
            == 2
        ),
        30,
    )
    with connect(database_url) as conn:
        conn.execute("UPDATE notifications SET due_at = now() WHERE kind = 'followup'")
    followup = wait_for(lambda: smtp.to("camille.durand@example.com", "followup"), 30)[
        0
    ]
    useful = re.search(r"(http://\S+/l/\S+)", text_of(followup)).group(1)
    assert follow(client, useful, {}) == 200
    assert (
        count(
            database_url,
            "SELECT count(*) FROM feedback WHERE useful AND respondent = 'requester'",
        )
        == 1
    )


def test_waitlisted_and_unmatched_mails_carry_the_reason(
    client, database_url, smtp, flowing
):
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    with connect(database_url) as conn:
        conn.execute("UPDATE requests SET status = 'waitlisted' WHERE id = %s", (rid,))
    as_matcher(
        database_url,
        "RequestWaitlisted",
        rid,
        {"request_id": rid, "reason": "no host free this month"},
    )
    waitlisted = wait_for(
        lambda: smtp.to("camille.durand@example.com", "waitlisted"), 30
    )[0]
    assert "no host free this month" in text_of(waitlisted)
    as_matcher(
        database_url,
        "RequestUnmatched",
        rid,
        {"request_id": rid, "reason": "every window has passed"},
    )
    unmatched = wait_for(
        lambda: smtp.to("camille.durand@example.com", "unmatched"), 30
    )[0]
    assert "every window has passed" in text_of(unmatched)


def test_temporary_smtp_failure_is_retried_later(client, database_url, smtp, flowing):
    smtp.recorder.reply = lambda n, _env: (
        "451 4.3.0 Mailbox busy, try again later" if n <= 2 else None
    )
    client.post("/api/v1/requests", json=request_body(), headers=CAMILLE)
    wait_for(
        lambda: smtp.to("camille.durand@example.com", "request_received"),
        30,
        message="delivery after 421s",
    )
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, attempts, last_error FROM notifications"
        ).fetchone()
    assert (
        row["status"] == "sent"
        and row["attempts"] == 3
        and row["last_error"].startswith("451")
    )


def test_permanent_smtp_failure_is_recorded_with_an_event(
    client, database_url, smtp, flowing, runtime
):
    smtp.recorder.reply = lambda n, _env: "550 5.1.1 No such user"
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    wait_for(
        lambda: (
            count(
                database_url,
                "SELECT count(*) FROM notifications WHERE status = 'failed'",
            )
            == 1
        ),
        30,
    )
    assert smtp.parsed() == []
    reader = kafka_clients.consumer(
        runtime.settings.kafka_bootstrap_servers,
        f"r-{uuid.uuid4()}",
        [runtime.names(topics.NOTIFICATIONS)],
    )
    try:
        got = []
        wait_for(
            lambda: (
                got.extend(r for rs in reader.poll(300).values() for r in rs) or got
            ),
            30,
        )
        assert dict(got[0].headers)["event_type"] == b"NotificationFailed"
        assert got[0].key.decode() == rid
        assert b"550" in got[0].value
    finally:
        reader.close()


def test_a_hostile_name_stays_in_its_header(client, database_url, smtp, flowing):
    """Intake now refuses line breaks in names; a row written before that
    (or by another writer) still cannot add a header."""
    hostile = "Eve\r\nBcc: victim@example.com\r\nSubject: pwned"
    refused = client.post(
        "/api/v1/requests", json=request_body(name=hostile), headers=CAMILLE
    )
    assert refused.status_code == 422 and "name" in refused.json["errors"]
    rid, email = uuid.uuid4(), "camille.durand@example.com"
    with connect(database_url) as conn, conn.transaction():
        conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal, format,"
            " duration_minutes, languages, timezone, availability, correlation_id)"
            " VALUES (%s, %s, %s, 'management', 'Learn', 'video', 30, '{fr}', 'Europe/Paris',"
            " '[]', %s)",
            (rid, email, hostile, uuid.uuid4()),
        )
        Outbox(conn, "intake").emit(
            "IntroRequested",
            rid,
            {"request_id": rid, "requester": {"name": "Eve", "email": email},
             "field": "management", "goal": "Learn", "format": "video",
             "duration_minutes": 30, "languages": ["fr"], "timezone": "Europe/Paris",
             "related_ok": True, "availability": []},
        )  # fmt: skip
    message = wait_for(
        lambda: smtp.to("camille.durand@example.com", "request_received"), 30
    )[0]
    assert message["Bcc"] is None
    assert "pwned" not in message["Subject"]
    assert len(message.get_all("Subject")) == 1
    assert [rcpts for rcpts, _ in smtp.recorder.messages] == [
        ["camille.durand@example.com"]
    ]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html


def test_html_is_escaped(client, database_url, smtp, flowing):
    client.post(
        "/api/v1/requests",
        json=request_body(goal="<script>alert(1)</script> learn"),
        headers=CAMILLE,
    )
    message = wait_for(
        lambda: smtp.to("camille.durand@example.com", "request_received"), 30
    )[0]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in text_of(message)  # plain text stays plain


def test_redelivered_event_mails_once(client, database_url, smtp, flowing, runtime):
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    wait_for(lambda: smtp.to("camille.durand@example.com", "request_received"), 30)
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT key, value, headers FROM outbox WHERE event_type = 'IntroRequested'"
        ).fetchone()
    producer = kafka_clients.producer(runtime.settings.kafka_bootstrap_servers)
    producer.send(
        runtime.names(topics.INTRO_REQUESTS),
        key=row["key"].encode(),
        value=bytes(row["value"]),
        headers=[(k, v.encode()) for k, v in row["headers"].items()],
    )
    producer.flush()
    producer.close()
    # Cancelling publishes IntroCancelled with the same key, so on the same partition, after the copy.
    assert (
        client.post(f"/api/v1/requests/{rid}/cancel", headers=CAMILLE).status_code
        == 200
    )
    wait_for(
        lambda: smtp.to("camille.durand@example.com", "cancelled"),
        30,
        message="the later event handled",
    )
    assert len(smtp.to("camille.durand@example.com", "request_received")) == 1


def test_notifier_killed_mid_batch_resends_only_the_unaccepted_message(
    client, database_url, smtp, service_env, log_dir, relay
):
    from tests.support import ServiceProcess

    for i in range(12):
        client.post(
            "/api/v1/requests",
            json=request_body(goal=f"goal {i} here"),
            headers=user(f"person{i}@example.com"),
        )
    smtp.recorder.hold = lambda n: (
        n == 6
    )  # the 6th message is in flight when the process dies
    # one sender: several, each with its window, are test_senders.py's
    service_env = {**service_env, "NOTIFY_WORKERS": "1"}
    first = ServiceProcess("notifier", service_env, log_dir).start()
    try:
        assert smtp.recorder.held.wait(60)
        first.kill()  # SIGKILL, mid-batch, with a message on the wire
    finally:
        first.kill()
    smtp.recorder.release.set()
    assert len(smtp.parsed()) == 5
    second = ServiceProcess("notifier", service_env, log_dir).start()
    try:
        wait_for(lambda: len(smtp.parsed()) >= 12, 60, message="all twelve messages")
        wait_for(
            lambda: (
                count(
                    database_url,
                    "SELECT count(*) FROM notifications WHERE status = 'sent'",
                )
                == 12
            ),
            30,
        )
    finally:
        second.stop()
    ids = [m["Message-ID"] for m in smtp.parsed()]
    assert len(ids) == len(set(ids)) == 12


def test_a_message_that_cannot_be_built_fails_alone(
    client, database_url, smtp, flowing
):
    with connect(
        database_url
    ) as conn:  # a row whose snapshot lacks what its template needs
        conn.execute(
            "INSERT INTO notifications (id, event_id, kind, recipient, context, message_id)"
            " VALUES (%s, %s, 'invitation', 'broken@example.com', '{\"to\": {}}', '<broken@x>')",
            (uuid.uuid4(), uuid.uuid4()),
        )
    client.post("/api/v1/requests", json=request_body(), headers=CAMILLE)
    wait_for(
        lambda: smtp.to("camille.durand@example.com", "request_received"),
        30,
        message="other mail still flows",
    )
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, last_error FROM notifications WHERE recipient = 'broken@example.com'"
        ).fetchone()
    assert row["status"] == "failed" and row["last_error"].startswith("cannot compose")


def test_a_lagging_notifier_sends_nothing_for_a_meeting_cancelled_since(
    client, database_url, smtp, flowing
):
    """The host accepted, then the requester cancelled, before the notifier
    read either event: no invitation, confirmation, calendar invitation,
    reminder or follow-up goes out for that meeting."""
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    start = future(4)
    mid = insert_match(database_url, rid, host_id, status="cancelled", start=start)
    proposal = {
        "match_id": mid, "request_id": rid, "host_id": host_id,
        "start": start.isoformat(), "end": (start + timedelta(minutes=30)).isoformat(),
        "format": "video", "exact_field": True, "expires_at": future(3).isoformat(),
        "score": {},
    }  # fmt: skip
    as_matcher(database_url, "MatchProposed", rid, proposal)
    with connect(database_url) as conn, conn.transaction():
        Outbox(conn, "intake").emit(
            "MatchAccepted",
            rid,
            {"match_id": mid, "request_id": rid, "host_id": host_id},
        )
    wait_for(lambda: smtp.to("camille.durand@example.com", "request_received"), 30)

    def settled():
        return (
            count(
                database_url,
                "SELECT count(*) FROM notifications WHERE match_id = %s AND status = 'pending'"
                " AND due_at <= now()",
                mid,
            )
            == 0
            and count(
                database_url,
                "SELECT count(*) FROM notifications WHERE match_id = %s",
                mid,
            )
            >= 4
        )

    wait_for(settled, 30, message="every message about the meeting handled")
    kinds = {m["X-Matchmaker-Kind"] for m in smtp.parsed()}
    assert kinds == {"request_received"}
    assert (
        count(
            database_url,
            "SELECT count(*) FROM notifications WHERE match_id = %s AND status = 'sent'",
            mid,
        )
        == 0
    )
