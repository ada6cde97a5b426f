"""Hosts' calendars: how fast intake refreshes 10,000 connected calendars
from a local feed server (feeds/s, the share answered 304), against the
15-minute period; and what busy times cost the matcher's p95 at 10,000
hosts, against the same hosts without calendars in the same run."""

from __future__ import annotations

import ipaddress
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from bench import matcher as matcher_bench
from bench.infra import fresh_database
from devstack.feeds import FeedServer
from devstack.ports import free_port
from devstack.postgres import Postgres
from services.intake.calendars import use_cases as cu
from services.intake.calendars.fetch import Destinations
from services.intake.calendars.sandbox import Sandbox
from services.intake.calendars.vault import Vault
from services.intake.domain import Limits
from services.intake.unit_of_work import UnitOfWork
from shared.db import connect, make_pool

HOSTS = 10_000
PERIOD = timedelta(minutes=15)  # CALENDAR_REFRESH's default
CHANGED_SHARE = 0.1  # calendars that change between two refreshes
CONCURRENCY = 8  # CALENDAR_CONCURRENCY's default (16 read no faster here: 2 cores)
BUSY_PER_HOST = 40  # busy periods per host over the horizon, in the matcher run


def feed(rnd: random.Random, now: datetime, n: int = 12) -> str:
    """A calendar of `n` weekly meetings, as a work calendar holds."""
    events = []
    for i in range(n):
        start = (
            now + timedelta(days=rnd.randint(0, 6), hours=rnd.randint(0, 9))
        ).replace(minute=0, second=0, microsecond=0)
        events.append(
            "BEGIN:VEVENT\r\n"
            f"UID:{uuid.uuid4()}\r\nDTSTAMP:20260101T000000Z\r\n"
            f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\n"
            f"DTEND:{start + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
            f"RRULE:FREQ=WEEKLY;COUNT=10\r\nSUMMARY:Meeting {i}\r\nEND:VEVENT\r\n"
        )
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"
        + "".join(events)
        + "END:VCALENDAR\r\n"
    )


def connect_calendars(url: str, server: FeedServer, cal: cu.Calendars, rnd) -> None:
    now = datetime.now(UTC)
    with connect(url) as conn:
        hosts = [r["id"] for r in conn.execute("SELECT id FROM hosts").fetchall()]
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY host_calendars (host_id, kind, secret, shown, next_refresh_at)"
                " FROM STDIN"
            ) as copy,
        ):
            for i, host_id in enumerate(hosts):
                path = f"/h/{i}.ics"
                server.feeds[path] = feed(rnd, now)
                secret = cal.vault.seal(
                    {"url": server.url(path), "username": None, "password": None}
                )
                copy.write_row((host_id, "ics", secret, "http://127.0.0.1/…", now))
        conn.commit()


def refresh_all(url: str, cal: cu.Calendars) -> tuple[float, dict]:
    """Every calendar due now, read by the refresh job until none is left."""
    with connect(url) as conn:
        conn.execute("UPDATE host_calendars SET next_refresh_at = now()")
        conn.commit()
    pool = make_pool(url, name="bench-calendars", max_size=4)
    pool.open(wait=True)
    totals: dict = {}
    try:
        uow = UnitOfWork(pool)
        t0 = time.perf_counter()
        while True:
            counts = cu.refresh_due(uow, cal)
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
            if counts["read"] == 0:
                break
        return time.perf_counter() - t0, totals
    finally:
        pool.close()


def refresh(pg, concurrency: int) -> dict:
    rnd = random.Random(13)
    url = fresh_database(pg, f"cal{concurrency}")
    with connect(url) as conn:
        matcher_bench.insert_hosts(conn, HOSTS, rnd)
        conn.commit()
    loopback = Destinations(((ipaddress.ip_network("127.0.0.0/8"), 0),))
    cal = cu.Calendars(
        vault=Vault("Cn6-Hv2qXt9Lm4Rw1Kb8Pz5Jf3Gd7Ys0Ue", b"bench-salt"),
        reader=Sandbox(
            {"timeout_s": 10, "max_bytes": 5_000_000, "destinations": loopback},
            workers=concurrency,
            deadline_s=10,
        ),
        refresh=PERIOD,
        stale_after=timedelta(hours=24),
        horizon=timedelta(days=61),
        limits=Limits(max_open=3, per_hour=10, secret="bench"),
        concurrency=concurrency,
    )
    with FeedServer() as server:
        try:
            connect_calendars(url, server, cal, rnd)
            first_s, first = refresh_all(url, cal)
            paths = list(server.feeds)
            for path in rnd.sample(paths, int(len(paths) * CHANGED_SHARE)):
                server.feeds[path] = feed(rnd, datetime.now(UTC))
            before = server.not_modified
            again_s, again = refresh_all(url, cal)
            answered_304 = server.not_modified - before
        finally:
            cal.reader.close()
    return {
        "first_s": first_s,
        "first": first,
        "again_s": again_s,
        "again": again,
        "share_304": answered_304 / max(again["read"], 1),
    }


