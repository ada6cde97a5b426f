"""Every change intake makes: one transaction, the rows and their events.

Each function takes a connection inside an open transaction; the caller
commits. A refusal raises `Refused` and leaves nothing written.
"""

from __future__ import annotations

import json
import uuid

from psycopg.types.json import Jsonb

from services.intake.validation import Invalid
from shared import metrics
from shared.events import json_default
from shared.outbox import Outbox
from shared.statuses import OPEN_REQUEST_STATUSES

PRODUCER = "intake"


class Refused(Exception):
    def __init__(self, status: int, code: str, **values):
        super().__init__(code)
        self.status = status
        self.code = code
        self.values = values


def parse_id(value: str) -> uuid.UUID:
    """An id from a URL; one that is not a UUID names nothing: 404."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Refused(404, "not_found") from None


def _json(value):
    return Jsonb(json.loads(json.dumps(value, default=json_default)))


def _windows(windows) -> list[dict]:
    return [
        {"start": w["start"].isoformat(), "end": w["end"].isoformat()} for w in windows
    ]


# -- requests ------------------------------------------------------------


def submit_request(
    conn,
    who,
    data: dict,
    *,
    settings,
    locale: str,
    idempotency_key: str | None,
    body_hash: str,
    correlation_id=None,
) -> tuple[dict, bool]:
    """Insert a request and its IntroRequested; return (row, created)."""
    # One round trip: the server runs these in order, and under READ COMMITTED each
    # statement sees what was committed when it starts, i.e. after the lock is held.
    with conn.pipeline():
        conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"requester:{who.email}",)
        )
        existing = (
            conn.execute(
                "SELECT * FROM requests WHERE requester_email = %s AND idempotency_key = %s",
                (who.email, idempotency_key),
            )
            if idempotency_key
            else None
        )
        host = (
            conn.execute(
                "SELECT email FROM hosts WHERE id = %s AND active",
                (data["preferred_host"],),
            )
            if data["preferred_host"] is not None
            else None
        )
        counts = conn.execute(
            "SELECT count(*) FILTER (WHERE status = ANY(%s)) AS open,"
            " count(*) FILTER (WHERE created_at > now() - interval '1 hour') AS recent"
            " FROM requests WHERE requester_email = %s",
            (list(OPEN_REQUEST_STATUSES), who.email),
        )
    existing = existing.fetchone() if existing is not None else None
    if existing:
        if existing["idempotency_hash"] != body_hash:
            raise Refused(409, "idempotency_conflict")
        return existing, False
    if host is not None:
        host = host.fetchone()
        if host is None:
            raise Invalid({"preferred_host": ["Unknown host."]})
        if host["email"] == who.email:
            raise Invalid({"preferred_host": ["You cannot ask yourself."]})
    counts = counts.fetchone()
    if counts["recent"] >= settings.submissions_per_hour:
        raise Refused(429, "rate_limited")
    if counts["open"] >= settings.max_open_requests:
        raise Refused(409, "too_many_open", n=settings.max_open_requests)

    request_id = uuid.uuid4()
    outbox = Outbox(conn, PRODUCER, correlation_id)
    referrer = data["referrer"]
    payload = {
        "request_id": request_id,
        "requester": {"name": data["name"], "email": who.email},
        "field": data["field"],
        "goal": data["goal"],
        "format": data["format"],
        "duration_minutes": data["duration_minutes"],
        "languages": data["languages"],
        "site": data["site"],
        "timezone": data["timezone"],
        "related_ok": data["related_ok"],
        "availability": _windows(data["availability"]),
        "referrer": {"name": referrer["name"], "email": referrer["email"].lower()}
        if referrer
        else None,
        "preferred_host": data["preferred_host"],
        "locale": locale,
    }
    with conn.pipeline():  # both inserts in one round trip
        event = outbox.emit("IntroRequested", request_id, payload)
        row = conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal, format, duration_minutes,"
            " languages, site, timezone, related_ok, availability, referrer_name, referrer_email, preferred_host,"
            " locale, correlation_id, idempotency_key, idempotency_hash)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) RETURNING *",
            (
                request_id,
                who.email,
                data["name"],
                data["field"],
                data["goal"],
                data["format"],
                data["duration_minutes"],
                data["languages"],
                data["site"],
                data["timezone"],
                data["related_ok"],
                _json(payload["availability"]),
                referrer["name"] if referrer else None,
                payload["referrer"]["email"] if referrer else None,
                data["preferred_host"],
                locale,
                event.correlation_id,
                idempotency_key,
                body_hash,
            ),
        ).fetchone()
    return row, True


def cancel_request(conn, who, request_id, reason: str | None) -> dict:
    row = conn.execute(
        "SELECT * FROM requests WHERE id = %s FOR UPDATE", (request_id,)
    ).fetchone()
    _owned(row, who)
    if row["status"] not in OPEN_REQUEST_STATUSES:
        raise Refused(409, "not_cancellable")
    match = conn.execute(
        "SELECT id, host_id, status FROM matches WHERE request_id = %s AND status IN ('proposed', 'accepted')"
        " FOR UPDATE",
        (request_id,),
    ).fetchone()
    if match:
        conn.execute(
            "UPDATE matches SET status = 'cancelled', responded_at = coalesce(responded_at, now())"
            " WHERE id = %s",
            (match["id"],),
        )
    updated = conn.execute(
        "UPDATE requests SET status = 'cancelled', status_reason = %s, updated_at = now()"
        " WHERE id = %s RETURNING *",
        (reason or "cancelled by the requester", request_id),
    ).fetchone()
    Outbox(conn, PRODUCER, row["correlation_id"]).emit(
        "IntroCancelled",
        request_id,
        {
            "request_id": request_id,
            "reason": reason,
            "cancelled_by": "requester",
            "match_id": match["id"] if match else None,
            "host_id": match["host_id"] if match else None,
            "match_status": match["status"] if match else None,
        },
    )
    return updated


def _owned(row, who) -> None:
    if row is None:
        raise Refused(404, "not_found")
    if row["requester_email"] != who.email and not who.is_ops:
        raise Refused(403, "forbidden")


# -- hosts ---------------------------------------------------------------


def put_host(conn, who, data: dict, *, locale: str) -> tuple[dict, bool]:
    host_id = (
        uuid.uuid4()
    )  # kept only if this is the first save: ON CONFLICT keeps the existing id
    weekly = data["weekly_availability"]
    unavailable = _windows(data["unavailable"])
    row = conn.execute(
        "INSERT INTO hosts (id, email, name, fields, languages, formats, site, timezone, durations,"
        " monthly_capacity, weekly_availability, unavailable, active, locale)"
        " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
        " ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, fields = EXCLUDED.fields,"
        " languages = EXCLUDED.languages, formats = EXCLUDED.formats, site = EXCLUDED.site,"
        " timezone = EXCLUDED.timezone, durations = EXCLUDED.durations,"
        " monthly_capacity = EXCLUDED.monthly_capacity, weekly_availability = EXCLUDED.weekly_availability,"
        " unavailable = EXCLUDED.unavailable, active = EXCLUDED.active, locale = EXCLUDED.locale,"
        " updated_at = now() RETURNING *, (xmax = 0) AS inserted",
        (
            host_id,
            who.email,
            data["name"],
            data["fields_"],
            data["languages"],
            data["formats"],
            data["site"],
            data["timezone"],
            data["durations"],
            data["monthly_capacity"],
            _json(weekly),
            _json(unavailable),
            data["active"],
            locale,
        ),
    ).fetchone()
    host_id = row[
        "id"
    ]  # a concurrent first save may have won the insert: its id stands
    Outbox(conn, PRODUCER).emit(
        "HostProfileChanged",
        host_id,
        {
            "host_id": host_id,
            "email": who.email,
            "name": data["name"],
            "fields": data["fields_"],
            "languages": data["languages"],
            "formats": data["formats"],
            "site": data["site"],
            "timezone": data["timezone"],
            "durations": data["durations"],
            "monthly_capacity": data["monthly_capacity"],
            "weekly_availability": weekly,
            "unavailable": unavailable,
            "active": data["active"],
            "locale": locale,
        },
    )
    return row, row["inserted"]


# -- the host's answer ---------------------------------------------------


def _open_match(conn, who, match_id) -> dict:
    # Request first, then match: the order cancel_request takes them in, so the two never deadlock.
    owner = conn.execute(
        "SELECT request_id FROM matches WHERE id = %s", (match_id,)
    ).fetchone()
    if owner is not None:
        conn.execute(
            "SELECT 1 FROM requests WHERE id = %s FOR UPDATE", (owner["request_id"],)
        )
    row = conn.execute(
        "SELECT m.*, h.email AS host_email, r.correlation_id FROM matches m"
        " JOIN hosts h ON h.id = m.host_id JOIN requests r ON r.id = m.request_id"
        " WHERE m.id = %s FOR UPDATE OF m",
        (match_id,),
    ).fetchone()
    if row is None:
        raise Refused(404, "not_found")
    if row["host_email"] != who.email:
        raise Refused(403, "forbidden")
    expired = conn.execute(
        "SELECT %s <= now() AS past", (row["expires_at"],)
    ).fetchone()["past"]
    if row["status"] != "proposed" or expired:
        raise Refused(409, "not_proposed")
    return row


def accept_match(conn, who, match_id, location: str | None, note: str | None) -> dict:
    row = _open_match(conn, who, match_id)
    conn.execute(
        "UPDATE matches SET status = 'accepted', location = %s, note = %s, responded_at = now()"
        " WHERE id = %s",
        (location, note, match_id),
    )
    conn.execute(
        "UPDATE requests SET status = 'confirmed', confirmed_at = now(), updated_at = now()"
        " WHERE id = %s",
        (row["request_id"],),
    )
    Outbox(conn, PRODUCER, row["correlation_id"]).emit(
        "MatchAccepted",
        row["request_id"],
        {
            "match_id": match_id,
            "request_id": row["request_id"],
            "host_id": row["host_id"],
            "location": location,
            "note": note,
        },
    )
    metrics.host_answers.labels("accepted").inc()
    return row


def decline_match(conn, who, match_id, reason: str | None) -> dict:
    row = _open_match(conn, who, match_id)
    _decline(conn, row, reason)
    metrics.host_answers.labels("declined").inc()
    return row


def _decline(conn, row, reason) -> None:
    conn.execute(
        "UPDATE matches SET status = 'declined', decline_reason = %s, responded_at = now()"
        " WHERE id = %s",
        (reason, row["id"]),
    )
    conn.execute(
        "UPDATE requests SET status = 'submitted', updated_at = now() WHERE id = %s",
        (row["request_id"],),
    )
    Outbox(conn, PRODUCER, row["correlation_id"]).emit(
        "MatchDeclined",
        row["request_id"],
        {
            "match_id": row["id"],
            "request_id": row["request_id"],
            "host_id": row["host_id"],
            "reason": reason,
        },
    )


# -- personal data -------------------------------------------------------

REDACT_OUTBOX = (
    "UPDATE outbox SET value = convert_to(jsonb_set(convert_from(value, 'UTF8')::jsonb, '{payload}',"
    " '{\"redacted\": true}')::text, 'UTF8') WHERE key = %s AND published_at IS NOT NULL AND event_id IS NOT NULL"
)
REDACT_MAIL = (
    "UPDATE notifications SET recipient = 'forgotten@invalid', context = '{}',"
    " status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END WHERE "
)


def _scrub(conn, key: str, *, request_id=None, recipient: str | None = None) -> None:
    """Published copies of the person's events keep their envelope, lose their payload;
    mail about them or to them loses its content, and what was queued is cancelled."""
    conn.execute(REDACT_OUTBOX, (key,))
    if request_id is not None:
        conn.execute(REDACT_MAIL + "request_id = %s", (request_id,))
    if recipient is not None:
        conn.execute(REDACT_MAIL + "recipient = %s", (recipient,))


def forget_person(conn, who) -> dict:
    """Anonymise the caller's requests and remove their host profile."""
    counts = {"requests": 0, "host_profile": 0}
    for row in conn.execute(
        "SELECT * FROM requests WHERE requester_email = %s FOR UPDATE", (who.email,)
    ).fetchall():
        if row["status"] in OPEN_REQUEST_STATUSES:
            cancel_request(conn, who, row["id"], "personal data deleted")
        conn.execute(
            "UPDATE requests SET requester_email = %s, requester_name = '', goal = '', referrer_name = NULL,"
            " referrer_email = NULL, idempotency_key = NULL, updated_at = now() WHERE id = %s",
            (f"forgotten+{row['id']}@invalid", row["id"]),
        )
        _scrub(conn, str(row["id"]), request_id=row["id"], recipient=who.email)
        Outbox(conn, PRODUCER, row["correlation_id"]).emit(
            "RequesterForgotten", row["id"], {"request_id": row["id"]}
        )
        counts["requests"] += 1
    host = conn.execute(
        "SELECT * FROM hosts WHERE email = %s FOR UPDATE", (who.email,)
    ).fetchone()
    if host:
        for live in conn.execute(
            "SELECT m.*, r.correlation_id FROM matches m JOIN requests r ON r.id = m.request_id"
            " WHERE m.host_id = %s AND m.status = 'proposed' FOR UPDATE OF m, r",
            (host["id"],),
        ).fetchall():
            _decline(conn, live, "the host left the programme")
        conn.execute(
            "UPDATE hosts SET email = %s, name = '', site = NULL, active = false, weekly_availability = '[]',"
            " unavailable = '[]', updated_at = now() WHERE id = %s",
            (f"forgotten+{host['id']}@invalid", host["id"]),
        )
        _scrub(conn, str(host["id"]), recipient=who.email)
        Outbox(conn, PRODUCER).emit(
            "HostForgotten", host["id"], {"host_id": host["id"]}
        )
        counts["host_profile"] = 1
    return counts
