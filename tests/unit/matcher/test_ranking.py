"""Who is proposed first, who never is, and the score kept with the match."""

from datetime import timedelta

from services.matcher.model import Agenda, refusal
from services.matcher.ranking import Demand, rank
from tests.unit.matcher.factories import host, request, utc

NOW = utc("2026-11-20T09:00:00+00:00")
WEEK = ("2026-12-01T00:00:00+01:00", "2026-12-08T00:00:00+01:00")


def ranked(
    r, hosts, agendas=None, related=frozenset({"leadership"}), excluded=frozenset()
):
    return rank(
        r,
        hosts,
        agendas or {},
        related=set(related),
        excluded=set(excluded),
        now=NOW,
        lead=timedelta(hours=12),
    )


def test_exact_field_comes_before_related_even_with_a_later_slot():
    related = host(
        fields=["leadership"], weekly=[{"day": "tue", "start": "09:00", "end": "12:00"}]
    )
    exact = host(
        fields=["management"], weekly=[{"day": "fri", "start": "09:00", "end": "12:00"}]
    )
    first = ranked(request(WEEK), [related, exact])[0]
    assert first.host is exact and first.score["exact_field"] is True


def test_related_only_when_the_requester_takes_related_fields():
    related = host(fields=["leadership"])
    assert ranked(request(WEEK, related_ok=False), [related], related=()) == []
    assert ranked(request(WEEK), [related])[0].score["exact_field"] is False


def test_preferred_host_first_when_feasible():
    busy_first = host()
    preferred = host(weekly=[{"day": "thu", "start": "09:00", "end": "12:00"}])
    r = request(WEEK, preferred=preferred.id)
    assert ranked(r, [busy_first, preferred])[0].host is preferred
    r_other = request(
        ("2026-12-01T00:00:00+01:00", "2026-12-02T00:00:00+01:00"),
        preferred=preferred.id,
    )
    assert (
        ranked(r_other, [busy_first, preferred])[0].host is busy_first
    )  # preferred has no slot


def test_fairness_before_the_earliest_slot():
    loaded = host(capacity=4)
    agenda = Agenda()
    agenda.add(
        utc("2026-12-03T09:00:00+01:00"), utc("2026-12-03T10:00:00+01:00"), "2026-12"
    )
    agenda.add(
        utc("2026-12-04T09:00:00+01:00"), utc("2026-12-04T10:00:00+01:00"), "2026-12"
    )
    idle_later = host(
        capacity=4, weekly=[{"day": "thu", "start": "09:00", "end": "12:00"}]
    )
    first = ranked(request(WEEK), [loaded, idle_later], {loaded.id: agenda})[0]
    assert first.host is idle_later and first.score["load_quarter"] == 0
    recently = host(last_invited_at=NOW - timedelta(days=1))
    not_recently = host(weekly=[{"day": "thu", "start": "09:00", "end": "12:00"}])
    assert ranked(request(WEEK), [recently, not_recently])[0].host is not_recently


def test_earliest_slot_then_first_language_then_site_break_ties():
    later = host(weekly=[{"day": "thu", "start": "09:00", "end": "12:00"}])
    earlier = host()
    assert ranked(request(WEEK), [later, earlier])[0].host is earlier
    english = host(languages=["en", "fr"])
    french = host(languages=["fr"], site="Lyon")
    r = request(WEEK, languages=["fr", "en"], site="Lyon")
    order = [
        p.host
        for p in ranked(
            r, [host(languages=["en", "fr"], site="Paris"), english, french]
        )
    ]
    assert order[0] is french


def test_the_score_explains_the_choice():
    score = ranked(request(WEEK), [host()])[0].score
    assert set(score) >= {
        "exact_field",
        "preferred_host",
        "load",
        "load_quarter",
        "recently_invited",
        "start",
        "first_language",
        "same_site",
        "wait_minutes",
    }


