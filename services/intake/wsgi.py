"""WSGI entry point for servers such as gunicorn: `gunicorn services.intake.wsgi:app`.

Each worker gets its own pool and, unless OUTBOX_RELAY=off, its own outbox
relay thread (an advisory lock lets one publish at a time). The schema must
already be migrated (`make migrate`, or any service process at start).
`python -m services.intake` remains the simplest way to run intake.
"""

import os

from services.intake.app import create_app
from shared import logs
from shared.db import make_pool
from shared.health import Readiness
from shared.relay import Relay
from shared.service import Runtime, load_settings_or_exit
from shared.topics import Names

settings = load_settings_or_exit("intake")
logs.setup("intake", settings.log_level)
pool = make_pool(
    settings.database_url, name="intake", max_size=int(os.environ.get("POOL_SIZE", "8"))
)
pool.open(wait=False)
runtime = Runtime(
    "intake",
    settings,
    pool,
    Names(settings.topic_prefix),
    Readiness(settings.database_url, settings.kafka_bootstrap_servers),
)
app = create_app(runtime)
from shared.health import blueprint  # noqa: E402

app.register_blueprint(blueprint(runtime.readiness, "intake"))
if os.environ.get("OUTBOX_RELAY", "on") != "off":
    Relay(
        settings.database_url, "intake", settings.kafka_bootstrap_servers, runtime.names
    ).start()