def add_busy(url: str, rnd: random.Random) -> None:
    """Each host's calendar: BUSY_PER_HOST busy hours over the next 60 days."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with connect(url) as conn:
        hosts = [r["id"] for r in conn.execute("SELECT id FROM hosts").fetchall()]
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY host_calendars (host_id, kind, secret, shown, busy, busy_until)"
                " FROM STDIN"
            ) as copy,
        ):
            copy.set_types(["uuid", "text", "bytea", "text", "tstzmultirange",
                            "timestamptz"])  # fmt: skip
            for host_id in hosts:
                starts = sorted(
                    now + timedelta(hours=rnd.randint(12, 60 * 24))
                    for _ in range(BUSY_PER_HOST)
                )
                busy = Multirange(
                    [Range(s, s + timedelta(hours=1), "[)") for s in starts]
                )
                copy.write_row(
                    (host_id, "ics", b"x", "x", busy, now + timedelta(days=61))
                )
        conn.execute("ANALYZE host_calendars")
        conn.commit()


def matching(pg, rounds: int = 2) -> dict:
    """The matcher's per-request figures at 10,000 hosts, without and with
    busy times (the same hosts and requests: the same seed), run in turn
    `rounds` times; the best p95 of each is kept (the machine is shared)."""
    runs: dict = {"without": [], "with": []}
    for i in range(rounds):
        runs["without"].append(
            matcher_bench.per_request(fresh_database(pg, f"m_plain{i}"), HOSTS)
        )
        runs["with"].append(
            matcher_bench.per_request(
                fresh_database(pg, f"m_busy{i}"),
                HOSTS,
                prepare=lambda url: add_busy(url, random.Random(3)),
            )
        )
    return {k: min(v, key=lambda r: r["p95"]) | {"all_p95": [r["p95"] for r in v]}
            for k, v in runs.items()}  # fmt: skip


def fmt(values: list) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def main() -> None:
    print("calendars benchmark")
    with tempfile.TemporaryDirectory(prefix="bench-calendars-") as tmp:
        pg = Postgres(Path(tmp) / "pg", port=free_port(), database="bench").start()
        try:
            for concurrency in (CONCURRENCY,):
                r = refresh(pg, concurrency)
                print(
                    f"  {HOSTS} calendars, {concurrency} at a time: first read"
                    f" {r['first_s']:6.1f} s ({HOSTS / r['first_s']:6.1f} feeds/s);"
                    f" next refresh, {CHANGED_SHARE:.0%} changed: {r['again_s']:6.1f} s"
                    f" ({HOSTS / r['again_s']:6.1f} feeds/s), {r['share_304']:.1%}"
                    f" answered 304, {r['again']['changed']} told to the matcher;"
                    f" {r['again_s'] / PERIOD.total_seconds():.1%} of the 15-minute period"
                )
            m = matching(pg)
            a, b = m["without"], m["with"]
            print(
                f"  matcher, {HOSTS} hosts, {matcher_bench.REQUESTS_PER_SIZE} requests:"
                f" best p95 {a['p95']:.2f} ms without calendars, {b['p95']:.2f} ms with"
                f" {BUSY_PER_HOST} busy periods per host (ratio {b['p95'] / a['p95']:.2f};"
                f" each run: {fmt(a['all_p95'])} / {fmt(b['all_p95'])} ms);"
                f" p50 {a['p50']:.2f} / {b['p50']:.2f} ms;"
                f" outcomes {a['outcomes']} / {b['outcomes']}"
            )
        finally:
            pg.stop()


if __name__ == "__main__":
    main()
