"""Helpers for tests: polling with a deadline, services as real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

from devstack import proc

ROOT = Path(__file__).resolve().parent.parent


def wait_for(
    predicate,
    timeout_s: float = 30,
    interval_s: float = 0.05,
    message: str = "condition",
):
    """Poll `predicate` until it returns something truthy; fail after the deadline."""
    deadline = time.monotonic() + timeout_s
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the thing polled may not be up yet
            last_exc = exc
        time.sleep(interval_s)
    raise AssertionError(
        f"timed out after {timeout_s}s waiting for {message}"
        + (f" (last error: {last_exc!r})" if last_exc else "")
    )


class ServiceProcess:
    """One of the three services, run as `python -m services.<name>`."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name = name
        self.env = env
        self.port = int(env[f"{name.upper()}_PORT"])
        self.log_path = Path(log_dir) / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True) -> ServiceProcess:
        log = open(self.log_path, "ab")
        self.process = proc.popen(
            [sys.executable, "-m", f"services.{self.name}"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=False,
        )
        log.close()
        if wait_ready:
            try:
                self.wait_ready()
            except BaseException:
                self.kill()  # never leave a half-started service behind
                raise
        return self

    def wait_ready(self, timeout_s: float = 60) -> None:
        def ready():
            if self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited {self.process.returncode}: {self.log()[-2000:]}"
                )
            return requests.get(self.url + "/readyz", timeout=2).status_code == 200

        try:
            wait_for(ready, timeout_s, 0.1, f"{self.name} /readyz")
        except AssertionError as exc:
            raise AssertionError(
                f"{exc}\n--- {self.name} log ---\n{self.log()[-3000:]}"
            ) from None

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )

    def stop(self, timeout_s: float = 30) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.terminate()
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


# Keys with the randomness the settings demand (shared/config.secret_bits).
TEST_SECRET_KEY = "Xk7qLm2-Vb9Rz4Tw8Pn1Hs6Jd3Fg5Yc0Ae_Ui"
TEST_CALENDAR_KEY = "Qz8-Lm3vRt6Wp1Ks9Hd4Fb7Yc2Ng5Jx0Ue_Ai"


def base_env(**overrides) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "KAFKA_", "DATABASE_"))
    }
    env.update(
        SECRET_KEY=TEST_SECRET_KEY,
        CALENDAR_KEY=TEST_CALENDAR_KEY,
        AUTH_MODE="dev",
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
        TOPIC_PARTITIONS="3",
        CALENDAR_ALLOWED_SERVERS="127.0.0.1:*,localhost:*",  # the feeds and Radicale
    )
    env.update({k: str(v) for k, v in overrides.items()})
    return env
