"""What intake's use cases read and write: all of it SQL, on one connection
in one transaction (the unit of work's).

Intake owns `requests` (their rows), `hosts`, `host_calendars` and `feedback`. Status changes
of requests and matches go through `shared.lifecycle`, the one module that
writes them for intake and the matcher alike; the published copies of a
forgotten person's events are redacted through `shared.outbox`.
"""

from __future__ import annotations

import json
import uuid

from psycopg.types.json import Jsonb
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from services.intake import domain
from shared import dead_letters, lifecycle, outbox
from shared.events import json_default
from shared.statuses import DATA_DELETED, LIVE_SQL, OPEN_REQUEST_STATUSES

MATCH_WITH_HOST = (
    "SELECT m.*, h.name AS host_name, h.email AS host_email FROM matches m"
    " JOIN hosts h ON h.id = m.host_id"
)
INVITATION = (
    "SELECT m.*, r.requester_name, r.field, r.goal, r.duration_minutes,"
    " r.referrer_name, h.email AS host_email, h.timezone AS host_timezone"
    " FROM matches m JOIN hosts h ON h.id = m.host_id"
    " JOIN requests r ON r.id = m.request_id"
)


def _json(value):
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
                " WHERE who = %s AND at > now() - interval '1 hour') AS recent",
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
             data["related_ok"], _json(domain.windows(data["availability"])),
             referrer["name"] if referrer else None,
             referrer["email"] if referrer else None, data["preferred_host"], locale,
             correlation_id, key, digest),
        ).fetchone()  # fmt: skip

    def log_submission(self, submitter: bytes) -> None:
        """Count one more submission (and forget this submitter's older ones)."""
        self.conn.execute(
            "DELETE FROM submissions WHERE who = %s AND at < now() - interval '1 hour'",
            (submitter,),
        )
        self.conn.execute("INSERT INTO submissions (who) VALUES (%s)", (submitter,))

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
        return self.conn.execute(
            "SELECT * FROM requests WHERE requester_email = %s FOR UPDATE", (email,)
        ).fetchall()

    def cancel(self, request_id, reason: str) -> tuple[dict, dict | None]:
        return lifecycle.cancel(self.conn, request_id, reason)

    def anonymise_request(self, request_id) -> None:
        self.conn.execute(
            "UPDATE requests SET requester_email = %s, requester_name = '', goal = '',"
            " referrer_name = NULL, referrer_email = NULL, idempotency_key = NULL,"
            " status_reason = CASE WHEN status = 'cancelled' THEN %s"
            " ELSE status_reason END, updated_at = now() WHERE id = %s",
            (domain.forgotten_email(request_id), DATA_DELETED, request_id),
        )
        self.conn.execute(  # what hosts wrote to them
            "UPDATE matches SET location = NULL, note = NULL WHERE request_id = %s",
            (request_id,),
        )

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

    # -- hosts -------------------------------------------------------------
    def host_of(self, email: str) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM hosts WHERE email = %s", (email,)
        ).fetchone()

    def save_host(self, who: str, data: dict, locale: str) -> tuple[dict, bool]:
        """Create or replace the profile of `who`; (row, created). A first save
        racing another keeps the id of whichever inserted first."""
        row = self.conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, site,"
            " timezone, durations, monthly_capacity, weekly_availability, unavailable,"
            " active, locale, listed, paused_until)"
            " VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)"
            " ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name,"
            " fields = EXCLUDED.fields, languages = EXCLUDED.languages,"
            " formats = EXCLUDED.formats, site = EXCLUDED.site,"
            " timezone = EXCLUDED.timezone, durations = EXCLUDED.durations,"
            " monthly_capacity = EXCLUDED.monthly_capacity,"
            " weekly_availability = EXCLUDED.weekly_availability,"
            " unavailable = EXCLUDED.unavailable, active = EXCLUDED.active,"
            " locale = EXCLUDED.locale, listed = EXCLUDED.listed,"
            " paused_until = EXCLUDED.paused_until, updated_at = now()"
            " RETURNING *, (xmax = 0) AS inserted",
            (uuid.uuid4(), who, data["name"], data["fields_"], data["languages"],
             data["formats"], data["site"], data["timezone"], data["durations"],
             data["monthly_capacity"], _json(data["weekly_availability"]),
             _json(domain.windows(data["unavailable"])), data["active"], locale,
             data["listed"], data["paused_until"]),
        ).fetchone()  # fmt: skip
        return row, row["inserted"]

    def directory(
        self, query: str | None, field: str | None, limit: int = 200
    ) -> list[dict]:
        """Active hosts who agreed to be listed, by name, matching `query`
        (in their name) and `field` (one of theirs), if given."""
        return self.conn.execute(
            "SELECT id, name, fields FROM hosts WHERE listed AND active"
            " AND (%(q)s::text IS NULL OR name ILIKE '%%' || %(q)s || '%%')"
            " AND (%(f)s::text IS NULL OR %(f)s = ANY(fields))"
            " ORDER BY name, id LIMIT %(limit)s",
            {"q": query, "f": field, "limit": limit},
        ).fetchall()

    def meetings_of(self, host_id) -> list[dict]:
        """The host's proposed and accepted meetings still to come."""
        return self.conn.execute(
            "SELECT starts_at, ends_at, month FROM matches"
            f" WHERE host_id = %s AND status IN {LIVE_SQL} AND ends_at > now()",
            (host_id,),
        ).fetchall()

    def lock_host_of(self, email: str) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM hosts WHERE email = %s FOR UPDATE", (email,)
        ).fetchone()

    def lock_live_meetings_of(self, host_id) -> list[dict]:
        """The host's proposed and accepted meetings, locked in the one order
        (their requests, then the matches; the host row after, by the caller)."""
        live = f"SELECT request_id FROM matches WHERE host_id = %s AND status IN {LIVE_SQL}"
        self.conn.execute(
            f"SELECT id FROM requests WHERE id IN ({live}) ORDER BY id FOR UPDATE",
            (host_id,),
        )
        return self.conn.execute(
            "SELECT m.*, r.correlation_id FROM matches m JOIN requests r"
            f" ON r.id = m.request_id WHERE m.host_id = %s AND m.status IN {LIVE_SQL}"
            " ORDER BY m.id FOR UPDATE OF m",
            (host_id,),
        ).fetchall()

    def withdraw(self, match: dict, reason: str) -> None:
        lifecycle.withdraw(self.conn, match["id"], match["request_id"], reason)

    def anonymise_host(self, host_id) -> None:
        self.conn.execute(
            "UPDATE hosts SET email = %s, name = '', site = NULL, active = false,"
            " weekly_availability = '[]', unavailable = '[]', updated_at = now()"
            " WHERE id = %s",
            (domain.forgotten_email(host_id), host_id),
        )
        self.conn.execute(  # what they wrote to requesters
            "UPDATE matches SET location = NULL, note = NULL, decline_reason = NULL"
            " WHERE host_id = %s",
            (host_id,),
        )

    # -- hosts' own calendars ------------------------------------------------
    def calendar_of(self, host_id) -> dict | None:
        return self.conn.execute(
            "SELECT * FROM host_calendars WHERE host_id = %s", (host_id,)
        ).fetchone()

    def save_calendar(
        self, host_id, *, kind: str, secret: bytes, shown: str, now, next_at
    ) -> None:
        """Connect (or reconnect) the host's calendar; its busy times follow."""
        self.conn.execute(
            "INSERT INTO host_calendars (host_id, kind, secret, shown, connected_at,"
            " next_refresh_at) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (host_id) DO UPDATE SET kind = EXCLUDED.kind,"
            " secret = EXCLUDED.secret, shown = EXCLUDED.shown,"
            " connected_at = EXCLUDED.connected_at, etag = NULL,"
            " last_modified = NULL, next_refresh_at = EXCLUDED.next_refresh_at,"
            " busy = '{}', busy_until = NULL, refreshed_at = NULL,"
            " failing_since = NULL, last_error = NULL, stale_notified_at = NULL",
            (host_id, kind, secret, shown, now, next_at),
        )

    def drop_calendar(self, host_id) -> bool:
        return (
            self.conn.execute(
                "DELETE FROM host_calendars WHERE host_id = %s", (host_id,)
            ).rowcount
            > 0
        )

    def lock_calendar(self, host_id) -> dict | None:
        return self.conn.execute(
            "SELECT c.*, h.timezone FROM host_calendars c JOIN hosts h"
            " ON h.id = c.host_id WHERE c.host_id = %s FOR UPDATE OF c",
            (host_id,),
        ).fetchone()

    def claim_due_calendars(self, now, next_at, limit: int) -> list[dict]:
        """Calendars due for a read, set to come due again at `next_at` (so a
        process that dies mid-read leaves them for the next period)."""
        return self.conn.execute(
            "UPDATE host_calendars c SET next_refresh_at = %s FROM hosts h"
            " WHERE h.id = c.host_id AND c.host_id IN (SELECT host_id FROM"
            " host_calendars WHERE next_refresh_at <= %s ORDER BY next_refresh_at"
            " LIMIT %s FOR UPDATE SKIP LOCKED)"
            " RETURNING c.*, h.timezone",
            (next_at, now, limit),
        ).fetchall()

    def store_busy(
        self, host_id, spans: list, *, until, etag, last_modified, now
    ) -> bool:
        """A good read's busy times; True if they differ from those stored,
        over the time both cover (from now to the older horizon)."""
        new = Multirange([Range(s, e, "[)") for s, e in spans])
        row = self.conn.execute(
            "WITH old AS (SELECT busy, busy_until FROM host_calendars"
            " WHERE host_id = %(id)s FOR UPDATE)"
            " UPDATE host_calendars c SET busy = %(new)s::tstzmultirange,"
            " busy_until = %(until)s, etag = %(etag)s, last_modified = %(lm)s,"
            " refreshed_at = %(now)s, failing_since = NULL, last_error = NULL,"
            " stale_notified_at = NULL, changed_at = CASE WHEN old.busy_until IS NULL"
            " OR old.busy_until <= %(now)s"
            " OR old.busy * tstzmultirange(tstzrange(%(now)s,"
            " greatest(old.busy_until, %(now)s)))"
            " <> %(new)s::tstzmultirange * tstzmultirange(tstzrange(%(now)s,"
            " greatest(old.busy_until, %(now)s))) THEN %(now)s ELSE c.changed_at END"
            " FROM old WHERE c.host_id = %(id)s RETURNING c.changed_at = %(now)s AS changed",
            {"id": host_id, "new": new, "until": until, "etag": etag,
             "lm": last_modified, "now": now},
        ).fetchone()  # fmt: skip
        return bool(row and row["changed"])

    def accepted_meetings_of(self, host_id) -> list[tuple]:
        """The host's accepted meetings still to come, as (start, end)."""
        rows = self.conn.execute(
            "SELECT starts_at, ends_at FROM matches WHERE host_id = %s"
            " AND status = 'accepted' AND ends_at > now()",
            (host_id,),
        ).fetchall()
        return [(r["starts_at"], r["ends_at"]) for r in rows]

    def calendar_unchanged(self, host_id, now) -> None:
        self.conn.execute(
            "UPDATE host_calendars SET refreshed_at = %s, failing_since = NULL,"
            " last_error = NULL, stale_notified_at = NULL WHERE host_id = %s",
            (now, host_id),
        )

    def calendar_failed(self, host_id, code: str, now) -> None:
        """A failed read keeps the last good busy times."""
        self.conn.execute(
            "UPDATE host_calendars SET failing_since = coalesce(failing_since, %s),"
            " last_error = %s WHERE host_id = %s",
            (now, code, host_id),
        )

    def stale_calendars(self, read_before, limit: int = 200) -> list[dict]:
        """Calendars failing and not read well since `read_before`, whose host
        has not been told yet."""
        return self.conn.execute(
            "SELECT * FROM host_calendars WHERE failing_since IS NOT NULL"
            " AND coalesce(refreshed_at, connected_at) < %s"
            " AND stale_notified_at IS NULL ORDER BY failing_since LIMIT %s"
            " FOR UPDATE SKIP LOCKED",
            (read_before, limit),
        ).fetchall()

    def calendar_stale_told(self, host_id, now) -> None:
        self.conn.execute(
            "UPDATE host_calendars SET stale_notified_at = %s WHERE host_id = %s",
            (now, host_id),
        )

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
    def forget_traces(self, keys: list[str], found: list[str]) -> None:
        """The person's events and dead letters (under their ids) emptied, and
        every mention of them elsewhere replaced (`shared.redaction`)."""
        for key in keys:
            outbox.forget_about(self.conn, key)
        outbox.forget_mentions(self.conn, found)
        dead_letters.forget(self.conn, keys, found)
