"""An invitation the notifier could not send holds nobody: the request goes to
its next host at once, not at the deadline."""

from tests.integration.matcher.world import (
    add_host,
    add_request,
    events,
    handled,
    host_email,
    matches,
    notification_failed,
    status,
)
from tests.support import wait_for


def test_a_failed_invitation_expires_the_match_and_invites_the_next_host_at_once(
    conn, matcher, notifier_relay, caplog
):
    hosts = {add_host(conn, emit=False), add_host(conn, emit=False)}
    matcher()  # invitations answer within 72 h: only the failure can move it on
    rid = add_request(conn)
    first = wait_for(lambda: matches(conn, rid), 60, message="first proposal")[0]
    assert first["status"] == "proposed"
    notification_failed(conn, rid, host_email(conn, first["host_id"]))
    old, new = wait_for(
        lambda: (
            len(m := matches(conn, rid)) == 2 and m[1]["status"] == "proposed" and m
        ),
        60,
        message="the next host proposed",
    )
    assert old["id"] == first["id"] and old["status"] == "expired"
    assert new["host_id"] == (hosts - {first["host_id"]}).pop()
    assert status(conn, rid) == "proposed"
    assert events(conn, rid) == ["MatchProposed", "MatchExpired", "MatchProposed"]
    said = [r for r in caplog.records if str(rid) in r.getMessage()]
    assert [r.levelname for r in said] == ["ERROR"]  # one line tells ops why


def test_a_failed_mail_that_is_not_the_invitation_leaves_the_invitation_alone(
    conn, matcher, notifier_relay
):
    add_host(conn, emit=False)
    add_host(conn, emit=False)
    matcher()
    rid = add_request(conn)
    first = wait_for(lambda: matches(conn, rid), 60, message="first proposal")[0]
    receipt = notification_failed(
        conn, rid, f"req-{rid.hex[:8]}@example.com", kind="request_received"
    )
    wait_for(lambda: handled(conn, receipt), 60, message="the failure consumed")
    [only] = matches(conn, rid)
    assert only["id"] == first["id"] and only["status"] == "proposed"
    assert events(conn, rid) == ["MatchProposed"]


def test_a_late_failure_for_a_host_no_longer_invited_changes_nothing(
    conn, matcher, notifier_relay
):
    hosts = {add_host(conn, emit=False), add_host(conn, emit=False)}
    matcher()
    rid = add_request(conn)
    first = wait_for(lambda: matches(conn, rid), 60, message="first proposal")[0]
    other = (hosts - {first["host_id"]}).pop()
    late = notification_failed(conn, rid, host_email(conn, other))
    wait_for(lambda: handled(conn, late), 60, message="the failure consumed")
    [only] = matches(conn, rid)
    assert only["status"] == "proposed"
    assert events(conn, rid) == ["MatchProposed"]
