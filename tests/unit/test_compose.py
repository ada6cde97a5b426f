"""docker-compose.yml cannot run here: read it and check it against the code."""

import re
from pathlib import Path

import yaml

from shared import config
from tests.support import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PORTS = {"intake": 8000, "matcher": 8001, "notifier": 8002}


def required_variables() -> set[str]:
    source = (ROOT / "shared" / "config.py").read_text()
    return set(re.findall(r'_get\(env, "([A-Z_]+)", required=True\)', source))


def resolve(value: str) -> str:
    """Docker Compose's ${VAR:-default} with VAR unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def test_required_variables_are_what_the_settings_module_demands():
    assert required_variables() == {
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "SECRET_KEY",
    }


def test_every_service_gets_every_required_variable_and_valid_settings():
    for name in PORTS:
        env = {
            k: resolve(v) for k, v in COMPOSE["services"][name]["environment"].items()
        }
        assert required_variables() <= set(env), name
        settings = config.load(env)  # would raise ConfigError naming a bad value
        assert settings.kafka_bootstrap_servers == ("kafka:9092",)


def test_ports_are_the_contracts():
    for name, port in PORTS.items():
        service = COMPOSE["services"][name]
        env = service["environment"]
        assert env[f"{name.upper()}_PORT"] == str(port)
        assert f"127.0.0.1:{port}:{port}" in service["ports"]
        assert service["command"] == ["python", "-m", f"services.{name}"]
        assert Path(ROOT / "services" / name / "__main__.py").exists()


def test_infrastructure_images_are_the_documented_ones():
    images = {n: s.get("image", "") for n, s in COMPOSE["services"].items()}
    assert images["kafka"].startswith("apache/kafka:4.")
    assert images["postgres"].startswith("postgres:")
    assert images["mailpit"].startswith("axllent/mailpit")
    kafka_env = COMPOSE["services"]["kafka"]["environment"]
    assert (
        kafka_env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    )  # KRaft, no ZooKeeper
