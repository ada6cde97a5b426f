"""What the ops dashboard reads: the store's figures, the outbox, the dead letters."""

from __future__ import annotations

import json

from shared.statuses import MATCH_STATUSES, OPEN_REQUEST_STATUSES, REQUEST_STATUSES

PAGE_SIZE = 50


def _percentiles(conn, expression: str, where: str) -> dict:
    row = conn.execute(
        f"SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY {expression}) AS p50,"
        f" percentile_cont(0.95) WITHIN GROUP (ORDER BY {expression}) AS p95 FROM requests WHERE {where}"
    ).fetchone()
    return {"p50": row["p50"], "p95": row["p95"]}


def summary(conn, taxonomy) -> dict:
    requests = dict.fromkeys(REQUEST_STATUSES, 0)
    for r in conn.execute("SELECT status, count(*) AS n FROM requests GROUP BY status"):
        requests[r["status"]] = r["n"]
    matches = dict.fromkeys(MATCH_STATUSES, 0)
    for r in conn.execute("SELECT status, count(*) AS n FROM matches GROUP BY status"):
        matches[r["status"]] = r["n"]
    reached = conn.execute(
        "SELECT count(*) AS total, count(*) FILTER (WHERE proposed_at IS NOT NULL) AS proposed,"
        " count(*) FILTER (WHERE confirmed_at IS NOT NULL) AS confirmed,"
        " count(*) FILTER (WHERE status = 'completed') AS completed FROM requests"
    ).fetchone()
    waitlist = {
        r["field"]: r["n"]
        for r in conn.execute(
            "SELECT field, count(*) AS n FROM requests WHERE status = 'waitlisted' GROUP BY field ORDER BY field"
        )
    }
    fields = {
        slug: {"hosts": 0, "monthly_capacity": 0, "open_requests": 0}
        for slug in taxonomy.fields
    }
    for r in conn.execute(
        "SELECT f AS slug, count(*) AS hosts, sum(monthly_capacity) AS capacity FROM hosts,"
        " unnest(fields) AS f WHERE active GROUP BY f"
    ):
        if r["slug"] in fields:
            fields[r["slug"]].update(
                hosts=r["hosts"], monthly_capacity=int(r["capacity"] or 0)
            )
    for r in conn.execute(
        "SELECT field, count(*) AS n FROM requests WHERE status = ANY(%s) GROUP BY field",
        (list(OPEN_REQUEST_STATUSES),),
    ):
        if r["field"] in fields:
            fields[r["field"]]["open_requests"] = r["n"]
    return {
        "requests": requests,
        "matches": matches,
        "funnel": {
            "submitted": reached["total"],
            "proposed": reached["proposed"],
            "confirmed": reached["confirmed"],
            "completed": reached["completed"],
        },
        "match_rate": round(reached["proposed"] / reached["total"], 4)
        if reached["total"]
        else 0.0,
        "time_to_proposal_s": _percentiles(
            conn,
            "extract(epoch FROM proposed_at - created_at)",
            "proposed_at IS NOT NULL",
        ),
        "time_to_confirmation_s": _percentiles(
            conn,
            "extract(epoch FROM confirmed_at - created_at)",
            "confirmed_at IS NOT NULL",
        ),
        "waitlist_by_field": waitlist,
        "fields": fields,
        "host_utilisation": host_utilisation(conn),
    }


def host_utilisation(conn) -> list[dict]:
    """Live meetings this month over monthly capacity, per active host (most used first)."""
    return [
        dict(r)
        for r in conn.execute(
            "SELECT h.id::text AS host_id, h.name, h.monthly_capacity AS capacity, count(m.id) AS booked"
            " FROM hosts h LEFT JOIN matches m ON m.host_id = h.id AND m.status IN ('proposed', 'accepted')"
            " AND m.month = to_char(now() AT TIME ZONE h.timezone, 'YYYY-MM')"
            " WHERE h.active GROUP BY h.id ORDER BY count(m.id)::float / greatest(h.monthly_capacity, 1) DESC,"
            " h.name LIMIT 200"
        )
    ]


