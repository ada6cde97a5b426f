"""Matching quality: how many requests are served against what the hosts could
serve at most, on synthetic companies.

The matcher runs in-process against a throwaway PostgreSQL (its use cases
called directly, without the broker: a round, a match on arrival, a decline
and what the handler then does), with a simulated clock. Each company is
played twice per arrival pattern:

- first-come: each request matched on arrival, without demand figures (the
  policy before rounds and scarcity; the periodic joint retry of the
  waitlist runs in both);
- rounds: `MATCH_ROUND_WINDOW` 3 s, scarcity-aware ranking.

Arrival patterns: a burst (360 requests within 5 s) and a trickle (a
quarter's requests, 1,080, spread over 12 simulated weeks). One host answer in ten
is a decline (decided per pair, the same in every run); every other
proposal is accepted at once. The bound is a maximum flow over the same
pairs (hard rules and a slot in the request's windows, ignoring other
meetings), capacities and months, declined pairs left out.

A last part times one round over 1,000 waiting requests and 2,000 hosts."""

from __future__ import annotations

import hashlib
import random
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from psycopg.types.json import Jsonb
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from bench import matcher as matcher_bench
from bench.infra import fresh_database
from devstack.ports import free_port
from devstack.postgres import Postgres
from services.matcher import (
    assignment,
    candidates,
    handlers,
    matching,
    ranking,
    rounds,
    use_cases,
)
from services.matcher.model import Agenda, Host, Request, refusal
from services.matcher.policy import Policy
from services.matcher.unit_of_work import UnitOfWork
from shared import fields, lifecycle, slots
from shared.config import DEFAULT_FIELDS_FILE
from shared.db import connect

TAXONOMY = fields.load_taxonomy(DEFAULT_FIELDS_FILE)
SLUGS = sorted(TAXONOMY.fields)
SITES = [
    ("Paris", "Europe/Paris"),
    ("London", "Europe/London"),
    ("New York", "America/New_York"),
    ("Singapore", "Asia/Singapore"),
]
DAYS = ["mon", "tue", "wed", "thu", "fri"]
LEAD = timedelta(hours=12)
WINDOW = timedelta(seconds=3)
DECLINE_RATE = 0.1
T0 = datetime(2027, 1, 4, 8, tzinfo=UTC)  # a Monday


@dataclass
class Company:
    hosts: list[dict]
    requests: list[dict]  # each with its arrival time ("created_at")
    scarce: list[str]
    declined: set = field(default_factory=set)  # (request id, host id)


