"""WSGI entry point for servers such as gunicorn: `gunicorn services.intake.wsgi:app`.

The same start-up as `python -m services.intake` (settings, logs, pool,
wiring, health endpoints, then the outbox relay once the database and the
broker are there), served by the WSGI server instead of waitress. Each
worker has its own pool (`POOL_SIZE`) and, unless `OUTBOX_RELAY=off`, its
own relay thread (an advisory lock lets one publish at a time).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as `python -m services.intake`

from services.intake.wiring import wire  # noqa: E402
from shared import service  # noqa: E402

runtime, wiring, app = service.prepare("intake", wire)
workers = service.Workers(runtime, wiring).start()
