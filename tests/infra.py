"""Where the tests' PostgreSQL and Kafka come from.

TEST_INFRA=local (the project starts real servers itself: embedded
PostgreSQL, a Kafka broker from Maven Central jars), docker (testcontainers),
or auto (the default: docker where an engine answers, else local).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from devstack.kafka import Broker
from devstack.ports import free_port
from devstack.postgres import Postgres


@functools.lru_cache(maxsize=1)
def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def mode() -> str:
    wanted = os.environ.get("TEST_INFRA", "auto")
    if wanted not in ("auto", "local", "docker"):
        raise ValueError(f"TEST_INFRA: {wanted!r} is not one of auto, local, docker")
    if wanted == "auto":
        return "docker" if docker_available() else "local"
    return wanted


def postgres(workdir: Path):
    if mode() == "docker":
        return _DockerPostgres()
    return Postgres(workdir, port=free_port(), database="postgres", fast=True).start()


def kafka(workdir: Path):
    if mode() == "docker":
        return _DockerKafka()
    return local_kafka(workdir)


def local_kafka(workdir: Path) -> Broker:
    return Broker(
        workdir, port=free_port(), controller_port=free_port(), heap="512m"
    ).start()


class _DockerPostgres:
    def __init__(self):
        from testcontainers.postgres import PostgresContainer

        self.container = PostgresContainer(
            "postgres:16-alpine",
            username="postgres",
            password="postgres",
            dbname="postgres",
        ).start()

    def url(self, database: str) -> str:
        host = self.container.get_container_host_ip()
        port = self.container.get_exposed_port(5432)
        return f"postgresql://postgres:postgres@{host}:{port}/{database}"

    def stop(self):
        self.container.stop()


class _DockerKafka:
    def __init__(self):
        from testcontainers.kafka import KafkaContainer

        self.container = (
            KafkaContainer("confluentinc/cp-kafka:7.6.0").with_kraft().start()
        )
        self.bootstrap = self.container.get_bootstrap_server()

    def stop(self):
        self.container.stop()
