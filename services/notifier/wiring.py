"""The notifier process: what it consumes and what runs periodically."""
from shared import topics
from shared.service import Runtime, Wiring


def wire(rt: Runtime) -> Wiring:
    handlers = {}
    consumer = rt.consumer("notifier", [topics.MATCHES, topics.HOST_RESPONSES, topics.INTRO_REQUESTS],
                           handlers)
    return Wiring(consumers=[consumer])
