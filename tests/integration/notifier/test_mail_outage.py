"""A mail server that is down, or refuses us, pauses sending: no message's
attempts are spent, ops see the outage, and everything goes once it is back.
The sender runs in this process against a real SMTP server and database."""

from __future__ import annotations

import uuid
from dataclasses import replace

from devstack.ports import free_port
from services.notifier.repository import Repository
from services.notifier.sender import Pause, Sender
from shared import config, metrics
from shared.db import connect, make_pool
from shared.events import Event
from tests.integration.intake.helpers import count
from tests.smtp import SmtpServer
from tests.support import wait_for

PERSON = {"email": "camille@example.com", "name": "Camille", "locale": "fr",
          "timezone": "Europe/Paris"}  # fmt: skip
CONTEXT = {"request": {"id": str(uuid.uuid4()), "field": "management", "goal": "Learn",
           "format": "video", "duration_minutes": 30, "referrer_name": None,
           "referrer_email": None, "status_reason": None}}  # fmt: skip


def queue(database_url, settings, n: int) -> None:
    with connect(database_url) as conn, conn.transaction():
        for i in range(n):
            event = Event(
                uuid.uuid4(), "IntroRequested", None, uuid.uuid4(), "intake", {}
            )
            Repository(conn).queue(
                event=event,
                kind="request_received",
                person={**PERSON, "email": f"person{i}@example.com"},
                context=CONTEXT,
                settings=settings,
            )


def test_an_outage_spends_no_attempt_shows_to_ops_and_mail_goes_once_it_is_back(
    database_url, service_env
):
    port = free_port()  # nothing listens there yet
    settings = replace(
        config.load({**service_env, "SMTP_PORT": str(port)}),
        notify_max_attempts=2,
        smtp_timeout_s=2.0,
    )
    queue(database_url, settings, 3)
    pool = make_pool(database_url, name="outage-test")
    pool.open(wait=True)
    sender = Sender(pool, settings, pause=Pause(first_s=0.05, most_s=0.2))
    try:
        for _ in range(5):  # more tries than NOTIFY_MAX_ATTEMPTS allows a message
            wait_for(lambda: not sender.pause.active, 5)
            assert sender.drain() == 0
        assert sender.pause.active or sender.pause.reason
        pending = "SELECT count(*) FROM notifications WHERE status = 'pending' AND attempts = 0"
        assert count(database_url, pending) == 3
        assert count(database_url, "SELECT count(*) FROM mail_outage") == 1
        assert metrics.mail_paused._value.get() == 1

        server = SmtpServer(port).start()
        try:
            wait_for(lambda: sender.drain() or len(server.parsed()) == 3, 30, 0.1)
        finally:
            server.stop()
        assert (
            count(
                database_url, "SELECT count(*) FROM notifications WHERE status = 'sent'"
            )
            == 3
        )
        assert count(database_url, "SELECT count(*) FROM mail_outage") == 0
        assert metrics.mail_paused._value.get() == 0
    finally:
        pool.close()


def test_an_outage_in_the_middle_of_a_batch_keeps_what_went_before_it(
    database_url, service_env
):
    server = SmtpServer().start()
    # the third message of the batch meets a server closing on us (421)
    server.recorder.reply = lambda n, _envelope: (
        "421 4.3.2 Going down" if n == 3 else None
    )
    settings = replace(
        config.load({**service_env, "SMTP_PORT": str(server.port)}), notify_batch=5
    )
    queue(database_url, settings, 5)
    pool = make_pool(database_url, name="batch-outage-test")
    pool.open(wait=True)
    sender = Sender(pool, settings, pause=Pause(first_s=0.05, most_s=0.2))
    try:
        assert sender.send_batch() == 2  # two sent, then the outage
        assert sender.pause.reason is not None
        sent = "SELECT count(*) FROM notifications WHERE status = 'sent'"
        assert count(database_url, sent) == 2
        assert count(database_url, "SELECT count(*) FROM outbox"
                     " WHERE event_type = 'NotificationSent'") == 2  # fmt: skip
        wait_for(lambda: sender.drain() or count(database_url, sent) == 5, 30, 0.1)
        ids = [m["Message-ID"] for m in server.parsed()]
        assert len(ids) == len(set(ids)) == 5  # the two that went, not again
    finally:
        pool.close()
        server.stop()
