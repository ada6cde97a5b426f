"""The host's own calendar, as the matcher sees it: no slot proposed over a
busy time; an unanswered invitation that becomes busy is withdrawn and the
request matched again; an accepted meeting is never moved."""

from datetime import timedelta

from tests.integration.matcher.world import (
    add_host,
    add_request,
    events,
    handled,
    matches,
    now,
    set_busy,
    status,
)
from tests.support import wait_for

ROUNDS_OFF = timedelta(0)


def test_no_slot_is_proposed_over_a_busy_time(conn, matcher):
    host = add_host(conn, emit=False)
    busy_until = now() + timedelta(days=3, hours=5)
    handled_busy = set_busy(conn, host, [(now(), busy_until)])
    matcher(round_window=ROUNDS_OFF)
    wait_for(lambda: handled(conn, handled_busy), 60, message="busy times consumed")
    rid = add_request(conn)  # free from two days ahead, for a week
    [match] = wait_for(lambda: matches(conn, rid), 60, message="a proposal")
    assert match["host_id"] == host
    assert busy_until <= match["starts_at"] < busy_until + timedelta(minutes=15)


def test_an_unanswered_invitation_that_becomes_busy_is_withdrawn_and_rematched(
    conn, matcher
):
    host = add_host(conn, emit=False)
    matcher(round_window=ROUNDS_OFF)
    rid = add_request(conn)
    [first] = wait_for(lambda: matches(conn, rid), 60, message="a proposal")
    set_busy(conn, host, [(first["starts_at"] - timedelta(hours=1), first["ends_at"])])
    old, new = wait_for(
        lambda: (
            len(m := matches(conn, rid)) == 2 and m[1]["status"] == "proposed" and m
        ),
        60,
        message="the request proposed again",
    )
    assert old["status"] == "expired" and old["calendar_conflict"]
    assert new["host_id"] == host  # the same host, at a time they are free
    assert new["starts_at"] >= first["ends_at"]
    assert events(conn, rid) == ["MatchProposed", "MatchExpired", "MatchProposed"]
    expired = conn.execute(
        "SELECT convert_from(value, 'UTF8')::jsonb -> 'payload' AS payload"
        " FROM outbox WHERE event_type = 'MatchExpired' AND key = %s",
        (str(rid),),
    ).fetchone()["payload"]
    assert expired["calendar_conflict"] is True
    assert status(conn, rid) == "proposed"


def test_an_accepted_meeting_is_never_moved_by_the_calendar(conn, matcher):
    host = add_host(conn, emit=False)
    matcher(round_window=ROUNDS_OFF)
    rid = add_request(conn)
    [match] = wait_for(lambda: matches(conn, rid), 60, message="a proposal")
    with conn.transaction():
        conn.execute(
            "UPDATE matches SET status = 'accepted' WHERE id = %s", (match["id"],)
        )
        conn.execute("UPDATE requests SET status = 'confirmed' WHERE id = %s", (rid,))
    told = set_busy(conn, host, [(match["starts_at"], match["ends_at"])])
    wait_for(lambda: handled(conn, told), 60, message="busy times consumed")
    [same] = matches(conn, rid)
    assert same["status"] == "accepted" and status(conn, rid) == "confirmed"
