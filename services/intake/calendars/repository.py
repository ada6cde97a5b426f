"""What the calendar use cases read and write: hosts' own calendars in
`host_calendars` (the connection, its secret sealed, and the busy intervals
read from it), all of it SQL on the unit of work's connection."""

from __future__ import annotations

from psycopg.types.multirange import Multirange
from psycopg.types.range import Range


class CalendarRepository:
    def __init__(self, conn):
        self.conn = conn

    def calendar_of(self, host_id) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM host_calendars WHERE host_id = %s", (host_id,)
        ).fetchone()

    def save_calendar(
        self, host_id, *, kind: str, secret: bytes, shown: str, now, next_at
    ) -> None:
        """Connect (or reconnect) the host's calendar; its busy times follow."""
        self.conn.execute(
            "INSERT INTO host_calendars (host_id, kind, secret, shown, connected_at,"
            " next_refresh_at) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (host_id) DO UPDATE SET kind = EXCLUDED.kind,"
            " secret = EXCLUDED.secret, shown = EXCLUDED.shown,"
            " connected_at = EXCLUDED.connected_at, etag = NULL,"
            " last_modified = NULL, next_refresh_at = EXCLUDED.next_refresh_at,"
            " busy = '{}', busy_until = NULL, refreshed_at = NULL,"
            " failing_since = NULL, last_error = NULL, stale_notified_at = NULL",
            (host_id, kind, secret, shown, now, next_at),
        )

    def installation_salt(self) -> bytes:
        return bytes(
            self.conn.execute("SELECT salt FROM installation").fetchone()["salt"]
        )

    def reseal(self, host_id, secret: bytes) -> None:
        """The secret sealed anew under the current key."""
        self.conn.execute(
            "UPDATE host_calendars SET secret = %s WHERE host_id = %s",
            (secret, host_id),
        )

    def drop_calendar(self, host_id) -> bool:
        return (
            self.conn.execute(
                "DELETE FROM host_calendars WHERE host_id = %s", (host_id,)
            ).rowcount
            > 0
        )

    def lock_calendar(self, host_id) -> dict | None:
        return self.conn.execute(
            "SELECT c.*, h.timezone FROM host_calendars c JOIN hosts h"
            " ON h.id = c.host_id WHERE c.host_id = %s FOR UPDATE OF c",
            (host_id,),
        ).fetchone()

    def claim_due_calendars(self, now, next_at, limit: int) -> list[dict]:
        """Calendars due for a read, set to come due again at `next_at` (so a
        process that dies mid-read leaves them for the next period)."""
        return self.conn.execute(
            "UPDATE host_calendars c SET next_refresh_at = %s FROM hosts h"
            " WHERE h.id = c.host_id AND c.host_id IN (SELECT host_id FROM"
            " host_calendars WHERE next_refresh_at <= %s ORDER BY next_refresh_at"
            " LIMIT %s FOR UPDATE SKIP LOCKED)"
            " RETURNING c.*, h.timezone",
            (next_at, now, limit),
        ).fetchall()

    def store_busy(
        self, host_id, spans: list, *, until, etag, last_modified, now
    ) -> bool:
        """A good read's busy times; True if they differ from those stored,
        over the time both cover (from now to the older horizon)."""
        new = Multirange([Range(s, e, "[)") for s, e in spans])
        row = self.conn.execute(
            "WITH old AS (SELECT busy, busy_until FROM host_calendars"
            " WHERE host_id = %(id)s FOR UPDATE)"
            " UPDATE host_calendars c SET busy = %(new)s::tstzmultirange,"
            " busy_until = %(until)s, etag = %(etag)s, last_modified = %(lm)s,"
            " refreshed_at = %(now)s, failing_since = NULL, last_error = NULL,"
            " stale_notified_at = NULL, changed_at = CASE WHEN old.busy_until IS NULL"
            " OR old.busy_until <= %(now)s"
            " OR old.busy * tstzmultirange(tstzrange(%(now)s,"
            " greatest(old.busy_until, %(now)s)))"
            " <> %(new)s::tstzmultirange * tstzmultirange(tstzrange(%(now)s,"
            " greatest(old.busy_until, %(now)s))) THEN %(now)s ELSE c.changed_at END"
            " FROM old WHERE c.host_id = %(id)s RETURNING c.changed_at = %(now)s AS changed",
            {"id": host_id, "new": new, "until": until, "etag": etag,
             "lm": last_modified, "now": now},
        ).fetchone()  # fmt: skip
        return bool(row and row["changed"])

    def accepted_meetings_of(self, host_id) -> list[tuple]:
        """The host's accepted meetings still to come, as (start, end)."""
        rows = self.conn.execute(
            "SELECT starts_at, ends_at FROM matches WHERE host_id = %s"
            " AND status = 'accepted' AND ends_at > now()",
            (host_id,),
        ).fetchall()
        return [(r["starts_at"], r["ends_at"]) for r in rows]

    def calendar_unchanged(self, host_id, now) -> None:
        self.conn.execute(
            "UPDATE host_calendars SET refreshed_at = %s, failing_since = NULL,"
            " last_error = NULL, stale_notified_at = NULL WHERE host_id = %s",
            (now, host_id),
        )

    def calendar_failed(self, host_id, code: str, now) -> None:
        """A failed read keeps the last good busy times."""
        self.conn.execute(
            "UPDATE host_calendars SET failing_since = coalesce(failing_since, %s),"
            " last_error = %s WHERE host_id = %s",
            (now, code, host_id),
        )

    def stale_calendars(self, read_before, limit: int = 200) -> list[dict]:
        """Calendars failing and not read well since `read_before`, whose host
        has not been told yet."""
        return self.conn.execute(
            "SELECT * FROM host_calendars WHERE failing_since IS NOT NULL"
            " AND coalesce(refreshed_at, connected_at) < %s"
            " AND stale_notified_at IS NULL ORDER BY failing_since LIMIT %s"
            " FOR UPDATE SKIP LOCKED",
            (read_before, limit),
        ).fetchall()

    def calendar_stale_told(self, host_id, now) -> None:
        self.conn.execute(
            "UPDATE host_calendars SET stale_notified_at = %s WHERE host_id = %s",
            (now, host_id),
        )
