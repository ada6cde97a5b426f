"""The matcher process. Its numpy work (reading words, fits) is small
matrices for one request at a time: one BLAS thread, set before numpy
loads. More threads only spin against the other processes of the machine
(`python -m bench e2e`: the matcher's CPU at 50 introductions/s went from
0.70 to 0.36 cores)."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from services.matcher.wiring import wire  # noqa: E402
from shared import service  # noqa: E402

if __name__ == "__main__":
    service.run("matcher", lambda s: s.matcher_port, wire)
