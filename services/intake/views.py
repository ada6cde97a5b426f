"""What intake shows: rows turned into the contract's JSON (no SQL here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.intake.calendars.busy import count_between, spans
from shared.calendars import CHECK_DAYS
from shared.events import iso


def host_view(row: dict) -> dict:
    return {
        "id": str(row["id"]),
        "name": row["name"],
        "email": row["email"],
        "experience": row.get("experience"),
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
        "listed": row["listed"],
        "paused_until": row["paused_until"].isoformat()
        if row["paused_until"]
        else None,
        "updated_at": iso(row["updated_at"]),
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
        "start": iso(m["starts_at"]),
        "end": iso(m["ends_at"]),
        "format": m["format"],
        "exact_field": m["exact_field"],
        "expires_at": iso(m["expires_at"]),
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
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "match": match_view(match),
    }


def invitation_view(m: dict) -> dict:
    return {
        "id": str(m["id"]),
        "status": m["status"],
        "request_id": str(m["request_id"]),
        "requester_name": m["requester_name"],
        "field": m["field"],
        "goal": m["goal"],
        "referrer_name": m["referrer_name"],
        "start": iso(m["starts_at"]),
        "end": iso(m["ends_at"]),
        "format": m["format"],
        "expires_at": iso(m["expires_at"]),
    }


def export_view(found: dict) -> dict:
    return {
        "email": found["email"],
        "requests": [request_view(r, m) for r, m in found["requests"]],
        "host_profile": host_view(found["host_profile"])
        if found["host_profile"]
        else None,
        "invitations": [invitation_view(m) for m in found["invitations"]],
        "calendar": calendar_view(found["calendar"], spans(found["calendar"]["busy"]))
        if found.get("calendar")
        else None,
        "recommended": [
            {"request_id": str(r["id"]), "name": r["referrer_name"],
             "email": r["referrer_email"], "created_at": iso(r["created_at"])}
            for r in found["recommended"]
        ],
    }  # fmt: skip


def directory_view(row: dict) -> dict:
    return {"id": str(row["id"]), "name": row["name"], "fields": row["fields"]}


def calendar_view(row: dict, spans: list, now: datetime | None = None) -> dict:
    """A host's calendar connection: never the address in full nor the
    password; the busy periods as intervals only."""
    now = now or datetime.now(UTC)
    if row["failing_since"] is None:
        state = "ok"
    else:
        state = "stale" if row["stale_notified_at"] else "failing"
    return {
        "kind": row["kind"],
        "address": row["shown"],
        "status": state,
        "connected_at": iso(row["connected_at"]),
        "refreshed_at": iso(row["refreshed_at"]),
        "failing_since": iso(row["failing_since"]),
        "error": row["last_error"],
        "busy_periods_next_4_weeks": count_between(
            spans, now, now + timedelta(days=CHECK_DAYS)
        ),
        "busy": [
            {"start": iso(s), "end": iso(e)}
            for s, e in spans
            if e > now and s < now + timedelta(days=CHECK_DAYS)
        ],
    }
