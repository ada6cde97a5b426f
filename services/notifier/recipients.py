"""Who receives what: the rows behind an event, turned into a snapshot that
the message is rendered from (so a later change does not alter a queued mail)."""

from __future__ import annotations

from shared import links


def _iso(value):
    return value.isoformat() if value is not None else None


def request_row(conn, request_id) -> dict | None:
    return conn.execute(
        "SELECT * FROM requests WHERE id = %s", (request_id,)
    ).fetchone()


def match_rows(conn, match_id) -> tuple[dict, dict, dict] | None:
    match = conn.execute("SELECT * FROM matches WHERE id = %s", (match_id,)).fetchone()
    if match is None:
        return None
    host = conn.execute(
        "SELECT * FROM hosts WHERE id = %s", (match["host_id"],)
    ).fetchone()
    request = request_row(conn, match["request_id"])
    return match, host, request


def requester(request: dict) -> dict:
    return {
        "email": request["requester_email"],
        "name": request["requester_name"],
        "locale": request["locale"],
        "timezone": request["timezone"],
    }


def host_person(host: dict) -> dict:
    return {
        "email": host["email"],
        "name": host["name"],
        "locale": host["locale"],
        "timezone": host["timezone"],
    }


def request_part(request: dict) -> dict:
    return {
        "id": str(request["id"]),
        "field": request["field"],
        "goal": request["goal"],
        "format": request["format"],
        "duration_minutes": request["duration_minutes"],
        "referrer_name": request["referrer_name"],
        "referrer_email": request["referrer_email"],
        "status_reason": request["status_reason"],
    }


def match_part(match: dict) -> dict:
    return {
        "id": str(match["id"]),
        "start": _iso(match["starts_at"]),
        "end": _iso(match["ends_at"]),
        "format": match["format"],
        "expires_at": _iso(match["expires_at"]),
        "location": match["location"],
        "note": match["note"],
        "status": match["status"],
    }


def answer_links(settings, match_id) -> dict:
    base, key = settings.public_base_url, settings.secret_key
    return {
        "accept": links.url(base, key, "accept", match_id),
        "decline": links.url(base, key, "decline", match_id),
    }


def feedback_links(settings, match_id, who: str) -> dict:
    base, key = settings.public_base_url, settings.secret_key
    return {
        "useful": links.url(base, key, "useful", match_id, who),
        "not_useful": links.url(base, key, "not-useful", match_id, who),
    }
