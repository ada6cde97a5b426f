"""Emails per second to a local SMTP sink: the notifier's senders (ledger row
locked, message composed from templates, sent over the sender's reused
connection, row marked sent with its NotificationSent outbox row), one and
several (`NOTIFY_WORKERS`), against plain smtplib sending the same rendered
messages over one connection, in the same run."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from bench.infra import OUTBOX_NOTIFY, fresh_database
from devstack import proc
from devstack.ports import free_port, wait_listening
from devstack.postgres import Postgres
from services.notifier.render import Renderer
from services.notifier.repository import Repository
from services.notifier.sender import senders
from shared.config import DEFAULT_FIELDS_FILE
from shared.db import connect, make_pool
from shared.events import Event
from shared.fields import load_taxonomy
from shared.i18n import Catalogs
from tests.unit.notifier.test_render import CONTEXT

N = 2000
RUNS = ((1, 1), (20, 1), (1, 2), (1, 4))  # (NOTIFY_BATCH, NOTIFY_WORKERS)


def timed(workers) -> float:
    """Seconds for the senders, each in a thread as in the notifier, to send
    everything that is due."""

    def run(sender):
        while sender.drain():
            pass
        sender.smtp.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in workers]
    t = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t


def sink(port: int):
    """An SMTP server that takes and drops every message, in a process of its
    own (as a mail relay is): in this one it would share the senders' GIL."""
    process = proc.popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_listening(port, "the SMTP sink")
    return process


def queue(url: str, settings, n: int) -> None:
    with connect(url) as conn, conn.transaction():
        for i in range(n):
            event = Event(
                uuid.uuid4(), "IntroRequested", None, uuid.uuid4(), "intake", {}
            )
            person = {**CONTEXT["to"], "email": f"person{i}@example.com"}
            Repository(conn).queue(
                event=event,
                kind="invitation",
                person=person,
                context=CONTEXT,
                settings=settings,
            )


def main() -> None:
    port = free_port()
    server = sink(port)
    with tempfile.TemporaryDirectory(prefix="bench-notifier-") as tmp:
        pg = Postgres(Path(tmp) / "pg", port=free_port(), database="bench").start()
        try:
            url = fresh_database(pg, "notifier")
            settings = SimpleNamespace(
                mail_from="Entretiens réseau <no-reply@matchmaker.local>",
                smtp_host="127.0.0.1",
                smtp_port=port,
                smtp_security="none",
                smtp_user="",
                smtp_password="",
                smtp_timeout_s=10,
                notify_max_attempts=8,
                notify_retry_base=None,
                notify_merge_window=timedelta(0),
            )
            queue(url, settings, N)
            with connect(url) as conn:
                rows = conn.execute(
                    "SELECT * FROM notifications ORDER BY created_at"
                ).fetchall()
            renderer = Renderer(load_taxonomy(DEFAULT_FIELDS_FILE), Catalogs())
            messages = [(renderer.compose(r, settings), r["recipient"]) for r in rows]

            t = time.perf_counter()
            client = smtplib.SMTP("127.0.0.1", port)
            for message, recipient in messages:
                client.send_message(message, to_addrs=[recipient])
            client.quit()
            plain = N / (time.perf_counter() - t)

            pool = make_pool(url, name="bench")
            pool.open(wait=True)
            ours, busy = {}, {}
            for batch, workers in RUNS:
                with connect(url) as conn:  # the same messages, due again
                    conn.execute("UPDATE notifications SET status = 'pending'")
                run = SimpleNamespace(**vars(settings))
                run.notify_batch, run.notify_workers = batch, workers
                cpu = time.process_time()
                ours[batch, workers] = N / timed(senders(pool, run, renderer))
                busy[batch, workers] = (
                    (time.process_time() - cpu) * ours[batch, workers] / N
                )
            # the baseline of migration 0018, in the same run: the default
            # senders, each outbox insert sending a NOTIFY as before it
            with connect(url, autocommit=True) as conn:
                conn.execute(OUTBOX_NOTIFY)
                conn.execute("UPDATE notifications SET status = 'pending'")
            run = SimpleNamespace(**vars(settings))
            run.notify_batch, run.notify_workers = 1, 4
            notifying = N / timed(senders(pool, run, renderer))
            pool.close()
        finally:
            pg.stop()
    proc.terminate(server)
    print(f"notifier benchmark: {N} invitations to a local SMTP sink")
    print(f"  plain smtplib, pre-rendered, one connection  {plain:8.0f} emails/s")
    for (batch, workers), rate in ours.items():
        print(
            f"  notifier, NOTIFY_WORKERS={workers} NOTIFY_BATCH={batch:<2}  {rate:8.0f}"
            f" emails/s, ratio to plain smtplib {rate / plain:.2f};"
            f" {busy[batch, workers]:.2f} of a core busy here (Python, one GIL)"
        )
    print(
        f"  the same, NOTIFY on each outbox insert     {notifying:8.0f}"
        f" emails/s, ratio to plain smtplib {notifying / plain:.2f}"
        f" (as before migration 0018; ratio of the default to it"
        f" {ours[1, 4] / notifying:.2f})"
    )


if __name__ == "__main__":
    main()
