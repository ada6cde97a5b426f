"""Forward-only plain-SQL migrations, applied in order under an advisory lock.

Files are `NNNN_name.sql` in this folder; each runs in its own transaction
and is recorded in `schema_migrations`. Several processes may call `migrate`
at once: the lock makes all but one wait, and they then find nothing to do.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg

from shared.db import connect

FOLDER = Path(__file__).resolve().parent
LOCK_ID = 0x6D61746368  # "match"
log = logging.getLogger(__name__)


def available(folder: Path = FOLDER) -> list[tuple[str, Path]]:
    return sorted((p.stem, p) for p in folder.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def latest_version() -> str:
    return available()[-1][0]


def applied(conn: psycopg.Connection) -> set[str]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
    if not list(exists.values())[0]:
        return set()
    return {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}


def migrate(url: str, folder: Path = FOLDER) -> list[str]:
    """Apply every pending migration of `folder` (a copy of an earlier
    release's, in the upgrade test); return the versions applied now."""
    done = []
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            have = applied(conn)
            for version, path in available(folder):
                if version in have:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text(encoding="utf-8"))
                    conn.execute(
                        "INSERT INTO schema_migrations (version) VALUES (%s)",
                        (version,),
                    )
                log.info("applied migration %s", version)
                done.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    return done


def is_current(conn: psycopg.Connection) -> bool:
    return latest_version() in applied(conn)
