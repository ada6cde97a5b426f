"""The intake process. Its numpy work (reading a goal or a query, scoring
hosts' words) is small matrices for one person at a time: one BLAS thread,
set before numpy loads, as in the matcher."""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from services.intake.wiring import wire  # noqa: E402
from shared import service  # noqa: E402

if __name__ == "__main__":
    service.run("intake", lambda s: s.intake_port, wire)
