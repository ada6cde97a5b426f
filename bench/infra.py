"""Throwaway PostgreSQL and Kafka servers for a benchmark run."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import psycopg

from devstack.kafka import Broker
from devstack.ports import free_port
from devstack.postgres import Postgres
from shared.migrations import migrate

# `servers(diagnose=True)`: PostgreSQL counts each statement's calls and
# time (pg_stat_statements) and logs every lock waited for over 200 ms
DIAGNOSE = {
    "shared_preload_libraries": "pg_stat_statements",
    "pg_stat_statements.track": "all",
    "log_lock_waits": "on",
    "deadlock_timeout": "200ms",
}


@contextlib.contextmanager
def servers(diagnose: bool = False):
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        pg = Postgres(
            Path(tmp) / "pg",
            port=free_port(),
            database="bench",
            settings=DIAGNOSE if diagnose else None,
        ).start()
        broker = Broker(
            Path(tmp) / "kafka", port=free_port(), controller_port=free_port()
        ).start()
        try:
            yield pg, broker
        finally:
            broker.stop()
            pg.stop()


# The trigger migration 0018 dropped: each outbox insert sent a NOTIFY. The
# benchmarks put it back in a database of their own as a same-run baseline.
OUTBOX_NOTIFY = """
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_notify('outbox', NEW.producer); RETURN NEW; END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION outbox_notify();
"""


def copy_database(pg, source: str, name: str) -> str:
    """A new database `name`, a copy of `source` (no one connected to it)."""
    with psycopg.connect(pg.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return pg.url(name)


def fresh_database(pg, name: str) -> str:
    with psycopg.connect(pg.url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    migrate(pg.url(name))
    return pg.url(name)
