import ipaddress
from datetime import timedelta

import pytest

from shared import config
from tests.support import TEST_SECRET_KEY

BASE = {
    "DATABASE_URL": "postgresql://u@h:5432/d",
    "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092",
    "SECRET_KEY": TEST_SECRET_KEY,
    "AUTH_MODE": "dev",
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


def test_auth_mode_must_be_said_outright():
    env = {k: v for k, v in BASE.items() if k != "AUTH_MODE"}
    with pytest.raises(config.ConfigError) as err:
        config.load(env)
    assert err.value.variable == "AUTH_MODE"


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "intranet.example.com"])
def test_dev_mode_binds_only_a_loopback_address_unless_told_loudly(host):
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "BIND_HOST": host})
    assert err.value.variable == "AUTH_MODE"
    allowed = config.load(
        {**BASE, "BIND_HOST": host, "INSECURE_DEV_AUTH_ON_NETWORK": "on"}
    )
    assert allowed.bind_host == host
    assert (
        config.load({**BASE, "AUTH_MODE": "proxy", "BIND_HOST": host}).auth_mode
        == "proxy"
    )


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_dev_mode_on_a_loopback_address_starts(host):
    assert config.load({**BASE, "BIND_HOST": host}).bind_host == host


@pytest.mark.parametrize(
    "key", ["change-me-to-a-long-random-string", "CHANGEME-please-0123456789"]
)
def test_a_placeholder_secret_key_is_refused(key):
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "SECRET_KEY": key})
    assert err.value.variable == "SECRET_KEY"


@pytest.mark.parametrize(
    "key",
    [
        "k" * 40,
        "0123456789abcdef0123",
        "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbb",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "qwertyuiopasdfghjklzxcvbnm1234567890",
        "0123456789abcdef0123456789abcdef",
        "please-change-this-secret-before-going-live",
    ],
)
def test_a_secret_key_without_enough_randomness_is_refused(key):
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "SECRET_KEY": key})
    assert err.value.variable == "SECRET_KEY"


def test_the_calendar_key_is_required_by_intake_alone():
    with pytest.raises(config.ConfigError) as err:
        config.load(BASE, service="intake")
    assert err.value.variable == "CALENDAR_KEY"
    assert config.load(BASE, service="matcher").calendar_key == ""
    keyed = {**BASE, "CALENDAR_KEY": "Qz8-Lm3vRt6Wp1Ks9Hd4Fb7Yc2Ng5Jx0Ue_Ai"}
    assert config.load(keyed, service="intake").calendar_key
    with pytest.raises(config.ConfigError):
        config.load({**BASE, "CALENDAR_KEY": "short"}, service="intake")


def test_sixteen_random_bytes_are_enough_however_written():
    for key in ("9f2c4e7a1b8d3f60c5e2a7b4d9f1c3e8", "Qz8-Lm3vRt6Wp1Ks9Hd4Fb7Yc2Ng5Jx0"):
        assert config.load({**BASE, "SECRET_KEY": key}).secret_key == key


def test_the_calendar_key_may_not_be_the_secret_key_nor_a_placeholder():
    for key in (BASE["SECRET_KEY"], "changeme-Qz8-Lm3vRt6Wp1Ks9Hd4Fb7Yc2Ng5Jx0"):
        with pytest.raises(config.ConfigError) as err:
            config.load({**BASE, "CALENDAR_KEY": key}, service="intake")
        assert err.value.variable == "CALENDAR_KEY"


def test_the_old_private_address_switch_names_its_replacement():
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "CALENDAR_ALLOW_PRIVATE_ADDRESSES": "on"})
    assert "CALENDAR_ALLOWED_SERVERS" in str(err.value)


@pytest.mark.parametrize(
    "raw,problem", [("10.0.0.0/33", "network"), ("cal.example:99999", "port"),
                    ("bad host!", "network")]
)  # fmt: skip
def test_allowed_calendar_servers_name_what_is_wrong(raw, problem):
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "CALENDAR_ALLOWED_SERVERS": raw})
    assert err.value.variable == "CALENDAR_ALLOWED_SERVERS" and problem in str(
        err.value
    )


def test_an_allowed_server_without_a_port_means_80_and_443_and_star_any():
    raw = "caldav.corp.example, 10.20.0.0/16:*, [fd00::5]:5232"
    servers = config.load({**BASE, "CALENDAR_ALLOWED_SERVERS": raw})
    assert servers.calendar_allowed_servers == (
        ("caldav.corp.example", None),
        (ipaddress.ip_network("10.20.0.0/16"), 0),
        (ipaddress.ip_network("fd00::5/128"), 5232),
    )


def test_the_notifiers_senders_must_leave_database_connections_for_the_rest():
    assert config.load(BASE, service="notifier").notify_workers == 4
    too_many = {**BASE, "NOTIFY_WORKERS": "5"}
    with pytest.raises(config.ConfigError, match="NOTIFY_WORKERS"):
        config.load(too_many, service="notifier")
    assert config.load({**too_many, "POOL_SIZE": "9"}, service="notifier")
    assert config.load(too_many).notify_workers == 5  # not a notifier: not its concern
