"""Every change of a request's or a match's status, in one place.

`requests` belongs to intake (it writes the rows) and `matches` to the
matcher (it writes the rows). Each has a second writer of its status, for
one reason: a person's answer (a host accepts or declines, a requester
cancels) is given to intake and must show at once to the person who gave
it, while proposals, expiries, the waitlist and completion are the
matcher's. Both services change a status only through these functions,
which take their row locks in one order: the request, then its match,
then the host.

A request: submitted -> proposed (a host is invited) -> confirmed (the host
accepted) -> completed (the meeting is over). A declined or expired
invitation sends it back to submitted (matched again, never with that host);
submitted -> waitlisted (no host now) -> proposed ...; submitted or
waitlisted -> unmatched (given up); any open status -> cancelled.

A match: proposed -> accepted | declined | expired | cancelled, and
accepted -> cancelled (the requester cancels, or the host leaves: then the
request goes back to submitted).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg.types.json import Jsonb

from shared.statuses import LIVE_SQL


def lock_request(conn, request_id, *, skip_locked: bool = False) -> dict | None:
    sql = "SELECT * FROM requests WHERE id = %s FOR UPDATE"
    return conn.execute(
        sql + (" SKIP LOCKED" if skip_locked else ""), (request_id,)
    ).fetchone()


def lock_for_answer(conn, match_id) -> dict | None:
    """The match a host answers, locked after its request (the order
    `cancel` takes them in, so the two never deadlock), with the host's
    email and the request's correlation id."""
    owner = conn.execute(
        "SELECT request_id FROM matches WHERE id = %s", (match_id,)
    ).fetchone()
    if owner is not None:
        lock_request(conn, owner["request_id"])
    return conn.execute(
        "SELECT m.*, h.email AS host_email, r.correlation_id FROM matches m"
        " JOIN hosts h ON h.id = m.host_id JOIN requests r ON r.id = m.request_id"
        " WHERE m.id = %s FOR UPDATE OF m",
        (match_id,),
    ).fetchone()


def live_match(conn, request_id, *, lock: bool = False) -> dict | None:
    """The request's proposed or accepted match, if any."""
    return conn.execute(
        f"SELECT * FROM matches WHERE request_id = %s AND status IN {LIVE_SQL}"
        + (" FOR UPDATE" if lock else ""),
        (request_id,),
    ).fetchone()


def accept(conn, match_id, request_id, location: str | None, note: str | None) -> None:
    conn.execute(
        "UPDATE matches SET status = 'accepted', location = %s, note = %s,"
        " responded_at = now() WHERE id = %s",
        (location, note, match_id),
    )
    conn.execute(
        "UPDATE requests SET status = 'confirmed', confirmed_at = now(),"
        " updated_at = now() WHERE id = %s",
        (request_id,),
    )


def decline(conn, match_id, request_id, reason: str | None) -> None:
    conn.execute(
        "UPDATE matches SET status = 'declined', decline_reason = %s,"
        " responded_at = now() WHERE id = %s",
        (reason, match_id),
    )
    conn.execute(
        "UPDATE requests SET status = 'submitted', updated_at = now() WHERE id = %s",
        (request_id,),
    )


def leave(conn, match_id, request_id, reason: str) -> None:
    """The host leaves an accepted meeting they can no longer hold: the match is
    cancelled and the request goes back to matching (never with that host)."""
    conn.execute(
        "UPDATE matches SET status = 'cancelled', decline_reason = %s,"
        " responded_at = coalesce(responded_at, now()) WHERE id = %s",
        (reason, match_id),
    )
    conn.execute(
        "UPDATE requests SET status = 'submitted', status_reason = %s,"
        " updated_at = now() WHERE id = %s",
        (reason, request_id),
    )


def cancel(conn, request_id, reason: str) -> tuple[dict, dict | None]:
    """Cancel a locked request and the match it holds; return the request
    row and the match as it was before (None if there was none)."""
    match = live_match(conn, request_id, lock=True)
    if match:
        conn.execute(
            "UPDATE matches SET status = 'cancelled',"
            " responded_at = coalesce(responded_at, now()) WHERE id = %s",
            (match["id"],),
        )
    row = conn.execute(
        "UPDATE requests SET status = 'cancelled', status_reason = %s,"
        " updated_at = now() WHERE id = %s RETURNING *",
        (reason, request_id),
    ).fetchone()
    return row, match


def propose(
    conn,
    *,
    request_id,
    host_id,
    start: datetime,
    end: datetime,
    month: str,
    fmt: str,
    exact: bool,
    score: dict,
    expires_at: datetime,
    now: datetime,
) -> uuid.UUID:
    """Record an invitation: the match, the request's new status (its first
    proposal kept: what ops measure) and when the host was last invited
    (the one column of `hosts` the matcher writes: fairness reads it)."""
    match_id = uuid.uuid4()
    conn.execute(
        "INSERT INTO matches (id, request_id, host_id, status, starts_at, ends_at, month,"
        " format, exact_field, score, expires_at)"
        " VALUES (%s, %s, %s, 'proposed', %s, %s, %s, %s, %s, %s, %s)",
        (match_id, request_id, host_id, start, end, month, fmt, exact, Jsonb(score),
         expires_at),
    )  # fmt: skip
    conn.execute(
        "UPDATE requests SET status = 'proposed', status_reason = NULL,"
        " proposed_at = coalesce(proposed_at, %s), attempts = attempts + 1,"
        " updated_at = %s WHERE id = %s",
        (now, now, request_id),
    )
    conn.execute("UPDATE hosts SET last_invited_at = %s WHERE id = %s", (now, host_id))
    return match_id


def set_status(
    conn, request_id, status: str, reason: str | None, now: datetime
) -> None:
    """waitlisted, unmatched, completed, or back to submitted after an expiry."""
    conn.execute(
        "UPDATE requests SET status = %s, status_reason = %s, updated_at = %s"
        " WHERE id = %s",
        (status, reason, now, request_id),
    )


def expire(conn, match_id, now: datetime, *, calendar_conflict: bool = False) -> None:
    """No answer in time, or (`calendar_conflict`) withdrawn because the host's
    own calendar became busy at its time."""
    conn.execute(
        "UPDATE matches SET status = 'expired', responded_at = %s,"
        " calendar_conflict = %s WHERE id = %s",
        (now, calendar_conflict, match_id),
    )


def mark_retried(conn, request_ids: list, now: datetime) -> None:
    conn.execute(
        "UPDATE requests SET retried_at = %s WHERE id = ANY(%s)",
        (now, list(request_ids)),
    )