def company(seed: int, n_hosts: int, n_requests: int, trickle: bool) -> Company:
    """Sites and zones; four scarce fields (few hosts, much demand), the rest
    plentiful; hosts covering 1-3 fields, some with time off; requests
    mostly in the scarce fields' neighbourhood, half taking related fields."""
    rnd = random.Random(seed)
    with_parent = [s for s in SLUGS if TAXONOMY.fields[s].parent]
    scarce = rnd.sample(with_parent, 4)
    plentiful = [s for s in SLUGS if s not in scarce]
    common = rnd.sample(plentiful, 8)  # the plentiful fields most asked for
    span = timedelta(days=84) if trickle else timedelta(seconds=5)
    hosts = []
    for i in range(n_hosts):
        site, tz = rnd.choice(SITES)
        own = rnd.sample(common + plentiful[:4], rnd.randint(1, 2))
        if i % 8 == 0:  # one host in eight also covers a scarce field
            own.append(rnd.choice(scarce))
        weekly = []
        for day in rnd.sample(DAYS, rnd.randint(2, 4)):
            h = rnd.randint(8, 15)
            weekly.append(
                {"day": day, "start": f"{h:02d}:00", "end": f"{h + 2:02d}:00"}
            )
        off = []
        if rnd.random() < 0.3:
            s = T0 + timedelta(days=rnd.uniform(0, 80))
            off.append(
                {
                    "start": s.isoformat(),
                    "end": (s + timedelta(days=rnd.randint(3, 10))).isoformat(),
                }
            )
        hosts.append(
            {
                "id": uuid.UUID(int=rnd.getrandbits(128)),
                "email": f"host{i}@example.com",
                "fields": sorted(set(own)),
                "languages": rnd.choice([["fr"], ["fr", "en"], ["en", "fr"]]),
                "formats": ["video", "phone", "in_person"],
                "site": site,
                "timezone": tz,
                "durations": [30, 60],
                "monthly_capacity": rnd.randint(1, 3),
                "weekly_availability": weekly,
                "unavailable": off,
            }
        )
    requests = []
    for i in range(n_requests):
        arrival = T0 + span * (i / n_requests)
        r = rnd.random()
        field_ = (
            rnd.choice(scarce)
            if r < 0.3
            else rnd.choice(common)
            if r < 0.9
            else rnd.choice(plentiful)
        )
        site, tz = rnd.choice(SITES)
        windows = []
        for _ in range(rnd.randint(1, 3)):
            s = arrival + timedelta(days=rnd.uniform(1, 14))
            windows.append(
                {
                    "start": s.isoformat(),
                    "end": (s + timedelta(hours=rnd.uniform(4, 30))).isoformat(),
                }
            )
        requests.append(
            {
                "id": uuid.UUID(int=rnd.getrandbits(128)),
                "requester_email": f"r{i}@example.com",
                "field": field_,
                "format": "in_person" if rnd.random() < 0.1 else "video",
                "duration_minutes": rnd.choice([30, 60]),
                "languages": rnd.choice([["fr"], ["en"], ["fr", "en"]]),
                "site": site,
                "timezone": tz,
                "related_ok": rnd.random() < 0.5,
                "availability": windows,
                "created_at": arrival,
            }
        )
    declined = {
        (r["id"], h["id"])
        for r in requests
        for h in hosts
        if _chance(r["id"], h["id"]) < DECLINE_RATE
    }
    return Company(hosts, requests, scarce, declined)


def _chance(a, b) -> float:
    digest = hashlib.sha256(f"{a}:{b}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def load(conn, c: Company) -> None:
    for h in c.hosts:
        conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, site, timezone,"
            " durations, monthly_capacity, weekly_availability, unavailable) VALUES"
            " (%s, %s, 'Host', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                h["id"],
                h["email"],
                h["fields"],
                h["languages"],
                h["formats"],
                h["site"],
                h["timezone"],
                h["durations"],
                h["monthly_capacity"],
                Jsonb(h["weekly_availability"]),
                Jsonb(h["unavailable"]),
            ),
        )


def arrive(conn, r: dict) -> None:
    conn.execute(
        "INSERT INTO requests (id, requester_email, requester_name, field, goal, format,"
        " duration_minutes, languages, site, timezone, related_ok, availability, status,"
        " correlation_id, created_at, updated_at) VALUES"
        " (%s, %s, 'R', %s, 'g', %s, %s, %s, %s, %s, %s, %s, 'submitted', %s, %s, %s)",
        (
            r["id"],
            r["requester_email"],
            r["field"],
            r["format"],
            r["duration_minutes"],
            r["languages"],
            r["site"],
            r["timezone"],
            r["related_ok"],
            Jsonb(r["availability"]),
            uuid.uuid4(),
            r["created_at"],
            r["created_at"],
        ),
    )


class FirstCome(Policy):
    """Each request takes the best host for itself on arrival, no demand figures."""

    def demand(self, repo, now):
        return ranking.NO_DEMAND


class Clock:
    def __init__(self, t: datetime):
        self.t = t

    def __call__(self) -> datetime:
        return self.t


def make(policy: str, clock: Clock) -> Policy:
    kind = FirstCome if policy == "first-come" else Policy
    return kind(
        taxonomy=TAXONOMY,
        response_timeout=timedelta(hours=72),
        lead=LEAD,
        clock=clock,
        round_window=WINDOW if policy == "rounds" else timedelta(0),
    )