def list_requests(conn, status: str | None, field: str | None, page: int) -> dict:
    where, params = [], []
    if status:
        where.append("status = %s")
        params.append(status)
    if field:
        where.append("field = %s")
        params.append(field)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    total = conn.execute(
        f"SELECT count(*) AS n FROM requests {clause}", params
    ).fetchone()["n"]
    rows = conn.execute(
        f"SELECT id::text, status, status_reason, field, requester_email, attempts, created_at, proposed_at,"
        f" confirmed_at FROM requests {clause} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
        params + [PAGE_SIZE, (page - 1) * PAGE_SIZE],
    ).fetchall()
    return {
        "page": page,
        "page_size": PAGE_SIZE,
        "total": total,
        "requests": [
            {
                **r,
                **{
                    k: r[k].isoformat() if r[k] else None
                    for k in ("created_at", "proposed_at", "confirmed_at")
                },
            }
            for r in rows
        ],
    }


def timeline(conn, request_id) -> list[dict] | None:
    request = conn.execute(
        "SELECT correlation_id FROM requests WHERE id = %s", (request_id,)
    ).fetchone()
    if request is None:
        return None
    rows = conn.execute(
        "SELECT id, producer, topic, key, value, event_type, event_id, created_at, published_at FROM outbox"
        " WHERE key = %s OR correlation_id = %s ORDER BY id",
        (str(request_id), request["correlation_id"]),
    ).fetchall()
    out = []
    for r in rows:
        try:
            body = json.loads(bytes(r["value"]))
        except ValueError:
            body = {}
        out.append(
            {
                "event_type": r["event_type"],
                "producer": r["producer"],
                "topic": r["topic"],
                "event_id": str(r["event_id"]) if r["event_id"] else None,
                "occurred_at": body.get("occurred_at") or r["created_at"].isoformat(),
                "published_at": r["published_at"].isoformat()
                if r["published_at"]
                else None,
                "payload": body.get("payload", {}),
            }
        )
    return out


def outbox_backlog(conn) -> dict:
    rows = conn.execute(
        "SELECT producer, count(*) AS unpublished, extract(epoch FROM now() - min(created_at)) AS oldest_age_s"
        " FROM outbox WHERE published_at IS NULL GROUP BY producer ORDER BY producer"
    ).fetchall()
    return {
        "unpublished": sum(r["unpublished"] for r in rows),
        "oldest_age_s": max((float(r["oldest_age_s"]) for r in rows), default=0.0),
        "by_producer": {
            r["producer"]: {
                "unpublished": r["unpublished"],
                "oldest_age_s": float(r["oldest_age_s"]),
            }
            for r in rows
        },
    }


def dead_letters(conn, limit: int = 200) -> list[dict]:
    rows = conn.execute(
        "SELECT * FROM dead_letters ORDER BY id DESC LIMIT %s", (limit,)
    ).fetchall()
    return [
        {
            "id": r["id"],
            "consumer": r["consumer"],
            "topic": r["topic"],
            "partition": r["partition"],
            "offset": r["offset"],
            "key": r["key"],
            "reason": r["reason"],
            "error": r["error"],
            "headers": r["headers"],
            "value": bytes(r["value"]).decode("utf-8", "replace")[:4000],
            "created_at": r["created_at"].isoformat(),
            "replay_requested_at": r["replay_requested_at"].isoformat()
            if r["replay_requested_at"]
            else None,
            "replayed_at": r["replayed_at"].isoformat() if r["replayed_at"] else None,
            "replay_result": r["replay_result"],
        }
        for r in rows
    ]


def request_replay(conn, dead_letter_id: int) -> str:
    """'requested', 'already' (asked before) or 'missing'."""
    row = conn.execute(
        "SELECT replay_requested_at FROM dead_letters WHERE id = %s FOR UPDATE",
        (dead_letter_id,),
    ).fetchone()
    if row is None:
        return "missing"
    if row["replay_requested_at"] is not None:
        return "already"
    conn.execute(
        "UPDATE dead_letters SET replay_requested_at = now() WHERE id = %s",
        (dead_letter_id,),
    )
    return "requested"


def failed_notifications(conn, limit: int = 200) -> list[dict]:
    rows = conn.execute(
        "SELECT id::text, kind, recipient, attempts, last_error, created_at FROM notifications"
        " WHERE status = 'failed' ORDER BY created_at DESC LIMIT %s",
        (limit,),
    ).fetchall()
    return [{**r, "created_at": r["created_at"].isoformat()} for r in rows]


def retry_notification(conn, notification_id) -> bool:
    return (
        conn.execute(
            "UPDATE notifications SET status = 'pending', attempts = 0, due_at = now()"
            " WHERE id = %s AND status = 'failed'",
            (notification_id,),
        ).rowcount
        == 1
    )
