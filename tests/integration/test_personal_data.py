"""Deleting one's data leaves nothing behind: every table of the store, and
every message written to any topic after the deletion, searched for the
person's name and address. The three services as they run: intake in this
process, the matcher and the notifier as real processes, a real SMTP server."""

from __future__ import annotations

import json

import pytest
from kafka import TopicPartition

from shared import kafka as kafka_clients
from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import host_body, request_body
from tests.integration.matcher.world import ALL_WEEK
from tests.smtp import SmtpServer
from tests.support import ServiceProcess, wait_for

HELENE = user("helene.forgetme@example.com")
REMI = user("remi.forgetme@example.com")
ALICE = user("alice.stays@example.com")
TRACES = {
    "helene": ("helene.forgetme@example.com", "Hélène Forgetme"),
    "remi": ("remi.forgetme@example.com", "Rémi Forgetme"),
}


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def services(service_env, smtp, log_dir):
    env = {**service_env, "SMTP_PORT": str(smtp.port), "MATCHER_RETRY_INTERVAL": "1"}
    running = [ServiceProcess(n, env, log_dir).start() for n in ("matcher", "notifier")]
    yield running
    for p in running:
        p.stop()


def status(client, rid, who) -> str:
    return client.get(f"/api/v1/requests/{rid}", headers=who).json["status"]


def table_text(database_url) -> dict[str, str]:
    """Every row of every table, as text (bytes decoded, JSON dumped)."""
    out = {}
    with connect(database_url) as conn:
        tables = [
            r["table_name"]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        for table in tables:
            parts = []
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                for value in row.values():
                    if isinstance(value, bytes | memoryview):
                        parts.append(bytes(value).decode("utf-8", "replace"))
                    elif isinstance(value, dict | list):
                        parts.append(json.dumps(value, ensure_ascii=False))
                    else:
                        parts.append(str(value))
            out[table] = "\n".join(parts).lower()
    return out


def end_offsets(bootstrap, names) -> dict:
    reader = kafka_clients.consumer(bootstrap, None, [])
    try:
        partitions = [
            TopicPartition(t, p)
            for t in names.all()
            for p in reader.partitions_for_topic(t) or ()
        ]
        return reader.end_offsets(partitions)
    finally:
        reader.close()


def written_since(bootstrap, offsets: dict) -> list[str]:
    """Every message (value and headers) written after `offsets`, as text."""
    reader = kafka_clients.consumer(bootstrap, None, [])
    try:
        reader.assign(list(offsets))
        for tp, offset in offsets.items():
            reader.seek(tp, offset)
        ends = reader.end_offsets(list(offsets))
        seen = []
        while any(reader.position(tp) < ends[tp] for tp in offsets):
            for records in reader.poll(500).values():
                for r in records:
                    headers = " ".join(
                        v.decode("utf-8", "replace") for _, v in r.headers or []
                    )
                    seen.append(
                        ((r.value or b"").decode("utf-8", "replace") + headers).lower()
                    )
        return seen
    finally:
        reader.close()


def settled(database_url) -> bool:
    """Every event written is published, and every due mail handled."""
    with connect(database_url) as conn:
        return (
            conn.execute(
                "SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL)"
                " + (SELECT count(*) FROM notifications WHERE status = 'pending'"
                " AND due_at <= now()) AS n"
            ).fetchone()["n"]
            == 0
        )


def handled(database_url, consumer: str, event_type: str) -> bool:
    with connect(database_url) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM inbox WHERE consumer = %s AND event_type = %s",
                (consumer, event_type),
            ).fetchone()
        )


def test_deleted_people_leave_no_name_or_address_in_any_table_or_later_message(
    client, database_url, bootstrap, names, relay, services, smtp
):
    host = host_body(
        name="Hélène Forgetme", monthly_capacity=5, weekly_availability=ALL_WEEK
    )
    assert client.put("/api/v1/hosts/me", json=host, headers=HELENE).status_code == 201
    remi = client.post(
        "/api/v1/requests",
        json=request_body(
            name="Rémi Forgetme",
            referrer={"name": "Zoé Autre", "email": "zoe@example.com"},
        ),
        headers=REMI,
    ).json["id"]
    alice = client.post(
        "/api/v1/requests",
        json=request_body(
            name="Alice Stays",
            referrer={"name": "Rémi Forgetme", "email": "remi.forgetme@example.com"},
        ),
        headers=ALICE,
    ).json["id"]
    wait_for(
        lambda: (
            status(client, remi, REMI) == status(client, alice, ALICE) == "proposed"
        ),
        60,
        message="both requests proposed to Hélène",
    )
    invitations = client.get("/api/v1/invitations", headers=HELENE).json["invitations"]
    remis = next(i for i in invitations if i["request_id"] == remi)
    accepted = client.post(
        f"/api/v1/matches/{remis['id']}/accept",
        json={"location": "Salle 4"},
        headers=HELENE,
    )
    assert accepted.status_code == 200
    wait_for(lambda: smtp.to("remi.forgetme@example.com", "meeting_confirmed"), 60)
    wait_for(lambda: settled(database_url), 60, message="everything sent")

    # Hélène leaves first (her confirmed meeting with Rémi is withdrawn), then Rémi.
    since = {"helene": end_offsets(bootstrap, names)}
    assert client.delete("/api/v1/me", headers=HELENE).status_code == 200
    wait_for(lambda: handled(database_url, "notifier", "HostForgotten"), 60)
    withdrawn = wait_for(
        lambda: smtp.to("remi.forgetme@example.com", "host_withdrew"),
        60,
        message="Rémi told his host left",
    )[0]
    assert "Hélène" not in withdrawn.as_string()
    wait_for(lambda: settled(database_url), 60, message="everything sent")
    since["remi"] = end_offsets(bootstrap, names)
    assert client.delete("/api/v1/me", headers=REMI).status_code == 200
    for consumer, event_type in (
        ("notifier", "RequesterForgotten"),
        ("notifier", "ReferrerForgotten"),
        ("matcher", "MatchDeclined"),
    ):
        wait_for(lambda c=consumer, e=event_type: handled(database_url, c, e), 60)
    wait_for(lambda: settled(database_url), 60, message="everything after settled")

    tables = table_text(database_url)
    for person, (address, name) in TRACES.items():
        for trace in (address, name.lower()):
            found = [t for t, text in tables.items() if trace in text]
            assert found == [], f"{person}'s {trace!r} is still in {found}"
            later = [m for m in written_since(bootstrap, since[person]) if trace in m]
            assert later == [], f"{person}'s {trace!r} was written after the deletion"
    # Alice's request lives on, its referrer gone, matched again without Hélène
    assert (
        client.get(f"/api/v1/requests/{alice}", headers=ALICE).json["referrer"] is None
    )
