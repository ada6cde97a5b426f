"""What intake's use cases read and write of requests, invitations and
feedback: all of it SQL, on one connection in one transaction (the unit of
work's, as `uow.repo`).

Intake owns `requests` (their rows), `hosts` (`host_repository.py`),
`host_calendars` (`calendars/repository.py`) and `feedback`. Status changes
of requests and matches go through `shared.lifecycle`, the one module that
writes them for intake and the matcher alike; the published copies of a
forgotten person's events are redacted through `shared.outbox`.
"""

from __future__ import annotations

import json

from psycopg.types.json import Jsonb

from services.intake import domain
from shared import dead_letters, forgetting, lifecycle, outbox
from shared.events import json_default
from shared.retention import BATCH
from shared.statuses import CLOSED_SQL, DATA_DELETED, LIVE_SQL, OPEN_REQUEST_STATUSES

MATCH_WITH_HOST = (
    "SELECT m.*, h.name AS host_name, h.email AS host_email FROM matches m"
    " JOIN hosts h ON h.id = m.host_id"
)
INVITATION = (
    "SELECT m.*, r.requester_name, r.field, r.goal, r.duration_minutes, r.site,"
    " r.referrer_name, h.email AS host_email, h.timezone AS host_timezone"
    " FROM matches m JOIN hosts h ON h.id = m.host_id"
    " JOIN requests r ON r.id = m.request_id"
)


def jsonb(value):
    return Jsonb(json.loads(json.dumps(value, default=json_default)))


