"""STARTTLS, implicit TLS and authentication against a real SMTP server."""

from __future__ import annotations

import ssl
import subprocess
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from devstack.ports import free_port
from services.notifier.repository import Repository
from services.notifier.sender import Sender
from shared.db import connect, make_pool
from shared.events import Event
from tests.unit.notifier.test_render import CONTEXT


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv(
        "SSL_CERT_FILE", str(cert)
    )  # the sender verifies the server against it
    return cert, key


class Keeper:
    def __init__(self):
        self.messages, self.logins = [], []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"


def authenticator(keeper):
    def check(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"matchmaker" and auth_data.password == b"s3cret"
        keeper.logins.append((auth_data.login, ok))
        return AuthResult(success=ok)

    return check


def settings_for(port, security, password="s3cret"):
    return SimpleNamespace(
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        smtp_user="matchmaker",
        smtp_password=password,
        smtp_timeout_s=3,
        mail_from="Entretiens <no-reply@matchmaker.local>",
        notify_max_attempts=8,
        notify_retry_base=timedelta(seconds=30),
        notify_batch=1,
        notify_merge_window=timedelta(0),
    )


def queue_one(database_url, settings) -> None:
    with connect(database_url) as conn, conn.transaction():
        event = Event(uuid.uuid4(), "IntroRequested", None, uuid.uuid4(), "intake", {})
        Repository(conn).queue(
            event=event,
            kind="invitation",
            person=CONTEXT["to"],
            context=CONTEXT,
            settings=settings,
        )


def send_all(database_url, settings) -> None:
    pool = make_pool(database_url, name="smtp-test")
    pool.open(wait=True)
    try:
        Sender(pool, settings).drain()
    finally:
        pool.close()


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_mail_goes_out_over_tls_with_authentication(
    database_url, certificate, security
):
    keeper, port = Keeper(), free_port()
    tls = server_context(certificate)
    options = dict(
        authenticator=authenticator(keeper), auth_required=True, auth_require_tls=True
    )
    if security == "starttls":
        controller = Controller(
            keeper,
            hostname="127.0.0.1",
            port=port,
            tls_context=tls,
            require_starttls=True,
            **options,
        )
    else:  # implicit TLS: aiosmtpd cannot see it at the SMTP level, so it must not insist on STARTTLS first
        controller = Controller(
            keeper,
            hostname="127.0.0.1",
            port=port,
            ssl_context=tls,
            **{**options, "auth_require_tls": False},
        )
    controller.start()
    try:
        settings = settings_for(port, security)
        queue_one(database_url, settings)
        send_all(database_url, settings)
    finally:
        controller.stop()
    assert keeper.logins == [(b"matchmaker", True)]
    assert len(keeper.messages) == 1 and b"invitation" in keeper.messages[0].lower()
    with connect(database_url) as conn:
        assert (
            conn.execute("SELECT status FROM notifications").fetchone()["status"]
            == "sent"
        )


def test_a_wrong_password_keeps_the_mail_for_later(database_url, certificate):
    keeper, port = Keeper(), free_port()
    controller = Controller(
        keeper,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator(keeper),
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        settings = settings_for(port, "starttls", password="wrong")
        queue_one(database_url, settings)
        send_all(database_url, settings)
    finally:
        controller.stop()
    assert keeper.messages == []
    with connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, attempts, last_error FROM notifications"
        ).fetchone()
    # not failed, not even counted: the settings, not the mail, are wrong
    assert row["status"] == "pending" and row["attempts"] == 0
    with connect(database_url) as conn:
        outage = conn.execute("SELECT reason FROM mail_outage").fetchone()
    assert outage is not None  # shown to ops as an outage of the mail server
    assert (b"matchmaker", False) in keeper.logins
