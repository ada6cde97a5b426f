"""Fixtures: intake's Flask app in-process, on the test's real database and topics."""

from __future__ import annotations

import uuid

import pytest

from services.intake.web.app import create_app
from shared import config
from shared import kafka as kafka_clients
from shared.db import make_pool
from shared.health import Readiness
from shared.relay import Relay
from shared.service import Runtime


@pytest.fixture
def settings(service_env):
    return config.load(service_env)


@pytest.fixture
def runtime(settings, names):
    pool = make_pool(settings.database_url, name="intake-test", max_size=4)
    pool.open(wait=True)
    rt = Runtime(
        "intake",
        settings,
        pool,
        names,
        Readiness(settings.database_url, settings.kafka_bootstrap_servers),
    )
    yield rt
    pool.close()


@pytest.fixture
def app(runtime):
    app = create_app(runtime)
    app.config.update(TESTING=True)
    yield app
    app.extensions["calendars"].reader.close()  # its reader processes


@pytest.fixture
def client(app):
    return app.test_client()


def user(email: str, *groups: str, lang: str = "en") -> dict:
    headers = {"X-Remote-User": email, "Accept-Language": lang}
    if groups:
        headers["X-Remote-Groups"] = ",".join(groups)
    return headers


def running_relay(runtime, producer: str):
    """The outbox relay of `producer`, publishing to this test's topics."""
    r = Relay(
        runtime.settings.database_url,
        producer,
        runtime.settings.kafka_bootstrap_servers,
        runtime.names,
    ).start()
    yield r
    r.stop()


@pytest.fixture
def relay(runtime):
    yield from running_relay(runtime, "intake")


@pytest.fixture
def topic_reader(runtime):
    """Read every message of one topic (from the beginning) with a fresh group."""
    readers = []

    def read(topic: str):
        c = kafka_clients.consumer(
            runtime.settings.kafka_bootstrap_servers,
            f"reader-{uuid.uuid4()}",
            [runtime.names(topic)],
        )
        readers.append(c)
        return c

    yield read
    for c in readers:
        c.close()
