"""The whole service under faults, as processes, on real servers.

During a stream of 300 requests, with hosts accepting and declining their
invitations: each of intake, matcher and notifier is SIGKILLed (the
supervisor of `make run` starts it again); the broker is frozen (SIGSTOP)
for 30 s; PostgreSQL is stopped immediately (no checkpoint) and started
again; the SMTP server is down for a minute. Afterwards: every request
settled exactly once, no host overbooked, no email sent twice for the same
reason (but for a message cut between the server's "250" and its record,
sent again with the same Message-ID, at most one per fault), every written
event delivered.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import pytest

from shared.db import connect
from tests.fault import checks
from tests.fault.load import Hosts, Requests, add_hosts
from tests.fault.stack import Stack
from tests.support import wait_for

REQUESTS = 300
RATE = 5  # per second: the stream lasts a minute
HOSTS, CAPACITY = 30, 8
BROKER_FROZEN_S = 30
POSTGRES_DOWN_S = 5
SMTP_DOWN_S = 60
# A message the mail server accepted in the instant before its record was
# committed goes again (same Message-ID): at most one per fault that can cut
# that instant, the notifier killed, the database stopped, the server stopped.
IN_FLIGHT = 3


@pytest.fixture
def stack():
    workdir = Path(tempfile.mkdtemp(prefix="matchmaker-fault-"))
    running = Stack(workdir)
    try:
        yield running.start()
    finally:
        running.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def at(t0: float, second: float) -> None:
    """Wait for `second` of the scenario's clock (the fault schedule)."""
    delay = t0 + second - time.monotonic()
    if delay > 0:
        time.sleep(delay)


@pytest.mark.slow
@pytest.mark.timeout(420)
def test_every_request_settles_once_through_kills_a_frozen_broker_and_outages(
    stack,
):
    intake = stack.url("intake")
    add_hosts(intake, HOSTS, CAPACITY)
    stream = Requests(intake, REQUESTS, RATE)
    hosts = Hosts(intake, stack.database_url)
    t0 = time.monotonic()
    stream.start()
    hosts.start()
    try:
        at(t0, 5)
        stack.kill("intake")
        at(t0, 10)
        stack.kill("matcher")
        at(t0, 15)
        stack.kill("notifier")
        at(t0, 20)
        stack.freeze_broker()
        at(t0, 20 + BROKER_FROZEN_S)
        stack.thaw_broker()
        at(t0, 55)
        stack.stop_postgres_immediately()
        at(t0, 55 + POSTGRES_DOWN_S)
        stack.start_postgres()
        at(t0, 65)
        stack.stop_smtp()
        at(t0, 65 + SMTP_DOWN_S)
        stack.start_smtp()
        stream.join(timeout=120)
        assert not stream.is_alive() and not stream.errors, stream.errors

        with connect(stack.database_url, autocommit=True) as conn:
            try:
                wait_for(lambda: not any(checks.backlog(conn).values()), 150, 1)
            except AssertionError:
                raise AssertionError(
                    f"not settled: {checks.backlog(conn)}"
                    f" {checks.unsettled(conn)}\n{stack.log()[-6000:]}"
                ) from None
            checks.requests_settled_once(conn, [f"Req{n:04d}" for n in range(REQUESTS)])
            checks.no_host_overbooked(conn)
            checks.no_dead_letters(conn)
            kinds, copies = checks.mail_once_each(
                conn, stack.mail_dir, in_flight=IN_FLIGHT
            )
            outcomes = conn.execute(
                "SELECT status, count(*) AS n FROM requests GROUP BY 1 ORDER BY 1"
            ).fetchall()
    finally:
        hosts.stopping.set()
        hosts.join(10)
    assert not hosts.errors, hosts.errors
    assert hosts.answered, "no invitation was answered"
    assert set(stream.statuses.values()) <= {200, 201, 202}, stream.statuses
    # the traffic was what the test claims: invitations answered both ways
    assert kinds["invitation"] and kinds["meeting_confirmed"], kinds
    assert any(code == 200 for code in hosts.answered.values())
    ends = ", ".join(f"{r['n']} {r['status']}" for r in outcomes)
    print(
        f"settled {time.monotonic() - t0:.0f} s after the first request: {ends};"
        f" {len(hosts.answered)} invitations answered; mail sent {dict(kinds)},"
        f" {copies} sent twice"
    )