def answer(conn, m: Policy, c: Company) -> None:
    """Hosts answer every open invitation at once: a decline for the pairs
    drawn to decline (the handler then runs, as on MatchDeclined), else an
    acceptance. Repeats until no invitation is left open."""
    while True:
        open_ = conn.execute(
            "SELECT id, request_id, host_id FROM matches WHERE status = 'proposed'"
        ).fetchall()
        if not open_:
            return
        for row in open_:
            with conn.transaction():
                if (row["request_id"], row["host_id"]) in c.declined:
                    lifecycle.lock_request(conn, row["request_id"])
                    lifecycle.decline(conn, row["id"], row["request_id"], "busy")
                    event = SimpleNamespace(
                        payload={
                            "request_id": row["request_id"],
                            "host_id": row["host_id"],
                        }
                    )
                    handlers.match_declined(UnitOfWork(conn=conn), event, m)
                else:
                    lifecycle.accept(conn, row["id"], row["request_id"], None, None)
        if m.rounds:  # a declined request waits for the next round
            m.clock.t += WINDOW
            with conn.transaction():
                use_cases.match_round(UnitOfWork(conn=conn), m)


def play(url: str, c: Company, policy: str, trickle: bool) -> dict:
    clock = Clock(T0)
    m = make(policy, clock)
    step = WINDOW / 2
    with connect(url, autocommit=True) as conn:
        load(conn, c)
        pending = sorted(c.requests, key=lambda r: r["created_at"])
        last_retry = T0
        i = 0
        while True:
            waiting = (
                m.rounds
                and conn.execute(
                    "SELECT 1 FROM requests WHERE status = 'submitted' LIMIT 1"
                ).fetchone()
            )
            if i >= len(pending) and not waiting:
                break
            if trickle and i < len(pending) and not waiting:
                clock.t = max(clock.t, pending[i]["created_at"])  # nothing in between
            else:
                clock.t += step
            with conn.transaction(), UnitOfWork(conn=conn) as uow:
                while i < len(pending) and pending[i]["created_at"] <= clock.t:
                    arrive(conn, pending[i])
                    if not m.rounds:
                        matching.match(uow, m, pending[i]["id"])
                    i += 1
                if m.rounds:
                    rounds.run_round(uow, m)
                if clock.t - last_retry >= timedelta(days=1):  # retry-waitlist job
                    rounds.retry_waiting(uow, m)
                    last_retry = clock.t
            answer(conn, m, c)
        # the waitlist retried once more, as the periodic job would
        clock.t += timedelta(minutes=1)
        with conn.transaction(), UnitOfWork(conn=conn) as uow:
            rounds.retry_waiting(uow, m, limit=len(c.requests))
        answer(conn, m, c)
        return measure(conn, c)


