"""The matcher process: what it consumes and what runs periodically."""
from shared import topics
from shared.service import Runtime, Wiring


def wire(rt: Runtime) -> Wiring:
    handlers = {}
    consumer = rt.consumer("matcher", [topics.INTRO_REQUESTS, topics.HOST_PROFILES, topics.HOST_RESPONSES],
                           handlers)
    return Wiring(consumers=[consumer])
