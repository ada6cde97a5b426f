"""Migrations: twice, and from two processes at once, without harm."""

import subprocess
import sys

from shared import migrations
from shared.db import connect
from tests.support import ROOT, base_env


def versions(url):
    with connect(url) as conn:
        return [
            r["version"]
            for r in conn.execute(
                "SELECT version FROM schema_migrations ORDER BY version"
            )
        ]


def test_running_migrations_twice_applies_each_once(empty_database_url):
    first = migrations.migrate(empty_database_url)
    second = migrations.migrate(empty_database_url)
    assert first == [v for v, _ in migrations.available()]
    assert second == []
    assert versions(empty_database_url) == first


def test_two_processes_migrating_at_once_both_succeed(empty_database_url):
    env = base_env(
        DATABASE_URL=empty_database_url, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "shared.migrations"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    outputs = sorted(out for out, _ in results)
    assert outputs[0].startswith(
        "applied 0 migration(s)"
    )  # the one that waited found nothing to do
    assert outputs[1].startswith(f"applied {len(migrations.available())} migration(s)")
    assert versions(empty_database_url) == [v for v, _ in migrations.available()]
    with connect(empty_database_url) as conn:
        assert (
            conn.execute("SELECT to_regclass('outbox') AS t").fetchone()["t"]
            == "outbox"
        )
