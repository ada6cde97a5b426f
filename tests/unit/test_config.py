from datetime import timedelta

import pytest

from shared import config

BASE = {
    "DATABASE_URL": "postgresql://u@h:5432/d",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "SECRET_KEY": "0123456789abcdef0123",
}


def test_defaults_are_the_contracts():
    s = config.load(BASE)
    assert (s.intake_port, s.matcher_port, s.notifier_port) == (8000, 8001, 8002)
    assert s.response_timeout == timedelta(hours=72)
    assert s.min_lead_time == timedelta(hours=12)
    assert s.public_base_url == "http://127.0.0.1:8000"
    assert s.auth_mode == "dev" and s.smtp_security == "none"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("PT72H", timedelta(hours=72)),
        ("3600", timedelta(hours=1)),
        ("P1DT30M", timedelta(days=1, minutes=30)),
        ("0.5", timedelta(seconds=0.5)),
    ],
)
def test_durations_accept_iso8601_or_seconds(raw, expected):
    assert config.parse_duration("X", raw) == expected


@pytest.mark.parametrize("raw", ["soon", "P1M", "-5", "PT-1H", ""])
def test_bad_durations_name_the_variable(raw):
    with pytest.raises(config.ConfigError) as err:
        config.parse_duration("RESPONSE_TIMEOUT", raw)
    assert str(err.value).startswith("RESPONSE_TIMEOUT:")


def test_api_tokens_parse_identity_and_groups():
    s = config.load(
        {**BASE, "API_TOKENS": "abcdefghijklmnop1234=bot@example.com:ops+intranet"}
    )
    assert s.api_tokens == {
        "abcdefghijklmnop1234": ("bot@example.com", ("ops", "intranet"))
    }


def test_short_secret_key_is_refused():
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.load({**BASE, "SECRET_KEY": "short"})
