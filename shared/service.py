"""What every service process does around its own logic.

Start (`prepare`, the one start-up path of every process, whatever serves
it): read the settings (a bad one stops the process with one line naming
it), set up the logs, the pool and the readiness check, and wire the
service. Then (`run`) serve `/healthz`, `/readyz` and `/metrics` at once and
(`start_background`) in the background migrate the schema and create the
topics, retrying while the database or the broker is down; once both are
there, start the outbox relay, the consumers and the periodic jobs. SIGTERM
or SIGINT: let each consumer finish the message in hand and commit, stop the
rest, exit 0.
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
from shared.consumer import Consumer, Routes, replay_dead_letters
from shared.db import make_pool
from shared.health import Readiness, blueprint
from shared.relay import Relay
from shared.retention import Retention
from shared.topics import Names

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    name: str
    settings: config.Settings
    pool: object
    names: Names
    readiness: Readiness

    def retention(self) -> Retention:
        """RETAIN_*, and how long the broker keeps the topics: handled events
        stay in the inbox beyond it (kept for now when the broker cannot say)."""
        try:
            longest = kafka_clients.longest_retention(
                kafka_clients.Brokers.of(self.settings), self.names.all()
            )
        except Exception as exc:
            log.warning("topic retention unknown, inbox kept: %s", type(exc).__name__)
            longest = None
        return Retention.of(self.settings, longest)

    def purge_job(self, purge: Callable[[Retention], object]) -> Job:
        """The periodic purge of what the service owns (PURGE_INTERVAL)."""
        return Job(
            "purge", self.settings.purge_interval_s, lambda: purge(self.retention())
        )

    def consumer(
        self, name: str, routes: Routes, unit_of_work: type, deps=None, ahead=None
    ) -> Consumer:
        return Consumer(
            name=name,
            service=self.name,
            routes=routes,
            unit_of_work=unit_of_work,
            deps=deps,
            pool=self.pool,
            bootstrap=kafka_clients.Brokers.of(self.settings),
            names=self.names,
            batch=self.settings.consumer_batch,
            ahead=ahead,
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
        return config.load(service=service)
    except config.ConfigError as exc:
        print(f"{service}: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


def prepare(
    name: str, wire: Callable[[Runtime], Wiring]
) -> tuple[Runtime, Wiring, Flask]:
    """Settings, logs, pool, readiness and the service's wiring; the app
    with `/healthz`, `/readyz` and `/metrics` on it."""
    settings = load_settings_or_exit(name)
    logs.setup(name, settings.log_level)
    pool = make_pool(settings.database_url, name=name, max_size=settings.pool_size)
    pool.open(wait=False)
    runtime = Runtime(
        name,
        settings,
        pool,
        Names(settings.topic_prefix),
        Readiness(settings.database_url, kafka_clients.Brokers.of(settings)),
    )
    wiring = wire(runtime)
    app = wiring.app or Flask(name)
    app.register_blueprint(blueprint(runtime.readiness, name))
    return runtime, wiring, app


class Workers:
    """The relay, the consumers and the jobs of one process, started once
    the database and the broker are there."""

    def __init__(self, runtime: Runtime, wiring: Wiring):
        self.runtime = runtime
        self.wiring = wiring
        self.stopping = threading.Event()
        s = runtime.settings
        self.relay = Relay(
            s.database_url, runtime.name, kafka_clients.Brokers.of(s), runtime.names
        )
        self.threads: list[threading.Thread] = []
        self.starter = threading.Thread(
            target=self._start_when_ready, name="starter", daemon=True
        )

    def start(self) -> Workers:
        self.starter.start()
        return self

    def _start_when_ready(self) -> None:
        s, name = self.runtime.settings, self.runtime.name
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                migrations.migrate(s.database_url)
                retention_ms = int(s.personal_data_retention.total_seconds() * 1000)
                kafka_clients.ensure_topics(
                    kafka_clients.Brokers.of(s),
                    self.runtime.names.all(),
                    s.topic_partitions,
                    self.runtime.names.configs(retention_ms),
                    replication=s.topic_replication,
                )
                break
            except Exception as exc:
                log.warning(
                    "%s waiting for its dependencies: %s",
                    name,
                    str(exc).strip() or type(exc).__name__,
                )
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, 5.0)
        if self.stopping.is_set():
            return
        if self.wiring.relay and s.outbox_relay:
            self.relay.start()
        for consumer in self.wiring.consumers:
            consumer.start()
        replays = [
            Job(f"replay-{c.name}", 2.0, functools.partial(replay_dead_letters, c))
            for c in self.wiring.consumers
        ]
        for job in self.wiring.jobs + replays:
            t = threading.Thread(
                target=_repeat,
                args=(job, self.stopping),
                name=f"job-{job.name}",
                daemon=True,
            )
            t.start()
            self.threads.append(t)
        log.info(
            "%s started: %d consumer(s), %d job(s)",
            name,
            len(self.wiring.consumers),
            len(self.wiring.jobs),
        )

    def stop(self) -> None:
        self.stopping.set()
        self.starter.join(5)
        for consumer in self.wiring.consumers:
            consumer.stop()
        for t in self.threads:
            t.join(10)
        self.relay.stop()


def run(
    name: str,
    port_of: Callable[[config.Settings], int],
    wire: Callable[[Runtime], Wiring],
) -> None:
    runtime, wiring, app = prepare(name, wire)
    settings = runtime.settings
    stopping = threading.Event()

    def on_signal(signum, _frame):
        log.info("%s: received %s, stopping", name, signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = waitress.create_server(
        app, host=settings.bind_host, port=port_of(settings), threads=8, ident=name
    )
    threading.Thread(target=server.run, name="http", daemon=True).start()
    log.info("%s listening on %s:%s", name, settings.bind_host, port_of(settings))
    workers = Workers(runtime, wiring).start()
    # Wake up now and then: a signal delivered to another thread runs its
    # handler only when the main thread next runs Python code.
    while not stopping.wait(0.5):
        pass
    workers.stop()
    server.close()
    runtime.pool.close()
    log.info("%s stopped", name)


def _repeat(job: Job, stopping: threading.Event) -> None:
    while not stopping.wait(job.every_s):
        try:
            job.run()
        except Exception:
            log.exception("job %s failed; it will run again", job.name)
