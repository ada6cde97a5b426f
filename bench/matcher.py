"""Matcher benchmark: matching rate and per-request latency against 1,000,
10,000 and 50,000 hosts; joint assignment of 1,000 requests to 2,000 hosts;
and the same generated data through the `mentor-match` package (Hungarian
algorithm, pure Python munkres) on what it can express: one field per person,
one meeting per host, nobody paired with themself."""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

from psycopg.types.json import Jsonb

from bench.infra import copy_database, fresh_database
from devstack.ports import free_port
from devstack.postgres import Postgres
from services.matcher import assignment, candidates, matching, rounds
from services.matcher.policy import Policy
from services.matcher.unit_of_work import UnitOfWork
from shared import fields, slots
from shared.clock import utc_now
from shared.config import DEFAULT_FIELDS_FILE
from shared.db import connect
from shared.statuses import DAYS as WEEKDAYS

TAXONOMY = fields.load_taxonomy(DEFAULT_FIELDS_FILE)
SLUGS = sorted(TAXONOMY.fields)
ZONES = ["Europe/Paris", "Europe/London", "America/New_York", "Asia/Singapore"]
DAYS = ["mon", "tue", "wed", "thu", "fri"]
REQUESTS_PER_SIZE = 400
SIZES = (1_000, 10_000, 50_000)


def weekly(rnd):
    out = []
    for day in rnd.sample(DAYS, rnd.randint(1, 3)):
        h = rnd.randint(8, 16)
        out.append(
            {
                "day": day,
                "start": f"{h:02d}:00",
                "end": f"{h + rnd.randint(1, 3):02d}:00",
            }
        )
    return out


def insert_hosts(conn, n: int, rnd) -> None:
    with (
        conn.cursor() as cur,
        cur.copy(
            "COPY hosts (id, email, name, fields, languages, formats, site, timezone, durations, monthly_capacity,"
            " weekly_availability, unavailable) FROM STDIN"
        ) as copy,
    ):
        for i in range(n):
            copy.write_row(
                (
                    uuid.uuid4(),
                    f"host{i}@example.com",
                    f"Host {i}",
                    rnd.sample(SLUGS, rnd.randint(1, 2)),
                    rnd.choice([["fr"], ["fr", "en"], ["en"]]),
                    ["video", "phone"],
                    "Paris",
                    rnd.choice(ZONES),
                    [30, 60],
                    rnd.randint(1, 4),
                    Jsonb(weekly(rnd)),
                    Jsonb([]),
                )
            )
    conn.execute("ANALYZE hosts")


def insert_requests(
    conn, n: int, rnd, status: str = "submitted", goals: list[str] | None = None
) -> list:
    ids = []
    now = utc_now()
    for _ in range(n):
        rid = uuid.uuid4()
        start = now + timedelta(days=rnd.uniform(1, 10))
        conn.execute(
            "INSERT INTO requests (id, requester_email, requester_name, field, goal, format, duration_minutes,"
            " languages, timezone, related_ok, availability, status, correlation_id) VALUES"
            " (%s, %s, 'R', %s, %s, 'video', %s, %s, 'Europe/Paris', %s, %s, %s, %s)",
            (
                rid,
                f"r-{rid.hex[:10]}@example.com",
                rnd.choice(SLUGS),
                rnd.choice(goals) if goals else "g",
                rnd.choice([30, 60]),
                ["fr"],
                rnd.random() < 0.7,
                Jsonb(
                    [
                        {
                            "start": start.isoformat(),
                            "end": (
                                start + timedelta(days=rnd.uniform(0.5, 4))
                            ).isoformat(),
                        }
                    ]
                ),
                status,
                uuid.uuid4(),
            ),
        )
        ids.append(rid)
    conn.commit()
    return ids


def policy() -> Policy:
    return Policy(
        taxonomy=TAXONOMY,
        response_timeout=timedelta(hours=72),
        lead=timedelta(hours=12),
    )


