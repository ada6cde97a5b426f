"""The earliest meeting slot a host and a requester share.

Pure functions on aware datetimes. The host's weekly availability is wall
time in the host's zone: each weekly entry is turned into real instants day
by day with `zoneinfo`, so a DST change moves it the way a wall clock does:
an entry holds the instants at which the host's clock reads inside it, none
of an hour the clock skips and, of an hour it repeats, each reading inside.
An entry whose end is "24:00", or not after its start, runs into the next day.
Most days a zone keeps one offset from midnight to midnight; the search reads
each day's midnight once and converts only the days where it changes with
care. That rests on a fact of the tz database: no zone changes its offset
twice within 48 hours (the closest two changes are 95 hours apart).
The search stops `MAX_SEARCH_DAYS` after its earliest start, so its work is
bounded whatever the windows say.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.statuses import DAYS

UTC = UTC
STEP = timedelta(minutes=15)  # slots start on a quarter hour when they can
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
# The slot search looks this far past `not_before` and no further, whatever
# the windows: a window ending decades ahead costs no more than a year's walk.
MAX_SEARCH_DAYS = 366
ANY_ZONE = timedelta(hours=14)  # no wall clock is further from UTC (UTC+14, UTC-12)
ANYWHERE = "*"  # `Reach.days` of a zone not listed


@dataclass(frozen=True)
class Weekly:
    weekday: int  # 0 = Monday
    start: time
    end: time
    overnight: bool  # the end is on the next day


def parse_weekly(entries: Iterable[dict]) -> tuple[Weekly, ...]:
    out = []
    for e in entries:
        start = _clock(e["start"])
        if e["end"] == "24:00":
            end, overnight = time(0, 0), True
        else:
            end = _clock(e["end"])
            overnight = end <= start
        out.append(Weekly(DAYS.index(e["day"]), start, end, overnight))
    return tuple(sorted(out, key=lambda w: (w.weekday, w.start)))


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def parse_windows(entries: Iterable[dict]) -> tuple[tuple[datetime, datetime], ...]:
    """[{"start": iso, "end": iso}] → sorted (start, end) pairs in UTC."""
    out = []
    for e in entries:
        s, t = _instant(e["start"]), _instant(e["end"])
        if t > s:
            out.append((s, t))
    return tuple(sorted(out))


def _instant(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(UTC)


def month_of(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m")


def next_month_start(instant: datetime, tz: ZoneInfo) -> datetime:
    local = instant.astimezone(tz)
    year, month = (
        (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    )
    return datetime(year, month, 1, tzinfo=tz).astimezone(UTC)


def weekly_occurrences(
    weekly: tuple[Weekly, ...], tz: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The host's available intervals (UTC) that touch [start, end), in order,
    adjacent or overlapping ones merged."""
    if weekly:
        yield from merged(_pieces(weekly, tz, start, end), start, end)


