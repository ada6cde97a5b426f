"""Every use case of the matcher, each one function shared by every entry
point that offers it (a consumer's handler, a periodic job).

Each takes a unit of work (`uow.repo` and `uow.outbox()` in one
transaction) and the service's `Policy`, and runs in `with uow:`; inside a
consumer's handler the unit of work joins the consumer's transaction. The
jobs take their rows with FOR UPDATE SKIP LOCKED, so several matcher
processes may run them at once.
"""

from __future__ import annotations

from services.matcher import expiry, matching, rounds, vectors
from services.matcher.model import Request
from services.matcher.policy import Policy
from shared import metrics, retention
from shared.statuses import INVITATION_EXPIRED

EVENT_BATCH = 50  # waiting requests retried in the transaction of one event


def match_new_request(uow, policy: Policy, request_id) -> str:
    """A new request is matched at once, or (with rounds) waits for one."""
    if policy.rounds:
        return "waiting-for-round"
    with uow:
        return matching.match(uow, policy, request_id)


def read_goals(uow, policy: Policy, request_ids: list) -> int:
    """The goals of these requests (those still waiting) read by the model
    together and stored, where not stored yet; how many were waiting."""
    with uow:
        requests = [Request.from_row(r) for r in uow.repo.waiting_by_id(request_ids)]
        vectors.goals(uow, policy, requests)
        return len(requests)


def serve_freed_host(uow, policy: Policy, host_id) -> dict:
    """A meeting of this host was cancelled: someone waiting may take it."""
    with uow:
        fields = uow.repo.host_fields(host_id)
        return rounds.retry_waiting(uow, policy, host_fields=fields, limit=EVENT_BATCH)


def serve_new_profile(uow, policy: Policy, host_id, host_fields: list[str]) -> dict:
    """A host's profile changed: its words are read again, and (if it is
    active) those waiting for its fields try again."""
    with uow:
        vectors.read_hosts(uow, policy, [host_id])
        policy.host_words.drop()
        if not host_fields:
            return {}
        return rounds.retry_waiting(
            uow, policy, host_fields=host_fields, limit=EVENT_BATCH
        )


def read_profiles(uow, policy: Policy) -> int:
    """Host profiles the model has not read as they stand (after an upgrade,
    a new model, or a profile saved while the matcher was away): read, a
    batch at a time. Returns how many were read."""
    with uow:
        return vectors.read_hosts(uow, policy)


def forget_words(uow, policy: Policy, *, host_id=None, request_id=None) -> None:
    """A person forgotten: what was read of their words goes too, from the
    store and from this process's memory."""
    with uow:
        uow.repo.forget_vectors(host_id=host_id, request_id=request_id)
    policy.host_vectors.forget(host_id)
    if host_id is not None:
        policy.host_words.drop()


def follow_busy_times(uow, policy: Policy, host_id) -> int:
    """The host's own calendar changed: withdraw the invitations it now makes
    impossible, and offer the host's freed times to those waiting. Returns
    how many invitations were withdrawn."""
    with uow:
        withdrawn = expiry.withdraw_conflicting(uow, policy, host_id)
        fields = uow.repo.host_fields(host_id)
        if fields:
            rounds.retry_waiting(uow, policy, host_fields=fields, limit=EVENT_BATCH)
        return withdrawn


def next_host_after_decline(uow, policy: Policy, request_id, host_id) -> None:
    """The host declined (or left a meeting): the request goes to its next
    host, and those waiting for the freed host's fields try again (jointly,
    with rounds)."""
    with uow:
        fields = uow.repo.host_fields(host_id)
        if policy.rounds:
            rounds.retry_waiting(
                uow, policy, host_fields=fields, limit=EVENT_BATCH, include=[request_id]
            )
            return
        matching.match(uow, policy, request_id)
        rounds.retry_waiting(uow, policy, host_fields=fields, limit=EVENT_BATCH)


def move_on_from_unsent(uow, policy: Policy, request_id, host_email: str) -> bool:
    """A host's invitation failed for good (it cannot be built, or the
    address refuses it): the request goes to its next host now, not at the
    answer-by time. Waiting requests are not offered to that host here: its
    next invitation would likely fail the same way."""
    with uow:
        return expiry.drop_unsent(uow, policy, request_id, host_email)


def expire_unanswered(uow, policy: Policy, limit: int = 100) -> int:
    """Invitations past their answer-by time: expired, and each request goes
    to its next host; then those waiting for the freed hosts' fields."""
    done = 0
    now = policy.clock()
    with uow:
        freed: set = set()
        for match in uow.repo.due_expiries(now, limit):
            row = uow.repo.lock_request(match["request_id"], skip_locked=True)
            if row is None:
                continue  # being answered or cancelled right now: next run
            freed.update(
                expiry.expire_invitation(
                    uow, policy, row, match, INVITATION_EXPIRED, now, skip_locked=True
                )
            )
            metrics.expiries.inc()
            done += 1
        if freed:
            rounds.retry_waiting(uow, policy, host_fields=sorted(freed))
    return done


def match_round(uow, policy: Policy) -> dict:
    """One matching round (`rounds.run_round`)."""
    with uow:
        return rounds.run_round(uow, policy)


def retry_waitlist(uow, policy: Policy) -> dict:
    """Every waiting request again, jointly (a new month may have freed
    capacity), but those just submitted and not tried yet."""
    with uow:
        return rounds.retry_waiting(uow, policy)


def unmatch_passed(uow, policy: Policy) -> int:
    """Waiting requests whose windows have all passed: unmatched."""
    now = policy.clock()
    with uow:
        rows = uow.repo.passed_requests(now, policy.lead)
        for row in rows:
            matching.match(uow, policy, row["id"], skip_locked=True)
        return len(rows)


def complete_meetings(uow, policy: Policy) -> int:
    """Confirmed requests whose meeting is over: completed."""
    now = policy.clock()
    with uow:
        rows = uow.repo.finished_meetings(now)
        for row in rows:
            uow.repo.complete(row["request_id"], now)
            uow.outbox(row["correlation_id"]).emit(
                "RequestCompleted",
                row["request_id"],
                {
                    "request_id": row["request_id"],
                    "match_id": row["match_id"],
                    "host_id": row["host_id"],
                },
            )
        return len(rows)


def purge(uow, keep: retention.Retention) -> dict[str, int]:
    """What the matcher keeps no longer than its retention: its published
    events, handled events and dead letters; and the vectors of goals
    emptied by intake's purge."""
    with uow:
        emptied = uow.repo.drop_emptied_goals()
    return {**retention.purge_shared(uow, keep), "goal_vectors": emptied}
