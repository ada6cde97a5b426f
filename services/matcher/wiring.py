"""The matcher process: what it consumes and what runs periodically."""

from services.matcher import handlers, jobs, use_cases
from services.matcher.policy import Policy
from services.matcher.unit_of_work import UnitOfWork
from shared import fields, meaning, topics
from shared.service import Runtime, Wiring

# topic -> event type -> handler
ROUTES = {
    topics.INTRO_REQUESTS: {
        "IntroRequested": handlers.intro_requested,
        "IntroCancelled": handlers.intro_cancelled,
        "RequesterForgotten": handlers.requester_forgotten,
    },
    topics.HOST_PROFILES: {
        "HostProfileChanged": handlers.host_profile_changed,
        "HostBusyChanged": handlers.host_busy_changed,
        "HostForgotten": handlers.host_forgotten,
    },
    topics.HOST_RESPONSES: {"MatchDeclined": handlers.match_declined},
    topics.NOTIFICATIONS: {"NotificationFailed": handlers.notification_failed},
}


def make_policy(settings) -> Policy:
    return Policy(
        taxonomy=fields.load_taxonomy(settings.fields_file),
        response_timeout=settings.response_timeout,
        lead=settings.min_lead_time,
        margin=settings.response_margin,
        round_window=settings.match_round_window,
        demand_window=settings.match_demand_window,
        encoder=meaning.sentence_model() if settings.match_by_meaning else None,
    )


def wire(rt: Runtime) -> Wiring:
    policy = make_policy(rt.settings)
    return Wiring(
        consumers=[
            rt.consumer(
                "matcher", ROUTES, UnitOfWork, policy, ahead=handlers.goals_ahead
            )
        ],
        jobs=[
            *jobs.jobs(rt.pool, policy, rt.settings),
            rt.purge_job(lambda keep: use_cases.purge(UnitOfWork(rt.pool), keep)),
        ],
    )
