"""The matcher on the real broker and database: decline, expiry, waitlist, cancel."""

from datetime import timedelta

from shared.outbox import Outbox
from tests.integration.matcher.world import (
    ALL_WEEK,
    add_host,
    add_request,
    cancel,
    decline,
    events,
    matches,
    mid_month_morning,
    now,
    status,
)
from tests.support import wait_for


def test_declined_invitation_goes_to_the_next_host_never_back(conn, matcher):
    hosts = {add_host(conn, emit=False), add_host(conn, emit=False)}
    matcher()
    rid = add_request(conn)
    first = wait_for(lambda: matches(conn, rid), 60, message="first proposal")[0]
    assert status(conn, rid) == "proposed" and first["host_id"] in hosts
    decline(conn, first["id"])
    second = wait_for(
        lambda: (
            len(m := matches(conn, rid)) == 2 and m[1]["status"] == "proposed" and m[1]
        ),
        60,
        message="second proposal",
    )
    assert second["host_id"] == (hosts - {first["host_id"]}).pop()
    decline(conn, second["id"])
    wait_for(
        lambda: status(conn, rid) == "waitlisted",
        60,
        message="waitlisted once both declined",
    )
    assert len(matches(conn, rid)) == 2
    assert events(conn, rid) == ["MatchProposed", "MatchProposed", "RequestWaitlisted"]


def test_expired_invitation_goes_to_the_next_host(conn, matcher):
    hosts = {add_host(conn, emit=False), add_host(conn, emit=False)}
    running = matcher(response_timeout=timedelta(seconds=1))
    rid = add_request(conn)
    first = wait_for(lambda: matches(conn, rid), 60, message="first proposal")[0]
    wait_for(
        lambda: running.jobs.expire_invitations() and len(matches(conn, rid)) == 2,
        30,
        0.2,
        message="expiry",
    )
    old, new = matches(conn, rid)
    assert old["status"] == "expired" and new["status"] == "proposed"
    assert new["host_id"] == (hosts - {first["host_id"]}).pop()
    assert events(conn, rid)[:3] == ["MatchProposed", "MatchExpired", "MatchProposed"]


def test_waitlisted_request_is_matched_when_a_host_appears(conn, matcher):
    matcher()
    rid = add_request(conn, field="strategy", related_ok=False)
    wait_for(lambda: status(conn, rid) == "waitlisted", 60, message="waitlisted")
    assert events(conn, rid) == ["RequestWaitlisted"]
    add_host(conn, host_fields=("finance",))  # not this field: nothing happens for it
    host = add_host(conn, host_fields=("strategy",))
    wait_for(
        lambda: status(conn, rid) == "proposed",
        60,
        message="proposed once a host appears",
    )
    assert matches(conn, rid)[0]["host_id"] == host


def test_cancelled_request_frees_capacity_for_a_waiting_one(conn, matcher):
    host = add_host(conn, capacity=1, emit=False)
    matcher()
    window = (
        mid_month_morning()
    )  # two and a half hours in one month: room for both meetings
    first = add_request(conn, availability=window)
    wait_for(lambda: status(conn, first) == "proposed", 60, message="first proposed")
    second = add_request(conn, availability=window)
    wait_for(
        lambda: status(conn, second) == "waitlisted",
        60,
        message="second waitlisted (capacity 1)",
    )
    cancel(conn, first)
    wait_for(
        lambda: status(conn, second) == "proposed",
        60,
        message="second proposed once the first is cancelled",
    )
    assert matches(conn, second)[0]["host_id"] == host


def test_request_whose_windows_have_passed_is_unmatched(conn, matcher):
    add_host(conn, emit=False)
    matcher()
    rid = add_request(
        conn,
        availability=[
            {"start": "2020-01-01T09:00:00+00:00", "end": "2020-01-01T10:00:00+00:00"}
        ],
    )
    wait_for(lambda: status(conn, rid) == "unmatched", 60, message="unmatched")
    assert events(conn, rid) == ["RequestUnmatched"]


def test_joint_retry_matches_more_than_one_at_a_time_would(conn, matcher):
    exact = add_host(conn, host_fields=("strategy",), capacity=1, emit=False)
    related = add_host(conn, host_fields=("consulting",), capacity=1, emit=False)
    # the older request prefers the exact host but could take the related one; the younger takes exact only
    window = mid_month_morning()
    flexible = add_request(
        conn, field="strategy", availability=window, status="waitlisted", emit=False
    )
    strict = add_request(
        conn,
        field="strategy",
        related_ok=False,
        availability=window,
        status="waitlisted",
        emit=False,
    )
    running = matcher()
    outcome = running.jobs.retry_waitlist()
    assert outcome == {"proposed": 2}
    assert matches(conn, strict)[0]["host_id"] == exact
    assert matches(conn, flexible)[0]["host_id"] == related
    assert matches(conn, flexible)[0]["score"]["method"] == "joint"


def test_an_unreadable_host_profile_is_passed_over_not_fatal(conn, matcher):
    broken = add_host(
        conn,
        emit=False,
        weekly=[
            {"day": d, "start": "24:00", "end": "23:00"}
            for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        ],
    )
    good = add_host(conn, emit=False)
    matcher()
    rid = add_request(conn)
    proposal = wait_for(
        lambda: matches(conn, rid), 60, message="a proposal despite the broken profile"
    )[0]
    assert proposal["host_id"] == good and proposal["host_id"] != broken


def test_an_invitation_expires_a_margin_before_its_meeting_not_days_after(
    conn, matcher
):
    add_host(conn, emit=False)
    matcher()  # RESPONSE_TIMEOUT 72 h, RESPONSE_MARGIN 2 h
    start = now() + timedelta(hours=13)
    window = [
        {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    ]
    rid = add_request(conn, availability=window)
    [match] = wait_for(lambda: matches(conn, rid), 60, message="a proposal")
    assert match["expires_at"] == match["starts_at"] - timedelta(hours=2)
    assert match["expires_at"] < now() + timedelta(hours=72)


def test_a_paused_host_gets_no_invitation_until_the_pause_is_lifted(conn, matcher):
    host = add_host(conn, emit=False)
    with conn.transaction():
        conn.execute(
            "UPDATE hosts SET paused_until = CURRENT_DATE + 14 WHERE id = %s", (host,)
        )
    matcher()
    rid = add_request(conn)
    wait_for(lambda: status(conn, rid) == "waitlisted", 60, message="waitlisted")
    assert matches(conn, rid) == []  # nothing reached the paused host
    with conn.transaction():  # the host lifts the pause
        conn.execute("UPDATE hosts SET paused_until = NULL WHERE id = %s", (host,))
        Outbox(conn, "intake").emit(
            "HostProfileChanged",
            host,
            {"host_id": host, "email": "host-back@example.com", "name": "Host",
             "fields": ["management"], "languages": ["fr"], "formats": ["video", "phone"],
             "site": "Paris", "timezone": "Europe/Paris", "durations": [30, 60],
             "monthly_capacity": 2, "weekly_availability": ALL_WEEK, "unavailable": [],
             "active": True},
        )  # fmt: skip
    [match] = wait_for(lambda: matches(conn, rid), 60, message="proposed once back")
    assert match["host_id"] == host
