"""The `dead_letters` table: messages a consumer gave up on, and their replay.

Each service records its own consumers' dead letters (through the consumer
loop); ops asks for a replay from intake's dashboard (`request_replay`),
and the consuming service replays it in a job. Every statement on the
table is here, so that its life reads in one place.
"""

from __future__ import annotations

from psycopg.types.json import Jsonb

from shared import forgetting


def record(conn, *, consumer: str, topic: str, partition: int, offset: int,
           key: str | None, value: bytes, headers: dict, reason: str,
           error: str) -> bool:  # fmt: skip
    """Insert one; False if that message was dead-lettered already."""
    return bool(
        conn.execute(
            "INSERT INTO dead_letters (consumer, topic, partition, \"offset\", key,"
            " value, headers, reason, error, subjects)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (consumer, topic, partition, offset, key, value, Jsonb(headers), reason,
             error, forgetting.raw_subjects(value)),
        ).rowcount
    )  # fmt: skip


def latest(conn, limit: int = 200) -> list[dict]:
    return conn.execute(
        "SELECT * FROM dead_letters ORDER BY id DESC LIMIT %s", (limit,)
    ).fetchall()


def request_replay(conn, dead_letter_id: int) -> str:
    """'requested', 'already' (replayed, or a replay is waiting) or 'missing'.
    A replay that failed may be asked for again."""
    row = conn.execute(
        "SELECT replay_requested_at, replayed_at FROM dead_letters WHERE id = %s FOR UPDATE",
        (dead_letter_id,),
    ).fetchone()
    if row is None:
        return "missing"
    if row["replay_requested_at"] is not None or row["replayed_at"] is not None:
        return "already"
    conn.execute(
        "UPDATE dead_letters SET replay_requested_at = now() WHERE id = %s",
        (dead_letter_id,),
    )
    return "requested"


def next_replay(conn, consumer: str) -> dict | None:
    """One dead letter of `consumer` that ops asked to replay, locked."""
    return conn.execute(
        "SELECT * FROM dead_letters WHERE consumer = %s"
        " AND replay_requested_at IS NOT NULL AND replayed_at IS NULL"
        " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
        (consumer,),
    ).fetchone()


def mark_replayed(conn, dead_letter_id: int, result: str) -> None:
    conn.execute(
        "UPDATE dead_letters SET replayed_at = now(), replay_result = %s WHERE id = %s",
        (result, dead_letter_id),
    )


def replay_failed(conn, dead_letter_id: int, result: str) -> None:
    """The replay did not take effect: say why, and let ops ask again."""
    conn.execute(
        "UPDATE dead_letters SET replay_requested_at = NULL, replay_result = %s"
        " WHERE id = %s",
        (result, dead_letter_id),
    )


def unreplayed_by_consumer(conn) -> dict[str, int]:
    return {
        r["consumer"]: r["n"]
        for r in conn.execute(
            "SELECT consumer, count(*) AS n FROM dead_letters"
            " WHERE replayed_at IS NULL GROUP BY 1"
        )
    }


def forget(conn, keys: list[str], email: str) -> None:
    """Dead letters about a forgotten person (under their ids) lose their
    bytes, their error and its header; others that name them in a person's
    field (found by the digest of their address) lose that field, and their
    error, whose text may quote it."""
    conn.execute(
        "UPDATE dead_letters SET value = %s, error = 'redacted', subjects = '{}',"
        " headers = headers - 'dlq_error' WHERE key = ANY(%s)",
        (forgetting.REDACTED_BYTES, keys),
    )
    for row in conn.execute(
        "SELECT id, value FROM dead_letters WHERE subjects @> %s"
        " AND (key IS NULL OR NOT (key = ANY(%s)))",
        ([forgetting.digest(email)], keys),
    ).fetchall():
        value = forgetting.without_mention(bytes(row["value"]), email, row["id"])
        conn.execute(
            "UPDATE dead_letters SET value = %s, subjects = %s, error = 'redacted',"
            " headers = headers - 'dlq_error' WHERE id = %s",
            (value, forgetting.raw_subjects(value), row["id"]),
        )
