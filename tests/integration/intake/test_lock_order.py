"""Forgetting a host takes its locks in the one order (requests, matches,
the host), so it cannot deadlock with the host's own answer to an
invitation, which locks the request and then the match."""

from __future__ import annotations

import threading

from shared.db import connect
from tests.fixtures_intake import user
from tests.integration.intake.helpers import host_body, insert_match, request_body
from tests.support import wait_for

CAMILLE = user("camille.durand@example.com")
NATHALIE = user("nathalie.renard@example.com")


def waiting_on_a_lock(database_url, other_than: int) -> bool:
    with connect(database_url) as conn:
        return bool(
            conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> %s",
                (other_than,),
            ).fetchone()
        )


def test_forgetting_a_host_while_they_accept_an_invitation_does_not_deadlock(
    client, database_url
):
    host_id = client.put("/api/v1/hosts/me", json=host_body(), headers=NATHALIE).json[
        "id"
    ]
    rid = client.post("/api/v1/requests", json=request_body(), headers=CAMILLE).json[
        "id"
    ]
    mid = insert_match(database_url, rid, host_id)
    answers = []
    with connect(database_url) as answering:  # the host's accept, one lock at a time
        answering.execute("SELECT 1 FROM requests WHERE id = %s FOR UPDATE", (rid,))
        forgetting = threading.Thread(
            target=lambda: answers.append(client.delete("/api/v1/me", headers=NATHALIE))
        )
        forgetting.start()
        wait_for(
            lambda: waiting_on_a_lock(database_url, answering.info.backend_pid),
            30,
            message="the deletion waiting for the request",
        )
        # the accept goes on to the match: the deletion must not be holding it
        answering.execute("SELECT 1 FROM matches WHERE id = %s FOR UPDATE", (mid,))
        answering.execute(
            "UPDATE matches SET status = 'accepted' WHERE id = %s", (mid,)
        )
        answering.execute(
            "UPDATE requests SET status = 'confirmed' WHERE id = %s", (rid,)
        )
        answering.commit()
    forgetting.join(30)
    assert [a.status_code for a in answers] == [200]
    with connect(database_url) as conn:
        match = conn.execute(
            "SELECT status FROM matches WHERE id = %s", (mid,)
        ).fetchone()
        request = conn.execute(
            "SELECT status FROM requests WHERE id = %s", (rid,)
        ).fetchone()
    # the accepted meeting is withdrawn, and the request waits for another host
    assert (match["status"], request["status"]) == ("cancelled", "submitted")
