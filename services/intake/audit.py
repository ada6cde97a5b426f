"""The access trail: every read of someone else's personal data by staff,
and every staff action on someone else's data, one append-only row each
(`audit`, owned by intake; the table refuses UPDATE and DELETE but for its
own purge). A row names its actor (the staff member's address and roles),
the action, and whom it is about by id: the SHA-256 of the person's address
(`subject`, as stored events name people), the request or host. It never
holds what was read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared import forgetting
from shared.retention import BATCH

# action: what it records
ACTIONS = {
    "timeline": "read a request's events (with payloads for HR)",
    "request": "read someone else's request",
    "export": "exported a CSV of requests or matches",
    "requests": "read the list of requests (names, addresses)",
    "hosts": "read the list of hosts",
    "dead_letters": "read dead letters with their messages",
    "failed_mail": "read failed mail with its recipients",
    "mail": "opened a message in the mail viewer",
    "person_export": "exported everything held about a person",
    "cancel": "cancelled someone's request",
    "forget": "forgot a person",
    "retry": "asked for failed mail to be sent again",
    "replay": "asked for a dead letter to be replayed",
    "unmet_goals": "read examples of goals not matched (unmet demand)",
}


@dataclass(frozen=True)
class About:
    """Whom an audited action is about (any of these may be unknown)."""

    email: str | None = None
    request_id: object = None
    host_id: object = None


def subject(email: str | None) -> str | None:
    return forgetting.digest(email) if email else None


class AuditRepository:
    def __init__(self, conn):
        self.conn = conn

    def record(
        self, who, action: str, about: About = About(), detail: str = ""
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audited action {action!r}")
        self.conn.execute(
            "INSERT INTO audit (actor, roles, action, subject, request_id, host_id,"
            " detail) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (who.email, list(who.roles), action, subject(about.email),
             about.request_id, about.host_id, detail[:200]),
        )  # fmt: skip

    def lines(
        self, *, person: str | None, actor: str | None, action: str | None,
        since: datetime | None, until: datetime | None, limit: int,
    ) -> list[dict]:  # fmt: skip
        """The newest first; each filter applies when given."""
        return self.conn.execute(
            "SELECT id, at, actor, roles, action, subject, request_id, host_id, detail"
            " FROM audit WHERE (%(subject)s::text IS NULL OR subject = %(subject)s)"
            " AND (%(actor)s::text IS NULL OR actor = %(actor)s)"
            " AND (%(action)s::text IS NULL OR action = %(action)s)"
            " AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)"
            " AND (%(until)s::timestamptz IS NULL OR at < %(until)s)"
            " ORDER BY at DESC, id DESC LIMIT %(limit)s",
            {"subject": subject(person), "actor": actor and actor.lower(),
             "action": action, "since": since, "until": until, "limit": limit},
        ).fetchall()  # fmt: skip

    def purge(self, before: datetime) -> int:
        """Lines older than `before` (RETAIN_AUDIT): the one delete the table
        lets through, and only in this transaction."""
        self.conn.execute("SET LOCAL matchmaker.purging = 'on'")
        n = self.conn.execute(
            "DELETE FROM audit WHERE id = ANY (ARRAY(SELECT id FROM audit"
            f" WHERE at < %s ORDER BY at LIMIT {BATCH}))",
            (before,),
        ).rowcount
        self.conn.execute("SET LOCAL matchmaker.purging = 'off'")
        return n
