"""Forgetting a person reaches only their own data. People named "Ana",
"Requested" and "ent" (words inside "management", "IntroRequested",
"content") are forgotten beside other people's live requests: every other
person's stored events, dead letters and requests stay byte for byte as
they were, still parse, and still flow to the broker; a request that named
a forgotten person as referrer loses that name alone, and its invitation is
still built."""

from __future__ import annotations

from shared import events
from shared.consumer import Delivery
from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import host_body, request_body
from tests.support import wait_for

OTHERS = [user("camille.stays@example.com"), user("bruno.stays@example.com")]
FORGOTTEN = {
    "ana@example.com": "Ana",
    "requested@example.com": "Requested",
    "ent@example.com": "ent",
}


def snapshot(database_url, keys: set[str]) -> dict:
    """Others' rows, as the store holds them: outbox and dead letters (every
    byte, headers too) and requests (every column)."""
    with connect(database_url) as conn:
        outbox = {
            r["id"]: (bytes(r["value"]), r["headers"], r["key"])
            for r in conn.execute("SELECT id, value, headers, key FROM outbox")
            if r["key"] in keys
        }
        dead = {
            r["id"]: (bytes(r["value"]), r["headers"], r["error"])
            for r in conn.execute("SELECT * FROM dead_letters")
            if r["key"] in keys
        }
        requests = {
            str(r["id"]): dict(r)
            for r in conn.execute("SELECT * FROM requests")
            if str(r["id"]) in keys
        }
    return {"outbox": outbox, "dead_letters": dead, "requests": requests}


def dead_letter_of(database_url, key: str) -> None:
    """Another person's event, dead-lettered as a consumer would (its copy
    through the outbox too)."""
    from shared import dead_letters, outbox

    with connect(database_url) as conn, conn.transaction():
        value = conn.execute(
            "SELECT value FROM outbox WHERE key = %s ORDER BY id LIMIT 1", (key,)
        ).fetchone()["value"]
        d = Delivery("intro-requests", 0, 1, key.encode(), bytes(value), [])
        headers = {"dlq_error": "handler failed: management content Requested Ana"}
        dead_letters.record(conn, consumer="matcher", topic=d.topic, partition=0,
                            offset=hash(key) % 10_000, key=key, value=d.value,
                            headers=headers, reason="handler-failed",
                            error="RuntimeError: management content")  # fmt: skip
        outbox.add_raw(conn, "matcher", "intro-requests.dlq", key, d.value, headers)


def test_forgetting_people_whose_names_other_words_contain_leaves_everyone_else_as_they_were(
    client, database_url, relay, topic_reader
):
    others = []
    for who in OTHERS:
        r = client.post("/api/v1/requests", json=request_body(), headers=who)
        assert r.status_code == 202
        others.append(r.json["id"])
    for email, name in FORGOTTEN.items():
        me = user(email)
        assert client.put(
            "/api/v1/hosts/me", json=host_body(name=name), headers=me
        ).status_code in (200, 201)
        body = request_body(name=name, goal=f"{name} wants to see management content")
        assert client.post("/api/v1/requests", json=body, headers=me).status_code == 202
    for key in others:
        dead_letter_of(database_url, key)
    before = snapshot(database_url, set(others))
    assert before["outbox"] and before["dead_letters"] and len(before["requests"]) == 2

    for email in FORGOTTEN:
        assert client.delete("/api/v1/me", headers=user(email)).status_code == 200

    after = snapshot(database_url, set(others))
    assert after == before
    for value, _, _ in after["outbox"].values():
        if not value.startswith(b'{"redacted"'):
            events.parse(value)  # every other event still valid
    with connect(database_url) as conn:
        wait_for(
            lambda: (
                not conn.execute(
                    "SELECT 1 FROM outbox WHERE producer = 'intake'"
                    " AND published_at IS NULL LIMIT 1"
                ).fetchone()
            ),
            60,
            message="every event published",
        )
    reader, published = topic_reader("intro-requests"), set()

    def read_all() -> bool:
        for records in reader.poll(timeout_ms=500).values():
            published.update(m.key.decode() for m in records)
        return set(others) <= published

    wait_for(read_all, 60, message="others' events read back from the broker")


def test_a_forgotten_referrer_leaves_the_other_request_and_its_invitation_whole(
    client, database_url
):
    camille = OTHERS[0]
    ana = user("ana@example.com")
    body = request_body(referrer={"name": "Ana", "email": "ana@example.com"})
    rid = client.post("/api/v1/requests", json=body, headers=camille).json["id"]
    client.post("/api/v1/requests", json=request_body(name="Ana"), headers=ana)
    assert client.delete("/api/v1/me", headers=ana).status_code == 200
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT value FROM outbox WHERE key = %s AND event_type = 'IntroRequested'",
            (rid,),
        ).fetchone()
        request = conn.execute(
            "SELECT * FROM requests WHERE id = %s", (rid,)
        ).fetchone()
    event = events.parse(bytes(row["value"]))
    assert event.payload["referrer"] is None
    assert event.payload["requester"]["email"] == "camille.stays@example.com"
    assert request["referrer_email"] is None and request["status"] == "submitted"
