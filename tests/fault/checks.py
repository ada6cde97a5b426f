"""What must hold once the faults are over: read from the store and the
SMTP server's mailbox."""

from __future__ import annotations

import email
import json
from collections import Counter
from email.policy import default
from pathlib import Path

from services.matcher.wiring import ROUTES as MATCHER_ROUTES
from services.notifier.wiring import ROUTES as NOTIFIER_ROUTES

SETTLED = ("confirmed", "waitlisted", "unmatched")
CONSUMERS = {"matcher": MATCHER_ROUTES, "notifier": NOTIFIER_ROUTES}


def routed(consumer: str) -> set[str]:
    return {t for per_topic in CONSUMERS[consumer].values() for t in per_topic}


def backlog(conn) -> dict:
    """What is still on its way; all zero once the service has settled."""
    return conn.execute(
        "SELECT"
        " (SELECT count(*) FROM requests WHERE status <> ALL(%s)) AS unsettled,"
        " (SELECT count(*) FROM outbox WHERE published_at IS NULL) AS unpublished,"
        " (SELECT count(*) FROM notifications WHERE status = 'pending'"
        "   AND due_at <= now()) AS mail_due",
        (list(SETTLED),),
    ).fetchone() | {"undelivered": len(undelivered(conn))}


def unsettled(conn) -> dict:
    """What has not settled, for the failure message."""
    return {
        "requests": conn.execute(
            "SELECT status, count(*) AS n FROM requests GROUP BY status"
        ).fetchall(),
        "matches": conn.execute(
            "SELECT status, count(*) AS n FROM matches GROUP BY status"
        ).fetchall(),
        "undelivered": undelivered(conn)[:10],
        "unpublished": conn.execute(
            "SELECT producer, event_type, count(*) AS n FROM outbox"
            " WHERE published_at IS NULL GROUP BY 1, 2"
        ).fetchall(),
    }


def undelivered(conn) -> list[tuple[str, str, str]]:
    """(consumer, event type, event id) of every written event a consumer
    routes and has not taken in."""
    missing = []
    for consumer in CONSUMERS:
        rows = conn.execute(
            "SELECT o.event_type, o.event_id FROM outbox o"
            " WHERE o.event_type = ANY(%s) AND NOT EXISTS (SELECT 1 FROM inbox i"
            "   WHERE i.consumer = %s AND i.event_id = o.event_id)",
            (sorted(routed(consumer)), consumer),
        ).fetchall()
        missing += [(consumer, r["event_type"], str(r["event_id"])) for r in rows]
    return missing


def requests_settled_once(conn, names: list[str]) -> None:
    rows = conn.execute(
        "SELECT id, requester_name AS name, status FROM requests"
    ).fetchall()
    stored = Counter(r["name"] for r in rows)
    assert stored == Counter(names), (
        f"lost {sorted(set(names) - set(stored))},"
        f" doubled {[n for n, k in stored.items() if k > 1]}"
    )
    assert all(r["status"] in SETTLED for r in rows), Counter(r["status"] for r in rows)
    accepted = Counter(
        r["request_id"]
        for r in conn.execute(
            "SELECT request_id FROM matches WHERE status = 'accepted'"
        ).fetchall()
    )
    for r in rows:
        want = 1 if r["status"] == "confirmed" else 0
        assert accepted.get(r["id"], 0) == want, (r, accepted.get(r["id"]))
    # each decision written once: one event per request received, per
    # proposal made and per answer given
    events = conn.execute(
        "SELECT event_type, key, value FROM outbox WHERE event_type IN"
        " ('IntroRequested', 'MatchProposed', 'MatchAccepted', 'MatchDeclined')"
    ).fetchall()
    per_thing = Counter(
        (e["event_type"], e["key"] if e["event_type"] == "IntroRequested"
         else _payload(e)["match_id"])
        for e in events
    )  # fmt: skip
    doubled = {k: n for k, n in per_thing.items() if n > 1}
    assert not doubled, doubled
    matches = conn.execute("SELECT count(*) AS n FROM matches").fetchone()["n"]
    assert sum(1 for t, _ in per_thing if t == "MatchProposed") == matches


def no_host_overbooked(conn) -> None:
    over = conn.execute(
        "SELECT m.host_id, m.month, count(*) AS n, h.monthly_capacity FROM matches m"
        " JOIN hosts h ON h.id = m.host_id WHERE m.status IN ('proposed', 'accepted')"
        " GROUP BY m.host_id, m.month, h.monthly_capacity"
        " HAVING count(*) > h.monthly_capacity"
    ).fetchall()
    assert not over, over
    overlapping = conn.execute(
        "SELECT a.id, b.id FROM matches a JOIN matches b ON a.host_id = b.host_id"
        " AND a.id < b.id AND tstzrange(a.starts_at, a.ends_at)"
        "   && tstzrange(b.starts_at, b.ends_at)"
        " WHERE a.status IN ('proposed', 'accepted')"
        "   AND b.status IN ('proposed', 'accepted')"
    ).fetchall()
    assert not overlapping, overlapping


def mailbox(folder: Path) -> list:
    out = []
    for path in sorted(folder.glob("*.eml")):
        with open(path, "rb") as f:
            out.append(email.message_from_binary_file(f, policy=default))
    return out


def mail_once_each(conn, folder: Path, in_flight: int) -> Counter:
    """Every message the ledger sent is in the mailbox, none is there that
    the ledger did not send, and none went twice for the same reason, except
    at most `in_flight` copies: a message accepted by the server in the
    instant before a SIGKILL (or the server's stop) lost its record goes
    again, with the same Message-ID. Returns the kinds sent and the copies."""
    received = Counter(str(m["Message-ID"]) for m in mailbox(folder))
    ledger = conn.execute(
        "SELECT message_id, status, request_id, match_id, kind, recipient"
        " FROM notifications"
    ).fetchall()
    sent = {r["message_id"] for r in ledger if r["status"] == "sent"}
    known = {r["message_id"] for r in ledger}
    assert sent <= set(received), f"sent but never received: {sent - set(received)}"
    assert set(received) <= known, set(received) - known
    copies = sum(n - 1 for n in received.values())
    assert copies <= in_flight, {m: n for m, n in received.items() if n > 1}
    reasons = Counter(
        (r["request_id"], r["match_id"], r["kind"], r["recipient"])
        for r in ledger
        if r["status"] == "sent"
    )
    # A request is waitlisted again when an invitation falls through (the
    # host declined, or let it expire) and no other host is free: a new
    # moment, told anew. So "waitlisted" may go out once per waitlisting
    # the matcher wrote, every other message once per request and match.
    waitlistings = Counter(
        r["key"]
        for r in conn.execute(
            "SELECT key FROM outbox WHERE event_type = 'RequestWaitlisted'"
        )
    )
    twice = [
        k
        for k, n in reasons.items()
        if n > (waitlistings[str(k[0])] if k[2] == "waitlisted" else 1)
    ]
    assert not twice, twice
    kinds = Counter(r["kind"] for r in ledger if r["status"] == "sent")
    return kinds, copies


def no_dead_letters(conn) -> None:
    rows = conn.execute("SELECT consumer, topic, reason FROM dead_letters").fetchall()
    assert not rows, rows


def _payload(row) -> dict:
    body = json.loads(bytes(row["value"]))
    return body.get("payload", body)
