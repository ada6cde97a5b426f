"""make bench: every benchmark, each printing its own figures.
`python -m bench NAME...` runs only the named ones."""

import os
import sys

# numpy on one BLAS thread, as the matcher and intake processes run it
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bench import (  # noqa: E402
    calendars,
    e2e,
    intake,
    matcher,
    meaning,
    notifier,
    pipeline,
    quality,
    slots,
)

BENCHES = {
    "pipeline": pipeline.main,
    "intake": intake.main,
    "matcher": matcher.main,
    "slots": slots.main,
    "notifier": notifier.main,
    "quality": quality.main,
    "calendars": calendars.main,
    "e2e": e2e.main,
    "meaning": meaning.main,
}

if __name__ == "__main__":
    names = [a for a in sys.argv[1:] if not a.startswith("--")]  # e2e: --accept
    for name in names or list(BENCHES):
        BENCHES[name]()
        print()
