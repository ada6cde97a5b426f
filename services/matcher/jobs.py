"""The matcher's periodic jobs. Each takes its rows with FOR UPDATE SKIP
LOCKED, so several matcher processes may run them at once; each runs in one
transaction and emits through one outbox.

| job                  | setting                        | what it does |
| match-round          | MATCH_ROUND_WINDOW (every half) | requests submitted a window ago, with the waitlisted ones they compete with: assigned jointly |
| expire-invitations   | MATCHER_EXPIRY_INTERVAL        | invitations past their deadline: expired, the request matched again |
| retry-waitlist       | MATCHER_RETRY_INTERVAL         | every waiting request again, jointly |
| unmatch-passed       | MATCHER_UNMATCHED_INTERVAL     | waiting requests whose windows have passed: unmatched |
| complete-meetings    | MATCHER_COMPLETION_INTERVAL    | confirmed meetings that are over: completed |
"""

from __future__ import annotations

from services.matcher import repository as repo
from services.matcher.matching import PRODUCER, Matcher
from shared import metrics
from shared.outbox import Outbox
from shared.statuses import INVITATION_EXPIRED


class Jobs:
    def __init__(self, pool, matcher: Matcher):
        self.pool = pool
        self.matcher = matcher

    def expire_invitations(self, limit: int = 100) -> int:
        """Proposals past their deadline: expired, and the request goes to its
        next host."""
        done = 0
        now = self.matcher.clock()
        with self.pool.connection() as conn, conn.transaction():
            ob = Outbox(conn, PRODUCER)
            freed = set()
            for match in repo.due_expiries(conn, now, limit):
                request = repo.lock_request(conn, match["request_id"], skip_locked=True)
                if request is None:
                    continue  # being answered or cancelled right now: next run
                freed.update(
                    self.matcher.expire_invitation(
                        ob, request, match, INVITATION_EXPIRED, now, skip_locked=True
                    )
                )
                metrics.expiries.inc()
                done += 1
            if freed:
                self.matcher.retry_waiting(ob, host_fields=sorted(freed))
        return done

    def match_round(self) -> dict:
        """One matching round (`Matcher.round`), in one transaction."""
        with self.pool.connection() as conn, conn.transaction():
            return self.matcher.round(Outbox(conn, PRODUCER))

    def retry_waitlist(self) -> dict:
        """Every waiting request again, jointly (a new month may have freed capacity)."""
        with self.pool.connection() as conn, conn.transaction():
            return self.matcher.retry_waiting(Outbox(conn, PRODUCER))

    def unmatch_passed(self) -> int:
        """Waiting requests whose windows have all passed: unmatched."""
        now = self.matcher.clock()
        with self.pool.connection() as conn, conn.transaction():
            ob = Outbox(conn, PRODUCER)
            rows = repo.passed_requests(conn, now, self.matcher.lead)
            for row in rows:
                self.matcher.match(ob, row["id"], skip_locked=True)
            return len(rows)

    def complete_meetings(self) -> int:
        """Confirmed requests whose meeting is over: completed."""
        now = self.matcher.clock()
        with self.pool.connection() as conn, conn.transaction():
            ob = Outbox(conn, PRODUCER)
            rows = repo.finished_meetings(conn, now)
            for row in rows:
                repo.set_status(conn, row["request_id"], "completed", None, now)
                ob.emit(
                    "RequestCompleted",
                    row["request_id"],
                    {
                        "request_id": row["request_id"],
                        "match_id": row["match_id"],
                        "host_id": row["host_id"],
                    },
                    correlation_id=row["correlation_id"],
                )
            return len(rows)
