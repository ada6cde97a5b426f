"""Child processes that die with their parent (Linux PR_SET_PDEATHSIG)."""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(
                _PR_SET_PDEATHSIG, signal.SIGTERM
            )
        except OSError:
            pass


def popen(args, **kwargs) -> subprocess.Popen:
    kwargs.setdefault("start_new_session", True)
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.Popen(args, preexec_fn=_die_with_parent, **kwargs)


def terminate(
    process: subprocess.Popen | None, timeout_s: float = 15, sig=signal.SIGTERM
) -> None:
    """Ask a child to stop, then kill it (and its session) if it will not."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
