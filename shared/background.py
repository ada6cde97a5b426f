"""A loop in a daemon thread that backs off and retries while what it needs is down."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class Background:
    first_backoff_s = 0.5
    max_backoff_s = 5.0

    def __init__(self, thread_name: str):
        self.thread_name = thread_name
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self):
        self._thread = threading.Thread(
            target=self.run, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 30) -> None:
        self.stopping.set()
        if self._thread:
            self._thread.join(timeout)
        self.after_stop()

    def run(self) -> None:
        backoff = self.first_backoff_s
        while not self.stopping.is_set():
            try:
                self.serve()
                backoff = self.first_backoff_s
            except Exception as exc:  # broker or database down: wait and retry
                log.warning("%s: %s; retrying in %.1fs", self.thread_name, exc, backoff)
                self.after_failure()
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff_s)

    def serve(self) -> None:
        """Work until stopped; raise to be retried after a back-off."""
        raise NotImplementedError

    def after_failure(self) -> None:
        pass

    def after_stop(self) -> None:
        pass
