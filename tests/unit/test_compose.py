"""docker-compose.yml cannot run here: read it and check it against the code."""

import re
from pathlib import Path

import pytest
import yaml

from shared import config
from tests.support import ROOT, TEST_CALENDAR_KEY, TEST_SECRET_KEY

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PORTS = {"intake": 8000, "matcher": 8001, "notifier": 8002}


def required_variables() -> set[str]:
    return {v for v, d in config.variables().items() if d is config.REQUIRED}


def resolve(value: str, given: dict | None = None) -> str:
    """Docker Compose's ${VAR:-default} and ${VAR:?error} with only `given` set."""
    given = given or {}
    value = re.sub(
        r"\$\{([A-Z_]+):-([^}]*)\}", lambda m: given.get(m[1], m[2]), str(value)
    )

    def demanded(m):
        if m[1] not in given:
            raise LookupError(m[1])
        return given[m[1]]

    return re.sub(r"\$\{([A-Z_]+):\?[^}]*\}", demanded, value)


# What a deployer must give `docker compose up`.
DEPLOYER = {"SECRET_KEY": TEST_SECRET_KEY, "CALENDAR_KEY": TEST_CALENDAR_KEY,
            "AUTH_MODE": "proxy"}  # fmt: skip


def test_required_variables_are_what_the_settings_module_demands():
    assert required_variables() == {
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "SECRET_KEY",
        "AUTH_MODE",
    }


def test_compose_demands_the_secret_key_and_the_auth_mode_instead_of_shipping_them():
    for name in PORTS:
        environment = COMPOSE["services"][name]["environment"]
        for variable in ("SECRET_KEY", "AUTH_MODE"):
            with pytest.raises(LookupError):
                resolve(environment[variable])


def test_every_service_gets_every_required_variable_and_valid_settings():
    for name in PORTS:
        env = {
            k: resolve(v, DEPLOYER)
            for k, v in COMPOSE["services"][name]["environment"].items()
        }
        assert required_variables() <= set(env), name
        settings = config.load(env, service=name)  # a bad value raises ConfigError
        assert settings.kafka_bootstrap_servers == ("kafka:9092",)
        for variable, services in config.REQUIRED_BY.items():
            assert (variable in env) == (name in services), (name, variable)


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
