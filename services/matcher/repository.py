"""All of the matcher's SQL, on the connection of one unit of work.

Status changes of requests and matches go through `shared.lifecycle` (the
one place that writes them, shared with intake); they are named here too,
so that the matcher's use cases read and write every row through this
class. A booking that loses a race to another process is an answer here
(`propose` returns None), never a driver exception in a use case.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb
from psycopg.types.range import Range

from services.matcher.model import Agenda
from services.matcher.ranking import Demand
from shared import lifecycle, slots
from shared.statuses import LIVE_SQL, WAITING_SQL

# candidates read in the first page (then fourfold): often all the ranking needs
PAGE = 16

# the candidate query's own rules (`model.refusal`, pauses), then what a
# slot needs that is known without computing it (`slots.Reach`): a weekly
# entry on a day the windows touch, a calendar not busy all over them. (Room
# in a month is left to the slot search: counting each candidate's meetings
# here cost more than it saved.)
_MAY_TAKE = f"""
WHERE h.active AND (h.paused_until IS NULL OR h.paused_until <= CURRENT_DATE)
  AND h.fields && %(fields)s AND %(duration)s = ANY(h.durations) AND %(format)s = ANY(h.formats)
  AND h.languages && %(languages)s AND h.email <> %(email)s AND h.monthly_capacity > 0
  AND (%(format)s <> 'in_person' OR h.site = %(site)s)
  AND NOT (h.id = ANY(%(excluded)s))
  AND coalesce(%(days)s::jsonb -> h.timezone, %(days)s::jsonb -> '{slots.ANYWHERE}') ?| h.weekly_days
  AND NOT (h.id = ANY(SELECT host_id FROM host_calendars WHERE busy @> ALL(%(windows)s::tstzrange[])))
"""

# what `model.Host` reads of a host (not its name, experience, ...)
_HOST = """h.id, h.email, h.fields, h.languages, h.formats, h.site, h.timezone,
  h.durations, h.monthly_capacity, h.weekly_availability, h.unavailable, h.active,
  h.last_invited_at, h.paused_until"""

# the order of ranking.tier (the band of fit of each host in %(bands)s,
# else 0), then the least recently invited; with no bands (the texts fit
# alike, or no model), the order on fields alone, without a lookup per host
_CANDIDATES_ORDERED = """
SELECT {host} FROM hosts h {may_take}
ORDER BY (h.id = %(preferred)s AND %(field)s = ANY(h.fields)) IS TRUE DESC,{band}
  %(field)s = ANY(h.fields) DESC, (h.id = %(preferred)s) IS TRUE DESC,
  h.last_invited_at ASC NULLS FIRST, h.id
LIMIT %(limit)s
"""
_CANDIDATES_BANDED = _CANDIDATES_ORDERED.format(
    host=_HOST,
    may_take=_MAY_TAKE,
    band="\n  coalesce((%(bands)s::jsonb ->> h.id::text)::int, 0),",
)
_CANDIDATES = _CANDIDATES_ORDERED.format(host=_HOST, may_take=_MAY_TAKE, band="")

_WORD_HOSTS = """
SELECT h.*, v.profile_at FROM hosts h
JOIN host_vectors v ON v.host_id = h.id AND v.model = %(model)s
  AND v.profile_at = h.updated_at
WHERE h.active
"""

_DEMAND = f"""
SELECT f, sum(waiting)::int AS waiting, sum(recent)::int AS recent, sum(supply)::int AS supply FROM (
  SELECT field AS f, count(*) FILTER (WHERE status IN {WAITING_SQL}) AS waiting,
         count(*) FILTER (WHERE created_at > %(since)s AND created_at <= %(now)s) AS recent,
         0 AS supply
  FROM requests WHERE status IN {WAITING_SQL} OR (created_at > %(since)s AND created_at <= %(now)s)
  GROUP BY field
  UNION ALL
  SELECT unnest(fields), 0, 0, monthly_capacity FROM hosts WHERE active AND monthly_capacity > 0
    ) d GROUP BY f
