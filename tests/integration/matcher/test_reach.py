"""The candidate query passes over hosts that cannot have a slot in a
request's windows (`slots.Reach`: no weekly entry on a wall day the windows
touch in the host's zone, a calendar busy all over them), and never over
one that can: checked against the slot finder on random hosts and
requests, with zones at both ends of the clock, entries that run past
midnight, full months and busy calendars, in the real store."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb
from psycopg.types.multirange import Multirange
from psycopg.types.range import Range

from services.matcher.model import Host, Request, paused, refusal, slot_for
from services.matcher.repository import Repository
from shared import slots
from shared.statuses import DAYS

ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu",
         "America/St_Johns", "Europe/Paris", "Asia/Tokyo", "UTC"]  # fmt: skip
LEAD = timedelta(hours=12)


def weekly(rnd: random.Random) -> list[dict]:
    out = []
    for day in rnd.sample(DAYS, rnd.randint(0, 3)):
        start = rnd.randrange(0, 24 * 4) * 15
        end = rnd.choice([start + rnd.randint(2, 16) * 15, start - 60, 24 * 60])
        out.append({"day": day, "start": _clock(start),
                    "end": "24:00" if end >= 24 * 60 else _clock(end % (24 * 60))})  # fmt: skip
    return out


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def seed(conn, rnd: random.Random, now: datetime) -> list[Request]:
    requests = []
    with conn.transaction():
        for i in range(40):
            start = now + timedelta(hours=rnd.uniform(-12, 24 * 40))
            windows = [{"start": start.isoformat(),
                        "end": (start + timedelta(hours=rnd.choice([1, 3, 9, 30, 80]))).isoformat()}]  # fmt: skip
            row = conn.execute(
                "INSERT INTO requests (id, requester_email, requester_name, field, goal,"
                " format, duration_minutes, languages, timezone, related_ok,"
                " availability, status, correlation_id) VALUES (%s, %s, 'R', 'management',"
                " 'g', 'video', %s, '{fr}', 'UTC', false, %s, 'waitlisted', %s) RETURNING *",
                (uuid.uuid4(), f"r{i}@example.com", rnd.choice([30, 60]),
                 Jsonb(windows), uuid.uuid4()),
            ).fetchone()  # fmt: skip
            requests.append(Request.from_row(row))
        for i in range(150):
            host_id, zone = uuid.uuid4(), rnd.choice(ZONES)
            conn.execute(
                "INSERT INTO hosts (id, email, name, fields, languages, formats, timezone,"
                " durations, monthly_capacity, weekly_availability, unavailable) VALUES"
                " (%s, %s, 'H', '{management}', '{fr}', '{video}', %s, '{30,60}', %s, %s,"
                " '[]')",
                (host_id, f"h{i}@example.com", zone, rnd.randint(1, 2),
                 Jsonb(weekly(rnd))),
            )  # fmt: skip
            if rnd.random() < 0.3:  # a calendar, busy over some requests' windows
                busy = [Range(w[0] - timedelta(hours=1), w[1] + timedelta(hours=1))
                        for r in rnd.sample(requests, 8) for w in r.windows]  # fmt: skip
                conn.execute(
                    "INSERT INTO host_calendars (host_id, kind, secret, shown, busy)"
                    " VALUES (%s, 'ics', '\\x00', 'https://cal', %s)",
                    (host_id, Multirange(busy)),
                )
            if rnd.random() < 0.4:  # meetings: some months full
                for r in rnd.sample(requests, 2):
                    at = r.windows[0][0] + timedelta(minutes=rnd.randint(0, 600))
                    month = slots.month_of(at, ZoneInfo(zone))
                    conn.execute(
                        "WITH r AS (INSERT INTO requests (id, requester_email,"
                        " requester_name, field, goal, format, duration_minutes, languages,"
                        " timezone, related_ok, availability, status, correlation_id)"
                        " VALUES (gen_random_uuid(), 'o@example.com', 'O', 'management',"
                        " 'g', 'video', 30, '{fr}', 'UTC', false, '[]', 'proposed',"
                        " gen_random_uuid()) RETURNING id)"
                        " INSERT INTO matches (id, request_id, host_id, starts_at, ends_at,"
                        " month, format, exact_field, expires_at) SELECT"
                        " gen_random_uuid(), r.id, %s, %s, %s, %s, 'video', true, %s FROM r",
                        (host_id, at, at + timedelta(minutes=30), month,
                         now + timedelta(days=1)),
                    )  # fmt: skip
    return requests


def test_a_host_passed_over_by_the_candidate_query_has_no_slot(conn):
    rnd = random.Random(20261203)
    now = datetime.now(UTC)
    requests = seed(conn, rnd, now)
    repo = Repository(conn)
    hosts = [Host.from_row(r) for r in conn.execute("SELECT * FROM hosts").fetchall()]
    agendas = repo.agendas([h.id for h in hosts], now)
    with_slot = cut = 0
    for request in requests:
        # every zone but UTC read: its hosts are checked as if anywhere
        reach = slots.reach(request.windows, request.duration, now + LEAD, ZONES[:-1])
        page = repo.candidate_page(request, ["management"], set(), reach, 10_000)
        within = {h["id"] for h in page}
        for host in hosts:
            if refusal(host, request, set(), set()) or paused(host, now):
                continue
            if slot_for(host, request, agendas[host.id], now + LEAD) is not None:
                with_slot += 1
                assert host.id in within, (request.windows, host)
            cut += host.id not in within
    assert with_slot > 50 and cut > 500, (with_slot, cut)  # both sides exercised


def test_the_days_a_host_is_available_are_read_from_whatever_was_stored(conn):
    """`hosts.weekly_days`, which the candidate query compares, is computed
    by the store from the weekly availability: each day named, once,
    sorted, and nothing (never an error) from a value it cannot read."""
    stored = {
        "entries": ([{"day": "tue", "start": "09:00", "end": "10:00"},
                     {"day": "mon", "start": "09:00", "end": "10:00"},
                     {"day": "tue", "start": "14:00", "end": "15:00"}], ["mon", "tue"]),
        "no day": ([{"start": "09:00", "end": "10:00"}, 3, "mon", None], []),
        "not a list": ({"day": "mon"}, []),
        "nothing": ([], []),
    }  # fmt: skip
    for i, (name, (weekly_value, _)) in enumerate(stored.items()):
        conn.execute(
            "INSERT INTO hosts (id, email, name, fields, languages, formats, timezone,"
            " durations, monthly_capacity, weekly_availability, unavailable) VALUES"
            " (gen_random_uuid(), %s, %s, '{management}', '{fr}', '{video}', 'UTC',"
            " '{30}', 1, %s, '[]')",
            (f"d{i}@example.com", name, Jsonb(weekly_value)),
        )  # fmt: skip
    found = {
        r["name"]: r["weekly_days"]
        for r in conn.execute("SELECT name, weekly_days FROM hosts").fetchall()
    }
    assert found == {name: days for name, (_, days) in stored.items()}
    conn.execute(
        "UPDATE hosts SET weekly_availability = %s WHERE name = 'nothing'",
        (Jsonb([{"day": "sun", "start": "09:00", "end": "10:00"}]),),
    )
    row = conn.execute(
        "SELECT weekly_days FROM hosts WHERE name = 'nothing'"
    ).fetchone()
    assert row["weekly_days"] == ["sun"]
