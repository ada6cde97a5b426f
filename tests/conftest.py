"""Real infrastructure for the test session.

One PostgreSQL server and one Kafka broker per session, started by the
project's own code (devstack) or, where a Docker engine answers and
TEST_INFRA allows it, by testcontainers. Every test gets a fresh database
(cloned from a migrated template) and a fresh topic prefix, so tests never
see each other's rows or messages.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

from devstack.ports import free_port
from shared import kafka as kafka_clients
from shared.migrations import migrate
from shared.topics import Names
from tests import infra
from tests.support import base_env

pytest_plugins = ["tests.fixtures_intake"]


def pytest_report_header(config):
    return f"test infrastructure: {infra.mode()}"


@pytest.fixture(scope="session")
def pg_server():
    # Outside pytest's own temporary root: each pytest session makes that root
    # private to root (0700), which would lock out a server that runs as its
    # own system user whenever a second session starts beside this one.
    workdir = Path(tempfile.mkdtemp(prefix="matchmaker-test-pg-"))
    server = infra.postgres(workdir)
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def radicale(tmp_path_factory):
    """A real CalDAV server (Radicale) for the session; tests add their users."""
    from devstack.radicale import Radicale

    with Radicale(tmp_path_factory.mktemp("radicale")) as server:
        yield server


@pytest.fixture(scope="session")
def template_db(pg_server):
    name = "template_migrated"
    with psycopg.connect(pg_server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(pg_server.url(name))
    return name


def _throwaway_database(server, prefix: str, template: str | None = None):
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(
            f'CREATE DATABASE "{name}"'
            + (f' TEMPLATE "{template}"' if template else "")
        )
    yield server.url(name)
    with psycopg.connect(server.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(pg_server, template_db):
    """A fresh, migrated database for this test."""
    yield from _throwaway_database(pg_server, "t", template_db)


@pytest.fixture
def empty_database_url(pg_server):
    """A fresh database with no schema at all."""
    yield from _throwaway_database(pg_server, "e")


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory):
    broker = infra.kafka(tmp_path_factory.mktemp("kafka"))
    yield broker
    broker.stop()


@pytest.fixture
def bootstrap(kafka_broker):
    return (kafka_broker.bootstrap,)


@pytest.fixture
def names(bootstrap):
    """A fresh topic prefix, its topics created."""
    n = Names(f"t{uuid.uuid4().hex[:10]}-")
    kafka_clients.ensure_topics(bootstrap, n.all(), partitions=3)
    return n


@pytest.fixture
def service_env(database_url, bootstrap, names, tmp_path):
    """Environment for a service process pointed at this test's database and topics."""
    return base_env(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=",".join(bootstrap),
        TOPIC_PREFIX=names.prefix,
        INTAKE_PORT=free_port(),
        MATCHER_PORT=free_port(),
        NOTIFIER_PORT=free_port(),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=free_port(),
    )


@pytest.fixture
def log_dir(tmp_path):
    d = tmp_path / "logs"
    d.mkdir()
    return d
