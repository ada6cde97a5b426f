"""The matcher's periodic jobs: each opens a unit of work and calls one use
case (`use_cases`); several matcher processes may run them at once.

| job                  | setting                        | use case |
| match-round          | MATCH_ROUND_WINDOW (every half) | `match_round`: requests submitted a window ago, with the waitlisted ones they compete with, assigned jointly |
| expire-invitations   | MATCHER_EXPIRY_INTERVAL        | `expire_unanswered`: invitations past their answer-by time expired, the request matched again |
| retry-waitlist       | MATCHER_RETRY_INTERVAL         | `retry_waitlist`: every waiting request again (not those just submitted and not tried yet), jointly |
| unmatch-passed       | MATCHER_UNMATCHED_INTERVAL     | `unmatch_passed`: waiting requests whose windows have passed, unmatched |
| complete-meetings    | MATCHER_COMPLETION_INTERVAL    | `complete_meetings`: confirmed meetings that are over, completed |
| read-profiles        | MATCHER_READ_INTERVAL          | `read_profiles`: host profiles the model has not read as they stand, read (MATCH_BY_MEANING) |
"""

from __future__ import annotations

from services.matcher import use_cases
from services.matcher.policy import Policy
from services.matcher.unit_of_work import UnitOfWork
from shared.service import Job


def round_every(policy: Policy) -> float:
    """The round job's period: half the window, at least 50 ms."""
    return max(policy.round_window.total_seconds() / 2, 0.05)


def jobs(pool, policy: Policy, settings) -> list[Job]:
    def job(name: str, every_s: float, use_case) -> Job:
        return Job(name, every_s, lambda: use_case(UnitOfWork(pool), policy))

    rounds = (
        [job("match-round", round_every(policy), use_cases.match_round)]
        if policy.rounds
        else []
    )
    reading = (
        [job("read-profiles", settings.read_profiles_every_s, use_cases.read_profiles)]
        if policy.encoder is not None
        else []
    )
    return (
        rounds
        + [
            job(
                "expire-invitations",
                settings.expire_invitations_every_s,
                use_cases.expire_unanswered,
            ),
            job(
                "retry-waitlist",
                settings.retry_waitlist_every_s,
                use_cases.retry_waitlist,
            ),
            job(
                "unmatch-passed",
                settings.unmatch_passed_every_s,
                use_cases.unmatch_passed,
            ),
            job(
                "complete-meetings",
                settings.complete_meetings_every_s,
                use_cases.complete_meetings,
            ),
        ]
        + reading
    )
