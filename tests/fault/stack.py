"""The whole service as `make run` runs it, with every part in reach of a fault.

PostgreSQL, the Kafka broker and the SMTP sink are started here (their own,
not the test session's: they are stopped, frozen and killed), and the
supervisor of `make run` (devstack/supervisor.py) is pointed at them; it
starts the three services and starts again any that dies.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import requests

from devstack import proc
from devstack.ports import free_port
from devstack.postgres import Postgres
from shared.migrations import migrate
from tests import infra
from tests.support import ROOT, base_env, wait_for

SERVICES = ("intake", "matcher", "notifier")
STARTED = re.compile(r"\] \S+ (intake|matcher|notifier) started \(pid (\d+)\)")


class Stack:
    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.mail_dir = self.workdir / "mail"
        self.smtp_port = free_port()
        self.ports = {name: free_port() for name in SERVICES}
        self.pg: Postgres | None = None
        self.broker = None
        self.sink: subprocess.Popen | None = None
        self.supervisor: subprocess.Popen | None = None
        self.log_path = self.workdir / "make-run.log"

    # -- starting and stopping everything ----------------------------------
    def start(self) -> Stack:
        # durable commits, as in production: an immediate stop loses none
        self.pg = Postgres(self.workdir / "pg", port=free_port()).start()
        migrate(self.database_url)
        self.broker = infra.local_kafka(self.workdir / "kafka")
        self.start_smtp()
        env = base_env(
            RUN_DIR=str(self.workdir / "run"),
            DATABASE_URL=self.database_url,
            KAFKA_BOOTSTRAP_SERVERS=self.broker.bootstrap,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=self.smtp_port,
            SMTP_SECURITY="none",
            LOCAL_CALDAV_PORT="off",
            SUBMISSIONS_PER_HOUR="1000",
            **{f"{name.upper()}_PORT": port for name, port in self.ports.items()},
        )
        log = open(self.log_path, "ab")
        self.supervisor = proc.popen(
            [sys.executable, "-m", "devstack", "run"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        for name in SERVICES:
            self.wait_ready(name, 90)
        return self

    def stop(self) -> None:
        if self.broker is not None and self.broker.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.broker.process.pid, signal.SIGCONT)
        proc.terminate(self.supervisor, timeout_s=30)
        proc.terminate(self.sink)
        if self.broker is not None:
            self.broker.stop()
        if self.pg is not None:
            self.pg.stop()

    @property
    def database_url(self) -> str:
        return self.pg.url()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def ready(self, name: str) -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(self.url(name) + "/readyz", timeout=2).ok
        return False

    def wait_ready(self, name: str, timeout_s: float = 60) -> None:
        wait_for(lambda: self.ready(name), timeout_s, 0.2, f"{name} ready")

    # -- the services, under the supervisor ---------------------------------
    def pid(self, name: str) -> int:
        """The process of `name` the supervisor started last."""
        pids = [int(p) for n, p in STARTED.findall(self.log()) if n == name]
        assert pids, f"{name} never started:\n{self.log()[-3000:]}"
        return pids[-1]

    def kill(self, name: str) -> None:
        """SIGKILL the service; wait until the supervisor has started another
        and it is ready."""
        old = self.pid(name)
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: self.pid(name) != old, 30, 0.1, f"{name} restarted")
        self.wait_ready(name, 60)

    # -- the broker --------------------------------------------------------
    def freeze_broker(self) -> None:
        os.kill(self.broker.process.pid, signal.SIGSTOP)

    def thaw_broker(self) -> None:
        os.kill(self.broker.process.pid, signal.SIGCONT)

    # -- the database ------------------------------------------------------
    def stop_postgres_immediately(self) -> None:
        """`pg_ctl stop -m immediate`: no checkpoint, connections cut; the
        next start recovers from the write-ahead log."""
        self.pg.process.send_signal(signal.SIGQUIT)
        self.pg.process.wait(30)

    def start_postgres(self) -> None:
        self.pg.start()

    # -- the mail server ---------------------------------------------------
    def start_smtp(self) -> None:
        self.sink = proc.popen(
            [sys.executable, "-m", "devstack.mailsink", "--folder",
             str(self.mail_dir), "--port", str(self.smtp_port)],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._smtp_answers, 30, 0.1, "the SMTP sink listening")

    def stop_smtp(self) -> None:
        proc.terminate(self.sink)

    def _smtp_answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1):
            return True
