"""Matching rounds on the real broker and database: requests wait for a
round, a round serves what one at a time strands, and two matchers running
rounds at once never overbook a host nor match a request twice."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

from services.matcher.policy import Policy
from shared import fields
from shared.config import DEFAULT_FIELDS_FILE
from shared.db import make_pool
from tests.integration.matcher.world import (
    Jobs,
    add_host,
    add_request,
    events,
    matches,
    mid_month_morning,
    now,
    status,
)
from tests.support import wait_for


def strict_and_flexible(conn, before_the_strict=lambda flexible: None):
    """One host of the field, one of a related field, capacity 1 each; the
    older request takes related fields, the younger only the exact one."""
    exact = add_host(conn, host_fields=("strategy",), capacity=1, emit=False)
    related = add_host(conn, host_fields=("consulting",), capacity=1, emit=False)
    window = mid_month_morning()
    flexible = add_request(conn, field="strategy", availability=window)
    before_the_strict(flexible)
    strict = add_request(conn, field="strategy", related_ok=False, availability=window)
    return exact, related, flexible, strict


def test_a_round_serves_both_requests_where_one_at_a_time_strands_one(conn, matcher):
    matcher(round_window=timedelta(seconds=1))
    exact, related, flexible, strict = strict_and_flexible(conn)
    wait_for(
        lambda: status(conn, flexible) == status(conn, strict) == "proposed",
        60,
        message="both proposed by one round",
    )
    assert matches(conn, strict)[0]["host_id"] == exact
    assert matches(conn, flexible)[0]["host_id"] == related
    assert matches(conn, flexible)[0]["score"]["method"] == "joint"
    assert events(conn, flexible) == events(conn, strict) == ["MatchProposed"]


def test_one_at_a_time_the_same_requests_strand_the_strict_one(conn, matcher):
    matcher(round_window=timedelta(0))
    # the events of two requests may be consumed in either order (partitions):
    # the older one is matched before the younger arrives
    exact, related, flexible, strict = strict_and_flexible(
        conn,
        lambda flexible: wait_for(
            lambda: status(conn, flexible) == "proposed",
            60,
            message="the flexible request proposed",
        ),
    )
    wait_for(
        lambda: status(conn, strict) == "waitlisted",
        60,
        message="the strict request waitlisted",
    )
    assert matches(conn, flexible)[0]["host_id"] == exact
    assert status(conn, flexible) == "proposed"


def test_a_new_request_waits_for_a_round_before_it_is_proposed(conn, matcher):
    add_host(conn, emit=False)
    matcher(round_window=timedelta(seconds=2))
    rid = add_request(conn)
    wait_for(lambda: status(conn, rid) == "proposed", 60, message="proposed")
    [match] = matches(conn, rid)
    # proposed_at is the round's own clock, the one that found the request due;
    # the match row's created_at is its transaction's start, a little earlier
    row = conn.execute(
        "SELECT created_at, proposed_at FROM requests WHERE id = %s", (rid,)
    ).fetchone()
    assert row["proposed_at"] - row["created_at"] >= timedelta(seconds=2)
    assert match["created_at"] <= row["proposed_at"]


def test_two_matchers_running_rounds_at_once_never_overbook_nor_match_twice(
    conn, database_url
):
    rnd = random.Random(3)
    families = [("strategy", "consulting"), ("finance", "accounting")]
    hosts = {}
    for i in range(12):
        family = families[i % 2]
        host_fields = rnd.sample(family, rnd.randint(1, 2))
        hosts[
            add_host(
                conn, host_fields=host_fields, capacity=rnd.randint(1, 2), emit=False
            )
        ] = host_fields
    ids = []
    for _ in range(60):
        start = now() + timedelta(days=rnd.uniform(1, 6))
        window = [
            {
                "start": start.isoformat(),
                "end": (start + timedelta(hours=6)).isoformat(),
            }
        ]
        ids.append(
            add_request(
                conn,
                field=rnd.choice(rnd.choice(families)),
                related_ok=rnd.random() < 0.5,
                availability=window,
                emit=False,
            )
        )
    stop = threading.Event()
    errors = []
    workers = []
    pools = []
    for name in ("a", "b"):
        pool = make_pool(database_url, name=f"rounds-{name}")
        pool.open(wait=True)
        pools.append(pool)
        jobs = Jobs(
            pool,
            Policy(
                taxonomy=fields.load_taxonomy(DEFAULT_FIELDS_FILE),
                response_timeout=timedelta(hours=72),
                lead=timedelta(hours=12),
                round_window=timedelta(milliseconds=1),
            ),
        )

        def run(jobs=jobs):
            while not stop.is_set():
                try:
                    jobs.match_round()
                except Exception as exc:  # reported below
                    errors.append(exc)
                    return

        workers.append(threading.Thread(target=run, daemon=True))
    try:
        for w in workers:
            w.start()
        wait_for(
            lambda: (
                conn.execute(
                    "SELECT count(*) AS n FROM requests WHERE status = 'submitted'"
                ).fetchone()["n"]
                == 0
            ),
            120,
            0.1,
            message="every request settled by the rounds",
        )
    finally:
        stop.set()
        for w in workers:
            w.join(30)
        for pool in pools:
            pool.close()
    assert errors == []
    per_unit = conn.execute(
        "SELECT m.host_id, m.month, count(*) AS n, h.monthly_capacity FROM matches m"
        " JOIN hosts h ON h.id = m.host_id WHERE m.status IN ('proposed', 'accepted')"
        " GROUP BY m.host_id, m.month, h.monthly_capacity"
    ).fetchall()
    assert per_unit and all(r["n"] <= r["monthly_capacity"] for r in per_unit)
    per_request = conn.execute(
        "SELECT request_id, count(*) AS n FROM matches"
        " WHERE status IN ('proposed', 'accepted') GROUP BY request_id"
    ).fetchall()
    assert all(r["n"] == 1 for r in per_request)
    statuses = {status(conn, rid) for rid in ids}
    assert statuses <= {"proposed", "waitlisted"} and "proposed" in statuses
    for rid in ids:  # one outcome event per request
        assert len(events(conn, rid)) == 1, events(conn, rid)