def per_request(url: str, hosts: int, prepare=None) -> dict:
    """Requests matched one at a time against `hosts` hosts (`prepare(url)`
    adds to them first, if given)."""
    rnd = random.Random(hosts)
    m = policy()
    with connect(url) as conn:
        insert_hosts(conn, hosts, rnd)
        conn.commit()
        if prepare:
            prepare(url)
        ids = insert_requests(conn, REQUESTS_PER_SIZE, rnd)
        outcomes, latencies = {}, []
        t0 = time.perf_counter()
        for rid in ids:
            t = time.perf_counter()
            with conn.transaction(), UnitOfWork(conn=conn) as uow:
                result = matching.match(uow, m, rid)
            latencies.append(time.perf_counter() - t)
            outcomes[result] = outcomes.get(result, 0) + 1
        total = time.perf_counter() - t0
    return {
        "rate": len(ids) / total,
        **milliseconds(latencies),
        "max": max(latencies) * 1000,
        "outcomes": outcomes,
    }


def milliseconds(latencies: list[float]) -> dict:
    """The p50 and p95 of `latencies` (seconds), in milliseconds."""
    times = sorted(latencies)
    return {"p50": times[len(times) // 2] * 1000,
            "p95": times[int(len(times) * 0.95)] * 1000}  # fmt: skip


def _passes_all(windows, duration, not_before, zones=()) -> slots.Reach:
    """The baseline of `reach_versus_none`: a reach that passes over no host
    for its weekly hours or its calendar."""
    anywhere = {slots.ANYWHERE: frozenset(WEEKDAYS)}
    return slots.Reach(anywhere, ((_LONG_AGO, _LONG_AGO + timedelta(1)),))


_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def reach_versus_none(pg, hosts: int) -> dict:
    """The same requests matched one at a time in two copies of one store,
    alternately: with the candidate query's pre-filter (`slots.Reach`) and
    with one that passes every host. Both must end alike (a host passed
    over has no slot); the latencies are compared request by request."""
    rnd = random.Random(hosts)
    url = fresh_database(pg, "reach")
    with connect(url) as conn:
        insert_hosts(conn, hosts, rnd)
        ids = insert_requests(conn, REQUESTS_PER_SIZE, rnd)
    copy_url = copy_database(pg, "reach", "reach_none")
    with connect(url) as conn, connect(copy_url) as base:
        policies, out = (policy(), policy()), ([], [])
        for rid in ids:
            for k, c in ((0, conn), (1, base)):
                t = time.perf_counter()
                with (
                    c.transaction(),
                    UnitOfWork(conn=c) as uow,
                    mock.patch.object(slots, "reach", _passes_all)
                    if k
                    else nullcontext(),
                ):
                    result = matching.match(uow, policies[k], rid)
                out[k].append((time.perf_counter() - t, result))
    same = [a[1] for a in out[0]] == [b[1] for b in out[1]]
    return {
        "reach": milliseconds([t for t, _ in out[0]]),
        "none": milliseconds([t for t, _ in out[1]]),
        "same": same,
    }


def joint(url: str) -> dict:
    rnd = random.Random(7)
    m = policy()
    with connect(url) as conn:
        insert_hosts(conn, 2000, rnd)
        conn.commit()
        ids = insert_requests(conn, 1000, rnd, status="waitlisted")
        with conn.transaction(), UnitOfWork(conn=conn) as uow:
            from services.matcher.model import Request

            rows = uow.repo.waiting_requests(limit=1000)
            now = utc_now()
            t = time.perf_counter()
            options = {
                r["id"]: candidates.rank(uow, m, Request.from_row(r), now, whole=True)
                for r in rows
            }
            ranking_s = time.perf_counter() - t
            remaining = {
                (p.host.id, p.month): p.host.monthly_capacity - p.score["used_in_month"]
                for props in options.values()
                for p in props
            }
            order = [r["id"] for r in rows]
            t = time.perf_counter()
            requests = {r["id"]: Request.from_row(r) for r in rows}
            result = assignment.plan(
                order, options, remaining, rounds.reslotter(uow, m, requests, now)
            )
            plan_s = time.perf_counter() - t
            t = time.perf_counter()
            outcome = rounds.assign(uow, m, rows)
            booked_s = time.perf_counter() - t
    return {
        "requests": len(ids),
        "ranking_s": ranking_s,
        "plan_s": plan_s,
        "joint": result.joint_count,
        "greedy": result.greedy_count,
        "full_retry_s": booked_s,
        "outcome": outcome,
    }


@dataclass(frozen=True)
class _Host:
    id: int


@dataclass(frozen=True)
class _Option:
    host: _Host
    month: str = "m"
    start: int = 0
    end: int = 1


def versus_mentor_match(n: int = 800) -> dict:
    from matching import process
    from matching.mentee import Mentee
    from matching.mentor import Mentor
    from matching.rules import rule as rl

    rnd = random.Random(11)
    host_fields = [rnd.choice(SLUGS) for _ in range(n)]
    request_fields = [rnd.choice(SLUGS) for _ in range(n)]

    t = time.perf_counter()
    by_field: dict = {}
    for h, f in enumerate(host_fields):
        by_field.setdefault(f, []).append(_Option(_Host(h)))
    options = {r: by_field.get(f, []) for r, f in enumerate(request_fields)}
    result = assignment.plan(
        list(range(n)),
        options,
        {(h, "m"): 1 for h in range(n)},
        lambda k, p, planned: None,
    )
    ours_s = time.perf_counter() - t

    mentors = [
        Mentor(grade=1, profession=f, email=f"h{i}@example.com")
        for i, f in enumerate(host_fields)
    ]
    mentees = [
        Mentee(grade=0, profession=f, email=f"r{i}@example.com")
        for i, f in enumerate(request_fields)
    ]
    rules = [
        [
            rl.Disqualify(lambda m: m.mentor.profession != m.mentee.profession),
            rl.Generic(
                {True: 10, False: 0},
                lambda m: m.mentor.profession == m.mentee.profession,
            ),
        ]
    ]
    t = time.perf_counter()
    process.process_data(mentors, mentees, rules)
    theirs_s = time.perf_counter() - t
    theirs = sum(1 for m in mentees for h in m.mentors if h.profession == m.profession)
    return {
        "n": n,
        "ours_s": ours_s,
        "ours": len(result.chosen),
        "theirs_s": theirs_s,
        "theirs": theirs,
    }


def main() -> None:
    print("matcher benchmark")
    with tempfile.TemporaryDirectory(prefix="bench-matcher-") as tmp:
        pg = Postgres(Path(tmp) / "pg", port=free_port(), database="bench").start()
        try:
            for hosts in SIZES:
                r = per_request(fresh_database(pg, f"m{hosts}"), hosts)
                print(
                    f"  {hosts:>6} hosts, {REQUESTS_PER_SIZE} requests one at a time: {r['rate']:7.1f} requests/s,"
                    f" latency p50 {r['p50']:6.2f} ms, p95 {r['p95']:6.2f} ms, max {r['max']:6.2f} ms,"
                    f" outcomes {r['outcomes']}"
                )
            r = reach_versus_none(pg, 10_000)
            print(
                "   10000 hosts, the candidate query's pre-filter (weekly hours, busy"
                f" calendars) against none, alternately: p50 {r['reach']['p50']:6.2f}"
                f" vs {r['none']['p50']:6.2f} ms, p95 {r['reach']['p95']:6.2f} vs"
                f" {r['none']['p95']:6.2f} ms (x{r['reach']['p95'] / r['none']['p95']:.2f}),"
                f" same outcomes: {r['same']}"
            )
            j = joint(fresh_database(pg, "joint"))
            print(f"  joint assignment, {j['requests']} waiting requests, 2000 hosts:")
            print(f"    ranking every request's candidates  {j['ranking_s']:7.3f} s")
            print(
                f"    assignment (min-cost matching)      {j['plan_s']:7.3f} s"
                f"  joint {j['joint']} vs one-at-a-time {j['greedy']} requests served"
            )
            print(
                f"    whole retry (rank, plan, book)      {j['full_retry_s']:7.3f} s  outcomes {j['outcome']}"
            )
        finally:
            pg.stop()
    v = versus_mentor_match()
    print(
        f"  versus mentor-match, {v['n']} requesters x {v['n']} hosts, field equality, one meeting per host:"
    )
    print(f"    ours         {v['ours_s']:8.3f} s  {v['ours']} matches")
    print(f"    mentor-match {v['theirs_s']:8.3f} s  {v['theirs']} matches")
    print(
        f"    speed ratio  {v['theirs_s'] / v['ours_s']:8.1f} x   match difference {v['ours'] - v['theirs']:+d}"
    )


if __name__ == "__main__":
    main()
