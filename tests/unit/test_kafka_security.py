"""Kafka TLS and SASL: the settings, and what every client is built with.
No broker: the clients' constructors are replaced by recorders."""

import re

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from shared import config
from shared import kafka as kafka_clients
from tests.support import ROOT
from tests.unit.test_config import BASE


@pytest.fixture
def ca_file(tmp_path):
    path = tmp_path / "ca.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


def sasl_ssl(ca_file, **more) -> dict:
    return {
        **BASE,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "matchmaker",
        "KAFKA_SASL_PASSWORD": "s3cret-kafka",
        "KAFKA_SSL_CAFILE": str(ca_file),
        **more,
    }


def test_by_default_the_brokers_are_reached_in_plain_text_with_no_credentials():
    s = config.load(BASE)
    assert s.kafka_security_protocol == "PLAINTEXT"
    assert kafka_clients.security_config(s) == {"security_protocol": "PLAINTEXT"}


def test_sasl_over_tls_gives_the_mechanism_the_credentials_and_the_ca(ca_file):
    s = config.load(sasl_ssl(ca_file))
    assert kafka_clients.security_config(s) == {
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "matchmaker",
        "sasl_plain_password": "s3cret-kafka",
        "ssl_check_hostname": True,
        "ssl_cafile": str(ca_file),
    }


def test_tls_alone_with_a_client_certificate_sends_no_sasl_credentials(tmp_path):
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    cert.write_text("cert")
    key.write_text("key")
    s = config.load(
        {
            **BASE,
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_CERTFILE": str(cert),
            "KAFKA_SSL_KEYFILE": str(key),
        }
    )
    assert kafka_clients.security_config(s) == {
        "security_protocol": "SSL",
        "ssl_check_hostname": True,
        "ssl_certfile": str(cert),
        "ssl_keyfile": str(key),
    }


def test_sasl_in_plain_text_uses_no_tls_options():
    s = config.load(
        {
            **BASE,
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_USERNAME": "u",
            "KAFKA_SASL_PASSWORD": "p",
        }
    )
    security = kafka_clients.security_config(s)
    assert security["sasl_mechanism"] == "PLAIN"
    assert not any(k.startswith("ssl_") for k in security)


@pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
@pytest.mark.parametrize("missing", ["KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD"])
def test_a_sasl_protocol_without_username_or_password_names_the_variable(
    ca_file, protocol, missing
):
    env = sasl_ssl(ca_file, KAFKA_SECURITY_PROTOCOL=protocol)
    env.pop("KAFKA_SSL_CAFILE")
    env[missing] = ""
    with pytest.raises(config.ConfigError) as err:
        config.load(env)
    assert err.value.variable == missing
    assert protocol in str(err.value)


def test_credentials_given_to_a_protocol_that_would_not_send_them_are_refused():
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "KAFKA_SASL_USERNAME": "u", "KAFKA_SASL_PASSWORD": "p"})
    assert err.value.variable == "KAFKA_SASL_USERNAME"


def test_a_ca_file_given_to_a_protocol_without_tls_is_refused(ca_file):
    with pytest.raises(config.ConfigError) as err:
        config.load({**BASE, "KAFKA_SSL_CAFILE": str(ca_file)})
    assert err.value.variable == "KAFKA_SSL_CAFILE"


def test_a_key_without_its_certificate_is_refused(ca_file):
    with pytest.raises(config.ConfigError) as err:
        config.load(
            {
                **BASE,
                "KAFKA_SECURITY_PROTOCOL": "SSL",
                "KAFKA_SSL_KEYFILE": str(ca_file),
            }
        )
    assert err.value.variable == "KAFKA_SSL_KEYFILE"


@pytest.mark.parametrize(
    "variable,value",
    [
        ("KAFKA_SECURITY_PROTOCOL", "TLS"),
        ("KAFKA_SECURITY_PROTOCOL", "sasl_ssl"),
        ("KAFKA_SASL_MECHANISM", "GSSAPI"),
        ("KAFKA_SSL_CAFILE", "/no/such/ca.pem"),
    ],
)
def test_an_unknown_protocol_mechanism_or_missing_file_names_the_variable(
    ca_file, variable, value
):
    with pytest.raises(config.ConfigError) as err:
        config.load(sasl_ssl(ca_file, **{variable: value}))
    assert err.value.variable == variable


