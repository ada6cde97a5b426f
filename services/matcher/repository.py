"""The matcher's SQL on hosts, requests and matches.

Status changes of requests and matches go through `shared.lifecycle` (the
one place that writes them, shared with intake); they are named here too,
so that the matcher's use cases read every row through this module."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.matcher.model import Calendar
from shared.lifecycle import (  # noqa: F401  (the matcher's status changes)
    expire,
    lock_request,
    mark_retried,
    propose,
    set_status,
)
from shared.statuses import LIVE_SQL, WAITING_SQL

PAGE = 64

_CANDIDATES = """
SELECT h.* FROM hosts h
WHERE h.active AND h.fields && %(fields)s AND %(duration)s = ANY(h.durations) AND %(format)s = ANY(h.formats)
  AND h.languages && %(languages)s AND h.email <> %(email)s AND h.monthly_capacity > 0
  AND (%(format)s <> 'in_person' OR h.site = %(site)s)
  AND NOT (h.id = ANY(%(excluded)s))
  AND (%(field)s = ANY(h.fields)) = %(exact)s
ORDER BY (h.id = %(preferred)s) IS TRUE DESC, h.last_invited_at ASC NULLS FIRST, h.id
LIMIT %(limit)s OFFSET %(offset)s
"""


def excluded_hosts(conn, request_id) -> set:
    """Hosts already proposed for this request (declined, expired or otherwise)."""
    rows = conn.execute(
        "SELECT host_id FROM matches WHERE request_id = %s", (request_id,)
    ).fetchall()
    return {r["host_id"] for r in rows}


def candidate_page(
    conn,
    request,
    fields: list[str],
    excluded: set,
    offset: int,
    limit: int = PAGE,
    exact: bool = True,
) -> list[dict]:
    """Hosts that may take `request`, exact-field ones or (exact=False) related
    ones, the preferred host first, then the least recently invited."""
    return conn.execute(
        _CANDIDATES,
        {
            "fields": fields,
            "field": request.field,
            "exact": exact,
            "duration": int(request.duration.total_seconds() // 60),
            "format": request.format,
            "languages": list(request.languages),
            "email": request.requester_email,
            "site": request.site,
            "excluded": list(excluded),
            "preferred": request.preferred_host,
            "limit": limit,
            "offset": offset,
        },
    ).fetchall()


def calendars(conn, host_ids: list, now: datetime) -> dict:
    """Live meetings of these hosts from the start of last month on."""
    out = {h: Calendar() for h in host_ids}
    rows = conn.execute(
        "SELECT host_id, starts_at, ends_at, month FROM matches"
        f" WHERE host_id = ANY(%s) AND status IN {LIVE_SQL} AND starts_at > %s",
        (list(host_ids), now - timedelta(days=63)),
    ).fetchall()
    for r in rows:
        out[r["host_id"]].add(r["starts_at"], r["ends_at"], r["month"])
    return out


def lock_host(conn, host_id, skip_locked: bool = False) -> dict | None:
    return conn.execute(
        "SELECT * FROM hosts WHERE id = %s FOR UPDATE"
        + (" SKIP LOCKED" if skip_locked else ""),
        (host_id,),
    ).fetchone()


def live_in_month(conn, host_id, month: str) -> int:
    return conn.execute(
        "SELECT count(*) AS n FROM matches WHERE host_id = %s AND month = %s"
        f" AND status IN {LIVE_SQL}",
        (host_id, month),
    ).fetchone()["n"]


def waiting_requests(
    conn,
    *,
    fields: list[str] | None = None,
    related_fields: list[str] | None = None,
    limit: int = 200,
) -> list[dict]:
    """Requests waiting for a host, oldest first, locked (others' locked ones skipped).
    With `fields`: only those whose field is one of them, or (when they take
    related fields) one of `related_fields`."""
    sql = f"SELECT * FROM requests WHERE status IN {WAITING_SQL}"
    params: list = []
    if fields is not None:
        sql += " AND (field = ANY(%s) OR (related_ok AND field = ANY(%s)))"
        params += [fields, related_fields or []]
    sql += " ORDER BY retried_at NULLS FIRST, created_at, id LIMIT %s FOR UPDATE SKIP LOCKED"
    return conn.execute(sql, params + [limit]).fetchall()


def due_expiries(conn, now: datetime, limit: int = 100) -> list[dict]:
    return conn.execute(
        "SELECT * FROM matches WHERE status = 'proposed' AND expires_at < %s ORDER BY expires_at"
        " LIMIT %s FOR UPDATE SKIP LOCKED",
        (now, limit),
    ).fetchall()


def invitation_to(conn, request_id, host_email: str) -> dict | None:
    """The request's invitation still waiting for the answer of the host at
    `host_email`, locked (after its request: the order of `shared.lifecycle`)."""
    return conn.execute(
        "SELECT m.* FROM matches m JOIN hosts h ON h.id = m.host_id"
        " WHERE m.request_id = %s AND m.status = 'proposed'"
        " AND lower(h.email) = lower(%s) FOR UPDATE OF m",
        (request_id, host_email),
    ).fetchone()


def passed_requests(
    conn, now: datetime, lead: timedelta, limit: int = 200
) -> list[dict]:
    """Waiting requests none of whose windows can still hold the meeting."""
    return conn.execute(
        f"SELECT * FROM requests r WHERE r.status IN {WAITING_SQL} AND NOT EXISTS ("
        "  SELECT 1 FROM jsonb_array_elements(r.availability) w"
        "  WHERE (w->>'end')::timestamptz - greatest((w->>'start')::timestamptz, %s)"
        "        >= make_interval(mins => r.duration_minutes))"
        " ORDER BY r.created_at LIMIT %s FOR UPDATE SKIP LOCKED",
        (now + lead, limit),
    ).fetchall()


def finished_meetings(conn, now: datetime, limit: int = 200) -> list[dict]:
    return conn.execute(
        "SELECT r.id AS request_id, r.correlation_id, m.id AS match_id, m.host_id FROM requests r"
        " JOIN matches m ON m.request_id = r.id AND m.status = 'accepted'"
        " WHERE r.status = 'confirmed' AND m.ends_at < %s ORDER BY m.ends_at"
        " LIMIT %s FOR UPDATE OF r SKIP LOCKED",
        (now, limit),
    ).fetchall()


def host_fields(conn, host_id) -> list[str]:
    row = conn.execute("SELECT fields FROM hosts WHERE id = %s", (host_id,)).fetchone()
    return list(row["fields"]) if row else []
