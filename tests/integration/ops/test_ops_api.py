"""The ops endpoints against the real database and broker."""

from __future__ import annotations

import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.intake.ops import store_metrics
from services.notifier import wiring as notifier_wiring
from services.notifier.unit_of_work import UnitOfWork as NotifierUnitOfWork
from shared.consumer import Consumer, replay_dead_letters
from shared.db import connect
from shared.outbox import Outbox
from shared.statuses import MATCH_STATUSES, REQUEST_STATUSES
from tests.fixtures_intake import user
from tests.integration import pipeline
from tests.integration.intake.helpers import (
    count,
    host_body,
    insert_match,
    request_body,
)
from tests.support import wait_for

OPS = user("ops.person@example.com", "ops", "hr")


def requester(i):
    return user(f"requester{i}@example.com")


def test_ops_endpoints_need_the_ops_group(client):
    for path in (
        "/ops",
        "/ops/api/summary",
        "/ops/api/requests",
        "/ops/api/outbox",
        "/ops/api/dead-letters",
    ):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=requester(1)).status_code == 403
    assert (
        client.post("/ops/api/dead-letters/1/replay", headers=requester(1)).status_code
        == 403
    )


def test_summary_counts_what_was_created_through_the_api(client, database_url):
    hosts = [
        client.put(
            "/api/v1/hosts/me",
            json=host_body(fields=fields, monthly_capacity=cap),
            headers=user(f"host{i}@example.com"),
        ).json["id"]
        for i, (fields, cap) in enumerate(
            [
                (["management"], 2),
                (["management", "strategy"], 3),
                (["data-engineering"], 1),
            ]
        )
    ]
    rids = [
        client.post(
            "/api/v1/requests", json=request_body(field=field), headers=requester(i)
        ).json["id"]
        for i, field in enumerate(
            ["management", "management", "management", "strategy", "data-engineering"]
        )
    ]
    accepted = insert_match(database_url, rids[0], hosts[0])
    declined = insert_match(database_url, rids[1], hosts[1])
    assert (
        client.post(
            f"/api/v1/matches/{accepted}/accept", headers=user("host0@example.com")
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/matches/{declined}/decline", headers=user("host1@example.com")
        ).status_code
        == 200
    )
    assert (
        client.post(
            f"/api/v1/requests/{rids[2]}/cancel", headers=requester(2)
        ).status_code
        == 200
    )
    with connect(database_url) as conn:  # as the matcher would
        conn.execute(
            "UPDATE requests SET status = 'waitlisted' WHERE id = ANY(%s)",
            ([rids[3], rids[4]],),
        )

    s = client.get("/ops/api/summary", headers=OPS).json
    assert s["requests"] == {
        **dict.fromkeys(REQUEST_STATUSES, 0),
        "confirmed": 1,
        "submitted": 1,
        "cancelled": 1,
        "waitlisted": 2,
    }
    assert s["matches"] == {
        **dict.fromkeys(MATCH_STATUSES, 0),
        "accepted": 1,
        "declined": 1,
    }
    assert s["match_rate"] == 0.4  # 2 of 5 requests had a host proposed
    assert s["waitlist_by_field"] == {"strategy": 1, "data-engineering": 1}
    assert s["fields"]["management"] == {
        "hosts": 2,
        "monthly_capacity": 5,
        "open_requests": 2,
        "demand": 5,  # 2 open + 3 arrived in the last 4 weeks
        "capacity_coming_weeks": 4,  # 2 + 3 prorated to 28 days, less 1 booked
        "hosts_needed": 1,  # 1 short, a median host takes 2 in 4 weeks
        "hosts_to_clear_waitlist": 0,
        "short": True,
    }
    assert s["fields"]["strategy"] == {
        "hosts": 1,
        "monthly_capacity": 3,
        "open_requests": 1,
        "demand": 2,
        "capacity_coming_weeks": 3,
        "hosts_needed": 0,
        "hosts_to_clear_waitlist": 1,
        "short": False,
    }
    assert s["fields"]["data-engineering"] == {
        "hosts": 1,
        "monthly_capacity": 1,
        "open_requests": 1,
        "demand": 2,
        "capacity_coming_weeks": 1,
        "hosts_needed": 1,
        "hosts_to_clear_waitlist": 1,
        "short": True,
    }
    assert (
        s["time_to_proposal_s"]["p50"] is not None
        and s["time_to_confirmation_s"]["p95"] is not None
    )

    listed = client.get("/ops/api/requests?status=waitlisted", headers=OPS).json
    assert listed["total"] == 2 and {r["id"] for r in listed["requests"]} == {
        rids[3],
        rids[4],
    }
    assert (
        client.get("/ops/api/requests?field=management", headers=OPS).json["total"] == 3
    )
    assert client.get("/ops/api/requests?status=bogus", headers=OPS).status_code == 422


