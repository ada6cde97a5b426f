"""The in-memory repositories the unit tests use keep step with the real
ones: one small scenario runs against each pair, and every answer must be
the same. A change to a repository's SQL that its fake does not follow (or
the other way round) fails here, not in production."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

from psycopg.types.json import Jsonb

from services.matcher.model import Request
from services.matcher.unit_of_work import UnitOfWork as MatcherUnitOfWork
from shared import slots
from shared.db import connect
from tests.unit.matcher.fakes import FakeRepository, FakeUnitOfWork

ALL_WEEK = [{"day": "mon", "start": "00:00", "end": "24:00"}]
NOW = datetime.now(UTC).replace(microsecond=0)
SLOT = NOW + timedelta(days=3)


def ids(n: int) -> list[uuid.UUID]:
    return sorted((uuid.uuid4() for _ in range(n)), key=str)


HOSTS = ids(4)
REQUESTS = ids(4)


def host_rows() -> list[dict]:
    base = {"name": "Host", "languages": ["fr"], "formats": ["video"],
            "timezone": "Europe/Paris", "durations": [30, 60],
            "weekly_availability": ALL_WEEK, "unavailable": [], "site": None,
            "paused_until": None, "listed": False}  # fmt: skip
    return [
        {**base, "id": HOSTS[0], "email": "a@example.com", "fields": ["management"],
         "monthly_capacity": 2, "active": True, "last_invited_at": None},
        {**base, "id": HOSTS[1], "email": "b@example.com",
         "fields": ["management", "recruitment"], "monthly_capacity": 1,
         "active": True, "last_invited_at": NOW - timedelta(days=1)},
        {**base, "id": HOSTS[2], "email": "c@example.com", "fields": ["recruitment"],
         "monthly_capacity": 3, "active": True, "last_invited_at": NOW - timedelta(days=2)},
        {**base, "id": HOSTS[3], "email": "d@example.com", "fields": ["management"],
         "monthly_capacity": 3, "active": False, "last_invited_at": None},
    ]  # fmt: skip


def request_rows() -> list[dict]:
    window = [{"start": (NOW + timedelta(days=2)).isoformat(),
               "end": (NOW + timedelta(days=5)).isoformat()}]  # fmt: skip
    passed = [{"start": (NOW - timedelta(days=2)).isoformat(),
               "end": (NOW - timedelta(days=1)).isoformat()}]  # fmt: skip
    base = {"requester_name": "R", "goal": "Learn", "format": "video",
            "duration_minutes": 30, "languages": ["fr"], "site": None,
            "timezone": "Europe/Paris", "preferred_host": None, "attempts": 0,
            "status_reason": None, "retried_at": None, "proposed_at": None,
            "correlation_id": uuid.uuid4()}  # fmt: skip
    return [
        {**base, "id": REQUESTS[0], "requester_email": "r0@example.com",
         "field": "management", "related_ok": True, "availability": window,
         "status": "submitted", "created_at": NOW - timedelta(minutes=4)},
        {**base, "id": REQUESTS[1], "requester_email": "r1@example.com",
         "field": "recruitment", "related_ok": False, "availability": window,
         "status": "waitlisted", "created_at": NOW - timedelta(minutes=3),
         "retried_at": NOW - timedelta(minutes=1)},
        {**base, "id": REQUESTS[2], "requester_email": "a@example.com",
         "field": "management", "related_ok": True, "availability": window,
         "status": "waitlisted", "created_at": NOW - timedelta(minutes=2),
         "preferred_host": HOSTS[1]},
        {**base, "id": REQUESTS[3], "requester_email": "r3@example.com",
         "field": "management", "related_ok": True, "availability": passed,
         "status": "submitted", "created_at": NOW - timedelta(minutes=1)},
    ]  # fmt: skip


def seed_store(conn) -> None:
    with conn.transaction():
        for h in host_rows():
            conn.execute(
                "INSERT INTO hosts (id, email, name, fields, languages, formats, site,"
                " timezone, durations, monthly_capacity, weekly_availability,"
                " unavailable, active, last_invited_at, listed, paused_until)"
                " VALUES (%(id)s, %(email)s, %(name)s, %(fields)s, %(languages)s,"
                " %(formats)s, %(site)s, %(timezone)s, %(durations)s,"
                " %(monthly_capacity)s, %(weekly)s, %(unavail)s, %(active)s,"
                " %(last_invited_at)s, %(listed)s, %(paused_until)s)",
                {**h, "weekly": Jsonb(h["weekly_availability"]),
                 "unavail": Jsonb(h["unavailable"])},
            )  # fmt: skip
        for r in request_rows():
            conn.execute(
                "INSERT INTO requests (id, requester_email, requester_name, field, goal,"
                " format, duration_minutes, languages, site, timezone, related_ok,"
                " availability, preferred_host, status, status_reason, attempts,"
                " correlation_id, created_at, retried_at, proposed_at) VALUES"
                " (%(id)s, %(requester_email)s, %(requester_name)s, %(field)s,"
                " %(goal)s, %(format)s, %(duration_minutes)s, %(languages)s, %(site)s,"
                " %(timezone)s, %(related_ok)s, %(avail)s, %(preferred_host)s,"
                " %(status)s, %(status_reason)s, %(attempts)s, %(correlation_id)s,"
                " %(created_at)s, %(retried_at)s, %(proposed_at)s)",
                {**r, "avail": Jsonb(r["availability"])},
            )


def seed_fake(repo: FakeRepository) -> None:
    for h in host_rows():
        repo.add_host(h)
    for r in request_rows():
        repo.add_request(r)


def scenario(uow) -> list:
    """Every answer the repository gives along one small story, in a form
    both stores give alike (ids, statuses, counts). A refused booking is
    tried, as the use cases do, in an attempt of the unit of work."""
    repo = uow.repo
    out = []
    req = {r["id"]: Request.from_row(r) for r in request_rows()}
    first = req[REQUESTS[0]]
    out.append(("zones", repo.host_zones(10)))
    reach = slots.reach(first.windows, first.duration, NOW, ["Europe/Paris"])
    page = repo.candidate_page(first, ["management"], set(), reach, 64)
    out.append(("exact page", [h["id"] for h in page]))
    both = repo.candidate_page(first, ["management", "recruitment"], set(), reach, 64)
    out.append(("exact and related page", [h["id"] for h in both]))
    banded = repo.candidate_page(
        first, ["management", "recruitment"], set(), reach, 64,
        bands={h["id"]: 2 for h in both[:-1]},
    )  # fmt: skip
    # beyond reach: no Monday in the windows (every host is free only then)
    tuesday = dataclasses.replace(reach, days={"*": frozenset({"tue"})})
    out.append(("no weekly entry on those days", [h["id"] for h in repo.candidate_page(
        first, ["management", "recruitment"], set(), tuesday, 64)]))  # fmt: skip
    out.append(("the best fit first", [h["id"] for h in banded]))
    repo.store_goal_vectors({first.id: b"goal"}, "m")
    out.append(("goal vectors", repo.goal_vectors([first.id], "m")))
    unread = repo.unread_hosts("m", None, 10)
    out.append(("unread", sorted(str(h["id"]) for h in unread)))
    read = {h["id"] for h in both}
    repo.store_host_vectors(
        [(h["id"], h["updated_at"], b"host") for h in unread if h["id"] in read], "m"
    )
    out.append(
        ("unread after", sorted(str(h["id"]) for h in repo.unread_hosts("m", None, 10)))
    )
    out.append(("word hosts", sorted(str(r["id"]) for r in repo.word_hosts("m"))))
    ids = [h["id"] for h in both]
    out.append(("versions", sorted(map(str, repo.vector_versions(ids, "m")))))
    out.append(
        (
            "vectors",
            sorted((str(h), v[1]) for h, v in repo.host_vectors(ids, "m").items()),
        )
    )
    out.append(("other model", repo.host_vectors(ids, "other")))
    stale = [(h["id"], NOW - timedelta(days=400), b"old") for h in unread]
    repo.store_host_vectors(stale, "m2")  # profiles changed since: nothing kept
    out.append(("stale", repo.vector_versions(ids, "m2")))
    own = req[REQUESTS[2]]  # its requester is host a: never themself
    out.append(("self and preferred", [h["id"] for h in repo.candidate_page(
        own, ["management"], set(), reach, 64)]))  # fmt: skip
    out.append(("waiting", [r["id"] for r in repo.waiting_requests()]))
    out.append(("waiting, recruitment", [r["id"] for r in repo.waiting_requests(
        fields=["recruitment"], related_fields=[])]))  # fmt: skip
    out.append(("waiting, related", [r["id"] for r in repo.waiting_requests(
        fields=["recruitment"], related_fields=["management"])]))  # fmt: skip
    out.append(("waiting, tried or older", [r["id"] for r in repo.waiting_requests(
        untried_before=NOW - timedelta(minutes=2, seconds=30))]))  # fmt: skip
    out.append(("waiting by id", sorted(str(r["id"]) for r in repo.waiting_by_id(
        [*REQUESTS, uuid.uuid4()]))))  # fmt: skip
    demand = repo.field_demand(NOW, timedelta(days=30))
    out.append(("demand", (demand.waiting, demand.recent, demand.supply)))
    covering = repo.hosts_covering(["management", "recruitment"], 10)
    out.append(("covering", [h["id"] for h in covering]))
    out.append(("covering, too many", repo.hosts_covering(["management"], 1)))
    out.append(("due", [r["id"] for r in repo.due_requests(NOW, 10)]))
    out.append(
        ("arrivals", repo.arrivals_since(NOW - timedelta(minutes=2, seconds=30)))
    )
    out.append(("competing", [r["id"] for r in repo.competing(
        ["management", "recruitment"], [REQUESTS[0]], 10)]))  # fmt: skip
    out.append(
        ("passed", [r["id"] for r in repo.passed_requests(NOW, timedelta(hours=12))])
    )
    out.append(("lock waiting", [r["id"] for r in repo.lock_waiting(list(REQUESTS))]))

    booked = dict(request_id=REQUESTS[0], host_id=HOSTS[0], start=SLOT,
                  end=SLOT + timedelta(minutes=30), month=SLOT.strftime("%Y-%m"),
                  fmt="video", exact=True, score={"rank": 0},
                  expires_at=NOW + timedelta(hours=1), now=NOW)  # fmt: skip
    match_id = repo.propose(**booked)
    out.append(("proposed", match_id is not None))
    out.append(("request after", _status(repo.lock_request(REQUESTS[0]))))
    overlap = {**booked, "request_id": REQUESTS[1], "start": SLOT + timedelta(minutes=15),
               "end": SLOT + timedelta(minutes=45)}  # fmt: skip
    with uow.attempt():
        out.append(("overlap refused", repo.propose(**overlap)))
    second = {**booked, "host_id": HOSTS[1]}
    with uow.attempt():
        out.append(("second live match refused", repo.propose(**second)))
    agenda = repo.agendas([HOSTS[0], HOSTS[1]], NOW)
    out.append(("agenda", {h: (c.meetings, c.per_month) for h, c in agenda.items()}))
    out.append(("excluded", repo.excluded_hosts(REQUESTS[0])))
    out.append(("due expiries", [m["id"] == match_id for m in repo.due_expiries(
        NOW + timedelta(hours=2))]))  # fmt: skip
    out.append(
        (
            "invitation to",
            repo.invitation_to(REQUESTS[0], "A@example.com")["id"] == match_id,
        )
    )
    repo.expire(match_id, NOW, calendar_conflict=True)
    out.append(("withdrawn: not excluded", repo.excluded_hosts(REQUESTS[0])))
    out.append(("fields", repo.host_fields(HOSTS[1])))
    repo.set_status(REQUESTS[1], "unmatched", "windows passed", NOW)
    out.append(("status", _status(repo.lock_request(REQUESTS[1]))))
    return out


def _status(row: dict) -> tuple:
    return row["status"], row["status_reason"], row["attempts"]


def test_the_matchers_fake_repository_answers_as_the_real_one(database_url):
    fake = FakeUnitOfWork()
    seed_fake(fake.repo)
    with fake:
        expected = scenario(fake)
    with connect(database_url) as conn:
        seed_store(conn)
        with conn.transaction(), MatcherUnitOfWork(conn=conn) as uow:
            got = scenario(uow)
    for (what, want), (_, have) in zip(expected, got, strict=True):
        assert have == want, what


# -- intake: its use cases on the fake unit of work and on the real one ------


def intake_story(uow, propose) -> list:
    """Intake's use cases along one introduction, as the intranet and the
    matcher drive them; `propose(uow, request_id, host_id)` is the matcher's
    invitation, written as each store holds it. Ids are compared by their
    order of appearance."""
    from services.intake import use_cases
    from services.intake.domain import Limits
    from services.intake.errors import Conflict
    from services.intake.web.identity import Identity
    from tests.unit.intake.test_use_cases import host_data, request_data

    camille, nathalie = (
        Identity("camille@example.com"),
        Identity("nathalie@example.com"),
    )
    limits = Limits(max_open=2, per_hour=10, secret="k" * 32)
    seen: dict = {}

    def label(value):
        return seen.setdefault(value, len(seen))

    out = []
    body = request_data()
    row, _, created = use_cases.submit_request(
        uow, camille, body, limits=limits, locale="fr", idempotency_key="k1"
    )
    again, _, created_again = use_cases.submit_request(
        uow, camille, body, limits=limits, locale="fr", idempotency_key="k1"
    )
    out.append(("submitted", row["status"], created, created_again,
                label(row["id"]) == label(again["id"])))  # fmt: skip
    other, _, _ = use_cases.submit_request(
        uow, camille, request_data(goal="Another goal"), limits=limits, locale="fr"
    )
    try:
        use_cases.submit_request(uow, camille, request_data(goal="A third"),
                                 limits=limits, locale="fr")  # fmt: skip
        out.append(("third open", "accepted"))
    except Conflict as exc:
        out.append(("third open", exc.code))
    host, created = use_cases.put_host(
        uow, nathalie, host_data(), locale="fr", limits=limits
    )
    _, created_again = use_cases.put_host(
        uow, nathalie, host_data(), locale="en", limits=limits
    )
    out.append(("host", created, created_again, host["name"]))
    out.append(
        ("mine", [r["status"] for r, _ in use_cases.list_requests(uow, camille)])
    )
    match_id = propose(uow, row["id"], host["id"])
    invitations = use_cases.list_invitations(uow, nathalie)
    out.append(("invited", [(label(i["id"]), i["status"]) for i in invitations]))
    answered = use_cases.answer_invitation(uow, nathalie.email, match_id, "accept", {})
    out.append(("accepted", answered["status"]))
    _, live = use_cases.get_request(uow, camille, row["id"])
    out.append(("confirmed", live["status"] if live else None))
    cancelled = use_cases.cancel_request(uow, camille, row["id"], None)
    out.append(("cancelled", cancelled["status"], cancelled["status_reason"]))
    out.append(("forgotten", use_cases.forget_person(uow, camille)))
    out.append(
        ("after", [r["status"] for r, _ in use_cases.list_requests(uow, camille)])
    )
    keys = {
        str(row["id"]): "first",
        str(other["id"]): "second",
        str(host["id"]): "host",
    }
    return out, keys


def test_intakes_fake_unit_of_work_answers_as_the_real_one(database_url):
    from services.intake.unit_of_work import UnitOfWork as IntakeUnitOfWork
    from shared import lifecycle
    from shared.db import make_pool
    from tests.unit.intake.fakes import FakeUnitOfWork as IntakeFake
    from tests.unit.intake.fakes import now

    def fake_propose(uow, request_id, host_id):
        match_id = uuid.uuid4()
        uow.repo.matches[match_id] = {
            "id": match_id, "request_id": request_id, "host_id": host_id,
            "status": "proposed", "expires_at": now() + timedelta(hours=72),
            "starts_at": now() + timedelta(days=4),
        }  # fmt: skip
        uow.repo.requests[request_id]["status"] = "proposed"
        return match_id

    def real_propose(uow, request_id, host_id):
        start = now() + timedelta(days=4)
        with uow:
            return lifecycle.propose(
                uow.conn, request_id=request_id, host_id=host_id, start=start,
                end=start + timedelta(minutes=30), month=start.strftime("%Y-%m"),
                fmt="video", exact=True, score={}, expires_at=now() + timedelta(hours=72),
                now=now(),
            )  # fmt: skip

    fake = IntakeFake()
    expected, fake_keys = intake_story(fake, fake_propose)
    pool = make_pool(database_url, name="contract")
    pool.open(wait=True)
    try:
        got, keys = intake_story(IntakeUnitOfWork(pool), real_propose)
        with pool.connection() as conn:
            written = [(r["key"], r["event_type"]) for r in conn.execute(
                "SELECT key, event_type FROM outbox WHERE producer = 'intake' ORDER BY id")]  # fmt: skip
    finally:
        pool.close()
    for (what, *want), (_, *have) in zip(expected, got, strict=True):
        assert have == want, what
    # each request's and the host's events in the same order (the order
    # between two requests follows their ids, which differ between stores)
    assert by_key(written, keys) == by_key(
        [(key, event_type) for event_type, key, _ in fake.events], fake_keys
    )


def by_key(events: list, names: dict) -> dict:
    out: dict = {}
    for key, event_type in events:
        out.setdefault(names.get(key, key), []).append(event_type)
    return out
