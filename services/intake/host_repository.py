"""What intake's use cases read and write of hosts: their profiles in
`hosts` and the meetings they hold, all of it SQL on the unit of work's
connection (`uow.hosts`). A meeting withdrawn when its host leaves goes
through `shared.lifecycle`, like every change of a match's status."""

from __future__ import annotations

import uuid

from services.intake import domain
from services.intake.repository import jsonb
from shared import forgetting, lifecycle
from shared.statuses import LIVE_SQL


class HostRepository:
    def __init__(self, conn):
        self.conn = conn

    def host_of(self, email: str) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM hosts WHERE email = %s", (email,)
        ).fetchone()

    def save_host(self, who: str, data: dict, locale: str) -> tuple[dict, bool]:
        """Create or replace the profile of `who`; (row, created). A first save
        racing another keeps the id of whichever inserted first."""
        row = self.conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, site,"
            " timezone, durations, monthly_capacity, weekly_availability, unavailable,"
            " active, locale, listed, paused_until, experience)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name,"
            " experience = EXCLUDED.experience,"
            " fields = EXCLUDED.fields, languages = EXCLUDED.languages,"
            " formats = EXCLUDED.formats, site = EXCLUDED.site,"
            " timezone = EXCLUDED.timezone, durations = EXCLUDED.durations,"
            " monthly_capacity = EXCLUDED.monthly_capacity,"
            " weekly_availability = EXCLUDED.weekly_availability,"
            " unavailable = EXCLUDED.unavailable, active = EXCLUDED.active,"
            " locale = EXCLUDED.locale, listed = EXCLUDED.listed,"
            " paused_until = EXCLUDED.paused_until, updated_at = now()"
            " RETURNING *, (xmax = 0) AS inserted",
            (uuid.uuid4(), who, data["name"], data["fields"], data["languages"],
             data["formats"], data["site"], data["timezone"], data["durations"],
             data["monthly_capacity"], jsonb(data["weekly_availability"]),
             jsonb(domain.windows(data["unavailable"])), data["active"], locale,
             data["listed"], data["paused_until"], data.get("experience") or None),
        ).fetchone()  # fmt: skip
        return row, row["inserted"]

    def directory(
        self, query: str | None, field: str | None, limit: int = 200
    ) -> list[dict]:
        """Active hosts who agreed to be listed, by name, matching `query`
        (in their name) and `field` (one of theirs), if given."""
        return self.conn.execute(
            "SELECT id, name, fields FROM hosts WHERE listed AND active"
            " AND (%(q)s::text IS NULL OR name ILIKE '%%' || %(q)s || '%%')"
            " AND (%(f)s::text IS NULL OR %(f)s = ANY(fields))"
            " ORDER BY name, id LIMIT %(limit)s",
            {"q": query, "f": field, "limit": limit},
        ).fetchall()

    def read_hosts(self, model: str) -> list[dict]:
        """The hosts intake reads by their words: active, listed, who wrote
        what they can talk about (they agreed to be found so), their words
        read by the matcher under `model` as the profile now stands: id,
        fields, the profile version read (the matcher's `host_vectors`,
        read here)."""
        return self.conn.execute(
            "SELECT h.id, h.fields, v.profile_at FROM hosts h"
            " JOIN host_vectors v ON v.host_id = h.id AND v.model = %s"
            " AND v.profile_at = h.updated_at"
            " WHERE h.active AND h.listed AND h.experience IS NOT NULL",
            (model,),
        ).fetchall()

    def host_vectors(self, host_ids: list, model: str) -> dict:
        """Host id -> (profile version, stored vector), of `host_ids`."""
        rows = self.conn.execute(
            "SELECT host_id, profile_at, vector FROM host_vectors"
            " WHERE host_id = ANY(%s) AND model = %s",
            (host_ids, model),
        ).fetchall()
        return {r["host_id"]: (r["profile_at"], r["vector"]) for r in rows}

    def directory_of(self, host_ids: list, field: str | None) -> list[dict]:
        """Of `host_ids`, in their order, the listed, active hosts who wrote
        what they can talk about (and of `field`, if given), whose words as
        they now stand were read: those the directory finds by their words."""
        rows = self.conn.execute(
            "SELECT id, name, fields FROM hosts h WHERE id = ANY(%(ids)s)"
            " AND listed AND active AND experience IS NOT NULL"
            " AND (%(f)s::text IS NULL OR %(f)s = ANY(fields))"
            " AND EXISTS (SELECT 1 FROM host_vectors v WHERE v.host_id = h.id"
            " AND v.profile_at = h.updated_at)",
            {"ids": host_ids, "f": field},
        ).fetchall()
        by_id = {r["id"]: r for r in rows}
        return [by_id[h] for h in host_ids if h in by_id]

    def meetings_of(self, host_id) -> list[dict]:
        """The host's proposed and accepted meetings still to come."""
        return self.conn.execute(
            "SELECT starts_at, ends_at, month FROM matches"
            f" WHERE host_id = %s AND status IN {LIVE_SQL} AND ends_at > now()",
            (host_id,),
        ).fetchall()

    def lock_host_of(self, email: str) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM hosts WHERE email = %s FOR UPDATE", (email,)
        ).fetchone()

    def lock_live_meetings_of(self, host_id) -> list[dict]:
        """The host's proposed and accepted meetings, locked in the one order
        (their requests, then the matches; the host row after, by the caller)."""
        live = f"SELECT request_id FROM matches WHERE host_id = %s AND status IN {LIVE_SQL}"
        self.conn.execute(
            f"SELECT id FROM requests WHERE id IN ({live}) ORDER BY id FOR UPDATE",
            (host_id,),
        )
        return self.conn.execute(
            "SELECT m.*, r.correlation_id FROM matches m JOIN requests r"
            f" ON r.id = m.request_id WHERE m.host_id = %s AND m.status IN {LIVE_SQL}"
            " ORDER BY m.id FOR UPDATE OF m",
            (host_id,),
        ).fetchall()

    def leave(self, match: dict, reason: str) -> None:
        lifecycle.leave(self.conn, match["id"], match["request_id"], reason)

    def forget_host(self, host_id) -> None:
        self.conn.execute(
            "UPDATE hosts SET email = %s, name = '', site = NULL, active = false,"
            " experience = NULL,"
            " weekly_availability = '[]', unavailable = '[]', updated_at = now()"
            " WHERE id = %s",
            (forgetting.forgotten_email(host_id), host_id),
        )
        self.conn.execute(  # what they wrote to requesters
            "UPDATE matches SET location = NULL, note = NULL, decline_reason = NULL"
            " WHERE host_id = %s",
            (host_id,),
        )
