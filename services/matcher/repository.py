"""The matcher's SQL on hosts, requests and matches."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from services.matcher.model import Calendar

LIVE = ("proposed", "accepted")
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


def lock_request(
    conn: psycopg.Connection, request_id, skip_locked: bool = False
) -> dict | None:
    return conn.execute(
        "SELECT * FROM requests WHERE id = %s FOR UPDATE"
        + (" SKIP LOCKED" if skip_locked else ""),
        (request_id,),
    ).fetchone()


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
        " WHERE host_id = ANY(%s) AND status IN ('proposed', 'accepted') AND starts_at > %s",
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
        " AND status IN ('proposed', 'accepted')",
        (host_id, month),
    ).fetchone()["n"]


def insert_match(
    conn, *, request_id, proposal, fmt: str, expires_at: datetime, score: dict
) -> uuid.UUID:
    match_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO matches (id, request_id, host_id, status, starts_at, ends_at, month, format, exact_field,"
        " score, expires_at) VALUES (%s, %s, %s, 'proposed', %s, %s, %s, %s, %s, %s, %s)",
        (
            match_id,
            request_id,
            proposal.host.id,
            proposal.start,
            proposal.end,
            proposal.month,
            fmt,
            proposal.exact,
            Jsonb(score),
            expires_at,
        ),
    )
    return match_id


def mark_proposed(conn, request_id, host_id, now: datetime) -> None:
    conn.execute(
        "UPDATE requests SET status = 'proposed', status_reason = NULL,"
        " proposed_at = coalesce(proposed_at, %s),"  # the first proposal: what ops measure
        " attempts = attempts + 1, updated_at = %s WHERE id = %s",
        (now, now, request_id),
    )
    conn.execute("UPDATE hosts SET last_invited_at = %s WHERE id = %s", (now, host_id))


def set_status(
    conn, request_id, status: str, reason: str | None, now: datetime
) -> None:
    conn.execute(
        "UPDATE requests SET status = %s, status_reason = %s, updated_at = %s WHERE id = %s",
        (status, reason, now, request_id),
    )


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
    sql = "SELECT * FROM requests WHERE status IN ('submitted', 'waitlisted')"
    params: list = []
    if fields is not None:
        sql += " AND (field = ANY(%s) OR (related_ok AND field = ANY(%s)))"
        params += [fields, related_fields or []]
    sql += " ORDER BY retried_at NULLS FIRST, created_at, id LIMIT %s FOR UPDATE SKIP LOCKED"
    return conn.execute(sql, params + [limit]).fetchall()


def mark_retried(conn, request_ids: list, now: datetime) -> None:
    conn.execute(
        "UPDATE requests SET retried_at = %s WHERE id = ANY(%s)",
        (now, list(request_ids)),
    )


def due_expiries(conn, now: datetime, limit: int = 100) -> list[dict]:
    return conn.execute(
        "SELECT * FROM matches WHERE status = 'proposed' AND expires_at < %s ORDER BY expires_at"
        " LIMIT %s FOR UPDATE SKIP LOCKED",
        (now, limit),
    ).fetchall()


def expire_match(conn, match_id, now: datetime) -> None:
    conn.execute(
        "UPDATE matches SET status = 'expired', responded_at = %s WHERE id = %s",
        (now, match_id),
    )


def passed_requests(
    conn, now: datetime, lead: timedelta, limit: int = 200
) -> list[dict]:
    """Waiting requests none of whose windows can still hold the meeting."""
    return conn.execute(
        "SELECT * FROM requests r WHERE r.status IN ('submitted', 'waitlisted') AND NOT EXISTS ("
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
