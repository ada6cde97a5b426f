"""The host forecast: each recent arrival shared among the hosts that could
have taken it, per day, read from the past only and again once a minute."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.matcher import forecast
from tests.unit.matcher.fakes import FakeRepository
from tests.unit.matcher.test_use_cases import T0, Clock, host, policy, request


def test_each_arrival_is_shared_among_the_hosts_that_could_have_taken_it():
    repo = FakeRepository()
    a, b = host(repo), host(repo)
    only_a = host(repo, host_fields=("strategy",))
    for _ in range(3):
        request(repo)  # a or b
    request(repo, field="strategy", related_ok=False)  # only_a
    request(repo, languages=["de"])  # no one: counts for no host
    m = policy(Clock())
    rates = forecast.HostRates().rates(repo, m, T0)
    days = m.demand_window / timedelta(days=1)
    assert rates[a] == pytest.approx(1.5 / days) and rates[b] == rates[a]
    assert rates[only_a] == pytest.approx(1 / days)


def test_the_rates_are_read_again_once_a_minute_and_only_from_the_past():
    repo = FakeRepository()
    h = host(repo)
    request(repo)
    rates = forecast.HostRates()
    m = policy(Clock())
    first = rates.rates(repo, m, T0)
    request(repo)
    assert rates.rates(repo, m, T0 + timedelta(seconds=30)) == first
    again = rates.rates(repo, m, T0 + forecast.TTL)
    assert again[h] == pytest.approx(2 * first[h])
    later = request(repo)
    repo.requests[later]["created_at"] = T0 + 2 * forecast.TTL + timedelta(hours=1)
    assert rates.rates(repo, m, T0 + 2 * forecast.TTL)[h] == again[h]  # not yet come


def test_nothing_arrived_gives_no_rates_and_is_not_kept():
    repo = FakeRepository()
    host(repo)
    rates = forecast.HostRates()
    assert rates.rates(repo, policy(Clock()), T0) == {}
    request(repo)
    assert rates.rates(repo, policy(Clock()), T0 + timedelta(seconds=1))