class Repository:
    def __init__(self, conn):
        self.conn = conn

    # -- requests ----------------------------------------------------------
    def submission_checks(
        self, email: str, key: str | None, preferred_host, submitter: bytes
    ) -> domain.SubmissionChecks:
        """Under the requester's lock, in one round trip: the request under
        this key, the preferred host's email, open and recent requests.
        (Under READ COMMITTED each statement sees what was committed when it
        starts, i.e. after the lock is held.)"""
        conn = self.conn
        with conn.pipeline():
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"requester:{email}",)
            )
            existing = (
                conn.execute(
                    "SELECT * FROM requests WHERE requester_email = %s"
                    " AND idempotency_key = %s",
                    (email, key),
                )
                if key
                else None
            )
            host = (
                conn.execute(
                    "SELECT email FROM hosts WHERE id = %s AND active",
                    (preferred_host,),
                )
                if preferred_host is not None
                else None
            )
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM requests WHERE requester_email = %s"
                " AND status = ANY(%s)) AS open, (SELECT count(*) FROM submissions"
                " WHERE who = %s AND action = 'request' AND at > now() - interval '1 hour') AS recent",
                (email, list(OPEN_REQUEST_STATUSES), submitter),
            )
        host_row = host.fetchone() if host is not None else None
        numbers = counts.fetchone()
        return domain.SubmissionChecks(
            existing=existing.fetchone() if existing is not None else None,
            preferred_host_email=host_row["email"] if host_row else None,
            open=numbers["open"],
            recent=numbers["recent"],
        )

    def add_request(
        self, request_id, who: str, data: dict, *, locale: str, correlation_id,
        key: str | None, digest: str,
    ) -> dict:  # fmt: skip
        referrer = domain.referrer(data)
        return self.conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal,"
            " format, duration_minutes, languages, site, timezone, related_ok,"
            " availability, referrer_name, referrer_email, preferred_host, locale,"
            " correlation_id, idempotency_key, idempotency_hash)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " RETURNING *",
            (request_id, who, data["name"], data["field"], data["goal"], data["format"],
             data["duration_minutes"], data["languages"], data["site"], data["timezone"],
             data["related_ok"], jsonb(domain.windows(data["availability"])),
             referrer["name"] if referrer else None,
             referrer["email"] if referrer else None, data["preferred_host"], locale,
             correlation_id, key, digest),
        ).fetchone()  # fmt: skip

    def log_submission(self, submitter: bytes) -> None:
        self.log_action(submitter, "request")

    def log_action(self, who: bytes, action: str) -> None:
        """Count one more `action` of `who` (and forget their older ones)."""
        self.conn.execute(
            "DELETE FROM submissions WHERE who = %s AND at < now() - interval '1 hour'",
            (who,),
        )
        self.conn.execute(
            "INSERT INTO submissions (who, action) VALUES (%s, %s)", (who, action)
        )

    def recent_actions(self, who: bytes, action: str) -> int:
        """How many times `who` did `action` in the last hour (locked: two
        of their actions at once are counted one after the other)."""
        self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(%s))", (f"actions:{who.hex()}",)
        )
        return self.conn.execute(
            "SELECT count(*) AS n FROM submissions WHERE who = %s AND action = %s"
            " AND at > now() - interval '1 hour'",
            (who, action),
        ).fetchone()["n"]

    def request(self, request_id) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM requests WHERE id = %s", (request_id,)
        ).fetchone()

    def lock_request(self, request_id) -> dict | None:
        return lifecycle.lock_request(self.conn, request_id)

    def live_match(self, request_id) -> dict | None:
        """The request's proposed or accepted match, with the host's name and email."""
        return self.conn.execute(
            MATCH_WITH_HOST + f" WHERE m.request_id = %s AND m.status IN {LIVE_SQL}",
            (request_id,),
        ).fetchone()

    def requests_of(
        self, email: str, limit: int = 100
    ) -> list[tuple[dict, dict | None]]:
        """The requester's requests, newest first, each with its live match
        (two queries, whatever the number of requests)."""
        rows = self.conn.execute(
            "SELECT * FROM requests WHERE requester_email = %s"
            " ORDER BY created_at DESC, id LIMIT %s",
            (email, limit),
        ).fetchall()
        live = {
            m["request_id"]: m
            for m in self.conn.execute(
                MATCH_WITH_HOST
                + f" WHERE m.request_id = ANY(%s) AND m.status IN {LIVE_SQL}",
                ([r["id"] for r in rows],),
            )
        }
        return [(r, live.get(r["id"])) for r in rows]

    def lock_requests_of(self, email: str) -> list[dict]:
        """The requester's requests, locked in id order (as every lock of
        several requests is taken: two transactions never wait on each other)."""
        return self.conn.execute(
            "SELECT * FROM requests WHERE requester_email = %s ORDER BY id FOR UPDATE",
            (email,),
        ).fetchall()

    def cancel(self, request_id, reason: str) -> tuple[dict, dict | None]:
        return lifecycle.cancel(self.conn, request_id, reason)

    def forget_request(self, request_id) -> None:
        self.conn.execute(
            "UPDATE requests SET requester_email = %s, requester_name = '', goal = '',"
            " referrer_name = NULL, referrer_email = NULL, idempotency_key = NULL,"
            " status_reason = CASE WHEN status = 'cancelled' THEN %s"
            " ELSE status_reason END, updated_at = now() WHERE id = %s",
            (forgetting.forgotten_email(request_id), DATA_DELETED, request_id),
        )
        self.conn.execute(  # what hosts wrote to them
            "UPDATE matches SET location = NULL, note = NULL WHERE request_id = %s",
            (request_id,),
        )

    def purge_introductions(self, before) -> int:
        """Closed requests last changed before `before`: names, addresses,
        goal and what hosts wrote to them emptied; field, site, dates,
        statuses and feedback kept for the reports (`purged_at` set)."""
        ids = [
            r["id"]
            for r in self.conn.execute(
                "UPDATE requests r SET requester_email = "
                + forgetting.forgotten_email_sql("r.id")
                + ", requester_name = '', goal = '', referrer_name = NULL,"
                " referrer_email = NULL, idempotency_key = NULL, purged_at = now(),"
                " status_reason = CASE WHEN status = 'cancelled' THEN %s"  # typed
                " ELSE status_reason END WHERE r.id = ANY (ARRAY(SELECT id FROM requests"
                f" WHERE purged_at IS NULL AND status IN {CLOSED_SQL}"
                f" AND updated_at < %s ORDER BY updated_at LIMIT {BATCH}"
                " FOR UPDATE SKIP LOCKED)) RETURNING r.id",
                (DATA_DELETED, before),
            )
        ]
        if ids:
            self.conn.execute(
                "UPDATE matches SET location = NULL, note = NULL,"
                " decline_reason = NULL WHERE request_id = ANY (%s)",
                (ids,),
            )
        return len(ids)

    def purge_submissions(self) -> int:
        """Rows of the hourly limits past their hour, whoever they count."""
        return self.conn.execute(
            "DELETE FROM submissions WHERE ctid = ANY (ARRAY(SELECT ctid FROM"
            f" submissions WHERE at < now() - interval '1 hour' LIMIT {BATCH}))"
        ).rowcount

    def referred_by(self, email: str) -> list[dict]:
        """Other people's requests that name `email` as who recommended them."""
        return self.conn.execute(
            "SELECT id, referrer_name, referrer_email, created_at FROM requests"
            " WHERE referrer_email = %s ORDER BY created_at",
            (email,),
        ).fetchall()

    def forget_referrer(self, email: str) -> list[dict]:
        """Take `email` out of other people's requests; those requests."""
        return self.conn.execute(
            "UPDATE requests SET referrer_name = NULL, referrer_email = NULL,"
            " updated_at = now() WHERE referrer_email = %s"
            " RETURNING id, correlation_id",
            (email,),
        ).fetchall()

    # -- invitations and answers --------------------------------------------
    def invitations(self, email: str, limit: int = 100) -> list[dict]:
        """Matches offered to the host with this email, newest first."""
        return self.conn.execute(
            INVITATION + " WHERE h.email = %s ORDER BY m.created_at DESC LIMIT %s",
            (email, limit),
        ).fetchall()

    def invitation(self, match_id) -> dict | None:
        return self.conn.execute(
            INVITATION + " WHERE m.id = %s", (match_id,)
        ).fetchone()

    def lock_for_answer(self, match_id) -> dict | None:
        return lifecycle.lock_for_answer(self.conn, match_id)

    def answer(self, match: dict, answer: str, details: dict) -> None:
        if answer == "accept":
            lifecycle.accept(
                self.conn, match["id"], match["request_id"],
                details.get("location"), details.get("note"),
            )  # fmt: skip
        else:
            lifecycle.decline(
                self.conn, match["id"], match["request_id"], details.get("reason")
            )

    def save_feedback(self, match_id, respondent: str, useful: bool) -> None:
        self.conn.execute(
            "INSERT INTO feedback (match_id, respondent, useful) VALUES (%s, %s, %s)"
            " ON CONFLICT (match_id, respondent) DO UPDATE SET useful = EXCLUDED.useful,"
            " answered_at = now()",
            (match_id, respondent, useful),
        )

    # -- ops -----------------------------------------------------------------
    def request_replay(self, dead_letter_id: int) -> str:
        return dead_letters.request_replay(self.conn, dead_letter_id)

    # -- personal data -----------------------------------------------------
    def forget_traces(self, keys: list[str], email: str) -> None:
        """The person's events and dead letters (under their ids) emptied, and
        the fields that name them in other people's (by their address)
        replaced (`shared.forgetting`)."""
        for key in keys:
            outbox.forget_about(self.conn, key)
        outbox.forget_mentions(self.conn, email, keys)
        dead_letters.forget(self.conn, keys, email)
