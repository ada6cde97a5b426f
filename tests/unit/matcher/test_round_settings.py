"""The matching round's settings: their defaults and what a bad one says."""

from datetime import timedelta

import pytest

from services.matcher.jobs import round_every
from services.matcher.wiring import make_policy
from shared import config
from tests.support import TEST_SECRET_KEY

BASE = {
    "DATABASE_URL": "postgresql://u@h:5432/d",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "SECRET_KEY": TEST_SECRET_KEY,
    "AUTH_MODE": "dev",
}


def test_requests_wait_three_seconds_for_a_round_by_default_and_it_runs_every_half():
    policy = make_policy(config.load(BASE))
    assert policy.rounds and policy.round_window == timedelta(seconds=3)
    assert round_every(policy) == 1.5
    assert policy.demand_window == timedelta(days=30)


def test_a_zero_window_matches_each_request_on_arrival():
    policy = make_policy(config.load({**BASE, "MATCH_ROUND_WINDOW": "0"}))
    assert not policy.rounds


def test_the_window_may_be_given_in_seconds_or_iso_8601():
    s = config.load({**BASE, "MATCH_ROUND_WINDOW": "PT10S"})
    assert s.match_round_window == timedelta(seconds=10)
    s = config.load({**BASE, "MATCH_ROUND_WINDOW": "2.5"})
    assert s.match_round_window == timedelta(seconds=2.5)


@pytest.mark.parametrize(
    "variable,raw",
    [
        ("MATCH_ROUND_WINDOW", "soon"),
        ("MATCH_ROUND_WINDOW", "-5"),
        ("MATCH_DEMAND_WINDOW", "P1M"),
        ("MATCH_DEMAND_WINDOW", "0"),
    ],
)
def test_a_bad_round_setting_names_its_variable(variable, raw):
    with pytest.raises(config.ConfigError) as caught:
        config.load({**BASE, variable: raw})
    assert caught.value.variable == variable