def test_kafka_python_knows_every_keyword_the_settings_give(tmp_path, ca_file):
    cert = tmp_path / "client.pem"
    cert.write_text("cert")
    s = config.load(
        sasl_ssl(ca_file, KAFKA_SSL_CERTFILE=str(cert), KAFKA_SSL_KEYFILE=str(cert))
    )
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        unknown = set(kafka_clients.security_config(s)) - set(client.DEFAULT_CONFIG)
        assert not unknown, (client.__name__, unknown)


@pytest.fixture
def built(monkeypatch):
    """Each client's keyword arguments, by kind, instead of a connection."""
    calls = {}

    class Recorder:
        def __init__(self, kind):
            self.kind = kind

        def __call__(self, **config):
            calls[self.kind] = config
            return self

        def subscribe(self, topics):
            pass

        def list_topics(self):
            return []

        def create_topics(self, topics, **_):
            calls["created"] = topics

        def close(self):
            pass

    for kind in ("KafkaProducer", "KafkaConsumer", "KafkaAdminClient"):
        monkeypatch.setattr(kafka_clients, kind, Recorder(kind))
    return calls


def test_the_producer_the_consumer_and_the_admin_client_all_carry_the_security(
    built, ca_file
):
    brokers = kafka_clients.Brokers.of(config.load(sasl_ssl(ca_file)))
    kafka_clients.producer(brokers)
    kafka_clients.consumer(brokers, "g", ["t"])
    kafka_clients.admin(brokers)
    assert set(built) == {"KafkaProducer", "KafkaConsumer", "KafkaAdminClient"}
    for kind, kwargs in built.items():
        assert kwargs["bootstrap_servers"] == ["127.0.0.1:9092"], kind
        assert kwargs["security_protocol"] == "SASL_SSL", kind
        assert kwargs["sasl_plain_password"] == "s3cret-kafka", kind
        assert kwargs["ssl_cafile"] == str(ca_file), kind
    assert built["KafkaProducer"]["acks"] == "all"  # its own settings kept


def test_the_topics_are_created_with_the_replicas_asked_for(built, ca_file):
    settings = config.load(sasl_ssl(ca_file, TOPIC_REPLICATION="3"))
    kafka_clients.ensure_topics(
        kafka_clients.Brokers.of(settings),
        ["intro-requests"],
        settings.topic_partitions,
        replication=settings.topic_replication,
    )
    assert built["KafkaAdminClient"]["security_protocol"] == "SASL_SSL"
    assert built["created"]["intro-requests"]["replication_factor"] == 3
    assert built["created"]["intro-requests"]["num_partitions"] == 3


def test_a_plain_list_of_brokers_still_builds_a_plain_text_client(built):
    kafka_clients.producer(["127.0.0.1:9092"])
    assert built["KafkaProducer"]["bootstrap_servers"] == ["127.0.0.1:9092"]
    assert "security_protocol" not in built["KafkaProducer"]


def test_the_brokers_never_show_their_password(ca_file):
    brokers = kafka_clients.Brokers.of(config.load(sasl_ssl(ca_file)))
    assert "s3cret-kafka" not in repr(brokers)
    assert "SASL_SSL" in repr(brokers)


def test_no_service_builds_a_client_from_the_bare_broker_addresses():
    """Every client of a service goes through `Brokers.of(settings)`: a bare
    `KAFKA_BOOTSTRAP_SERVERS` would drop TLS and SASL."""
    offenders = []
    for folder in ("services", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name in ("config.py", "kafka.py") and path.parent.name == "shared":
                continue
            text = path.read_text(encoding="utf-8")
            if "kafka_bootstrap_servers" in text or re.search(
                r"\bKafka(Producer|Consumer|AdminClient)\(", text
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