def test_outbox_backlog_and_its_oldest_row(client, database_url):
    client.post(
        "/api/v1/requests", json=request_body(), headers=requester(1)
    )  # no relay runs in this test
    body = client.get("/ops/api/outbox", headers=OPS).json
    assert (
        body["unpublished"] == 1 and body["by_producer"]["intake"]["unpublished"] == 1
    )
    assert body["oldest_age_s"] >= 0


def test_consumer_lag_counts_what_no_consumer_has_read(client, relay):
    client.post("/api/v1/requests", json=request_body(), headers=requester(1))
    client.post("/api/v1/requests", json=request_body(), headers=requester(2))

    def lag_of(group, topic):
        rows = client.get("/ops/api/consumers", headers=OPS).json["consumers"]
        return sum(
            r["lag"] for r in rows if r["group"] == group and r["topic"] == topic
        )

    wait_for(lambda: lag_of("matcher", "intro-requests") == 2, 30, message="lag of 2")
    assert lag_of("notifier", "intro-requests") == 2
    assert lag_of("matcher", "host-profiles") == 0


def test_dead_letter_replayed_once_in_effect(client, database_url, bootstrap, names):
    pipeline.prepare(database_url)
    ids = pipeline.write_events(database_url, 1)
    relay = pipeline.make_relay(database_url, bootstrap, names).start()
    broken = pipeline.make_consumer(
        database_url, bootstrap, names, handler=_fail, max_attempts=2, retry_base_s=0.01
    ).start()
    try:
        dead = wait_for(
            lambda: client.get("/ops/api/dead-letters", headers=OPS).json[
                "dead_letters"
            ],
            60,
        )
    finally:
        broken.stop()
        broken.pool.close()
        relay.stop()
    assert (
        dead[0]["reason"] == "handler-failed"
        and "calendar unavailable" in dead[0]["error"]
    )
    assert pipeline.effect_counts(database_url) == {}

    fixed = pipeline.make_consumer(
        database_url, bootstrap, names
    )  # the bug fixed; not started: jobs replay
    try:
        assert (
            client.post(
                f"/ops/api/dead-letters/{dead[0]['id']}/replay", headers=OPS
            ).status_code
            == 202
        )
        assert replay_dead_letters(fixed) == 1
        assert (
            client.post(
                f"/ops/api/dead-letters/{dead[0]['id']}/replay", headers=OPS
            ).status_code
            == 409
        )
        assert replay_dead_letters(fixed) == 0
    finally:
        fixed.pool.close()
    assert pipeline.effect_counts(database_url) == {ids[0]: 1}
    assert (
        client.get("/ops/api/dead-letters", headers=OPS).json["dead_letters"][0][
            "replay_result"
        ]
        == "handled"
    )
    assert (
        client.post("/ops/api/dead-letters/999999/replay", headers=OPS).status_code
        == 404
    )


def test_a_replay_that_fails_again_can_be_asked_for_again(
    client, database_url, bootstrap, names
):
    pipeline.prepare(database_url)
    ids = pipeline.write_events(database_url, 1)
    relay = pipeline.make_relay(database_url, bootstrap, names).start()
    broken = pipeline.make_consumer(
        database_url, bootstrap, names, handler=_fail, max_attempts=1, retry_base_s=0.01
    ).start()
    try:
        dead = wait_for(
            lambda: client.get("/ops/api/dead-letters", headers=OPS).json[
                "dead_letters"
            ],
            60,
        )
    finally:
        broken.stop()
        relay.stop()
    url = f"/ops/api/dead-letters/{dead[0]['id']}/replay"
    try:
        assert client.post(url, headers=OPS).status_code == 202
        assert replay_dead_letters(broken) == 1  # still broken: fails again
        again = client.get("/ops/api/dead-letters", headers=OPS).json["dead_letters"][0]
        assert again["replay_result"].startswith("failed again")
        assert again["replayed_at"] is None
        assert client.post(url, headers=OPS).status_code == 202  # may be asked again
        fixed = pipeline.make_consumer(database_url, bootstrap, names)
        try:
            assert replay_dead_letters(fixed) == 1
        finally:
            fixed.pool.close()
        assert client.post(url, headers=OPS).status_code == 409  # it took effect
    finally:
        broken.pool.close()
    assert pipeline.effect_counts(database_url) == {ids[0]: 1}