def test_hard_refusals():
    r = request(WEEK, email="camille@example.com", languages=["de"])
    assert (
        refusal(host(email="camille@example.com", languages=["de"]), r, set(), set())
        == "self"
    )
    assert refusal(host(), r, set(), set()) == "language"
    r = request(WEEK)
    h = host()
    assert refusal(h, r, set(), {h.id}) == "declined-or-expired"
    assert refusal(host(durations=[60]), r, set(), set()) == "duration"
    assert refusal(host(formats=["phone"]), r, set(), set()) == "format"
    assert (
        refusal(
            host(site="Lyon"),
            request(WEEK, fmt="in_person", site="Paris"),
            set(),
            set(),
        )
        == "site"
    )
    assert refusal(host(active=False), r, set(), set()) == "inactive"
    assert refusal(host(capacity=0), r, set(), set()) == "no-capacity"
    assert refusal(host(fields=["finance"]), r, {"leadership"}, set()) == "field"
    assert refusal(host(), r, set(), set()) is None


def test_excluded_and_self_never_ranked():
    declined = host()
    me = host(email="camille@example.com")
    assert ranked(request(WEEK), [declined, me], excluded={declined.id}) == []


def test_a_request_goes_to_the_host_whose_other_field_nobody_is_waiting_for():
    # both cover management and have the same slot; one also covers strategy,
    # where requests wait for too few hosts
    also_scarce = host(fields=["management", "strategy"])
    only_management = host(fields=["management"])
    demand = Demand(
        waiting={"strategy": 6, "management": 1},
        recent={"strategy": 10, "management": 30},
        supply={"strategy": 4, "management": 40},
    )
    order = rank(
        request(WEEK),
        [also_scarce, only_management],
        {},
        related=set(),
        excluded=set(),
        now=NOW,
        lead=timedelta(hours=12),
        demand=demand,
    )
    assert [p.host for p in order] == [only_management, also_scarce]
    kept = order[1].score
    assert kept["scarcity"] == 4.0 and kept["field_pressure"] == {"strategy": 4.0}
    assert kept["cost"] > order[0].score["cost"] and kept["weights"]["scarcity"] > 0


def test_scarcity_never_outweighs_the_exact_field():
    related_idle = host(fields=["leadership"])
    exact_scarce = host(fields=["management", "strategy"])
    demand = Demand(waiting={"strategy": 50}, supply={"strategy": 1})
    first = rank(
        request(WEEK),
        [related_idle, exact_scarce],
        {},
        related={"leadership"},
        excluded=set(),
        now=NOW,
        lead=timedelta(hours=12),
        demand=demand,
    )[0]
    assert first.host is exact_scarce and first.score["exact_field"] is True


def test_without_demand_figures_the_scarcity_part_is_zero():
    score = ranked(request(WEEK), [host(fields=["management", "strategy"])])[0].score
    assert score["scarcity"] == 0 and score["field_pressure"] == {}


def test_a_request_goes_to_the_host_others_will_not_miss_before_its_month_ends():
    # the same field and slot; recent arrivals could have taken the first at
    # two a day, the other hardly ever: spending the first's last meeting of
    # the month would likely leave someone without a host
    wanted = host(capacity=1)
    spare = host(capacity=1)
    demand = Demand(rates={wanted.id: 2.0, spare.id: 0.01})
    order = rank(
        request(WEEK),
        [wanted, spare],
        {},
        related=set(),
        excluded=set(),
        now=NOW,
        lead=timedelta(hours=12),
        demand=demand,
    )
    assert [p.host for p in order] == [spare, wanted]
    kept = order[1].score
    assert kept["opportunity"] > 0.9 and kept["expected_by_month_end"] > 1
    assert order[0].score["opportunity"] < kept["opportunity"]
    assert kept["scarcity"] == 0 and kept["field_pressure"] == {}


def test_without_host_figures_the_opportunity_part_is_zero():
    score = ranked(request(WEEK), [host(fields=["management", "strategy"])])[0].score
    assert score["opportunity"] == 0 and score["host_rate"] == 0
