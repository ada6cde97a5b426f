"""The notifier as a real process, a real SMTP server, intake in-process."""

from __future__ import annotations

import pytest

from tests.fixtures_intake import running_relay
from tests.smtp import SmtpServer
from tests.support import ServiceProcess


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def service_env(
    service_env, smtp
):  # the root fixture, pointed at this test's SMTP server
    # each message alone: messages sent together have their own tests
    # (test_senders.py), and these read each kind's own subject
    return {**service_env, "SMTP_PORT": str(smtp.port), "NOTIFY_RETRY_BASE": "PT0.2S",
            "NOTIFY_MERGE_WINDOW": "PT0S"}  # fmt: skip


@pytest.fixture
def notifier(service_env, log_dir):
    process = ServiceProcess("notifier", service_env, log_dir).start()
    yield process
    process.stop()


@pytest.fixture
def matcher_relay(runtime):
    """Publishes what the tests write as the matcher would (the matcher is not under test here)."""
    yield from running_relay(runtime, "matcher")
