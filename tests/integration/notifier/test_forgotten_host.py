"""A host who deletes their data: intake writes MatchDeclined (a meeting
left) and HostForgotten together, and the notifier may handle them in
either order."""

from __future__ import annotations

import uuid

from services.notifier.repository import Repository
from shared import config
from shared.db import connect
from shared.events import Event
from tests.integration.notifier.test_notifier import propose


def queued(conn, settings, kind, person, rid, mid) -> None:
    Repository(conn).queue(
        event=Event(uuid.uuid4(), "X", None, uuid.uuid4(), "test", {}),
        kind=kind, person=person, context={"host": {"name": "Nathalie"}},
        settings=settings, request_id=rid, match_id=mid,
    )  # fmt: skip


def test_the_news_that_the_host_left_still_goes_when_the_host_is_forgotten_first(
    client, database_url, service_env
):
    settings = config.load(service_env)
    rid, mid, host_id = propose(client, database_url)
    camille = {"email": "camille.durand@example.com", "name": "Camille",
               "locale": "fr", "timezone": "Europe/Paris"}  # fmt: skip
    nathalie = {**camille, "email": "nathalie.renard@example.com"}
    with connect(database_url) as conn, conn.transaction():
        queued(conn, settings, "host_withdrew", camille, rid, mid)
        queued(conn, settings, "reminder", camille, rid, mid)
        queued(conn, settings, "reminder", nathalie, rid, mid)
        Repository(conn).forget_host(host_id)
        rows = conn.execute(
            "SELECT kind, recipient, status FROM notifications WHERE match_id = %s",
            (mid,),
        ).fetchall()
    state = {(r["kind"], r["recipient"]): r["status"] for r in rows}
    assert state[("host_withdrew", camille["email"])] == "pending"
    assert state[("reminder", camille["email"])] == "cancelled"
    assert len(rows) == 3  # the host's own: address gone, and withdrawn
    assert "nathalie.renard@example.com" not in {r["recipient"] for r in rows}
    assert list(state.values()).count("cancelled") == 2
