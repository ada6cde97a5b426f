"""The matcher process: what it consumes and what runs periodically."""

import sys

from services.matcher import options
from services.matcher.handlers import handlers
from services.matcher.jobs import Jobs
from services.matcher.matching import Matcher
from shared import fields, topics
from shared.config import ConfigError
from shared.service import Job, Runtime, Wiring


def make_matcher(settings) -> Matcher:
    return Matcher(
        taxonomy=fields.load_taxonomy(settings.fields_file),
        response_timeout=settings.response_timeout,
        lead=settings.min_lead_time,
    )


def wire(rt: Runtime) -> Wiring:
    try:
        every = options.intervals()
    except ConfigError as exc:
        print(f"matcher: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    matcher = make_matcher(rt.settings)
    consumer = rt.consumer(
        "matcher",
        [topics.INTRO_REQUESTS, topics.HOST_PROFILES, topics.HOST_RESPONSES],
        handlers(matcher),
    )
    jobs = Jobs(rt.pool, matcher)
    return Wiring(
        consumers=[consumer],
        jobs=[
            Job("expire-invitations", every.expiry_s, jobs.expire),
            Job("retry-waitlist", every.retry_s, jobs.retry),
            Job("unmatch-passed", every.give_up_s, jobs.give_up),
            Job("complete-meetings", every.completion_s, jobs.complete),
        ],
    )
