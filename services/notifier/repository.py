"""All of the notifier's SQL. It owns `notifications`, the ledger of
messages: one row per (event, recipient, kind), so that a redelivered event
never mails twice; scheduled mail waits there until due. It reads
`requests`, `matches` and `hosts` to address and fill its messages."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from psycopg.types.json import Jsonb

from services.notifier import domain
from shared import forgetting, outbox
from shared.retention import BATCH

# A forgotten recipient (one event may have mailed both people: unique per row).
FORGOTTEN_ADDRESS = forgetting.forgotten_email_sql("{table}id")


class Repository:
    def __init__(self, conn):
        self.conn = conn

    # -- what an event names ---------------------------------------------------
    def request(self, request_id) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM requests WHERE id = %s", (request_id,)
        ).fetchone()

    def match_rows(self, match_id) -> tuple[dict, dict, dict] | None:
        """The match, its host and its request."""
        match = self.conn.execute(
            "SELECT * FROM matches WHERE id = %s", (match_id,)
        ).fetchone()
        if match is None:
            return None
        host = self.conn.execute(
            "SELECT * FROM hosts WHERE id = %s", (match["host_id"],)
        ).fetchone()
        return match, host, self.request(match["request_id"])

    def host(self, host_id) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM hosts WHERE id = %s", (host_id,)
        ).fetchone()

    def was_sent(self, match_id, kind: str) -> bool:
        """Whether a message of `kind` about this match went out."""
        return (
            self.conn.execute(
                "SELECT 1 FROM notifications WHERE match_id = %s AND kind = %s"
                " AND status = 'sent' LIMIT 1",
                (match_id, kind),
            ).fetchone()
            is not None
        )

    # -- queueing --------------------------------------------------------------
    def queue(
        self, *, event, kind: str, person: dict, context: dict, settings,
        request_id=None, match_id=None, due_at: datetime | None = None,
        hold: timedelta = timedelta(0),
    ) -> None:  # fmt: skip
        """Queue one message, due at `due_at` or `hold` from now (a
        duplicate of an already queued one is ignored; nothing is queued for
        a forgotten person)."""
        recipient = person["email"]
        if forgetting.is_forgotten(recipient):
            return
        context = {**context, "to": person, "correlation_id": str(event.correlation_id)}
        self.conn.execute(
            # clock_timestamp(), not the transaction's now(): the events of one
            # consumer batch share a transaction, and their mail keeps its order
            "INSERT INTO notifications (id, event_id, request_id, match_id, kind,"
            " recipient, locale, context, message_id, due_at, created_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " coalesce(%s, clock_timestamp() + %s), clock_timestamp())"
            " ON CONFLICT (event_id, recipient, kind) DO NOTHING",
            (uuid.uuid4(), event.event_id, request_id, match_id, kind, recipient,
             person["locale"], Jsonb(context),
             domain.message_id(event.event_id, recipient, kind, settings.mail_from),
             due_at, hold),
        )  # fmt: skip

    def purge_mail(self, before) -> int:
        """Records of mail sent, failed or cancelled before `before`."""
        return self.conn.execute(
            "DELETE FROM notifications WHERE id = ANY (ARRAY(SELECT id"
            " FROM notifications WHERE status IN ('sent', 'failed', 'cancelled')"
            f" AND coalesce(sent_at, due_at) < %s LIMIT {BATCH}"
            " FOR UPDATE SKIP LOCKED))",
            (before,),
        ).rowcount

    def cancel_pending(self, request_id, kinds: tuple[str, ...] | None = None) -> int:
        sql = (
            "UPDATE notifications SET status = 'cancelled'"
            " WHERE request_id = %s AND status = 'pending'"
        )
        params: list = [request_id]
        if kinds:
            sql += " AND kind = ANY(%s)"
            params.append(list(kinds))
        return self.conn.execute(sql, params).rowcount

    def retry_failed(
        self, notification_id=None, *, kind=None, since=None, until=None
    ) -> int:
        """Failed messages back in the queue, their attempts counted afresh:
        one, or all (of `kind`, queued between `since` and `until`)."""
        where, params = ["status = 'failed'"], []
        for clause, value in (
            ("id = %s", notification_id),
            ("kind = %s", kind),
            ("created_at >= %s", since),
            ("created_at < %s", until),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        return self.conn.execute(
            "UPDATE notifications SET status = 'pending', attempts = 0, due_at = now()"
            f" WHERE {' AND '.join(where)}",
            params,
        ).rowcount

    # -- forgetting ------------------------------------------------------------
    def forget_request(self, request_id) -> None:
        """Mail about a forgotten requester's request loses its content and
        address; what was queued is cancelled."""
        self.conn.execute(
            f"UPDATE notifications SET recipient = {FORGOTTEN_ADDRESS.format(table='')}, context = '{{}}',"
            " last_error = NULL,"
            " status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END"
            " WHERE request_id = %s",
            (request_id,),
        )

    def forget_host(self, host_id) -> None:
        """Mail to a forgotten host (about any of their meetings) likewise; mail
        to the requesters of those meetings loses the host's name and address,
        and what of it was queued is withdrawn, but for the news that the host
        left (`domain.TELLS_HOST_LEFT`: it names no one, and the requester
        must still have it, whichever of the two events came first)."""
        self.conn.execute(
            f"UPDATE notifications n SET recipient = {FORGOTTEN_ADDRESS.format(table='n.')},"
            " context = '{}',"
            " last_error = NULL,"
            " status = CASE WHEN n.status = 'pending' THEN 'cancelled' ELSE n.status END"
            " FROM matches m JOIN requests r ON r.id = m.request_id"
            " WHERE n.match_id = m.id AND m.host_id = %s"
            " AND n.recipient <> r.requester_email",
            (host_id,),
        )
        self.conn.execute(
            "UPDATE notifications n SET context = n.context - 'host',"
            " status = CASE WHEN n.status = 'pending' THEN 'cancelled' ELSE n.status END"
            " FROM matches m WHERE n.match_id = m.id AND m.host_id = %s"
            " AND n.kind <> ALL(%s)",
            (host_id, list(domain.TELLS_HOST_LEFT)),
        )

    def forget_referrer(self, request_id) -> None:
        """Mail about a request loses the name and address of the person who
        recommended it, who asked to be forgotten: no one recommended it, as
        far as a message built later can tell."""
        self.conn.execute(
            "UPDATE notifications SET context = jsonb_set(context, '{request}',"
            " (context->'request') || '{\"referrer_name\": null, \"referrer_email\": null}')"
            " WHERE request_id = %s AND jsonb_typeof(context->'request') = 'object'",
            (request_id,),
        )

    # -- sending ---------------------------------------------------------------
    def due(self, limit: int) -> list[dict]:
        """Up to `limit` messages due now, oldest first, locked (others'
        locked ones skipped); of a request's messages only the first still
        queued, so that another sender cannot pass it while it is sent.
        (The earlier message is looked for by a subquery per row, in the
        index of queued messages by request: written as NOT EXISTS, the
        planner may join the two scans instead, comparing every queued
        message with every other when the statistics are out of date:
        5 ms a call on average, up to 60 ms, at 50 introductions a second.)"""
        return self.conn.execute(
            "SELECT * FROM notifications n WHERE status = 'pending' AND due_at <= now()"
            " AND (SELECT 1 FROM notifications e"
            "  WHERE e.request_id = n.request_id AND e.status = 'pending'"
            "  AND (e.due_at, e.created_at, e.id) < (n.due_at, n.created_at, n.id)"
            "  LIMIT 1) IS NULL"
            " ORDER BY due_at, created_at LIMIT %s FOR UPDATE SKIP LOCKED",
            (limit,),
        ).fetchall()

    def current(self, rows: list[dict]) -> dict:
        """Where the request and the match each message is about stand now,
        by the message's id (one query for them all, each row looked up by
        its keys: joined plainly, a prepared plan that guesses ten ids read
        every request to hash them, 1 ms a call at 1,500 requests)."""
        found = self.conn.execute(
            "SELECT ids.nid, r.request_status, r.requester_email, m.match_status,"
            " m.host_email"
            " FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[]) AS ids (nid, rid, mid)"
            " LEFT JOIN LATERAL (SELECT status AS request_status, requester_email"
            "  FROM requests WHERE id = ids.rid LIMIT 1) r ON true"
            " LEFT JOIN LATERAL (SELECT m.status AS match_status, h.email AS host_email"
            "  FROM matches m LEFT JOIN hosts h ON h.id = m.host_id"
            "  WHERE m.id = ids.mid LIMIT 1) m ON true",
            ([r["id"] for r in rows], [r["request_id"] for r in rows],
             [r["match_id"] for r in rows]),
        ).fetchall()  # fmt: skip
        return {f.pop("nid"): domain.Current(**f) for f in found}

    def forget_recipient(self, row: dict) -> dict:
        """The row of a message sent to someone forgotten meanwhile, without
        their address or what it said."""
        return self.conn.execute(
            f"UPDATE notifications SET recipient = {FORGOTTEN_ADDRESS.format(table='')},"
            " context = '{}' WHERE id = %s RETURNING *",
            (row["id"],),
        ).fetchone()

    def forget_published(self, key: str) -> None:
        """The notifier's own stored events about a forgotten person's request
        (NotificationSent and NotificationFailed carry addresses), emptied:
        one may have been written while intake was forgetting them."""
        outbox.forget_about(self.conn, key, producer=domain.PRODUCER)

    def cancel(self, notification_id, why: str) -> None:
        """A queued message that must not go out now (`domain.stale` says why)."""
        self.conn.execute(
            "UPDATE notifications SET status = 'cancelled', last_error = %s WHERE id = %s",
            (why, notification_id),
        )

    def together_with(self, row: dict, kinds, window) -> list[dict]:
        """The other messages queued for the same person about the same
        request, of `kinds`, falling due within `window`, that no other
        sender holds; locked."""
        if row["request_id"] is None:
            return []
        return self.conn.execute(
            "SELECT * FROM notifications WHERE request_id = %s AND recipient = %s"
            " AND status = 'pending' AND id <> %s AND kind = ANY(%s)"
            " AND due_at <= now() + %s ORDER BY created_at FOR UPDATE SKIP LOCKED",
            (row["request_id"], row["recipient"], row["id"], list(kinds), window),
        ).fetchall()

    def mark_sent(self, notification_id, message_id: str) -> None:
        """Sent, under `message_id` (another's when it went with it)."""
        self.conn.execute(
            "UPDATE notifications SET status = 'sent', sent_at = now(),"
            " attempts = attempts + 1, message_id = %s WHERE id = %s",
            (message_id, notification_id),
        )

    def defer(self, notification_id, attempts: int, error: str, delay) -> None:
        self.conn.execute(
            "UPDATE notifications SET attempts = %s, last_error = %s,"
            " due_at = now() + %s WHERE id = %s",
            (attempts, error[:1000], delay, notification_id),
        )

    def mark_failed(self, notification_id, error: str) -> None:
        self.conn.execute(
            "UPDATE notifications SET status = 'failed', attempts = attempts + 1,"
            " last_error = %s WHERE id = %s",
            (error[:1000], notification_id),
        )

    # -- what ops see of the mail server ------------------------------------
    def set_outage(self, reason: str | None) -> None:
        """The mail server outage now under way (None: none)."""
        if reason is None:
            self.conn.execute("DELETE FROM mail_outage")
            return
        self.conn.execute(
            "INSERT INTO mail_outage (id, since, reason, updated_at)"
            " VALUES (true, now(), %s, now())"
            " ON CONFLICT (id) DO UPDATE SET reason = EXCLUDED.reason, updated_at = now()",
            (reason[:1000],),
        )
