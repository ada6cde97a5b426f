"""How often one person may ask for what costs the model's time (field
suggestions, the directory's search by words): `PER_MINUTE` times in any
minute, per intake process; beyond, 429. Held in memory, on the app: the
bound is on one person's share of this process, not a quota."""

from __future__ import annotations

import threading
import time
from collections import deque

PER_MINUTE = 60  # a person typing a goal asks about twice a second at most
WINDOW = 60.0
PEOPLE = 10_000  # people remembered at most (the idle are dropped first)


class Throttle:
    def __init__(self, per_minute: int = PER_MINUTE, clock=time.monotonic) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self._asked: dict[str, deque] = {}
        self._lock = threading.Lock()

    def allow(self, who: str) -> bool:
        """Whether `who` may ask now (and count it if so)."""
        now = self.clock()
        with self._lock:
            asked = self._asked.setdefault(who, deque())
            while asked and asked[0] <= now - WINDOW:
                asked.popleft()
            if len(asked) >= self.per_minute:
                return False
            asked.append(now)
            if len(self._asked) > PEOPLE:
                self._forget_idle(now)
            return True

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, q in self._asked.items() if not q or q[-1] <= now - WINDOW]
        for k in idle or list(self._asked)[: len(self._asked) // 2]:
            del self._asked[k]
