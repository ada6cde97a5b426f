"""A real SMTP server for tests (aiosmtpd) that records what it accepts and
can be told how to answer."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from devstack.ports import free_port


class Recorder:
    def __init__(self):
        self.messages: list[tuple[list[str], bytes]] = []
        self.attempts = 0
        self.lock = threading.Lock()
        self.reply = None  # callable(attempt_number, envelope) -> "4xx/5xx ..." or None to accept
        self.hold = (
            None  # callable(attempt_number) -> True to hold this message until released
        )
        self.held = threading.Event()
        self.release = threading.Event()
        self.delay_s = 0.0  # kept, then answered this much later (a slow server)
        self.in_flight = 0
        self.most_in_flight = 0  # messages kept and not yet answered at once

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.attempts += 1
            n = self.attempts
        if self.hold and self.hold(n):
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 4.3.0 Aborted by the test"
        if self.reply:
            answer = self.reply(n, envelope)
            if answer:
                return answer
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
        finally:
            with self.lock:
                self.in_flight -= 1
        return "250 OK"


class SmtpServer:
    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.recorder = Recorder()
        self.controller = Controller(
            self.recorder, hostname="127.0.0.1", port=self.port
        )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.recorder.release.set()
        self.controller.stop()

    def parsed(self) -> list[EmailMessage]:
        with self.recorder.lock:
            raw = [m for _, m in self.recorder.messages]
        return [email.message_from_bytes(m, policy=email.policy.default) for m in raw]

    def to(self, address: str, kind: str | None = None) -> list[EmailMessage]:
        return [
            m
            for m in self.parsed()
            if address in str(m["To"])
            # an email that says several things lists their kinds
            and (kind is None or kind in str(m["X-Matchmaker-Kind"]).split())
        ]