def _fail(uow, event, _deps=None):
    raise RuntimeError("calendar unavailable")


@pytest.fixture
def notifier_consumer(runtime):
    """The notifier's consumer, in this process, on this test's topics."""
    consumer = Consumer(
        name="notifier",
        service="notifier",
        routes=notifier_wiring.ROUTES,
        unit_of_work=NotifierUnitOfWork,
        deps=runtime.settings,
        pool=runtime.pool,
        bootstrap=runtime.settings.kafka_bootstrap_servers,
        names=runtime.names,
    ).start()
    yield consumer
    consumer.stop()


def test_failed_notification_can_be_retried(
    client, database_url, relay, notifier_consumer
):
    nid = uuid.uuid4()
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO notifications (id, event_id, kind, recipient, context, message_id, status,"
            " attempts, last_error) VALUES (%s, %s, 'invitation', 'x@example.com', '{}', '<m@x>',"
            " 'failed', 8, '550 no such user')",
            (nid, uuid.uuid4()),
        )
    assert client.get("/ops/api/notifications/failed", headers=OPS).json[
        "notifications"
    ][0]["id"] == str(nid)
    assert (
        client.post(f"/ops/api/notifications/{nid}/retry", headers=OPS).status_code
        == 202
    )
    # the notifier, which owns the ledger, acts on the request
    wait_for(
        lambda: (
            count(
                database_url,
                "SELECT count(*) FROM notifications WHERE status = 'pending' AND attempts = 0",
            )
            == 1
        ),
        30,
        message="the failed message back in the queue",
    )
    assert (
        client.post(f"/ops/api/notifications/{nid}/retry", headers=OPS).status_code
        == 404
    )


def metric(client, name, **labels) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(
                sample.labels.get(k) == v for k, v in labels.items()
            ):
                return sample.value
    return 0.0


def test_metrics_parse_and_move(app, client, database_url):
    from shared.health import blueprint

    app.register_blueprint(blueprint(app.extensions["runtime"].readiness, "intake"))
    # figures afresh at every scrape, to watch them move (5 s cache otherwise)
    app.extensions["metrics"] = store_metrics.registry(
        app.extensions["runtime"].pool, 0
    )
    before = metric(client, "requests", status="submitted")
    host = client.put(
        "/api/v1/hosts/me", json=host_body(), headers=user("host@example.com")
    ).json["id"]
    rid = client.post(
        "/api/v1/requests", json=request_body(), headers=requester(1)
    ).json["id"]
    assert metric(client, "requests", status="submitted") == before + 1
    insert_match(database_url, rid, host)
    assert metric(client, "matches", status="proposed") == 1
    assert metric(client, "matches_proposed_total") == 1
    answers = metric(client, "host_answers_total", answer="declined")
    mid = client.get(f"/api/v1/requests/{rid}", headers=requester(1)).json["match"][
        "id"
    ]
    assert (
        client.post(
            f"/api/v1/matches/{mid}/decline", headers=user("host@example.com")
        ).status_code
        == 200
    )
    assert metric(client, "host_answers_total", answer="declined") == answers + 1
    assert (
        metric(client, "matches", status="proposed") == 0
        and metric(client, "matches_proposed_total") == 1
    )
    assert metric(client, "time_to_proposal_seconds_count") == 1
    assert (
        metric(client, "outbox_unpublished", producer="intake") == 3
    )  # request, host, decline


def test_timeline_holds_every_event_of_a_request_in_order(client, database_url):
    rid = client.post(
        "/api/v1/requests", json=request_body(), headers=requester(1)
    ).json["id"]
    host = client.put(
        "/api/v1/hosts/me", json=host_body(), headers=user("host@example.com")
    ).json["id"]
    mid = insert_match(database_url, rid, host)
    with (
        connect(database_url) as conn,
        conn.transaction(),
    ):  # as the matcher and the notifier would
        cid = conn.execute(
            "SELECT correlation_id FROM requests WHERE id = %s", (rid,)
        ).fetchone()["correlation_id"]
        Outbox(conn, "matcher", cid).emit(
            "MatchProposed",
            rid,
            {
                "match_id": mid,
                "request_id": rid,
                "host_id": host,
                "start": "2030-01-01T10:00:00+00:00",
                "end": "2030-01-01T10:30:00+00:00",
                "format": "video",
                "exact_field": True,
                "expires_at": "2029-12-30T10:00:00+00:00",
            },
        )
        Outbox(conn, "notifier", cid).emit(
            "NotificationSent",
            rid,
            {
                "notification_id": uuid.uuid4(),
                "request_id": rid,
                "kind": "invitation",
                "recipient": "host@example.com",
                "message_id": "<a@b>",
            },
        )
    client.post(f"/api/v1/matches/{mid}/accept", headers=user("host@example.com"))
    events = client.get(f"/ops/api/requests/{rid}/timeline", headers=OPS).json["events"]
    assert [(e["event_type"], e["producer"]) for e in events] == [
        ("IntroRequested", "intake"),
        ("MatchProposed", "matcher"),
        ("NotificationSent", "notifier"),
        ("MatchAccepted", "intake"),
    ]
    times = [e["occurred_at"] for e in events]
    assert times == sorted(times)
    assert (
        client.get(
            f"/ops/api/requests/{uuid.uuid4()}/timeline", headers=OPS
        ).status_code
        == 404
    )


