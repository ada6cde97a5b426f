"""Retention, roles and the access trail against the real PostgreSQL
server and broker: a purge removes exactly what its retention says and
nothing live; ops without HR see no one's words; every staff read of
someone's data leaves a line in the trail, which no one can change."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import psycopg
import pytest
from prometheus_client import REGISTRY

from services.intake import use_cases as intake_use_cases
from services.intake.unit_of_work import UnitOfWork as IntakeUnitOfWork
from services.matcher import use_cases as matcher_use_cases
from services.matcher.unit_of_work import UnitOfWork as MatcherUnitOfWork
from services.notifier import use_cases as notifier_use_cases
from services.notifier.unit_of_work import UnitOfWork as NotifierUnitOfWork
from shared import kafka as kafka_clients
from shared.db import connect
from shared.retention import Retention
from tests.fixtures_intake import user
from tests.integration.intake.helpers import host_body, insert_match, request_body

HR = user("hr.person@example.com", "hr")
OPS = user("ops.person@example.com", "ops")
DPO = user("dpo.person@example.com", "dpo")
KEPT = timedelta(seconds=30)
OLD = "now() - interval '1 hour'"


def ask(client, who: str, goal: str = "Understand the job of a data engineer"):
    response = client.post(
        "/api/v1/requests", json=request_body(goal=goal), headers=user(who)
    )
    assert response.status_code == 202, response.json
    return response.json["id"]


def trail(client, **filters) -> list[dict]:
    response = client.get("/ops/api/audit", query_string=filters, headers=DPO)
    assert response.status_code == 200, response.json
    return response.json["lines"]


def purged(service: str, table: str) -> float:
    value = REGISTRY.get_sample_value(
        "purged_rows_total", {"service": service, "table": table}
    )
    return value or 0.0


def test_a_purge_removes_exactly_what_its_retention_says_and_nothing_live(
    client, runtime, database_url
):
    hid = client.put(
        "/api/v1/hosts/me", json=host_body(), headers=user("host@example.com")
    ).json["id"]
    old_closed, old_open, new_closed = (
        ask(client, f"{k}@example.com") for k in ("oldclosed", "oldopen", "newclosed")
    )
    old_match = insert_match(database_url, old_closed, hid, status="declined")
    with connect(database_url) as conn:
        conn.execute(
            f"UPDATE requests SET status = 'completed', updated_at = {OLD}"
            " WHERE id = %s", (old_closed,),
        )  # fmt: skip
        conn.execute(
            f"UPDATE requests SET updated_at = {OLD} WHERE id = %s", (old_open,)
        )
        conn.execute(
            "UPDATE requests SET status = 'cancelled' WHERE id = %s", (new_closed,)
        )
        conn.execute(
            "UPDATE matches SET note = 'Room 4', decline_reason = 'busy' WHERE id = %s",
            (old_match,),
        )
        conn.execute("UPDATE outbox SET published_at = now()")  # all published now
        old_events = [
            conn.execute(
                "INSERT INTO outbox (producer, topic, key, value, created_at,"
                f" published_at) VALUES (%s, 't', 'k', '\\x7b7d', {OLD}, {published})"
                " RETURNING id",
                (producer,),
            ).fetchone()["id"]
            for producer, published in (
                ("intake", OLD), ("intake", "NULL"), ("matcher", OLD), ("notifier", OLD)
            )
        ]  # fmt: skip
        for consumer, when in (
            ("matcher", OLD),
            ("matcher", "now()"),
            ("notifier", OLD),
        ):
            conn.execute(
                "INSERT INTO inbox (consumer, event_id, topic, event_type, received_at)"
                f" VALUES (%s, %s, 't', 'E', {when})",
                (consumer, uuid.uuid4()),
            )
        for status, when in (("sent", OLD), ("pending", OLD), ("sent", "now()"),
                             ("failed", OLD)):  # fmt: skip
            conn.execute(
                "INSERT INTO notifications (id, event_id, kind, recipient, context,"
                f" message_id, status, due_at, sent_at) VALUES (%s, %s, 'invitation',"
                f" 'a@example.com', '{{}}', 'm', %s, {when},"
                f" CASE WHEN %s = 'sent' THEN {when} END)",
                (uuid.uuid4(), uuid.uuid4(), status, status),
            )
        conn.execute(
            'INSERT INTO dead_letters (consumer, topic, partition, "offset", value,'
            f" reason, error, created_at) VALUES ('matcher', 't', 0, 1, '\\x7b7d',"
            f" 'invalid', 'e', {OLD})"
        )
        conn.execute(  # a sign-out older than any session it could refuse
            "INSERT INTO sign_outs (email, at) VALUES"
            " ('gone@example.com', now() - interval '1 day'),"
            " ('recent@example.com', now())"
        )
        conn.execute(  # a count of the hourly limits, past its hour
            f"INSERT INTO submissions (who, action, at) VALUES ('\\x01', 'request', {OLD})"
        )
        conn.execute(
            "INSERT INTO audit (actor, roles, action, at) VALUES"
            f" ('hr@example.com', '{{hr}}', 'export', {OLD}),"
            " ('hr@example.com', '{hr}', 'export', now())"
        )
    keep = Retention(events=KEPT, inbox=KEPT, mail=KEPT, introductions=KEPT, audit=KEPT)
    before = purged("intake", "requests")

    counts = {
        "intake": intake_use_cases.purge(IntakeUnitOfWork(runtime.pool), keep),
        "matcher": matcher_use_cases.purge(MatcherUnitOfWork(runtime.pool), keep),
        "notifier": notifier_use_cases.purge(NotifierUnitOfWork(runtime.pool), keep),
    }

    assert counts["intake"] == {
        "outbox": 1, "dead_letters": 0, "inbox": 0, "requests": 1, "submissions": 1, "sign_outs": 1,
        "audit": 1,
    }  # fmt: skip
    assert counts["matcher"] == {
        "outbox": 1,
        "dead_letters": 1,
        "inbox": 1,
        "goal_vectors": 0,
    }
    assert counts["notifier"] == {
        "outbox": 1, "dead_letters": 0, "inbox": 1, "notifications": 2
    }  # fmt: skip
    assert purged("intake", "requests") == before + 1
    with connect(database_url) as conn:
        rows = {
            str(r["id"]): r
            for r in conn.execute(
                "SELECT id, requester_email, requester_name, goal, field, status,"
                " purged_at FROM requests"
            )
        }
        left = [r["id"] for r in conn.execute("SELECT id FROM outbox WHERE id = ANY(%s)",
                                              (old_events,))]  # fmt: skip
        match = conn.execute(
            "SELECT note, decline_reason FROM matches WHERE id = %s", (old_match,)
        ).fetchone()
        mail = conn.execute(
            "SELECT status FROM notifications ORDER BY status"
        ).fetchall()
        audit = conn.execute("SELECT count(*) AS n FROM audit").fetchone()["n"]
        logged = conn.execute(
            "SELECT service, table_name, rows FROM purges ORDER BY 1, 2"
        ).fetchall()
    gone = rows[old_closed]
    assert (gone["requester_name"], gone["goal"]) == ("", "")
    assert gone["requester_email"].endswith("@forgotten.invalid")
    assert (gone["field"], gone["status"]) == ("management", "completed")
    assert gone["purged_at"] is not None
    assert (match["note"], match["decline_reason"]) == (None, None)
    for live in (old_open, new_closed):  # open, or closed within its retention
        assert rows[live]["goal"] == "Understand the job of a data engineer"
        assert rows[live]["purged_at"] is None
    assert left == [old_events[1]]  # the unpublished one stays
    assert [m["status"] for m in mail] == ["pending", "sent"]
    assert audit == 1
    assert ("intake", "requests", 1) in [tuple(r.values()) for r in logged]

    again = intake_use_cases.purge(IntakeUnitOfWork(runtime.pool), keep)
    assert sum(again.values()) == 0


def test_the_broker_says_how_long_it_keeps_a_topic(bootstrap, names):
    longest = kafka_clients.longest_retention(bootstrap, names.all())
    assert longest is None or longest >= timedelta(hours=1)


def test_the_access_trail_refuses_to_be_changed(database_url):
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO audit (actor, roles, action) VALUES ('a@example.com', '{hr}', 'export')"
        )
    for statement in ("UPDATE audit SET actor = 'b@example.com'", "DELETE FROM audit",
                      "TRUNCATE audit"):  # fmt: skip
        with (
            connect(database_url) as conn,
            pytest.raises(psycopg.Error, match="append-only"),
        ):
            conn.execute(statement)
    with connect(database_url) as conn:
        assert (
            conn.execute("SELECT actor FROM audit").fetchone()["actor"]
            == "a@example.com"
        )


def test_an_export_with_names_leaves_an_audit_line_naming_its_actor(client):
    ask(client, "camille@example.com")
    assert trail(client) == []
    plain = client.get("/ops/export/requests.csv", headers=HR)
    assert plain.status_code == 200
    named = client.get("/ops/export/requests.csv?personal=1", headers=HR)
    assert "camille@example.com" in named.get_data(as_text=True)
    newest, first = trail(client)
    assert (newest["actor"], newest["roles"], newest["action"], newest["detail"]) == (
        "hr.person@example.com", ["hr"], "export", "requests.csv, with names"
    )  # fmt: skip
    assert first["detail"] == "requests.csv, free text, no names"
    assert client.get("/ops/api/audit", headers=HR).status_code == 403
    csv_text = client.get("/ops/export/audit.csv", headers=DPO).get_data(as_text=True)
    assert "hr.person@example.com" in csv_text and "export" in csv_text


def test_ops_without_hr_read_a_timeline_without_anyones_words(client):
    rid = ask(client, "camille@example.com", goal="Become an IT lawyer")
    url = f"/ops/api/requests/{rid}/timeline"
    ops_view = client.get(url, headers=OPS).get_data(as_text=True)
    assert "IntroRequested" in ops_view
    assert (
        "Become an IT lawyer" not in ops_view and "camille@example.com" not in ops_view
    )
    assert "Become an IT lawyer" in client.get(url, headers=HR).get_data(as_text=True)
    lines = trail(client, person="camille@example.com", action="timeline")
    assert [(x["actor"], x["detail"]) for x in lines] == [
        ("hr.person@example.com", "with payloads"),
        ("ops.person@example.com", "payloads hidden"),
    ]
    assert trail(client, actor="ops.person@example.com")[0]["request_id"] == rid
    assert client.get("/ops/api/requests", headers=OPS).status_code == 403
    listed = client.get("/ops/api/requests", headers=HR)
    assert "camille@example.com" in listed.get_data(as_text=True)
    assert trail(client, actor="hr.person@example.com")[0]["action"] == "requests"


def test_hr_forgets_leavers_from_a_csv_of_their_system(client, database_url):
    gone = ask(client, "ana.lima@example.com")
    stays = ask(client, "bo@example.com")
    page = client.get("/ops/people", headers=HR).get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    upload = b'"id";"name";"email"\n"1";"Ana Lima";"Ana.Lima@example.com"\n'
    response = client.post(
        "/ops/people/forget",
        data={"csrf_token": token, "file": (io.BytesIO(upload), "leavers.csv")},
        headers=HR,
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert "ana.lima@example.com" in response.get_data(as_text=True)
    with connect(database_url) as conn:
        goals = {
            str(r["id"]): (r["goal"], r["status"])
            for r in conn.execute("SELECT id, goal, status FROM requests")
        }
    assert goals[gone] == ("", "cancelled")
    assert goals[stays] == ("Understand the job of a data engineer", "submitted")
    [line] = trail(client, person="ana.lima@example.com")
    assert (line["actor"], line["action"]) == ("hr.person@example.com", "forget")
    empty = client.post(
        "/ops/people/forget", data={"csrf_token": token, "emails": "nobody here"},
        headers=HR,
    )  # fmt: skip
    assert empty.status_code == 422


def test_hr_reads_a_persons_export_and_it_is_in_the_trail(client):
    rid = ask(client, "camille@example.com")
    body = client.get(
        "/ops/api/people/export?email=Camille@example.com", headers=HR
    ).json
    assert [r["id"] for r in body["requests"]] == [rid]
    [line] = trail(client, person="camille@example.com")
    assert line["action"] == "person_export"
    bad = client.get("/ops/api/people/export?email=nope", headers=HR)
    assert bad.status_code == 422


def test_ops_without_hr_see_no_address_in_the_errors_of_failed_mail(
    client, database_url
):
    error = "550 b'5.1.1 <victim@example.com>: Recipient address rejected'"
    with connect(database_url) as conn:
        conn.execute(
            "INSERT INTO notifications (id, event_id, kind, recipient, context,"
            " message_id, status, last_error) VALUES (%s, %s, 'invitation',"
            " 'victim@example.com', '{}', 'm', 'failed', %s)",
            (uuid.uuid4(), uuid.uuid4(), error),
        )
    api = client.get("/ops/api/notifications/failed", headers=OPS)
    assert "victim@example.com" not in api.get_data(as_text=True)
    assert "Recipient address rejected" in api.get_data(as_text=True)
    for staff in (OPS, HR):  # the dashboard shows the pipeline to both
        page = client.get("/ops", headers=staff).get_data(as_text=True)
        assert "victim@example.com" not in page
    hr_view = client.get("/ops/api/notifications/failed", headers=HR)
    assert "victim@example.com" in hr_view.get_data(as_text=True)
    assert trail(client, action="failed_mail")[0]["actor"] == "hr.person@example.com"
