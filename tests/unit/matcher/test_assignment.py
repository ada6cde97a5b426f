"""Joint assignment serves more waiting requests than one at a time, never fewer."""

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher import assignment


@dataclass(frozen=True)
class H:
    id: str


@dataclass(frozen=True)
class P:
    host: H
    month: str
    start: int
    end: int


def fixed(key, proposal, planned):  # slots never clash in these tests
    return proposal


def test_crafted_case_joint_serves_two_where_one_at_a_time_serves_one():
    exact_host, related_host = H("exact"), H("related")
    options = {
        "takes-related": [
            P(exact_host, "2026-12", 0, 1),
            P(related_host, "2026-12", 0, 1),
        ],
        "exact-only": [P(exact_host, "2026-12", 0, 1)],
    }
    remaining = {("exact", "2026-12"): 1, ("related", "2026-12"): 1}
    greedy = assignment.one_at_a_time(
        ["takes-related", "exact-only"], options, remaining, fixed
    )
    result = assignment.plan(["takes-related", "exact-only"], options, remaining, fixed)
    assert len(greedy) == 1
    assert result.method == "joint" and len(result.chosen) == 2
    assert (
        result.chosen["exact-only"].host == exact_host
        and result.chosen["takes-related"].host == related_host
    )


@dataclass(frozen=True)
class Q(P):
    exact: bool = True


def test_among_plans_serving_as_many_the_one_with_more_exact_fields_wins():
    # either request may take either host; A's rank order prefers the host of
    # B's field, so the cheapest ranks would give both a related host
    a_host, b_host = H("a"), H("b")
    options = {
        "a": [Q(b_host, "m", 0, 1, exact=False), Q(a_host, "m", 0, 1, exact=True)],
        "b": [Q(a_host, "m", 0, 1, exact=False), Q(b_host, "m", 0, 1, exact=True)],
    }
    remaining = {("a", "m"): 1, ("b", "m"): 1}
    chosen = assignment.jointly(["a", "b"], options, remaining, fixed)
    assert chosen["a"].host == a_host and chosen["b"].host == b_host


def test_capacity_of_a_host_is_never_exceeded():
    h = H("scarce")
    options = {i: [P(h, "2026-12", i, i + 1)] for i in range(5)}
    result = assignment.plan(list(range(5)), options, {("scarce", "2026-12"): 2}, fixed)
    assert len(result.chosen) == 2


def test_clashing_slots_are_found_again_one_after_the_other():
    h = H("one")

    def reslot(key, proposal, planned):
        end = max(e for _, e, _ in planned)
        return P(proposal.host, proposal.month, end, end + 1) if end < 3 else None

    options = {i: [P(h, "m", 0, 1)] for i in range(5)}
    result = assignment.plan(list(range(5)), options, {("one", "m"): 5}, reslot)
    slots = sorted((p.start, p.end) for p in result.chosen.values())
    assert slots == [(0, 1), (1, 2), (2, 3)]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 30), st.integers(1, 15))
def test_never_fewer_than_one_at_a_time_on_random_inputs(seed, n_requests, n_hosts):
    rnd = random.Random(seed)
    hosts = [H(f"h{i}") for i in range(n_hosts)]
    months = ["2026-11", "2026-12"]
    options = {}
    for r in range(n_requests):
        picks = rnd.sample(hosts, rnd.randint(0, min(4, n_hosts)))
        options[r] = [P(h, rnd.choice(months), 0, 1) for h in picks]
    remaining = {(h.id, m): rnd.randint(0, 2) for h in hosts for m in months}
    order = list(range(n_requests))
    greedy = assignment.one_at_a_time(order, options, remaining, fixed)
    result = assignment.plan(order, options, remaining, fixed)
    assert len(assignment.jointly(order, options, remaining, fixed)) >= len(greedy)
    assert len(result.chosen) >= len(greedy)
    used = {}
    for key, p in result.chosen.items():
        assert p in options[key]
        used[(p.host.id, p.month)] = used.get((p.host.id, p.month), 0) + 1
    assert all(n <= remaining[unit] for unit, n in used.items())
