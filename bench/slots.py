"""Slot search benchmark: `slots.weekly_occurrences`, the walk every
candidate of every request takes, on random hosts' weeks, beside the
simplest conversion measured in the same run: each entry turned into
instants with the zone's offset at its own start and end (`one_offset`,
as the search did until 2 December), which is wrong on the days a clock
changes and is here only as the floor of what a walk can cost."""

from __future__ import annotations

import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.matcher import ZONES, weekly
from shared import slots

CASES = 3_000
PASSES = 5
START = datetime(2026, 11, 16, 6, tzinfo=UTC)  # weeks with clock changes ahead


def one_offset(weekly_entries, tz, start, end):
    """The intervals of `weekly_entries` touching [start, end), each entry
    converted with one offset at its start and one at its end, merged."""
    by_day: dict = {}
    for w in weekly_entries:
        by_day.setdefault(w.weekday, []).append(w)

    def pieces():
        day = start.astimezone(tz).date() - timedelta(days=1)
        last = end.astimezone(tz).date()
        while day <= last:
            for w in by_day.get(day.weekday(), ()):
                until = day + timedelta(days=1) if w.overnight else day
                yield (
                    datetime.combine(day, w.start, tzinfo=tz).astimezone(UTC),
                    datetime.combine(until, w.end, tzinfo=tz).astimezone(UTC),
                )
            day += timedelta(days=1)

    return slots.merged(pieces(), start, end)


def cases(rnd: random.Random) -> list:
    """Random hosts' weeks (as the matcher benchmark makes them) in its
    zones, each over a horizon of 2 hours to 5 days within 20 weeks."""
    out = []
    for _ in range(CASES):
        start = START + timedelta(hours=rnd.randint(0, 24 * 7 * 20))
        end = start + timedelta(hours=rnd.randint(2, 24 * 5))
        out.append(
            (slots.parse_weekly(weekly(rnd)), ZoneInfo(rnd.choice(ZONES)), start, end)
        )
    return out


def walk(search, data: list) -> tuple[float, list]:
    """Microseconds a call, and every interval found."""
    t = time.perf_counter()
    found = [list(search(w, tz, s, e)) for w, tz, s, e in data]
    return (time.perf_counter() - t) / len(data) * 1e6, found


def main() -> None:
    print("slot search benchmark")
    data = cases(random.Random(11))
    times: dict = {"weekly_occurrences": [], "one offset": []}
    for _ in range(PASSES):  # alternately: the machine's noise falls on both
        exact, found = walk(slots.weekly_occurrences, data)
        floor, naive = walk(one_offset, data)
        times["weekly_occurrences"].append(exact)
        times["one offset"].append(floor)
    a, b = (statistics.median(t) for t in times.values())
    same = found == naive  # daytime hours: no clock changes inside them
    print(
        f"  {CASES} hosts' weeks over 2 hours to 5 days, medians of {PASSES}"
        f" passes: weekly_occurrences {a:5.1f} µs a call; one offset per entry,"
        f" same run, {b:5.1f} µs (x{a / b:.2f}); the same intervals: {same}"
    )


if __name__ == "__main__":
    main()
