"""A free TCP port on the loopback interface, for the servers the project
starts itself (tests, benchmarks, the local broker)."""

from __future__ import annotations

import contextlib
import socket
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, what: str, timeout_s: float = 30) -> None:
    """Return once something accepts connections on `port` (loopback);
    RuntimeError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1),
        ):
            return
        time.sleep(0.1)  # the server starting, with a deadline
    raise RuntimeError(f"{what} did not start")
