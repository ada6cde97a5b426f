"""The notifications table: one row per (event, recipient, kind)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

from psycopg.types.json import Jsonb


def message_id(event_id, recipient: str, kind: str, mail_from: str) -> str:
    """Stable across redeliveries and retries of the same (event, recipient, kind)."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") or "matchmaker.local"
    digest = hashlib.sha256(f"{event_id}|{recipient}|{kind}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def plan(
    conn,
    *,
    event,
    kind: str,
    person: dict,
    context: dict,
    settings,
    request_id=None,
    match_id=None,
    due_at: datetime | None = None,
) -> None:
    """Queue one message (a duplicate of an already queued one is ignored)."""
    recipient = person["email"]
    if recipient.endswith("@invalid"):  # a forgotten person
        return
    context = {**context, "to": person, "correlation_id": str(event.correlation_id)}
    conn.execute(
        "INSERT INTO notifications (id, event_id, request_id, match_id, kind, recipient, locale, context,"
        " message_id, due_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()))"
        " ON CONFLICT (event_id, recipient, kind) DO NOTHING",
        (
            uuid.uuid4(),
            event.event_id,
            request_id,
            match_id,
            kind,
            recipient,
            person["locale"],
            Jsonb(context),
            message_id(event.event_id, recipient, kind, settings.mail_from),
            due_at,
        ),
    )


def cancel_pending(conn, request_id, kinds: tuple[str, ...] | None = None) -> int:
    sql = "UPDATE notifications SET status = 'cancelled' WHERE request_id = %s AND status = 'pending'"
    params: list = [request_id]
    if kinds:
        sql += " AND kind = ANY(%s)"
        params.append(list(kinds))
    return conn.execute(sql, params).rowcount