def measure(conn, c: Company) -> dict:
    live = conn.execute(
        "SELECT m.*, r.created_at AS arrived, r.proposed_at, r.field AS request_field"
        " FROM matches m JOIN requests r ON r.id = m.request_id"
        " WHERE m.status IN ('proposed', 'accepted')"
    ).fetchall()
    every = conn.execute("SELECT request_id, host_id, status FROM matches").fetchall()
    hosts = {h["id"]: Host.from_row({**h, "active": True}) for h in c.hosts}
    requests = {r["id"]: Request.from_row(r) for r in c.requests}
    arrived = {r["id"]: r["created_at"] for r in c.requests}
    violations = 0
    per_unit: dict = defaultdict(int)
    per_request: dict = defaultdict(int)
    per_host: dict = defaultdict(list)
    for m in live:
        per_unit[(m["host_id"], m["month"])] += 1
        per_request[m["request_id"]] += 1
        per_host[m["host_id"]].append(m)
    violations += sum(
        1 for (h, _), n in per_unit.items() if n > hosts[h].monthly_capacity
    )
    violations += sum(1 for n in per_request.values() if n > 1)
    from tests.unit.matcher.test_properties import violations as slot_violations

    for host_id, ms in per_host.items():
        for m in ms:
            others = Agenda()
            for o in ms:
                if o["id"] != m["id"]:
                    others.add(o["starts_at"], o["ends_at"], o["month"])
            others.per_month = {}
            request = requests[m["request_id"]]
            if refusal(hosts[host_id], request, _related(request), set()):
                violations += 1
            violations += len(
                slot_violations(
                    hosts[host_id],
                    request,
                    others,
                    m["starts_at"],
                    m["ends_at"],
                    arrived[m["request_id"]] + LEAD,
                )
            )
    proposed_to: dict = defaultdict(list)
    for m in every:
        proposed_to[m["request_id"]].append(m["host_id"])
    reproposed = sum(len(v) - len(set(v)) for v in proposed_to.values())
    waits = sorted((m["proposed_at"] - m["arrived"]).total_seconds() for m in live)
    load = [len(per_host.get(h["id"], [])) / h["monthly_capacity"] for h in c.hosts]
    in_scarce = [m for m in live if m["request_field"] in c.scarce]
    return {
        "served": len(per_request),
        "exact": sum(1 for m in live if m["exact_field"]) / max(len(live), 1),
        "scarce_served": len(in_scarce),
        "load_cv": statistics.pstdev(load) / max(statistics.mean(load), 1e-9),
        "wait_p50": _pct(waits, 0.5),
        "wait_p95": _pct(waits, 0.95),
        "violations": violations,
        "reproposed": reproposed,
    }


def _pct(values: list, q: float) -> float:
    return values[min(int(len(values) * q), len(values) - 1)] if values else 0.0


def _related(request: Request) -> set:
    return TAXONOMY.related(request.field) if request.related_ok else set()


def bound(c: Company) -> int:
    """Maximum flow: source → request (1) → (host, month) when the pair passes
    every hard rule, is not declined and has a slot in that month (other
    meetings ignored) → sink (the host's monthly capacity)."""
    hosts = [Host.from_row({**h, "active": True}) for h in c.hosts]
    units: dict = {}
    edges: list = []
    for ri, r in enumerate(c.requests):
        request = Request.from_row(r)
        related = _related(request)
        not_before = r["created_at"] + LEAD
        for h in hosts:
            if (request.id, h.id) in c.declined or refusal(h, request, related, set()):
                continue
            full: set = set()
            while True:
                slot = slots.earliest_slot(
                    requester_windows=request.windows,
                    weekly=h.weekly,
                    tz=h.tz,
                    blocked=list(h.unavailable),
                    duration=request.duration,
                    not_before=not_before,
                    full_months=full,
                )
                if slot is None:
                    break
                month = slots.month_of(slot[0], h.tz)
                full.add(month)
                unit = units.setdefault((h.id, month), (len(units), h.monthly_capacity))
                edges.append((ri, unit[0]))
    n_r, n_u = len(c.requests), len(units)
    source, sink = 0, 1 + n_r + n_u
    rows, cols, caps = [], [], []
    for ri in range(n_r):
        rows.append(source), cols.append(1 + ri), caps.append(1)
    for ri, ui in edges:
        rows.append(1 + ri), cols.append(1 + n_r + ui), caps.append(1)
    for ui, cap in units.values():
        rows.append(1 + n_r + ui), cols.append(sink), caps.append(cap)
    graph = csr_matrix(
        (np.array(caps, dtype=np.int32), (np.array(rows), np.array(cols))),
        shape=(sink + 1, sink + 1),
    )
    return int(maximum_flow(graph, source, sink).flow_value)


