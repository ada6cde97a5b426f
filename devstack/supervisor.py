"""`make run`: start what the settings do not point elsewhere, then the
three services, and keep them running.

- PostgreSQL (embedded, data under `.run/postgres`) unless DATABASE_URL is set;
- Kafka (KRaft, data under `.run/kafka`, 127.0.0.1:9092) unless
  KAFKA_BOOTSTRAP_SERVERS is set;
- the SMTP sink (127.0.0.1:1025, mail under `.run/mail`) unless SMTP_HOST is set;
- a CalDAV server (Radicale, 127.0.0.1:5232, user and password `demo`, data
  under `.run/radicale`) unless LOCAL_CALDAV_PORT=off;
- SECRET_KEY generated once into `.run/secret_key` unless set;
- AUTH_MODE=dev unless set (the services then bind a loopback address only).

A service that dies is started again after a back-off (1 s doubling to 30 s,
reset once it has run a minute); one that exits with status 2 (a bad setting)
stops everything. Ctrl-C or SIGTERM stops the services, then the sink, the
broker and the database, and leaves no process behind.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

from devstack import proc
from devstack.kafka import Broker
from devstack.postgres import Postgres
from shared import config

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "matcher", "notifier")
DEMO_CALDAV_USER = "demo"  # of the local CalDAV server, for trying calendars


def say(message: str) -> None:
    print(f"[make run] {time.strftime('%H:%M:%S')} {message}", flush=True)


@dataclass
class Supervised:
    name: str
    args: list[str]
    env: dict
    process: object = None
    started_at: float = 0.0
    backoff_s: float = 1.0
    restart_at: float | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = proc.popen(self.args, env=self.env, cwd=ROOT)
        self.started_at = time.monotonic()
        self.restart_at = None
        say(f"{self.name} started (pid {self.process.pid})")


def secret_key(run_dir: Path, name: str = "secret_key") -> str:
    """A random key kept in RUN_DIR, made on first use."""
    path = run_dir / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def service_env(env: dict, name: str, run_dir: Path) -> dict:
    """What one service is given: the common settings, and the variables
    only it may hold (CALENDAR_KEY, intake's alone)."""
    mine = {k: v for k, v in env.items() if name in config.REQUIRED_BY.get(k, (name,))}
    if name == "intake":
        mine.setdefault("CALENDAR_KEY", secret_key(run_dir, "calendar_key"))
    return mine


def main() -> int:
    load_dotenv(ROOT / ".env", override=False)
    run_dir = Path(os.environ.get("RUN_DIR", ROOT / ".run"))
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = open(run_dir / ".lock", "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(
            f"another `make run` is using {run_dir}; stop it first (or set RUN_DIR)",
            file=sys.stderr,
        )
        return 1
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", secret_key(run_dir))
    env.setdefault("AUTH_MODE", "dev")  # on this machine, bound to 127.0.0.1
    # the local CalDAV server is the one non-public calendar server to read
    caldav_port = env.get("LOCAL_CALDAV_PORT", "5232")
    if caldav_port != "off":
        env.setdefault("CALENDAR_ALLOWED_SERVERS", f"127.0.0.1:{caldav_port}")
    env["PYTHONUNBUFFERED"] = "1"

    # Check every setting before starting anything (placeholders for what we start).
    probe = dict(env)
    probe.setdefault("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/matchmaker")
    probe.setdefault("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    try:
        config.load(service_env(probe, "intake", run_dir), service="intake")
    except config.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2

    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())

    infra = []
    services: list[Supervised] = []
    try:
        if not env.get("DATABASE_URL"):
            t = time.monotonic()
            pg = Postgres(
                run_dir / "postgres",
                port=int(env.get("EMBEDDED_POSTGRES_PORT", "55432")),
            )
            infra.append(pg)
            pg.start()
            env["DATABASE_URL"] = pg.url()
            say(
                f"PostgreSQL ready at {pg.url()} in {time.monotonic() - t:.1f}s (pid {pg.process.pid}, log {pg.log_file})"
            )
        if not env.get("KAFKA_BOOTSTRAP_SERVERS"):
            t = time.monotonic()
            broker = Broker(
                run_dir / "kafka",
                port=int(env.get("EMBEDDED_KAFKA_PORT", "9092")),
                controller_port=int(env.get("EMBEDDED_KAFKA_CONTROLLER_PORT", "9093")),
            )
            infra.append(broker)
            broker.start()
            env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap
            say(
                f"Kafka ready at {broker.bootstrap} in {time.monotonic() - t:.1f}s (pid {broker.process.pid},"
                f" log {broker.log_file})"
            )
        if not env.get("SMTP_HOST"):
            sink_port = env.get("MAIL_SINK_PORT", "1025")
            sink = Supervised(
                "mail sink",
                [
                    sys.executable,
                    "-m",
                    "devstack.mailsink",
                    "--folder",
                    str(run_dir / "mail"),
                    "--port",
                    sink_port,
                ],
                env,
            )
            sink.start()
            infra.append(sink)
            env["SMTP_HOST"], env["SMTP_PORT"], env["SMTP_SECURITY"] = (
                "127.0.0.1",
                sink_port,
                "none",
            )
            env["MAIL_SINK_DIR"] = str(
                run_dir / "mail"
            )  # the ops pages show what the sink holds
        caldav_port = env.get("LOCAL_CALDAV_PORT", "5232")
        if caldav_port != "off":
            radicale = Supervised(
                "CalDAV server",
                [sys.executable, "-m", "devstack.radicale", "--folder",
                 str(run_dir / "radicale"), "--port", caldav_port,
                 "--user", f"{DEMO_CALDAV_USER}:{DEMO_CALDAV_USER}",
                 "--demo-calendar", DEMO_CALDAV_USER],
                env,
            )  # fmt: skip
            radicale.start()
            infra.append(radicale)
            say(
                f"CalDAV server (Radicale) on http://127.0.0.1:{caldav_port}/, user"
                f" and password {DEMO_CALDAV_USER!r}, with a calendar to connect at"
                f" http://127.0.0.1:{caldav_port}/{DEMO_CALDAV_USER}/work/"
                f" (docs/calendars.md)"
            )
        for name in SERVICES:
            s = Supervised(name, [sys.executable, "-m", f"services.{name}"],
                           service_env(env, name, run_dir))  # fmt: skip
            s.start()
            services.append(s)
        say(
            f"intranet and API on {env.get('PUBLIC_BASE_URL', 'http://127.0.0.1:8000')}; Ctrl-C stops everything"
        )
        return watch(services, stopping)
    finally:
        say("stopping")
        for s in services:
            proc.terminate(s.process)
        for part in reversed(infra):
            if isinstance(part, Supervised):
                proc.terminate(part.process)
            else:
                part.stop()
        say("stopped")


def watch(services: list[Supervised], stopping: threading.Event) -> int:
    while not stopping.wait(0.5):
        now = time.monotonic()
        for s in services:
            if s.restart_at is not None:
                if now >= s.restart_at:
                    s.restarts += 1
                    s.start()
                continue
            code = s.process.poll()
            if code is None:
                if now - s.started_at > 60:
                    s.backoff_s = 1.0
                continue
            if code == 2:
                say(f"{s.name} refused its configuration (exit 2); stopping")
                return 2
            say(f"{s.name} exited with status {code}; restarting in {s.backoff_s:.0f}s")
            s.restart_at = now + s.backoff_s
            s.backoff_s = min(s.backoff_s * 2, 30.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
