"""An upgrade from the previous release: a database made and filled by the
schema of v0.1.0 (its migrations: the shipped files up to its last, since
a released migration is never edited) is migrated to the current schema,
and every live request, host and meeting is still there, as the current
code reads it."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime, timedelta

from psycopg.types.json import Jsonb

from services.intake.repository import Repository
from shared import migrations
from shared.db import connect

PREVIOUS_RELEASE = "0.1.0"  # CHANGELOG.md's entry before the current one
PREVIOUS_LAST = "0014_installation"  # its last migration
WEEK = [{"day": "tue", "start": "09:00", "end": "12:00"}]


def _fill(conn) -> dict:
    """Hosts, open and closed requests, a meeting and an invitation, their
    events, as 0.1.0 wrote them."""
    ids = {
        k: uuid.uuid4() for k in ("host", "host2", "open", "met", "invited", "closed")
    }
    for key, email in (("host", "nathalie@example.com"), ("host2", "omar@example.com")):
        conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, timezone,"
            " durations, monthly_capacity, weekly_availability, listed)"
            " VALUES (%s, %s, %s, %s, %s, %s, 'Europe/Paris', %s, 3, %s, true)",
            (ids[key], email, email.split("@")[0].title(), ["management"], ["fr"],
             ["video"], [30], Jsonb(WEEK)),
        )  # fmt: skip
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=4)
    for key, status in (("open", "waitlisted"), ("met", "confirmed"),
                        ("invited", "proposed"), ("closed", "completed")):  # fmt: skip
        conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal,"
            " format, duration_minutes, languages, timezone, availability, status,"
            " correlation_id) VALUES (%s, %s, %s, 'management', %s, 'video', 30,"
            " %s, 'Europe/Paris', %s, %s, %s)",
            (ids[key], f"{key}@example.com", f"Person {key}", f"The goal of {key}",
             ["fr"], Jsonb([{"start": start.isoformat(),
                             "end": (start + timedelta(hours=3)).isoformat()}]),
             status, uuid.uuid4()),
        )  # fmt: skip
    for key, host, status in (
        ("met", "host", "accepted"),
        ("invited", "host2", "proposed"),
    ):
        conn.execute(
            "INSERT INTO matches (id, request_id, host_id, status, starts_at, ends_at,"
            " month, format, exact_field, expires_at, note)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, 'video', true, %s, %s)",
            (uuid.uuid4(), ids[key], ids[host], status, start,
             start + timedelta(minutes=30), start.strftime("%Y-%m"),
             start - timedelta(hours=12), f"Note to {key}"),
        )  # fmt: skip
    conn.execute(
        "INSERT INTO outbox (producer, topic, key, value, event_type)"
        " VALUES ('intake', 'intro-requests', %s, %s, 'IntroRequested')",
        (str(ids["open"]), b'{"payload": {}}'),
    )
    return ids


def previous_release(folder):
    """The migrations the previous release shipped, alone in `folder`."""
    for version, path in migrations.available():
        if version <= PREVIOUS_LAST:
            shutil.copy(path, folder / path.name)
    return folder


def test_a_database_of_the_previous_release_upgrades_with_its_data(
    empty_database_url, tmp_path
):
    applied = migrations.migrate(empty_database_url, previous_release(tmp_path))
    assert applied[-1] == PREVIOUS_LAST
    with connect(empty_database_url) as conn:
        ids = _fill(conn)

    now = migrations.migrate(empty_database_url)
    assert now and all(v > "0014" for v in now)
    with connect(empty_database_url) as conn:
        assert migrations.is_current(conn)
        repo = Repository(conn)
        for key, status in (("open", "waitlisted"), ("met", "confirmed"),
                            ("invited", "proposed"), ("closed", "completed")):  # fmt: skip
            row = repo.request(ids[key])
            assert (row["status"], row["requester_name"], row["goal"]) == (
                status, f"Person {key}", f"The goal of {key}"
            )  # fmt: skip
            assert row["purged_at"] is None
        met, invited = repo.live_match(ids["met"]), repo.live_match(ids["invited"])
        assert (met["status"], met["host_id"], met["note"]) == (
            "accepted", ids["host"], "Note to met"
        )  # fmt: skip
        assert (invited["status"], invited["host_id"]) == ("proposed", ids["host2"])
        hosts = conn.execute("SELECT email, listed, active FROM hosts ORDER BY email")
        assert [tuple(h.values()) for h in hosts] == [
            ("nathalie@example.com", True, True), ("omar@example.com", True, True)
        ]  # fmt: skip
        assert conn.execute("SELECT count(*) AS n FROM outbox").fetchone()["n"] == 1
        assert conn.execute("SELECT count(*) AS n FROM audit").fetchone()["n"] == 0