def test_mail_sink_pages_show_the_messages(app, client, tmp_path):
    (tmp_path / "20261126T090000-abc.eml").write_bytes(
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Bonjour\r\nX-Matchmaker-Kind: invitation\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    )
    rt = app.extensions["runtime"]  # MAIL_SINK_DIR, as `make run` sets it
    object.__setattr__(
        rt,
        "settings",
        type(rt.settings)(**{**rt.settings.__dict__, "mail_sink_dir": tmp_path}),
    )
    assert "Bonjour" in client.get("/ops/mail", headers=OPS).get_data(as_text=True)
    assert "Hello there" in client.get(
        "/ops/mail/20261126T090000-abc.eml", headers=OPS
    ).get_data(as_text=True)
    assert client.get("/ops/mail/..%2Fsecret.eml", headers=OPS).status_code == 404


def test_ops_retry_every_failed_email_of_one_kind_at_once(
    client, database_url, relay, notifier_consumer
):
    failed = {}
    with connect(database_url) as conn:
        for kind in ("invitation", "invitation", "reminder"):
            nid = uuid.uuid4()
            failed[nid] = kind
            conn.execute(
                "INSERT INTO notifications (id, event_id, kind, recipient, context,"
                " message_id, status, attempts, last_error) VALUES (%s, %s, %s,"
                " 'x@example.com', '{}', %s, 'failed', 8, '550 no such user')",
                (nid, uuid.uuid4(), kind, f"<{nid}@x>"),
            )
    response = client.post(
        "/ops/api/notifications/retry", json={"kind": "invitation"}, headers=OPS
    )
    assert response.status_code == 202 and response.json["failed"] == 2
    pending = (
        "SELECT count(*) FROM notifications WHERE status = 'pending' AND attempts = 0"
    )
    wait_for(lambda: count(database_url, pending) == 2, 30, message="both invitations")
    assert (
        count(
            database_url, "SELECT count(*) FROM notifications WHERE status = 'failed'"
        )
        == 1
    )
    bad = client.post(
        "/ops/api/notifications/retry",
        json={
            "since": "2026-12-02T00:00:00+00:00",
            "until": "2026-12-01T00:00:00+00:00",
        },
        headers=OPS,
    )
    assert bad.status_code == 422 and "until" in bad.json["errors"]


def test_the_mail_sink_pages_speak_the_readers_language_and_zone(app, client, tmp_path):
    (tmp_path / "20261202T063916-abc.eml").write_bytes(
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Bonjour\r\n"
        b"Date: Wed, 02 Dec 2026 06:39:16 +0000\r\nX-Matchmaker-Kind: invitation\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello there\r\n"
    )
    rt = app.extensions["runtime"]
    object.__setattr__(
        rt,
        "settings",
        type(rt.settings)(**{**rt.settings.__dict__, "mail_sink_dir": tmp_path}),
    )
    french = {**OPS, "Accept-Language": "fr"}
    client.set_cookie("tz", "America/New_York")
    listing = client.get("/ops/mail", headers=french).get_data(as_text=True)
    assert "<thead><tr><th" in listing and ">Objet</th>" in listing
    assert "mercredi 2 décembre 2026" in listing and "01:39" in listing
    assert "+0000" not in listing
    one = client.get("/ops/mail/20261202T063916-abc.eml", headers=french)
    text = one.get_data(as_text=True)
    for word in ("<dt>De</dt>", "<dt>À</dt>", "<dt>Parties</dt>", "En texte"):
        assert word in text, word
    assert "mercredi 2 décembre 2026" in text