def round_at_scale(url: str) -> dict:
    """One round over 1,000 waiting requests and 2,000 hosts (the data of
    the matcher benchmark's joint part): ranking, planning, booking."""
    rnd = random.Random(7)
    m = matcher_bench.policy()
    m.round_window = WINDOW
    with connect(url) as conn:
        matcher_bench.insert_hosts(conn, 2000, rnd)
        conn.commit()
        matcher_bench.insert_requests(conn, 1000, rnd, status="waitlisted")
        with conn.transaction(), UnitOfWork(conn=conn) as uow:
            rows = uow.repo.waiting_requests(limit=1000)
            now = m.clock()
            requests = {r["id"]: Request.from_row(r) for r in rows}
            t = time.perf_counter()
            options = candidates.rank_batch(
                uow, m, requests, now, m.demand(uow.repo, now)
            )
            ranking_s = time.perf_counter() - t
            t = time.perf_counter()
            remaining = {
                (p.host.id, p.month): p.host.monthly_capacity - p.score["used_in_month"]
                for props in options.values()
                for p in props
            }
            planned = assignment.plan(
                [r["id"] for r in rows],
                options,
                remaining,
                rounds.reslotter(uow, m, requests, now),
            )
            plan_s = time.perf_counter() - t
        with conn.transaction(), UnitOfWork(conn=conn) as uow:
            rows = uow.repo.waiting_requests(limit=1000)
            t = time.perf_counter()
            outcome = rounds.assign(uow, m, rows)
            whole_s = time.perf_counter() - t
    return {
        "ranking_s": ranking_s,
        "plan_s": plan_s,
        "whole_s": whole_s,
        "joint": planned.joint_count,
        "greedy": planned.greedy_count,
        "outcome": outcome,
    }


def main() -> None:
    print("matching quality benchmark (in-process matcher, throwaway PostgreSQL)")
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        pg = Postgres(Path(tmp) / "pg", port=free_port(), database="bench").start()
        try:
            for pattern, trickle in (("burst", False), ("trickle", True)):
                n = 1080 if trickle else 360  # a quarter at a month's pace
                c = company(seed=42, n_hosts=120, n_requests=n, trickle=trickle)
                t = time.perf_counter()
                best = bound(c)
                bound_s = time.perf_counter() - t
                print(
                    f"  {pattern}: 120 hosts, {n} requests, scarce fields"
                    f" {', '.join(c.scarce)}; max-flow bound {best} ({bound_s:.1f} s)"
                )
                for policy in ("first-come", "rounds"):
                    t = time.perf_counter()
                    r = play(
                        fresh_database(pg, f"q{pattern}{policy}".replace("-", "")),
                        c,
                        policy,
                        trickle,
                    )
                    print(
                        f"    {policy:<10} served {r['served']:>3} = {r['served'] / best:.3f}"
                        f" of the bound (scarce fields {r['scarce_served']}),"
                        f" exact field {100 * r['exact']:.1f} %,"
                        f" host load CV {r['load_cv']:.2f},"
                        f" wait to proposal p50 {_human(r['wait_p50'])}"
                        f" p95 {_human(r['wait_p95'])},"
                        f" violations {r['violations']},"
                        f" re-proposed to a decliner {r['reproposed']}"
                        f" ({time.perf_counter() - t:.1f} s)"
                    )
            s = round_at_scale(fresh_database(pg, "qscale"))
            print("  one round, 1000 waiting requests, 2000 hosts:")
            print(
                f"    ranking (candidates capped per request) {s['ranking_s']:6.3f} s"
            )
            print(
                f"    planning (min-cost matching)            {s['plan_s']:6.3f} s"
                f"  joint {s['joint']} vs one-at-a-time {s['greedy']}"
            )
            print(
                f"    ranking + planning                      {s['ranking_s'] + s['plan_s']:6.3f} s"
            )
            print(
                f"    whole round (rank, plan, book)          {s['whole_s']:6.3f} s"
                f"  outcomes {s['outcome']}"
            )
        finally:
            pg.stop()


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


if __name__ == "__main__":
    main()
