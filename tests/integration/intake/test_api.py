"""The JSON API of the contract against the real database, events on real Kafka."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared import topics
from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import (
    count,
    drain,
    envelope,
    future,
    host_body,
    insert_match,
    request_body,
)
from tests.support import wait_for

CAMILLE = user("camille.durand@example.com")
NATHALIE = user("nathalie.renard@example.com")
OPS = user("ops.person@example.com", "ops", "hr")


def test_fields_returns_the_taxonomy(client):
    response = client.get("/api/v1/fields")
    assert response.status_code == 200
    slugs = {f["slug"] for f in response.json}
    assert {"management", "data-engineering"} <= slugs


def test_put_host_creates_then_replaces_and_publishes(client, relay, topic_reader):
    reader = topic_reader(topics.HOST_PROFILES)
    first = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE)
    assert first.status_code == 201
    again = client.put(
        "/api/v1/hosts/me", json=host_body(monthly_capacity=4), headers=NATHALIE
    )
    assert again.status_code == 200
    assert again.json["id"] == first.json["id"] and again.json["monthly_capacity"] == 4
    assert (
        client.get("/api/v1/hosts/me", headers=NATHALIE).json["monthly_capacity"] == 4
    )
    records = drain(reader, 2)
    assert [envelope(r)["event_type"] for r in records] == ["HostProfileChanged"] * 2
    assert {r.key.decode() for r in records} == {first.json["id"]}
    assert envelope(records[-1])["payload"]["monthly_capacity"] == 4


def test_get_host_without_profile_is_404(client):
    response = client.get("/api/v1/hosts/me", headers=CAMILLE)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_post_request_is_accepted_stored_and_published(
    client, relay, topic_reader, settings
):
    reader = topic_reader(topics.INTRO_REQUESTS)
    response = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE)
    assert response.status_code == 202
    body = response.json
    assert body["status"] == "submitted" and body["match"] is None
    assert response.headers["Location"].endswith(f"/api/v1/requests/{body['id']}")
    assert (
        client.get(response.headers["Location"], headers=CAMILLE).json["id"]
        == body["id"]
    )
    [record] = drain(reader, 1)
    event = envelope(record)
    assert record.key.decode() == body["id"]
    assert event["event_type"] == "IntroRequested" and event["producer"] == "intake"
    assert event["payload"]["requester"]["email"] == "camille.durand@example.com"
    assert dict(record.headers)["event_type"] == b"IntroRequested"


def test_list_shows_only_the_callers_requests_newest_first(client):
    ids = [
        client.post(
            "/api/v1/requests",
            json=request_body(goal=f"goal number {i}"),
            headers=CAMILLE,
        ).json["id"]
        for i in range(2)
    ]
    client.post("/api/v1/requests", json=request_body(), headers=NATHALIE)
    listed = client.get("/api/v1/requests", headers=CAMILLE).json["requests"]
    assert [r["id"] for r in listed] == list(reversed(ids))


def test_same_idempotency_key_and_body_returns_the_same_request(client, database_url):
    headers = {**CAMILLE, "Idempotency-Key": "form-123"}
    a = client.post("/api/v1/requests", json=request_body(), headers=headers)
    b = client.post("/api/v1/requests", json=request_body(), headers=headers)
    assert a.status_code == b.status_code == 202
    assert a.json["id"] == b.json["id"]
    assert count(database_url, "SELECT count(*) FROM requests") == 1
    assert count(database_url, "SELECT count(*) FROM outbox") == 1


def test_same_idempotency_key_with_another_body_is_409(client, database_url):
    headers = {**CAMILLE, "Idempotency-Key": "form-124"}
    client.post("/api/v1/requests", json=request_body(), headers=headers)
    other = client.post(
        "/api/v1/requests",
        json=request_body(goal="Something else entirely"),
        headers=headers,
    )
    assert other.status_code == 409
    assert other.json["error"]["code"] == "idempotency_conflict"
    assert count(database_url, "SELECT count(*) FROM requests") == 1


def test_no_identity_is_401(client):
    assert client.post("/api/v1/requests", json=request_body()).status_code == 401
    assert client.get("/api/v1/requests").json["error"]["code"] == "unauthenticated"


def test_someone_elses_request_is_403_and_ops_may_see_it(client):
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    assert client.get(f"/api/v1/requests/{rid}", headers=NATHALIE).status_code == 403
    assert (
        client.post(f"/api/v1/requests/{rid}/cancel", headers=NATHALIE).status_code
        == 403
    )
    assert client.get(f"/api/v1/requests/{rid}", headers=OPS).status_code == 200


@pytest.mark.parametrize("rid", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_request_is_404(client, rid):
    assert client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).status_code == 404


def test_proxy_mode_ignores_identity_headers_from_untrusted_addresses(app, client):
    rt = app.extensions["runtime"]
    object.__setattr__(
        rt,
        "settings",
        type(rt.settings)(**{**rt.settings.__dict__, "auth_mode": "proxy"}),
    )
    assert (
        client.get("/api/v1/requests", headers=CAMILLE).status_code == 200
    )  # from 127.0.0.1
    far = client.get(
        "/api/v1/requests", headers=CAMILLE, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert far.status_code == 401


def test_bearer_token_identifies_a_machine_client(app, client):
    rt = app.extensions["runtime"]
    tokens = {"intranet-token-0123456789": ("intranet-bot@example.com", ("ops",))}
    object.__setattr__(
        rt,
        "settings",
        type(rt.settings)(**{**rt.settings.__dict__, "api_tokens": tokens}),
    )
    ok = client.get(
        "/api/v1/requests",
        headers={"Authorization": "Bearer intranet-token-0123456789"},
    )
    assert ok.status_code == 200
    assert (
        client.get(
            "/api/v1/requests", headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    # a token that is not one of ours never falls back to the proxy's headers
    wrong_with_proxy = {"Authorization": "Bearer wrong", **CAMILLE}
    assert client.get("/api/v1/requests", headers=wrong_with_proxy).status_code == 401


def test_cancel_cancels_once_and_publishes(client, relay, topic_reader):
    reader = topic_reader(topics.INTRO_REQUESTS)
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    response = client.post(
        f"/api/v1/requests/{rid}/cancel",
        json={"reason": "found another way"},
        headers=CAMILLE,
    )
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    again = client.post(f"/api/v1/requests/{rid}/cancel", headers=CAMILLE)
    assert again.status_code == 409
    records = drain(reader, 2)
    assert [envelope(r)["event_type"] for r in records] == [
        "IntroRequested",
        "IntroCancelled",
    ]
    assert envelope(records[1])["payload"]["cancelled_by"] == "requester"


def test_cancel_ends_the_live_match_too(client, database_url):
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    mid = insert_match(database_url, rid, host_id)
    client.post(f"/api/v1/requests/{rid}/cancel", headers=CAMILLE)
    assert (
        count(
            database_url,
            "SELECT count(*) FROM matches WHERE id = %s AND status = 'cancelled'",
            mid,
        )
        == 1
    )


@pytest.fixture
def proposed(client, database_url):
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    return rid, insert_match(database_url, rid, host_id), host_id


def test_request_shows_its_proposed_match_without_the_hosts_email(client, proposed):
    rid, mid, host_id = proposed
    match = client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["match"]
    assert match["id"] == str(mid) and match["status"] == "proposed"
    assert match["host"] == {"id": host_id, "name": "Nathalie Renard"}


def test_host_accepts_then_requester_sees_the_hosts_email(
    client, proposed, relay, topic_reader
):
    rid, mid, _ = proposed
    reader = topic_reader(topics.HOST_RESPONSES)
    response = client.post(
        f"/api/v1/matches/{mid}/accept",
        json={"location": "Tour B, 12e"},
        headers=NATHALIE,
    )
    assert response.status_code == 200 and response.json["status"] == "accepted"
    request = client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json
    assert request["status"] == "confirmed"
    assert request["match"]["host"]["email"] == "nathalie.renard@example.com"
    assert request["match"]["location"] == "Tour B, 12e"
    [record] = drain(reader, 1)
    assert (
        envelope(record)["event_type"] == "MatchAccepted" and record.key.decode() == rid
    )


def test_host_declines_and_the_request_goes_back_to_matching(
    client, proposed, database_url, relay, topic_reader
):
    rid, mid, _ = proposed
    reader = topic_reader(topics.HOST_RESPONSES)
    response = client.post(
        f"/api/v1/matches/{mid}/decline",
        json={"reason": "travelling"},
        headers=NATHALIE,
    )
    assert response.status_code == 200 and response.json["status"] == "declined"
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["status"]
        == "submitted"
    )
    assert envelope(drain(reader, 1)[0])["payload"]["reason"] == "travelling"
    assert (
        client.post(f"/api/v1/matches/{mid}/accept", headers=NATHALIE).status_code
        == 409
    )


def test_only_the_invited_host_may_answer(client, proposed):
    _, mid, _ = proposed
    assert (
        client.post(f"/api/v1/matches/{mid}/accept", headers=CAMILLE).status_code == 403
    )
    assert (
        client.post(
            f"/api/v1/matches/{uuid.uuid4()}/accept", headers=NATHALIE
        ).status_code
        == 404
    )


def test_an_expired_invitation_cannot_be_accepted(client, database_url):
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    mid = insert_match(database_url, rid, host_id, expires_in=timedelta(seconds=-1))
    response = client.post(f"/api/v1/matches/{mid}/accept", headers=NATHALIE)
    assert (
        response.status_code == 409 and response.json["error"]["code"] == "not_proposed"
    )


def test_host_lists_only_their_invitations(client, proposed):
    _, mid, _ = proposed
    assert [
        i["id"]
        for i in client.get("/api/v1/invitations", headers=NATHALIE).json["invitations"]
    ] == [str(mid)]
    assert client.get("/api/v1/invitations", headers=CAMILLE).json["invitations"] == []


def test_too_many_open_requests_is_409_and_writes_nothing(client, database_url):
    for i in range(3):
        assert (
            client.post(
                "/api/v1/requests",
                json=request_body(goal=f"goal {i} here"),
                headers=CAMILLE,
            ).status_code
            == 202
        )
    fourth = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE)
    assert fourth.status_code == 409
    assert (
        fourth.json["error"]["code"] == "too_many_open"
        and "3" in fourth.json["error"]["message"]
    )
    assert count(database_url, "SELECT count(*) FROM requests") == 3
    assert count(database_url, "SELECT count(*) FROM outbox") == 3


def test_submissions_are_rate_limited_per_user(app, client, database_url):
    rt = app.extensions["runtime"]
    object.__setattr__(
        rt,
        "settings",
        type(rt.settings)(
            **{
                **rt.settings.__dict__,
                "submissions_per_hour": 2,
                "max_open_requests": 10,
            }
        ),
    )
    codes = [
        client.post(
            "/api/v1/requests",
            json=request_body(goal=f"goal {i} here"),
            headers=CAMILLE,
        ).status_code
        for i in range(3)
    ]
    assert codes == [202, 202, 429]
    assert (
        client.post(
            "/api/v1/requests", json=request_body(), headers=NATHALIE
        ).status_code
        == 202
    )
    assert count(database_url, "SELECT count(*) FROM requests") == 3


def test_body_over_the_limit_is_413(client, database_url):
    response = client.post(
        "/api/v1/requests",
        data=b"{" + b" " * 70000 + b"}",
        headers={**CAMILLE, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert count(database_url, "SELECT count(*) FROM requests") == 0


def test_personal_data_export_and_deletion(
    client, database_url, proposed, relay, topic_reader
):
    rid, _, host_id = proposed
    exported = client.get("/api/v1/me/export", headers=CAMILLE).json
    assert [r["id"] for r in exported["requests"]] == [rid]
    assert (
        client.get("/api/v1/me/export", headers=NATHALIE).json["host_profile"]["id"]
        == host_id
    )
    reader = topic_reader(topics.HOST_PROFILES)
    assert client.delete("/api/v1/me", headers=NATHALIE).json == {
        "deleted": {"requests": 0, "host_profile": 1}
    }
    assert client.get("/api/v1/hosts/me", headers=NATHALIE).status_code == 404
    assert envelope(drain(reader, 2)[-1])["event_type"] == "HostForgotten"
    assert client.delete("/api/v1/me", headers=CAMILLE).json == {
        "deleted": {"requests": 1, "host_profile": 0}
    }
    assert client.get("/api/v1/requests", headers=CAMILLE).json["requests"] == []
    assert (
        count(
            database_url,
            "SELECT count(*) FROM requests WHERE requester_email LIKE 'camille%%'",
        )
        == 0
    )
    assert (
        count(database_url, "SELECT count(*) FROM requests WHERE status = 'cancelled'")
        == 1
    )


def test_openapi_document_lists_every_endpoint(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/hosts/me",
        "/api/v1/requests",
        "/api/v1/requests/{id}",
        "/api/v1/requests/{id}/cancel",
        "/api/v1/matches/{id}/accept",
        "/api/v1/matches/{id}/decline",
        "/api/v1/fields",
    ):
        assert path in spec["paths"]
    assert "RequestIn" in spec["components"]["schemas"]
    assert client.get("/api/v1/docs").status_code == 200


def test_windows_are_checked_against_the_clock(client):
    past = future(-2)
    response = client.post(
        "/api/v1/requests",
        headers=CAMILLE,
        json=request_body(
            availability=[
                {
                    "start": past.isoformat(),
                    "end": (past + timedelta(hours=2)).isoformat(),
                }
            ]
        ),
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"availability.0": ["Must be in the future."]}


def test_deleted_personal_data_leaves_no_readable_copy(client, database_url, relay):
    rid = client.post(
        "/api/v1/requests",
        json=request_body(goal="Secret ambitions of Camille"),
        headers=CAMILLE,
    ).json["id"]
    wait_for(
        lambda: (
            count(
                database_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
            == 0
        ),
        30,
    )
    assert client.delete("/api/v1/me", headers=CAMILLE).status_code == 200
    with connect(database_url) as conn:
        values = [
            bytes(r["value"])
            for r in conn.execute("SELECT value FROM outbox WHERE key = %s", (rid,))
        ]
    assert values and all(
        b"Secret ambitions" not in v and b"camille.durand" not in v for v in values
    )
    timeline = client.get(f"/ops/api/requests/{rid}/timeline", headers=OPS).json[
        "events"
    ]
    assert timeline[0]["event_type"] == "IntroRequested" and timeline[0]["payload"] == {
        "redacted": True
    }


def test_a_database_that_is_down_gives_503_not_500(settings, names):
    from psycopg_pool import ConnectionPool

    from devstack.ports import free_port
    from services.intake.web.app import create_app
    from shared.health import Readiness
    from shared.service import Runtime

    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    pool = ConnectionPool(
        dead, min_size=1, max_size=1, open=False, timeout=1, reconnect_timeout=0
    )
    pool.open(wait=False)
    try:
        app = create_app(
            Runtime(
                "intake",
                settings,
                pool,
                names,
                Readiness(dead, settings.kafka_bootstrap_servers),
            )
        )
        response = app.test_client().get("/api/v1/requests", headers=CAMILLE)
        assert (
            response.status_code == 503
            and response.json["error"]["code"] == "unavailable"
        )
    finally:
        pool.close()


def test_a_meeting_that_has_begun_cannot_be_accepted_even_before_its_deadline(
    client, database_url
):
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    mid = insert_match(
        database_url, rid, host_id, start=future(-2), expires_in=timedelta(hours=1)
    )
    response = client.post(f"/api/v1/matches/{mid}/accept", headers=NATHALIE)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "not_proposed"
    assert (
        client.get(f"/api/v1/requests/{rid}", headers=CAMILLE).json["status"]
        == "proposed"
    )


def test_deleting_ones_data_does_not_reset_the_hourly_limit(app, client):
    """Submit, delete, repeat: the limit counts the signed-in person, not rows
    that deletion rewrites, so a chosen host cannot be flooded this way."""
    rt = app.extensions["runtime"]
    object.__setattr__(
        rt,
        "settings",
        type(rt.settings)(**{**rt.settings.__dict__, "submissions_per_hour": 3}),
    )
    codes = []
    for i in range(4):
        codes.append(
            client.post(
                "/api/v1/requests",
                json=request_body(goal=f"goal {i} here"),
                headers=CAMILLE,
            ).status_code
        )
        assert client.delete("/api/v1/me", headers=CAMILLE).status_code == 200
    assert codes == [202, 202, 202, 429]