"""


def _may_take(request, fields: list[str], excluded: set, reach: slots.Reach) -> dict:
    return {
        "days": Jsonb({zone: sorted(days) for zone, days in reach.days.items()}),
        "windows": [Range(s, e, "[)") for s, e in reach.windows],
        "fields": list(fields),
        "duration": int(request.duration.total_seconds() // 60),
        "format": request.format,
        "languages": list(request.languages),
        "email": request.requester_email,
        "site": request.site,
        "excluded": list(excluded),
    }


class Repository:
    PAGE = PAGE

    def __init__(self, conn):
        self.conn = conn

    def excluded_hosts(self, request_id) -> set:
        """Hosts already proposed for this request (declined, expired or otherwise),
        but for invitations withdrawn because the host's calendar became busy: the
        host may still be proposed at another time."""
        rows = self.conn.execute(
            "SELECT host_id FROM matches WHERE request_id = %s AND NOT calendar_conflict",
            (request_id,),
        ).fetchall()
        return {r["host_id"] for r in rows}

    def candidate_page(
        self,
        request,
        fields: list[str],
        excluded: set,
        reach: slots.Reach,
        limit: int = PAGE,
        bands: dict | None = None,
    ) -> list[dict]:
        """The first `limit` hosts that may take `request` (covering one of
        `fields`) and may have a slot within `reach`, in the order of
        `ranking.tier` (with the band of fit of each host in `bands`, else
        0), then the least recently invited."""
        return self.conn.execute(
            _CANDIDATES_BANDED if bands else _CANDIDATES,
            {
                **_may_take(request, fields, excluded, reach),
                "field": request.field,
                "preferred": request.preferred_host,
                "bands": Jsonb({str(k): v for k, v in (bands or {}).items()}),
                "limit": limit,
            },
        ).fetchall()

    def host_zones(self, limit: int) -> list[str]:
        """The time zones of active hosts, the most common first."""
        rows = self.conn.execute(
            "SELECT timezone FROM hosts WHERE active GROUP BY timezone"
            " ORDER BY count(*) DESC, timezone LIMIT %s",
            (limit,),
        ).fetchall()
        return [r["timezone"] for r in rows]

    def word_hosts(self, model: str) -> list[dict]:
        """Every active host whose words `model` read as the profile now
        stands, with `profile_at` (the matcher's `HostWords`)."""
        return self.conn.execute(_WORD_HOSTS, {"model": model}).fetchall()

    def vector_versions(self, host_ids: list, model: str) -> dict:
        """Host id -> the `profile_at` of its vector by `model`, of those read."""
        rows = self.conn.execute(
            "SELECT host_id, profile_at FROM host_vectors WHERE host_id = ANY(%s)"
            " AND model = %s",
            (list(host_ids), model),
        ).fetchall()
        return {r["host_id"]: r["profile_at"] for r in rows}

    def host_vectors(self, host_ids: list, model: str) -> dict:
        """Host id -> (profile_at, stored vector) by `model`."""
        rows = self.conn.execute(
            "SELECT host_id, profile_at, vector FROM host_vectors"
            " WHERE host_id = ANY(%s) AND model = %s",
            (list(host_ids), model),
        ).fetchall()
        return {r["host_id"]: (r["profile_at"], r["vector"]) for r in rows}

    def goal_vectors(self, request_ids: list, model: str) -> dict:
        rows = self.conn.execute(
            "SELECT request_id, vector FROM goal_vectors WHERE request_id = ANY(%s)"
            " AND model = %s",
            (list(request_ids), model),
        ).fetchall()
        return {r["request_id"]: r["vector"] for r in rows}

    def store_goal_vectors(self, vectors: dict, model: str) -> None:
        """Each request's goal vector, unless its goal was emptied meanwhile
        (its requester forgotten, or purged)."""
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO goal_vectors (request_id, model, vector)"
                " SELECT id, %s, %s FROM requests WHERE id = %s AND goal <> ''"
                " ON CONFLICT (request_id) DO UPDATE SET model = EXCLUDED.model,"
                " vector = EXCLUDED.vector",
                [(model, v, k) for k, v in vectors.items()],
            )

    def unread_hosts(self, model: str, host_ids: list | None, limit: int) -> list[dict]:
        """Hosts (of `host_ids`, or any) whose profile `model` has not read
        as it stands. Not locked: the model reads them with no host row
        held, and `store_host_vectors` keeps only what still stands."""
        return self.conn.execute(
            "SELECT h.id, h.experience, h.fields, h.updated_at FROM hosts h"
            " LEFT JOIN host_vectors v ON v.host_id = h.id AND v.model = %(model)s"
            " WHERE (%(ids)s::uuid[] IS NULL OR h.id = ANY(%(ids)s)) AND h.name <> ''"
            " AND (v.host_id IS NULL OR v.profile_at < h.updated_at)"
            " ORDER BY h.updated_at, h.id LIMIT %(limit)s",
            {"model": model, "ids": host_ids, "limit": limit},
        ).fetchall()

    def store_host_vectors(self, rows: list[tuple], model: str) -> None:
        """`rows`: (host id, the profile's updated_at read, vector); each
        kept only if the profile still stands as read (not changed nor
        forgotten meanwhile)."""
        with self.conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO host_vectors (host_id, model, profile_at, vector)"
                " SELECT id, %s, updated_at, %s FROM hosts"
                " WHERE id = %s AND updated_at = %s AND name <> ''"
                " ON CONFLICT (host_id) DO UPDATE SET model = EXCLUDED.model,"
                " profile_at = EXCLUDED.profile_at, vector = EXCLUDED.vector",
                [(model, v, h, at) for h, at, v in rows],
            )

    def forget_vectors(self, *, host_id=None, request_id=None) -> None:
        """What was read of a forgotten person's words."""
        self.conn.execute("DELETE FROM host_vectors WHERE host_id = %s", (host_id,))
        self.conn.execute(
            "DELETE FROM goal_vectors WHERE request_id = %s", (request_id,)
        )

    def drop_emptied_goals(self) -> int:
        """Vectors of goals emptied since (purged introductions)."""
        return self.conn.execute(
            "DELETE FROM goal_vectors g USING requests r"
            " WHERE r.id = g.request_id AND r.goal = ''"
        ).rowcount

    def agendas(self, host_ids: list, now: datetime, span: tuple | None = None) -> dict:
        """Live meetings of these hosts from the start of last month on, and the
        busy times read from their own calendars within `span` (the windows being
        matched; None: all of them still to come), in one round trip."""
        out = {h: Agenda() for h in host_ids}
        start, until = span if span else (now, None)
        rows = self.conn.execute(
            "SELECT host_id, starts_at, ends_at, month FROM matches"
            f" WHERE host_id = ANY(%(ids)s) AND status IN {LIVE_SQL} AND starts_at > %(since)s"
            " UNION ALL SELECT host_id, lower(span), upper(span), NULL FROM host_calendars,"
            " unnest(busy * tstzmultirange(tstzrange(%(start)s, %(until)s))) AS span"
            " WHERE host_id = ANY(%(ids)s) AND busy && tstzrange(%(start)s, %(until)s)",
            {"ids": list(host_ids), "since": now - timedelta(days=63), "now": now,
             "until": until, "start": max(start, now)},
        ).fetchall()  # fmt: skip
        for r in rows:
            if r["month"] is None:
                out[r["host_id"]].busy.append((r["starts_at"], r["ends_at"]))
            else:
                out[r["host_id"]].add(r["starts_at"], r["ends_at"], r["month"])
        return out

    def busy_conflicts(self, host_id) -> list[dict]:
        """The host's unanswered invitations that its calendar's busy times overlap."""
        return self.conn.execute(
            "SELECT m.id, m.request_id FROM matches m JOIN host_calendars c"
            " ON c.host_id = m.host_id WHERE m.host_id = %s AND m.status = 'proposed'"
            " AND c.busy && tstzrange(m.starts_at, m.ends_at) ORDER BY m.request_id",
            (host_id,),
        ).fetchall()

    def proposed_match(self, match_id) -> dict | None:
        """The match, if it still waits for the host's answer (the request locked first)."""
        return self.conn.execute(
            "SELECT * FROM matches WHERE id = %s AND status = 'proposed' FOR UPDATE",
            (match_id,),
        ).fetchone()

    def lock_host(self, host_id, skip_locked: bool = False) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM hosts WHERE id = %s FOR UPDATE"
            + (" SKIP LOCKED" if skip_locked else ""),
            (host_id,),
        ).fetchone()

    def waiting_requests(
        self,
        *,
        fields: list[str] | None = None,
        related_fields: list[str] | None = None,
        limit: int = 200,
        untried_before: datetime | None = None,
    ) -> list[dict]:
        """Requests waiting for a host, oldest first, locked (others' locked ones skipped).
        With `fields`: only those whose field is one of them, or (when they take
        related fields) one of `related_fields`. With `untried_before`: not
        those submitted since then and never tried (no proposal, no round),
        which their arrival will try."""
        sql = f"SELECT * FROM requests WHERE status IN {WAITING_SQL}"
        params: list = []
        if untried_before is not None:
            sql += (
                " AND NOT (status = 'submitted' AND retried_at IS NULL"
                " AND proposed_at IS NULL AND created_at > %s)"
            )
            params.append(untried_before)
        if fields is not None:
            sql += " AND (field = ANY(%s) OR (related_ok AND field = ANY(%s)))"
            params += [fields, related_fields or []]
        sql += " ORDER BY retried_at NULLS FIRST, created_at, id LIMIT %s FOR UPDATE SKIP LOCKED"
        return self.conn.execute(sql, params + [limit]).fetchall()

    def due_expiries(self, now: datetime, limit: int = 100) -> list[dict]:
        return self.conn.execute(
            "SELECT * FROM matches WHERE status = 'proposed' AND expires_at < %s ORDER BY expires_at"
            " LIMIT %s FOR UPDATE SKIP LOCKED",
            (now, limit),
        ).fetchall()

    def invitation_to(self, request_id, host_email: str) -> dict | None:
        """The request's invitation still waiting for the answer of the host at
        `host_email`, locked (after its request: the order of `shared.lifecycle`)."""
        return self.conn.execute(
            "SELECT m.* FROM matches m JOIN hosts h ON h.id = m.host_id"
            " WHERE m.request_id = %s AND m.status = 'proposed'"
            " AND lower(h.email) = lower(%s) FOR UPDATE OF m",
            (request_id, host_email),
        ).fetchone()

    def passed_requests(
        self, now: datetime, lead: timedelta, limit: int = 200
    ) -> list[dict]:
        """Waiting requests none of whose windows can still hold the meeting."""
        return self.conn.execute(
            f"SELECT * FROM requests r WHERE r.status IN {WAITING_SQL} AND NOT EXISTS ("
            "  SELECT 1 FROM jsonb_array_elements(r.availability) w"
            "  WHERE (w->>'end')::timestamptz - greatest((w->>'start')::timestamptz, %s)"
            "        >= make_interval(mins => r.duration_minutes))"
            " ORDER BY r.created_at LIMIT %s FOR UPDATE SKIP LOCKED",
            (now + lead, limit),
        ).fetchall()

    def finished_meetings(self, now: datetime, limit: int = 200) -> list[dict]:
        return self.conn.execute(
            "SELECT r.id AS request_id, r.correlation_id, m.id AS match_id, m.host_id FROM requests r"
            " JOIN matches m ON m.request_id = r.id AND m.status = 'accepted'"
            " WHERE r.status = 'confirmed' AND m.ends_at < %s ORDER BY m.ends_at"
            " LIMIT %s FOR UPDATE OF r SKIP LOCKED",
            (now, limit),
        ).fetchall()

    def host_fields(self, host_id) -> list[str]:
        row = self.conn.execute(
            "SELECT fields FROM hosts WHERE id = %s", (host_id,)
        ).fetchone()
        return list(row["fields"]) if row else []

    def field_demand(self, now: datetime, window: timedelta) -> Demand:
        """Per field: requests waiting now, requests that arrived in the trailing
        `window`, and the monthly capacity of the active hosts covering it."""
        rows = self.conn.execute(
            _DEMAND, {"since": now - window, "now": now}
        ).fetchall()
        return Demand(
            waiting={r["f"]: r["waiting"] for r in rows if r["waiting"]},
            recent={r["f"]: r["recent"] for r in rows if r["recent"]},
            supply={r["f"]: r["supply"] for r in rows if r["supply"]},
        )

    def recent_arrivals(self, since: datetime, now: datetime, limit: int) -> list[dict]:
        """Requests that arrived after `since` (up to `now`), latest first, whatever
        their status: the sample the host rates are forecast from."""
        return self.conn.execute(
            "SELECT * FROM requests WHERE created_at > %s AND created_at <= %s"
            " ORDER BY created_at DESC, id LIMIT %s",
            (since, now, limit),
        ).fetchall()

    def waiting_by_id(self, request_ids: list) -> list[dict]:
        """Those of these requests still waiting for a host (not locked)."""
        return self.conn.execute(
            f"SELECT * FROM requests WHERE id = ANY(%s) AND status IN {WAITING_SQL}",
            (list(request_ids),),
        ).fetchall()

    def due_requests(self, submitted_before: datetime, limit: int) -> list[dict]:
        """Submitted requests that have waited out the round window (or came back
        after a decline or an expiry), oldest first, locked (others' locked ones skipped)."""
        return self.conn.execute(
            "SELECT * FROM requests WHERE status = 'submitted' AND created_at <= %s"
            " ORDER BY created_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
            (submitted_before, limit),
        ).fetchall()

    def arrivals_since(self, since: datetime) -> int:
        """Requests submitted after `since` and still waiting for a round."""
        return self.conn.execute(
            "SELECT count(*) AS n FROM requests WHERE status = 'submitted' AND created_at > %s",
            (since,),
        ).fetchone()["n"]

    def competing(self, fields: list[str], taken: list, limit: int) -> list[dict]:
        """Other waiting requests of these fields (waitlisted, or submitted within
        the window), oldest first, locked (others' locked ones skipped)."""
        if limit <= 0 or not fields:
            return []
        return self.conn.execute(
            f"SELECT * FROM requests WHERE status IN {WAITING_SQL} AND field = ANY(%s)"
            " AND NOT (id = ANY(%s))"
            " ORDER BY retried_at NULLS FIRST, created_at, id LIMIT %s FOR UPDATE SKIP LOCKED",
            (list(fields), list(taken), limit),
        ).fetchall()

    def lock_waiting(self, request_ids: list) -> list[dict]:
        """These requests, locked, if they still wait for a host."""
        return self.conn.execute(
            f"SELECT * FROM requests WHERE id = ANY(%s) AND status IN {WAITING_SQL}"
            " ORDER BY created_at, id FOR UPDATE",
            (list(request_ids),),
        ).fetchall()

    def hosts_covering(self, fields: list[str], limit: int) -> list[dict] | None:
        """Active hosts with capacity covering any of `fields`, least recently
        invited first; None when there are more than `limit` of them."""
        rows = self.conn.execute(
            "SELECT * FROM hosts WHERE active AND monthly_capacity > 0 AND fields && %s"
            " AND (paused_until IS NULL OR paused_until <= CURRENT_DATE)"
            " ORDER BY last_invited_at ASC NULLS FIRST, id LIMIT %s",
            (list(fields), limit + 1),
        ).fetchall()
        return None if len(rows) > limit else rows

    def excluded_for(self, request_ids: list) -> dict:
        """Per request, the hosts already proposed for it (but for invitations
        withdrawn because the host's calendar became busy)."""
        out: dict = {r: set() for r in request_ids}
        for r in self.conn.execute(
            "SELECT request_id, host_id FROM matches WHERE request_id = ANY(%s)"
            " AND NOT calendar_conflict",
            (list(request_ids),),
        ).fetchall():
            out[r["request_id"]].add(r["host_id"])
        return out

    # -- status changes (through shared.lifecycle) and booking ----------------
    def lock_request(self, request_id, *, skip_locked: bool = False) -> dict | None:
        return lifecycle.lock_request(self.conn, request_id, skip_locked=skip_locked)

    def set_status(self, request_id, status: str, reason: str | None, now) -> None:
        lifecycle.set_status(self.conn, request_id, status, reason, now)

    def expire(self, match_id, now: datetime, *, calendar_conflict=False) -> None:
        lifecycle.expire(self.conn, match_id, now, calendar_conflict=calendar_conflict)

    def mark_retried(self, request_ids: list, now: datetime) -> None:
        lifecycle.mark_retried(self.conn, request_ids, now)

    def complete(self, request_id, now: datetime) -> None:
        lifecycle.set_status(self.conn, request_id, "completed", None, now)

    def propose(self, **match) -> object | None:
        """Record an invitation (`lifecycle.propose`); its id, or None when
        the host's time was taken meanwhile by another process (the
        exclusion constraint on a host's live meetings, or the one live
        match a request may hold, refused it). Called inside
        `UnitOfWork.attempt`, which undoes the refused part."""
        try:
            return lifecycle.propose(self.conn, **match)
        except (psycopg.errors.ExclusionViolation, psycopg.errors.UniqueViolation):
            return None