def _pieces(
    weekly: tuple[Weekly, ...], tz: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The intervals (UTC) of the weekly entries, day by day from the day
    before `start`'s to `end`'s in `tz`, in order of their starts."""
    by_day: dict[int, list[Weekly]] = {}
    for w in weekly:
        by_day.setdefault(w.weekday, []).append(w)
    day = start.astimezone(tz).date() - timedelta(days=1)
    # the last wall date read before `end`: a clock set back across midnight
    # in the last day read a later date before the change than at `end`
    ahead = (end - timedelta(days=1)).astimezone(tz).utcoffset()
    last = (end + max(end.astimezone(tz).utcoffset(), ahead)).date()
    found: list[tuple[datetime, datetime]] = []  # a heap: not given yet
    while day <= last:
        for w in by_day.get(day.weekday(), ()):
            until = day + timedelta(days=1) if w.overnight else day
            for piece in _entry_instants(day, until, w, tz):
                heapq.heappush(found, piece)
        day += timedelta(days=1)
        # a piece of a later day starts when the clock reads that day; one of
        # this day may start later (a clock set back repeats the hour it ends in)
        ready = (
            datetime.combine(day, time(), tzinfo=UTC) - max(_midnight(tz, day))
            if day <= last
            else end
        )
        while found and found[0][0] < ready:
            yield heapq.heappop(found)


def merged(
    pieces: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """`pieces` (in order of their starts) that touch [start, end),
    adjacent or overlapping ones merged."""
    pending = None
    for s, e in pieces:
        if e <= start or s >= end or e <= s:
            continue
        if pending and s <= pending[1]:
            pending = (pending[0], max(pending[1], e))
            continue
        if pending:
            yield pending
        pending = (s, e)
    if pending:
        yield pending


@functools.lru_cache(maxsize=4096)  # a pure function of the tz database
def _midnight(tz: ZoneInfo, day: date) -> tuple[timedelta, timedelta]:
    """The zone's UTC offsets (fold 0 and 1) at the wall midnight that
    starts `day`: read once for every host of the zone."""
    wall = datetime.combine(day, time())
    return (
        wall.replace(tzinfo=tz).utcoffset(),
        wall.replace(tzinfo=tz, fold=1).utcoffset(),
    )


def _entry_instants(
    day: date, until: date, w: Weekly, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The intervals (UTC) of entry `w` held on `day` (ending on `until`).
    Most days the zone keeps one offset from the midnight that starts `day`
    to the one that ends `until`: the entry is that offset from its wall
    times. Otherwise the clock changes inside it: `_wall_instants`."""
    offsets = {*_midnight(tz, day), *_midnight(tz, until + timedelta(days=1))}
    if until != day:
        offsets.update(_midnight(tz, until))
    if len(offsets) > 1:
        return _wall_instants(
            datetime.combine(day, w.start), datetime.combine(until, w.end), tz
        )
    offset = offsets.pop()
    return [
        (
            datetime.combine(day, w.start, tzinfo=UTC) - offset,
            datetime.combine(until, w.end, tzinfo=UTC) - offset,
        )
    ]


def _wall_instants(
    start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """The intervals (UTC) in which a wall clock in `tz` reads from `start` to
    before `end` (naive): none if the clock skips it all, two if the clock is
    set back across it and shows part of it twice."""
    offsets = {
        w.replace(tzinfo=tz, fold=f).utcoffset() for w in (start, end) for f in (0, 1)
    }
    if len(offsets) == 1:  # no change of offset between them (most days)
        offset = offsets.pop()
        return [(_utc(start, offset), _utc(end, offset))]
    first = _earliest(start, tz)
    last = max(end.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    before, after = first.astimezone(tz).utcoffset(), last.astimezone(tz).utcoffset()
    change = _offset_change(first, last, tz)
    pieces = [
        (_utc(start, before), min(_utc(end, before), change)),
        (max(_utc(start, after), change), _utc(end, after)),
    ]
    return [(s, e) for s, e in pieces if s < e]


def _earliest(wall: datetime, tz: ZoneInfo) -> datetime:
    """An instant before which the clock in `tz` reads less than `wall`."""
    return min(wall.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))


def _utc(wall: datetime, offset: timedelta) -> datetime:
    return (wall - offset).replace(tzinfo=UTC)


def _offset_change(a: datetime, b: datetime, tz: ZoneInfo) -> datetime:
    """The instant in (a, b] from which `tz` has `b`'s UTC offset (a if it
    has it already); the offset changes at most once between them."""
    offset = b.astimezone(tz).utcoffset()
    if a.astimezone(tz).utcoffset() == offset:
        return a
    while b - a > _SECOND:  # whole seconds, as the change is
        mid = (a + (b - a) / 2).replace(microsecond=0)
        if mid.astimezone(tz).utcoffset() == offset:
            b = mid
        else:
            a = mid
    return b


def subtract(
    interval: tuple[datetime, datetime], blocked: list[tuple[datetime, datetime]]
) -> Iterator[tuple[datetime, datetime]]:
    """`interval` less the sorted `blocked` intervals."""
    s, e = interval
    for bs, be in blocked:
        if be <= s:
            continue
        if bs >= e:
            break
        if bs > s:
            yield (s, bs)
        s = max(s, be)
        if s >= e:
            return
    if s < e:
        yield (s, e)


def _align(t: datetime) -> datetime:
    rest = (t - _EPOCH) % STEP
    return t if not rest else t + (STEP - rest)


def fit(
    free: tuple[datetime, datetime],
    duration: timedelta,
    tz: ZoneInfo,
    full_months: set[str],
) -> datetime | None:
    """The earliest start of `duration` inside `free` in a month with room."""
    s, e = free
    while s + duration <= e:
        month = month_of(s, tz)
        if month in full_months:
            s = next_month_start(s, tz)
            continue
        aligned = _align(s)
        if aligned + duration <= e and month_of(aligned, tz) == month:
            return aligned
        return s
    return None


def earliest_slot(
    *,
    requester_windows,
    weekly: tuple[Weekly, ...],
    tz: ZoneInfo,
    blocked,
    duration: timedelta,
    not_before: datetime,
    full_months: set[str] = frozenset(),
) -> tuple[datetime, datetime] | None:
    """The earliest [start, end) of `duration` that lies in a requester window and
    a weekly entry of the host, outside `blocked` (time off and other meetings),
    starting no earlier than `not_before`, in a month where the host has room,
    and ending within `MAX_SEARCH_DAYS` of `not_before`."""
    windows = usable_windows(requester_windows, duration, not_before)
    if not windows:
        return None
    blocked = sorted(blocked)
    horizon = (windows[0][0], max(e for _, e in windows))
    for hs, he in weekly_occurrences(weekly, tz, *horizon):
        best = None
        for ws, we in windows:
            s, e = max(hs, ws), min(he, we)
            if e - s < duration or (best and s >= best):
                continue
            for piece in subtract((s, e), blocked):
                start = fit(piece, duration, tz, full_months)
                if start is not None:
                    best = start if best is None else min(best, start)
                    break
        if best is not None:
            return best, best + duration
    return None


def usable_windows(
    requester_windows, duration: timedelta, not_before: datetime
) -> list[tuple[datetime, datetime]]:
    """The parts of the windows a slot may lie in: from `not_before` to
    `MAX_SEARCH_DAYS` after it, those still long enough for `duration`."""
    last = not_before + timedelta(days=MAX_SEARCH_DAYS)
    return [
        (max(s, not_before), min(e, last))
        for s, e in requester_windows
        if min(e, last) - max(s, not_before) >= duration
    ]


@dataclass(frozen=True)
class Reach:
    """What a host needs for a slot in some windows, known without its
    slots: a weekly entry on one of the wall days they touch in its zone
    (`days[zone]`; `days[ANYWHERE]` for a zone not listed), and a calendar
    not busy over all of `windows`. A host lacking one has no slot there
    (`earliest_slot` would find none); one having both may still have none."""

    days: dict[str, frozenset[str]]
    windows: tuple[tuple[datetime, datetime], ...]


def reach(
    requester_windows, duration: timedelta, not_before: datetime, zones=()
) -> Reach:
    """The `Reach` of a request's windows: in each of `zones`, the wall
    days they touch and the day before each (an entry that runs into the
    next day), as `weekly_occurrences` walks them; in any other zone, the
    days they touch in some zone (no wall clock is further than `ANY_ZONE`
    from UTC)."""
    windows = tuple(usable_windows(requester_windows, duration, not_before))
    days = {ANYWHERE: _days(windows, lambda s, e: (s - ANY_ZONE, e + ANY_ZONE))}
    for zone in zones:
        try:
            tz = ZoneInfo(zone)
        except (ValueError, KeyError, OSError):  # not a zone: the hosts' rows say why
            continue
        days[zone] = _days(windows, lambda s, e, tz=tz: _wall_span(s, e, tz))
    return Reach(days, windows)


def _wall_span(s: datetime, e: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """What the wall clock in `tz` reads at `s` and at `e`, each by the
    smaller (at `s`) or larger (at `e`) of the zone's two offsets then: a
    clock set back across midnight reads, after `s`, a date before `s`'s."""
    at_s, at_e = s.astimezone(tz).utcoffset(), e.astimezone(tz).utcoffset()
    return s + min(at_s, at_e), e + max(at_s, at_e)


def _days(windows, span) -> frozenset[str]:
    """The weekdays from the day before the wall date of each window's
    start to that of its end (`span(start, end)`: the two wall readings)."""
    out: set[str] = set()
    for s, e in windows:
        first, last = span(s, e)
        day, last = first.date() - timedelta(days=1), last.date()
        while day <= last and len(out) < len(DAYS):
            out.add(DAYS[day.weekday()])
            day += timedelta(days=1)
    return frozenset(out)


def windows_passed(
    requester_windows, duration: timedelta, not_before: datetime
) -> bool:
    return not any(e - max(s, not_before) >= duration for s, e in requester_windows)


__all__ = [
    "MAX_SEARCH_DAYS",
    "Weekly",
    "parse_weekly",
    "parse_windows",
    "month_of",
    "next_month_start",
    "weekly_occurrences",
    "merged",
    "subtract",
    "fit",
    "earliest_slot",
    "usable_windows",
    "Reach",
    "reach",
    "ANYWHERE",
    "windows_passed",
    "UTC",
    "date",
]
