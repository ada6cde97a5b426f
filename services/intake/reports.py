"""The figures ops read: read-only SQL over the whole store (the dashboard,
its JSON API and the store-wide metrics). Tables owned by other services
(`notifications`, `dead_letters`, `outbox`, `inbox`) are only read here."""

from __future__ import annotations

from shared import dead_letters, outbox
from shared.statuses import (
    LIVE_SQL,
    MATCH_STATUSES,
    OPEN_REQUEST_STATUSES,
    REQUEST_STATUSES,
)

PAGE_SIZE = 50
BUCKETS = (60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400)
DELAYS = {  # what ops measure: from submission to the first proposal, to confirmation
    "time_to_proposal": "proposed_at",
    "time_to_confirmation": "confirmed_at",
}


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

    def requests_page(self, status: str | None, field: str | None, page: int) -> dict:
        where, params = [], []
        if status:
            where.append("status = %s")
            params.append(status)
        if field:
            where.append("field = %s")
            params.append(field)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        total = self.conn.execute(
            f"SELECT count(*) AS n FROM requests {clause}", params
        ).fetchone()["n"]
        rows = self.conn.execute(
            "SELECT id::text, status, status_reason, field, requester_email, attempts,"
            f" created_at, proposed_at, confirmed_at FROM requests {clause}"
            " ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
            params + [PAGE_SIZE, (page - 1) * PAGE_SIZE],
        ).fetchall()
        return {"total": total, "rows": rows}

    def correlation_of(self, request_id):
        row = self.conn.execute(
            "SELECT correlation_id FROM requests WHERE id = %s", (request_id,)
        ).fetchone()
        return row["correlation_id"] if row else None

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
