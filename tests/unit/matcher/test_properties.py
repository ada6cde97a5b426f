"""Property: every slot proposed satisfies every hard constraint, checked
instant by instant against the host's wall clock, and none earlier was missed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matcher.model import Agenda, full_months, refusal
from services.matcher.ranking import propose
from shared import slots
from tests.unit.matcher.factories import host, request

ZONES = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "UTC",
    "Pacific/Chatham",
]
FIVE = timedelta(minutes=5)
# around the 2026 DST changes of both hemispheres and a month's end
BASES = [
    datetime(2026, 3, 27, tzinfo=slots.UTC),
    datetime(2026, 10, 23, tzinfo=slots.UTC),
    datetime(2026, 4, 3, tzinfo=slots.UTC),
    datetime(2026, 11, 29, tzinfo=slots.UTC),
]
HORIZON_STEPS = 4 * 24 * 12  # four days in 5-minute steps

clock = st.integers(0, 24 * 12).map(
    lambda n: f"{n // 12:02d}:{n % 12 * 5:02d}" if n < 288 else "24:00"
)
weekly_entry = st.fixed_dictionaries(
    {
        "day": st.sampled_from(slots.DAYS),
        "start": clock.filter(lambda c: c != "24:00"),
        "end": clock,
    }
)


@st.composite
def scenarios(draw):
    base = draw(st.sampled_from(BASES))

    def instant():
        return base + FIVE * draw(st.integers(0, HORIZON_STEPS))

    def interval(max_steps=60):
        s = instant()
        return s, s + FIVE * draw(st.integers(1, max_steps))

    tz = draw(st.sampled_from(ZONES))
    weekly = draw(st.lists(weekly_entry, min_size=1, max_size=6))
    off = [interval() for _ in range(draw(st.integers(0, 3)))]
    h = host(
        tz=tz,
        weekly=weekly,
        capacity=draw(st.integers(1, 3)),
        unavailable=[(s.isoformat(), e.isoformat()) for s, e in off],
    )
    windows = [interval(200) for _ in range(draw(st.integers(1, 4)))]
    r = request(
        *[(s.isoformat(), e.isoformat()) for s, e in windows],
        duration=draw(st.sampled_from([30, 60])),
    )
    agenda = Agenda()
    for _ in range(draw(st.integers(0, 4))):
        s, e = interval(24)
        agenda.add(s, e, slots.month_of(s, h.tz))
    now = base + FIVE * draw(st.integers(0, HORIZON_STEPS // 2))
    lead = timedelta(hours=draw(st.sampled_from([0, 1, 12])))
    return h, r, agenda, now, lead


def in_weekly(h, instant: datetime) -> bool:
    local = instant.astimezone(h.tz)
    minute = local.hour * 60 + local.minute
    for w in h.weekly:
        start, end = w.start.hour * 60 + w.start.minute, w.end.hour * 60 + w.end.minute
        if not w.overnight:
            if local.weekday() == w.weekday and start <= minute < end:
                return True
        elif (local.weekday() == w.weekday and minute >= start) or (
            local.weekday() == (w.weekday + 1) % 7 and minute < end
        ):
            return True
    return False


def violations(h, r, agenda, start, end, not_before) -> list[str]:
    out = []
    if end - start != r.duration:
        out.append("duration")
    if not any(s <= start and end <= e for s, e in r.windows):
        out.append("requester window")
    t = start
    while t < end:
        if not in_weekly(h, t):
            out.append(f"weekly availability at {t.astimezone(h.tz)}")
            break
        t += FIVE
    if any(s < end and start < e for s, e in h.unavailable):
        out.append("time off")
    if any(s < end and start < e for s, e in agenda.meetings):
        out.append("another meeting")
    if start < not_before:
        out.append("lead time")
    if slots.month_of(start, h.tz) in full_months(h, agenda):
        out.append("monthly capacity")
    return out


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_proposed_slot_satisfies_every_hard_constraint(scenario):
    h, r, agenda, now, lead = scenario
    assert refusal(h, r, set(), set()) is None
    proposal = propose(h, r, agenda, now=now, not_before=now + lead)
    not_before = now + lead
    # the earliest valid start on the 5-minute grid, by brute force
    first = None
    t = not_before + (-(not_before - BASES[0]) % FIVE)
    last = max(e for _, e in r.windows)
    while t + r.duration <= last:
        if not violations(h, r, agenda, t, t + r.duration, not_before):
            first = t
            break
        t += FIVE
    if proposal is None:
        assert first is None, f"missed the slot at {first}"
        return
    assert violations(h, r, agenda, proposal.start, proposal.end, not_before) == []
    assert first is not None and proposal.start < first + slots.STEP


def test_zone_names_are_real():
    for name in ZONES:
        ZoneInfo(name)
