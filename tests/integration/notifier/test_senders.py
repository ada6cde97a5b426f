"""The notifier's senders (`NOTIFY_WORKERS`) against a real, slow SMTP
server and the real database: they send at once, a request's messages keep
their order, and a notifier killed while they send loses no message and
sends none twice under another Message-ID."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import timedelta

from devstack import proc
from services.notifier.render import Renderer
from services.notifier.repository import Repository
from services.notifier.sender import senders
from shared import config
from shared.config import DEFAULT_FIELDS_FILE
from shared.db import connect, make_pool
from shared.events import Event
from shared.fields import load_taxonomy
from shared.i18n import Catalogs
from tests.integration.intake.helpers import count
from tests.smtp import SmtpServer
from tests.support import ROOT, wait_for
from tests.unit.notifier.test_render import CONTEXT as CONTEXT_OF_A_MEETING
from tests.unit.notifier.test_render import PERSON

WORKERS = 4
CONTEXT = {"request": {"id": None, "field": "management", "goal": "Learn",
           "format": "video", "duration_minutes": 30, "referrer_name": None,
           "referrer_email": None, "status_reason": None}}  # fmt: skip
SENT = "SELECT count(*) FROM notifications WHERE status = 'sent'"


def queue(database_url, settings, people: int, per_request: int = 1) -> None:
    """`per_request` messages to each of `people`, each about a request of
    its own, queued in order."""
    with connect(database_url) as conn, conn.transaction():
        repo = Repository(conn)
        for i in range(people):
            request_id = uuid.uuid4()
            for n in range(per_request):
                event = Event(
                    uuid.uuid4(), "IntroRequested", None, uuid.uuid4(), "intake", {}
                )
                repo.queue(
                    event=event,
                    kind="request_received",
                    person={
                        "email": f"person{i}.{n}@example.com",
                        "name": f"Person {i}",
                        "locale": "fr",
                        "timezone": "Europe/Paris",
                    },  # fmt: skip
                    context={"request": {**CONTEXT["request"], "id": str(request_id)}},
                    settings=settings,
                    request_id=request_id,
                )


def drain_all(workers, until) -> None:
    """Each sender in a thread of its own, as the process runs them."""
    stop = threading.Event()

    def run(sender):
        while not stop.is_set():
            if not sender.drain():
                stop.wait(0.02)

    threads = [threading.Thread(target=run, args=(s,)) for s in workers]
    for t in threads:
        t.start()
    try:
        wait_for(until, 60, 0.05)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
        for s in workers:
            s.smtp.close()


def test_senders_send_at_once_and_a_requests_messages_keep_their_order(
    database_url, service_env
):
    server = SmtpServer().start()
    server.recorder.delay_s = 0.05
    settings = replace(
        config.load({**service_env, "SMTP_PORT": str(server.port)}),
        notify_workers=WORKERS,
    )
    queue(database_url, settings, people=6, per_request=5)
    pool = make_pool(database_url, name="senders-test", max_size=WORKERS + 1)
    pool.open(wait=True)
    renderer = Renderer(load_taxonomy(DEFAULT_FIELDS_FILE), Catalogs())
    try:
        workers = senders(pool, settings, renderer)
        assert len(workers) == WORKERS
        assert len({id(s.smtp) for s in workers}) == WORKERS
        assert len({id(s.pause) for s in workers}) == 1
        drain_all(workers, lambda: count(database_url, SENT) == 30)
    finally:
        pool.close()
        server.stop()
    assert server.recorder.most_in_flight >= 2  # they did send at once
    arrived = defaultdict(list)
    for message in server.parsed():
        person, n = address(message).split("@")[0].split(".")
        arrived[person].append(int(n))
    assert len(arrived) == 6
    assert all(order == [0, 1, 2, 3, 4] for order in arrived.values()), arrived


def address(message) -> str:
    return message["To"].addresses[0].addr_spec


def notifier(service_env, smtp_port: int) -> subprocess.Popen:
    env = {**service_env, "SMTP_PORT": str(smtp_port),
           "NOTIFY_WORKERS": str(WORKERS)}  # fmt: skip
    return proc.popen(
        [sys.executable, "-m", "services.notifier"],
        cwd=ROOT,
        env={k: str(v) for k, v in env.items()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_notifier_killed_while_its_senders_send_loses_none_and_repeats_only_their_own(
    database_url, service_env
):
    server = SmtpServer().start()
    server.recorder.delay_s = 0.1  # each sender has a message on the wire
    settings = config.load({**service_env, "SMTP_PORT": str(server.port)})
    queue(database_url, settings, people=120)
    running = notifier(service_env, server.port)
    try:
        wait_for(  # killed while several are sending
            lambda: (
                len(server.recorder.messages) >= 30 and server.recorder.in_flight >= 3
            ),
            60,
            0.005,
        )
        running.kill()
        assert running.wait(10) == -9
        assert count(database_url, SENT) < 120
        running = notifier(service_env, server.port)
        wait_for(lambda: count(database_url, SENT) == 120, 90, 0.1)
    finally:
        proc.terminate(running)
        server.stop()
    with connect(database_url, autocommit=True) as conn:
        ledger = {
            r["recipient"]: r["message_id"]
            for r in conn.execute("SELECT recipient, message_id FROM notifications")
        }
    received = [(address(m), str(m["Message-ID"])) for m in server.parsed()]
    ids_by_person = defaultdict(set)
    for to, message_id in received:
        ids_by_person[to].add(message_id)
    assert set(ids_by_person) == set(ledger)  # none lost
    assert all(ids == {ledger[p]} for p, ids in ids_by_person.items())  # one id each
    copies = sum(n - 1 for n in Counter(i for _, i in received).values())
    assert copies <= WORKERS  # at most the messages on the wire at the kill


def test_a_receipt_and_the_news_that_follows_it_go_as_one_email(
    database_url, service_env
):
    server = SmtpServer().start()
    settings = replace(
        config.load({**service_env, "SMTP_PORT": str(server.port)}),
        notify_merge_window=timedelta(seconds=1),
    )
    request_id, match_id = uuid.uuid4(), uuid.uuid4()
    context = {**CONTEXT_OF_A_MEETING, "request": {**CONTEXT_OF_A_MEETING["request"],
               "id": str(request_id)}}  # fmt: skip
    with connect(database_url) as conn, conn.transaction():
        repo = Repository(conn)
        for kind, hold in (("request_received", settings.notify_merge_window),
                           ("host_invited", timedelta(0))):  # fmt: skip
            repo.queue(
                event=Event(uuid.uuid4(), "X", None, uuid.uuid4(), "test", {}),
                kind=kind, person=PERSON, context=context, settings=settings,
                request_id=request_id, match_id=match_id, hold=hold,
            )  # fmt: skip
        receipt_id = conn.execute(
            "SELECT message_id FROM notifications WHERE kind = 'request_received'"
        ).fetchone()["message_id"]
        # and, for another request, a receipt alone: it waits out the window
        alone = uuid.uuid4()
        repo.queue(
            event=Event(uuid.uuid4(), "X", None, uuid.uuid4(), "test", {}),
            kind="request_received", person={**PERSON, "email": "alone@example.com"},
            context=context, settings=settings, request_id=alone,
            hold=settings.notify_merge_window,
        )  # fmt: skip
    pool = make_pool(database_url, name="together-test", max_size=2)
    pool.open(wait=True)
    renderer = Renderer(load_taxonomy(DEFAULT_FIELDS_FILE), Catalogs())
    (sender,) = senders(pool, replace(settings, notify_workers=1), renderer)
    try:
        assert sender.drain() == 1  # the news, with the receipt it brings forward
        assert server.to("alone@example.com") == []  # held for the window
        wait_for(lambda: sender.drain() or server.to("alone@example.com"), 10, 0.05)
    finally:
        sender.smtp.close()
        pool.close()
        server.stop()
    (together,) = server.to(PERSON["email"])
    assert together["Message-ID"] == receipt_id
    assert together["X-Matchmaker-Kind"] == "request_received host_invited"
    text = together.get_body(("plain",)).get_content()
    assert "Nous avons bien reçu votre demande" in text  # Camille reads French
    assert "une invitation de calendrier dès que l'hôte aura accepté" in text
    assert text.count("Bonjour Camille Durand") == 1
    with connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT kind, status, message_id FROM notifications WHERE request_id = %s",
            (request_id,),
        ).fetchall()
        published = conn.execute(
            "SELECT convert_from(value, 'UTF8')::jsonb #>> '{payload,message_id}' AS id"
            " FROM outbox"
            " WHERE event_type = 'NotificationSent' AND key = %s",
            (str(request_id),),
        ).fetchall()
    assert {(r["kind"], r["status"], r["message_id"]) for r in rows} == {
        ("request_received", "sent", receipt_id),
        ("host_invited", "sent", receipt_id),
    }
    assert [p["id"] for p in published] == [receipt_id, receipt_id]
