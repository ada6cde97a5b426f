"""The figures ops read: read-only SQL over the whole store (the dashboard,
its JSON API and the store-wide metrics), on the unit of work's connection
(`uow.reports`); the rows ops page through or export are `listings.py`.
Tables owned by other services (`notifications`, `dead_letters`, `outbox`,
`inbox`) are only read here."""

from __future__ import annotations

from shared import dead_letters, outbox
from shared.statuses import (
    LIVE_SQL,
    MATCH_STATUSES,
    OPEN_REQUEST_STATUSES,
    REQUEST_STATUSES,
)

BUCKETS = (60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400)
DELAYS = {  # what ops measure: from submission to the first proposal, to confirmation
    "time_to_proposal": "proposed_at",
    "time_to_confirmation": "confirmed_at",
}


PROGRAMME_KEYS = {"site": "r.site", "month": "r.month", "field": "r.field"}


class Reports:
    def __init__(self, conn):
        self.conn = conn

    def by_status(self, table: str) -> dict[str, int]:
        """Requests or matches per status, every status of the contract present."""
        known = {"requests": REQUEST_STATUSES, "matches": MATCH_STATUSES}[table]
        counts = dict.fromkeys(known, 0)
        for r in self.conn.execute(
            f"SELECT status, count(*) AS n FROM {table} GROUP BY 1"
        ):
            counts[r["status"]] = r["n"]
        return counts

    def funnel(self) -> dict:
        row = self.conn.execute(
            "SELECT count(*) AS submitted,"
            " count(*) FILTER (WHERE proposed_at IS NOT NULL) AS proposed,"
            " count(*) FILTER (WHERE confirmed_at IS NOT NULL) AS confirmed,"
            " count(*) FILTER (WHERE status = 'completed') AS completed FROM requests"
        ).fetchone()
        return dict(row)

    def percentiles(self, delay: str) -> dict:
        column = DELAYS[delay]
        d = f"extract(epoch FROM {column} - created_at)"
        row = self.conn.execute(
            f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {d}) AS p50,"
            f" percentile_cont(0.95) WITHIN GROUP (ORDER BY {d}) AS p95"
            f" FROM requests WHERE {column} IS NOT NULL"
        ).fetchone()
        return {"p50": row["p50"], "p95": row["p95"]}

    def histogram(self, delay: str) -> dict:
        """Cumulative counts per bucket (seconds), the count and the sum."""
        column = DELAYS[delay]
        cols = ", ".join(
            f"count(*) FILTER (WHERE d <= {b}) AS b{i}" for i, b in enumerate(BUCKETS)
        )
        row = self.conn.execute(
            f"SELECT {cols}, count(*) AS n, coalesce(sum(d), 0) AS total FROM"
            f" (SELECT extract(epoch FROM {column} - created_at) AS d FROM requests"
            f" WHERE {column} IS NOT NULL) t"
        ).fetchone()
        return {
            "buckets": [(b, row[f"b{i}"]) for i, b in enumerate(BUCKETS)],
            "count": row["n"],
            "sum": float(row["total"]),
        }

    def waitlist_by_field(self) -> dict[str, int]:
        return {
            r["field"]: r["n"]
            for r in self.conn.execute(
                "SELECT field, count(*) AS n FROM requests WHERE status = 'waitlisted'"
                " GROUP BY field ORDER BY field"
            )
        }

    def supply(self) -> list[dict]:
        """Active hosts and their monthly capacity, per field they cover."""
        return self.conn.execute(
            "SELECT f AS slug, count(*) AS hosts, sum(monthly_capacity) AS capacity"
            " FROM hosts, unnest(fields) AS f WHERE active GROUP BY f"
        ).fetchall()

    def open_requests_by_field(self) -> dict[str, int]:
        return {
            r["field"]: r["n"]
            for r in self.conn.execute(
                "SELECT field, count(*) AS n FROM requests WHERE status = ANY(%s)"
                " GROUP BY field",
                (list(OPEN_REQUEST_STATUSES),),
            )
        }

    def host_utilisation(self) -> list[dict]:
        """Live meetings this month over monthly capacity, per active host
        (most used first)."""
        return [
            dict(r)
            for r in self.conn.execute(
                "SELECT h.id::text AS host_id, h.name, h.monthly_capacity AS capacity,"
                " count(m.id) AS booked FROM hosts h LEFT JOIN matches m"
                f" ON m.host_id = h.id AND m.status IN {LIVE_SQL}"
                " AND m.month = to_char(now() AT TIME ZONE h.timezone, 'YYYY-MM')"
                " WHERE h.active GROUP BY h.id"
                " ORDER BY count(m.id)::float / greatest(h.monthly_capacity, 1) DESC,"
                " h.name LIMIT 200"
            )
        ]

    def request_keys(self, request_id) -> dict | None:
        """How a request's events and its requester are found."""
        return self.conn.execute(
            "SELECT correlation_id, requester_email FROM requests WHERE id = %s",
            (request_id,),
        ).fetchone()

    def timeline(self, request_id, correlation_id) -> list[dict]:
        return outbox.timeline(self.conn, str(request_id), correlation_id)

    def outbox_backlog(self) -> list[dict]:
        return outbox.backlog(self.conn)

    def dead_letters(self, limit: int = 200) -> list[dict]:
        return dead_letters.latest(self.conn, limit)

    def dead_letters_waiting(self) -> dict[str, int]:
        return dead_letters.unreplayed_by_consumer(self.conn)

    def failed_mail(self, limit: int = 200) -> list[dict]:
        """The notifier's failed messages (its documented read query)."""
        return self.conn.execute(
            "SELECT id::text, kind, recipient, attempts, last_error, created_at"
            " FROM notifications WHERE status = 'failed'"
            " ORDER BY created_at DESC LIMIT %s",
            (limit,),
        ).fetchall()

    def mail_outage(self) -> dict | None:
        """The mail server outage the notifier reports, if one is under way."""
        return self.conn.execute("SELECT since, reason FROM mail_outage").fetchone()

    def calendars(self, stale_before, limit: int = 50) -> dict:
        """Hosts' calendars: how many are connected and failing, those not
        read since `stale_before`, and accepted meetings to come that a busy
        time of the host's calendar now overlaps (never moved: ops decide)."""
        counts = self.conn.execute(
            "SELECT count(*) AS connected,"
            " count(*) FILTER (WHERE failing_since IS NOT NULL) AS failing"
            " FROM host_calendars"
        ).fetchone()
        stale = self.conn.execute(
            "SELECT h.id::text AS host_id, h.name, c.failing_since, c.refreshed_at,"
            " c.last_error FROM host_calendars c JOIN hosts h ON h.id = c.host_id"
            " WHERE c.failing_since IS NOT NULL"
            " AND coalesce(c.refreshed_at, c.connected_at) < %s"
            " ORDER BY c.failing_since LIMIT %s",
            (stale_before, limit),
        ).fetchall()
        conflicts = self.conn.execute(
            "SELECT m.id::text AS match_id, m.request_id::text, h.name AS host_name,"
            " m.starts_at, m.ends_at FROM matches m JOIN host_calendars c"
            " ON c.host_id = m.host_id JOIN hosts h ON h.id = m.host_id"
            " WHERE m.status = 'accepted' AND m.starts_at > now()"
            " AND c.busy && tstzrange(m.starts_at, m.ends_at)"
            " ORDER BY m.starts_at LIMIT %s",
            (limit,),
        ).fetchall()
        return {**counts, "stale": stale, "conflicts": conflicts}

    def failed_mail_count(self, kind=None, since=None, until=None) -> int:
        return self.conn.execute(
            "SELECT count(*) AS n FROM notifications WHERE status = 'failed'"
            " AND (%(kind)s::text IS NULL OR kind = %(kind)s)"
            " AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)"
            " AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)",
            {"kind": kind, "since": since, "until": until},
        ).fetchone()["n"]

    def is_failed_mail(self, notification_id) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM notifications WHERE id = %s AND status = 'failed'",
                (notification_id,),
            ).fetchone()
            is not None
        )

    def unmet_goals(self, model: str, since, limit: int) -> tuple[list[dict], int]:
        """The goals, with the vectors the matcher read of them under
        `model` (`goal_vectors`), of requests waitlisted now or unmatched
        since `since`, the latest `limit`; and how many such requests have
        no vector (a goal too short to read, or not ranked yet)."""
        unmet = (
            "(r.status = 'waitlisted' OR (r.status = 'unmatched'"
            " AND r.updated_at >= %(since)s)) AND r.goal <> ''"
        )
        rows = self.conn.execute(
            "SELECT r.goal, r.field, r.requester_email AS who, v.vector FROM requests r"
            " JOIN goal_vectors v ON v.request_id = r.id AND v.model = %(model)s"
            f" WHERE {unmet} ORDER BY r.created_at DESC, r.id LIMIT %(limit)s",
            {"model": model, "since": since, "limit": limit},
        ).fetchall()
        unread = self.conn.execute(
            "SELECT count(*) AS n FROM requests r WHERE"
            f" {unmet} AND NOT EXISTS (SELECT 1 FROM goal_vectors v"
            " WHERE v.request_id = r.id AND v.model = %(model)s)",
            {"model": model, "since": since},
        ).fetchone()["n"]
        return rows, unread

    # -- scarcity, trend, feedback -------------------------------------------

    def scarcity(self, weeks: int = 4) -> dict[str, dict]:
        """Per field: demand (open requests plus arrivals over the last
        `weeks`), the capacity of active, unpaused hosts over the next `weeks`
        (monthly capacity prorated, less live meetings booked in that window),
        the waitlist and the median monthly capacity of the field's hosts."""
        out: dict[str, dict] = {}

        def entry(slug):
            return out.setdefault(
                slug, {"demand": 0, "capacity": 0, "waitlisted": 0, "median": None}
            )

        for r in self.conn.execute(
            "SELECT field, count(*) FILTER (WHERE status = ANY(%s))"
            " + count(*) FILTER (WHERE created_at >= now() - %s * interval '1 week')"
            " AS demand, count(*) FILTER (WHERE status = 'waitlisted') AS waitlisted"
            " FROM requests GROUP BY field",
            (list(OPEN_REQUEST_STATUSES), weeks),
        ):
            entry(r["field"]).update(demand=r["demand"], waitlisted=r["waitlisted"])
        for r in self.conn.execute(
            "WITH h AS (SELECT h.id, h.fields, h.monthly_capacity,"
            " greatest(round(h.monthly_capacity * %(days)s / 30.4375)::int"
            "  - (SELECT count(*) FROM matches m WHERE m.host_id = h.id"
            f"   AND m.status IN {LIVE_SQL} AND m.starts_at >= now()"
            "    AND m.starts_at < now() + %(days)s * interval '1 day'), 0) AS free"
            " FROM hosts h WHERE h.active"
            " AND (h.paused_until IS NULL OR h.paused_until <= CURRENT_DATE))"
            " SELECT f AS slug, sum(free)::int AS capacity,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY monthly_capacity) AS median"
            " FROM h, unnest(fields) AS f GROUP BY f",
            {"days": 7 * weeks},
        ):
            entry(r["slug"]).update(capacity=r["capacity"], median=r["median"])
        return out

    def weekly_trend(self, weeks: int) -> list[dict]:
        """Per ISO week (UTC, oldest first): requests created, first
        proposals, confirmations."""
        return self.conn.execute(
            "WITH w AS (SELECT generate_series("
            " date_trunc('week', now() AT TIME ZONE 'UTC') - (%(n)s - 1) * interval '1 week',"
            " date_trunc('week', now() AT TIME ZONE 'UTC'), interval '1 week') AS start)"
            " SELECT w.start::date AS start,"
            " to_char(w.start, 'IYYY-\"W\"IW') AS week,"
            " (SELECT count(*) FROM requests r WHERE"
            "  date_trunc('week', r.created_at AT TIME ZONE 'UTC') = w.start) AS requests,"
            " (SELECT count(*) FROM requests r WHERE"
            "  date_trunc('week', r.proposed_at AT TIME ZONE 'UTC') = w.start) AS proposals,"
            " (SELECT count(*) FROM requests r WHERE"
            "  date_trunc('week', r.confirmed_at AT TIME ZONE 'UTC') = w.start)"
            " AS confirmations FROM w ORDER BY w.start",
            {"n": weeks},
        ).fetchall()

    def feedback(self) -> list[dict]:
        """The "was it useful?" answers per field and month of the meeting."""
        return self.conn.execute(
            "SELECT r.field, m.month,"
            " count(*) FILTER (WHERE f.respondent = 'requester' AND f.useful) AS ru,"
            " count(*) FILTER (WHERE f.respondent = 'requester' AND NOT f.useful) AS rn,"
            " count(*) FILTER (WHERE f.respondent = 'host' AND f.useful) AS hu,"
            " count(*) FILTER (WHERE f.respondent = 'host' AND NOT f.useful) AS hn"
            " FROM feedback f JOIN matches m ON m.id = f.match_id"
            " JOIN requests r ON r.id = m.request_id"
            " GROUP BY r.field, m.month ORDER BY m.month DESC, r.field"
        ).fetchall()

    def purged(self, since) -> dict[str, int]:
        """Rows the retention purges removed or emptied since `since`, per table."""
        return {
            r["table_name"]: int(r["n"])
            for r in self.conn.execute(
                "SELECT table_name, sum(rows) AS n FROM purges WHERE ran_at >= %s"
                " GROUP BY 1 ORDER BY 1",
                (since,),
            )
        }

    def programme(self, by: str) -> list[dict]:
        """Per site, month (of the request) or field: requests, introductions
        held (accepted meetings that have ended), the median time from a
        request to its meeting, and the "was it useful?" answers. Counts
        only: purged introductions still count."""
        key = PROGRAMME_KEYS[by]
        return self.conn.execute(
            "WITH r AS (SELECT id, field, coalesce(site, '') AS site, created_at,"
            " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM requests),"
            " m AS (SELECT DISTINCT ON (request_id) request_id, id, starts_at, ends_at"
            " FROM matches WHERE status = 'accepted' ORDER BY request_id, starts_at DESC),"
            " fb AS (SELECT match_id, count(*) FILTER (WHERE useful) AS useful,"
            " count(*) FILTER (WHERE NOT useful) AS not_useful FROM feedback GROUP BY 1)"
            f" SELECT {key} AS key, count(*) AS requests,"
            " count(m.id) FILTER (WHERE m.ends_at <= now()) AS held,"
            " percentile_cont(0.5) WITHIN GROUP"
            " (ORDER BY extract(epoch FROM m.starts_at - r.created_at))"
            " FILTER (WHERE m.id IS NOT NULL) AS median_s,"
            " coalesce(sum(fb.useful), 0)::int AS useful,"
            " coalesce(sum(fb.not_useful), 0)::int AS not_useful"
            " FROM r LEFT JOIN m ON m.request_id = r.id"
            " LEFT JOIN fb ON fb.match_id = m.id GROUP BY 1 ORDER BY 1"
        ).fetchall()
