"""The matcher process: what it consumes and what runs periodically."""

from services.matcher import handlers
from services.matcher.jobs import Jobs
from services.matcher.matching import Matcher
from shared import fields, topics
from shared.service import Job, Runtime, Wiring

# topic -> event type -> handler
ROUTES = {
    topics.INTRO_REQUESTS: {
        "IntroRequested": handlers.intro_requested,
        "IntroCancelled": handlers.intro_cancelled,
    },
    topics.HOST_PROFILES: {
        "HostProfileChanged": handlers.host_profile_changed,
        "HostBusyChanged": handlers.host_busy_changed,
    },
    topics.HOST_RESPONSES: {"MatchDeclined": handlers.match_declined},
    topics.NOTIFICATIONS: {"NotificationFailed": handlers.notification_failed},
}


def make_matcher(settings) -> Matcher:
    return Matcher(
        taxonomy=fields.load_taxonomy(settings.fields_file),
        response_timeout=settings.response_timeout,
        lead=settings.min_lead_time,
        margin=settings.response_margin,
        round_window=settings.match_round_window,
        demand_window=settings.match_demand_window,
    )


def round_every(matcher: Matcher) -> float:
    """The round job's period: half the window, at least 50 ms."""
    return max(matcher.round_window.total_seconds() / 2, 0.05)


def wire(rt: Runtime) -> Wiring:
    s = rt.settings
    matcher = make_matcher(s)
    jobs = Jobs(rt.pool, matcher)
    rounds = (
        [Job("match-round", round_every(matcher), jobs.match_round)]
        if matcher.rounds
        else []
    )
    return Wiring(
        consumers=[rt.consumer("matcher", ROUTES, matcher)],
        jobs=rounds
        + [
            Job(
                "expire-invitations",
                s.expire_invitations_every_s,
                jobs.expire_invitations,
            ),
            Job("retry-waitlist", s.retry_waitlist_every_s, jobs.retry_waitlist),
            Job("unmatch-passed", s.unmatch_passed_every_s, jobs.unmatch_passed),
            Job(
                "complete-meetings", s.complete_meetings_every_s, jobs.complete_meetings
            ),
        ],
    )
