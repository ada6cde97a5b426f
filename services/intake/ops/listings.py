"""The rows ops read a page at a time (requests, hosts) or whole (the CSV
exports of requests and matches): read-only SQL, on the unit of work's
connection (`uow.listings`)."""

from __future__ import annotations

from shared.statuses import LIVE_SQL

PAGE_SIZE = 50


class Listings:
    def __init__(self, conn):
        self.conn = conn

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

    def hosts_page(self, view: str, page: int) -> dict:
        """Active hosts with their live meetings this month: the busiest
        first, or only the idle ones (none), by name."""
        base = (
            "SELECT h.id::text AS host_id, h.name, h.monthly_capacity AS capacity,"
            " count(m.id) AS booked FROM hosts h LEFT JOIN matches m"
            f" ON m.host_id = h.id AND m.status IN {LIVE_SQL}"
            " AND m.month = to_char(now() AT TIME ZONE h.timezone, 'YYYY-MM')"
            " WHERE h.active GROUP BY h.id"
        )
        if view == "idle":
            base += " HAVING count(m.id) = 0"
            order = "name, host_id"
        else:
            order = (
                "booked::float / greatest(capacity, 1) DESC, booked DESC, name, host_id"
            )
        total = self.conn.execute(f"SELECT count(*) AS n FROM ({base}) t").fetchone()[
            "n"
        ]
        rows = self.conn.execute(
            f"SELECT * FROM ({base}) t ORDER BY {order} LIMIT %s OFFSET %s",
            (PAGE_SIZE, (page - 1) * PAGE_SIZE),
        ).fetchall()
        return {"total": total, "rows": rows}

    def export_requests(self, status, field, since, until, personal: bool):
        extra = ", requester_name, requester_email" if personal else ""
        return self.conn.execute(
            "SELECT id::text, field, status, status_reason, format, attempts,"
            f" created_at, proposed_at, confirmed_at{extra} FROM requests"
            " WHERE (%(status)s::text IS NULL OR status = %(status)s)"
            " AND (%(field)s::text IS NULL OR field = %(field)s)"
            " AND (%(since)s::timestamptz IS NULL OR created_at >= %(since)s)"
            " AND (%(until)s::timestamptz IS NULL OR created_at < %(until)s)"
            " ORDER BY created_at, id",
            {"status": status, "field": field, "since": since, "until": until},
        ).fetchall()

    def export_matches(self, status, field, since, until, personal: bool):
        extra = (
            ", r.requester_name, r.requester_email, h.name AS host_name,"
            " h.email AS host_email"
            if personal
            else ""
        )
        return self.conn.execute(
            "SELECT m.id::text, m.request_id::text, r.field, m.status,"
            " m.decline_reason, m.host_id::text, m.exact_field, m.format,"
            " m.starts_at, m.ends_at, m.created_at, m.responded_at, r.attempts"
            f"{extra} FROM matches m JOIN requests r ON r.id = m.request_id"
            " JOIN hosts h ON h.id = m.host_id"
            " WHERE (%(status)s::text IS NULL OR m.status = %(status)s)"
            " AND (%(field)s::text IS NULL OR r.field = %(field)s)"
            " AND (%(since)s::timestamptz IS NULL OR m.created_at >= %(since)s)"
            " AND (%(until)s::timestamptz IS NULL OR m.created_at < %(until)s)"
            " ORDER BY m.created_at, m.id",
            {"status": status, "field": field, "since": since, "until": until},
        ).fetchall()
