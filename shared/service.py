"""What every service process does around its own logic.

Start: read the settings (a bad one stops the process with one line naming
it), serve `/healthz`, `/readyz` and `/metrics` at once, then in the
background migrate the schema and create the topics, retrying while the
database or the broker is down; once both are there, start the outbox relay,
the consumers and the periodic jobs. SIGTERM or SIGINT: let each consumer
finish the message in hand and commit, stop the rest, exit 0.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import waitress
from flask import Flask

from shared import config, logs, migrations
from shared import kafka as kafka_clients
from shared.consumer import Consumer, Handler, replay_dead_letters
from shared.db import make_pool
from shared.health import Readiness, blueprint
from shared.relay import Relay
from shared.topics import Names

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    name: str
    settings: config.Settings
    pool: object
    names: Names
    readiness: Readiness

    def consumer(
        self, name: str, topics_: list[str], handlers: dict[str, Handler]
    ) -> Consumer:
        return Consumer(
            name=name,
            service=self.name,
            topics_=topics_,
            handlers=handlers,
            pool=self.pool,
            bootstrap=self.settings.kafka_bootstrap_servers,
            names=self.names,
        )


@dataclass
class Job:
    """A periodic task; it must be safe with several processes (SKIP LOCKED)."""

    name: str
    every_s: float
    run: Callable[[], object]


@dataclass
class Wiring:
    app: Flask | None = None
    consumers: list[Consumer] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    relay: bool = True


def load_settings_or_exit(service: str) -> config.Settings:
    try:
        return config.load()
    except config.ConfigError as exc:
        print(f"{service}: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


def run(
    name: str,
    port_of: Callable[[config.Settings], int],
    wire: Callable[[Runtime], Wiring],
) -> None:
    settings = load_settings_or_exit(name)
    logs.setup(name, settings.log_level)
    pool = make_pool(settings.database_url, name=name)
    pool.open(wait=False)
    runtime = Runtime(
        name,
        settings,
        pool,
        Names(settings.topic_prefix),
        Readiness(settings.database_url, settings.kafka_bootstrap_servers),
    )
    wiring = wire(runtime)
    app = wiring.app or Flask(name)
    app.register_blueprint(blueprint(runtime.readiness, name))

    stopping = threading.Event()
    server = waitress.create_server(
        app, host=settings.bind_host, port=port_of(settings), threads=8, ident=name
    )
    threading.Thread(target=server.run, name="http", daemon=True).start()
    log.info("%s listening on %s:%s", name, settings.bind_host, port_of(settings))

    relay = Relay(
        settings.database_url, name, settings.kafka_bootstrap_servers, runtime.names
    )
    threads: list[threading.Thread] = []

    def start_when_ready():
        backoff = 0.5
        while not stopping.is_set():
            try:
                migrations.migrate(settings.database_url)
                kafka_clients.ensure_topics(
                    settings.kafka_bootstrap_servers,
                    runtime.names.all(),
                    settings.topic_partitions,
                )
                break
            except Exception as exc:
                log.warning(
                    "%s waiting for its dependencies: %s",
                    name,
                    str(exc).strip() or type(exc).__name__,
                )
                stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        if stopping.is_set():
            return
        if wiring.relay:
            relay.start()
        for consumer in wiring.consumers:
            consumer.start()
        replays = [
            Job(f"replay-{c.name}", 2.0, functools.partial(replay_dead_letters, c))
            for c in wiring.consumers
        ]
        for job in wiring.jobs + replays:
            t = threading.Thread(
                target=_repeat,
                args=(job, stopping),
                name=f"job-{job.name}",
                daemon=True,
            )
            t.start()
            threads.append(t)
        log.info(
            "%s started: %d consumer(s), %d job(s)",
            name,
            len(wiring.consumers),
            len(wiring.jobs),
        )

    starter = threading.Thread(target=start_when_ready, name="starter", daemon=True)
    starter.start()

    def on_signal(signum, _frame):
        log.info("%s: received %s, stopping", name, signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    stopping.wait()
    starter.join(5)
    for consumer in wiring.consumers:
        consumer.stop()
    for t in threads:
        t.join(10)
    relay.stop()
    server.close()
    pool.close()
    log.info("%s stopped", name)


def _repeat(job: Job, stopping: threading.Event) -> None:
    while not stopping.wait(job.every_s):
        try:
            job.run()
        except Exception:
            log.exception("job %s failed; it will run again", job.name)
