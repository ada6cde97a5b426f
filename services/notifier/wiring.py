"""The notifier process: what it consumes and what runs periodically."""

from services.notifier import handlers, render
from services.notifier.sender import Sender
from shared import topics
from shared.fields import load_taxonomy
from shared.service import Job, Runtime, Wiring


def wire(rt: Runtime) -> Wiring:
    render.FIELD_LABELS.update(load_taxonomy(rt.settings.fields_file).fields)
    consumer = rt.consumer(
        "notifier",
        [topics.MATCHES, topics.HOST_RESPONSES, topics.INTRO_REQUESTS],
        handlers.build(rt.settings),
    )
    sender = Sender(rt.pool, rt.settings)
    return Wiring(consumers=[consumer], jobs=[Job("send-mail", 0.2, sender.drain)])
