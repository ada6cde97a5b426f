"""The notifier process: what it consumes and what runs periodically."""

from services.notifier import handlers, use_cases
from services.notifier.render import Renderer
from services.notifier.sender import senders
from services.notifier.unit_of_work import UnitOfWork
from shared import topics
from shared.fields import load_taxonomy
from shared.i18n import Catalogs
from shared.service import Job, Runtime, Wiring

# topic -> event type -> handler
ROUTES = {
    topics.INTRO_REQUESTS: {
        "IntroRequested": handlers.intro_requested,
        "IntroCancelled": handlers.intro_cancelled,
        "RequesterForgotten": handlers.requester_forgotten,
        "ReferrerForgotten": handlers.referrer_forgotten,
    },
    topics.HOST_PROFILES: {
        "HostForgotten": handlers.host_forgotten,
        "HostCalendarStale": handlers.host_calendar_stale,
    },
    topics.HOST_RESPONSES: {
        "MatchAccepted": handlers.match_accepted,
        "MatchDeclined": handlers.match_declined,
    },
    topics.MATCHES: {
        "MatchProposed": handlers.match_proposed,
        "MatchExpired": handlers.match_expired,
        "RequestWaitlisted": handlers.request_waitlisted,
        "RequestUnmatched": handlers.request_unmatched,
    },
    topics.OPS_REQUESTS: {"MailRetryRequested": handlers.mail_retry_requested},
}


def wire(rt: Runtime) -> Wiring:
    renderer = Renderer(load_taxonomy(rt.settings.fields_file), Catalogs())
    sending = [
        Job(f"send-mail-{n}", 0.2, sender.drain)
        for n, sender in enumerate(senders(rt.pool, rt.settings, renderer), 1)
    ]
    return Wiring(
        consumers=[rt.consumer("notifier", ROUTES, UnitOfWork, rt.settings)],
        jobs=[
            *sending,
            rt.purge_job(lambda keep: use_cases.purge(UnitOfWork(rt.pool), keep)),
        ],
    )
