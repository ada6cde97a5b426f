"""How often one person may ask for what costs the model's time (field
suggestions, the directory's search by words): a bucket of `BURST` asks
per person, filled again at `PER_SECOND` (60 a minute), per intake
process; an empty bucket is 429 with `Retry-After`. Held in memory, on the
app: the bound is on one person's share of this process, not a quota."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

BURST = 10  # asks at once (a person typing asks twice a second at most)
PER_SECOND = 1.0
PEOPLE = 10_000  # people remembered at most: the longest unseen go first


class Throttle:
    def __init__(
        self, burst: int = BURST, per_second: float = PER_SECOND, clock=time.monotonic
    ) -> None:
        self.burst = burst
        self.per_second = per_second
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, who: str) -> bool:
        """Whether `who` may ask now (and count it if so)."""
        return self.wait_for(who) == 0

    def wait_for(self, who: str) -> int:
        """0 if `who` may ask now (counted); else the seconds until they may."""
        now = self.clock()
        with self._lock:
            level, at = self._buckets.pop(who, (float(self.burst), now))
            level = min(self.burst, level + (now - at) * self.per_second)
            if level >= 1:
                self._buckets[who] = (level - 1, now)
                wait = 0
            else:
                self._buckets[who] = (level, now)
                wait = math.ceil((1 - level) / self.per_second)
            while len(self._buckets) > PEOPLE:
                self._buckets.popitem(last=False)
            return wait
