"""What intake shows: rows turned into the contract's JSON."""

from __future__ import annotations


def _iso(value):
    return value.isoformat() if value is not None else None


def host_view(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "email": row["email"],
        "fields": row["fields"],
        "languages": row["languages"],
        "formats": row["formats"],
        "site": row["site"],
        "timezone": row["timezone"],
        "durations": row["durations"],
        "monthly_capacity": row["monthly_capacity"],
        "weekly_availability": row["weekly_availability"],
        "unavailable": row["unavailable"],
        "active": row["active"],
        "updated_at": _iso(row["updated_at"]),
    }


def match_view(m: dict | None) -> dict | None:
    if m is None:
        return None
    host = {"id": str(m["host_id"]), "name": m["host_name"]}
    if m["status"] == "accepted":
        host["email"] = m["host_email"]  # only once the host has accepted
    return {
        "id": str(m["id"]),
        "status": m["status"],
        "host": host,
        "start": _iso(m["starts_at"]),
        "end": _iso(m["ends_at"]),
        "format": m["format"],
        "exact_field": m["exact_field"],
        "expires_at": _iso(m["expires_at"]),
        "location": m["location"] if m["status"] == "accepted" else None,
    }


def request_view(row: dict, match: dict | None) -> dict:
    return {
        "id": str(row["id"]),
        "status": row["status"],
        "status_reason": row["status_reason"],
        "field": row["field"],
        "goal": row["goal"],
        "format": row["format"],
        "duration_minutes": row["duration_minutes"],
        "languages": row["languages"],
        "site": row["site"],
        "timezone": row["timezone"],
        "related_ok": row["related_ok"],
        "availability": row["availability"],
        "referrer": (
            {"name": row["referrer_name"], "email": row["referrer_email"]}
            if row["referrer_email"]
            else None
        ),
        "preferred_host": str(row["preferred_host"]) if row["preferred_host"] else None,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "match": match_view(match),
    }


MATCH_SQL = (
    "SELECT m.*, h.name AS host_name, h.email AS host_email FROM matches m"
    " JOIN hosts h ON h.id = m.host_id"
)


def live_match(conn, request_id) -> dict | None:
    return conn.execute(
        MATCH_SQL + " WHERE m.request_id = %s AND m.status IN ('proposed', 'accepted')",
        (request_id,),
    ).fetchone()


def get_request(conn, request_id) -> tuple[dict | None, dict | None]:
    row = conn.execute("SELECT * FROM requests WHERE id = %s", (request_id,)).fetchone()
    return row, (live_match(conn, request_id) if row else None)


def list_requests(conn, email: str, limit: int = 100) -> list[tuple[dict, dict | None]]:
    rows = conn.execute(
        "SELECT * FROM requests WHERE requester_email = %s ORDER BY created_at DESC, id LIMIT %s",
        (email, limit),
    ).fetchall()
    return [(r, live_match(conn, r["id"])) for r in rows]


def host_by_email(conn, email: str) -> dict | None:
    return conn.execute("SELECT * FROM hosts WHERE email = %s", (email,)).fetchone()


def invitations(conn, email: str, limit: int = 100) -> list[dict]:
    """Matches offered to the host with this email, newest first, with the request's details."""
    return conn.execute(
        "SELECT m.*, r.requester_name, r.field, r.goal, r.duration_minutes, r.referrer_name,"
        " h.timezone AS host_timezone FROM matches m JOIN hosts h ON h.id = m.host_id"
        " JOIN requests r ON r.id = m.request_id WHERE h.email = %s ORDER BY m.created_at DESC LIMIT %s",
        (email, limit),
    ).fetchall()


def invitation_view(m: dict) -> dict:
    return {
        "id": str(m["id"]),
        "status": m["status"],
        "request_id": str(m["request_id"]),
        "requester_name": m["requester_name"],
        "field": m["field"],
        "goal": m["goal"],
        "referrer_name": m["referrer_name"],
        "start": _iso(m["starts_at"]),
        "end": _iso(m["ends_at"]),
        "format": m["format"],
        "expires_at": _iso(m["expires_at"]),
    }


def match_for_host(conn, match_id) -> dict | None:
    return conn.execute(
        "SELECT m.*, r.requester_name, r.field, r.goal, r.duration_minutes, r.referrer_name, h.email AS host_email,"
        " h.timezone AS host_timezone FROM matches m JOIN hosts h ON h.id = m.host_id"
        " JOIN requests r ON r.id = m.request_id WHERE m.id = %s",
        (match_id,),
    ).fetchone()


def export_person(conn, email: str) -> dict:
    host = host_by_email(conn, email)
    return {
        "email": email,
        "requests": [
            request_view(r, m) for r, m in list_requests(conn, email, limit=10_000)
        ],
        "host_profile": host_view(host) if host else None,
        "invitations": [
            invitation_view(m) for m in invitations(conn, email, limit=10_000)
        ],
    }
