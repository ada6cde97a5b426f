"""A real Apache Kafka 4.x broker (KRaft, broker and controller in one JVM).

`ensure_jars` fetches the broker's jars from Maven Central once into
`.cache/kafka/<version>/libs` (Maven's own `~/.m2` cache makes a second
fetch fast too); `Broker` formats its data folder, starts the JVM with its
log in a file, waits until a client can talk to it, and stops it cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from devstack import proc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VERSION = "4.1.1"


class KafkaSetupError(RuntimeError):
    pass


def cache_dir() -> Path:
    return Path(os.environ.get("KAFKA_CACHE_DIR", ROOT / ".cache" / "kafka")) / VERSION


def ensure_jars() -> Path:
    libs = cache_dir() / "libs"
    marker = libs / ".complete"
    if marker.exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise KafkaSetupError(
            "Maven (mvn) is needed to fetch the Kafka broker's jars; install it (apt-get install maven)"
        )
    libs.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            mvn,
            "-B",
            "-q",
            "-f",
            str(HERE / "pom.xml"),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={libs}",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise KafkaSetupError(
            f"mvn could not fetch the Kafka jars:\n{result.stdout}\n{result.stderr}"
        )
    marker.write_text(VERSION)
    return libs


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "java" if home else None
    if candidate and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if not found:
        raise KafkaSetupError("Java 17 or newer is needed to run the Kafka broker")
    return found


PROPERTIES = """\
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={data}
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.dedupe.buffer.size=2097152
auto.create.topics.enable=true
"""


class Broker:
    def __init__(
        self,
        workdir: Path,
        port: int = 9092,
        controller_port: int = 9093,
        heap: str = "512m",
    ):
        self.workdir = Path(workdir)
        self.port = port
        self.controller_port = controller_port
        self.heap = heap
        self.process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "kafka.log"

    def _configure(self, libs: Path) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        data = self.workdir / "data"
        props = self.workdir / "server.properties"
        props.write_text(
            PROPERTIES.format(
                port=self.port, controller_port=self.controller_port, data=data
            )
        )
        if not (data / "meta.properties").exists():
            cp = f"{libs}/*"
            cluster_id = subprocess.run(
                [java(), "-cp", cp, "kafka.tools.StorageTool", "random-uuid"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            result = subprocess.run(
                [
                    java(),
                    "-Xmx256m",
                    f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}",
                    "-cp",
                    cp,
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(props),
                    "-g",
                ],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise KafkaSetupError(
                    f"formatting Kafka storage failed: {result.stdout}{result.stderr}"
                )
        return props

    def command(self, libs: Path, props: Path) -> list[str]:
        return [
            java(),
            "-Xms256m",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={self.workdir / 'logs'}",
            f"-Dlog4j2.configurationFile={HERE / 'log4j2.properties'}",
            "-cp",
            f"{libs}/*",
            "kafka.Kafka",
            str(props),
        ]

    def start(self, timeout_s: float = 90) -> Broker:
        libs = ensure_jars()
        props = self._configure(libs)
        offset = self.log_file.stat().st_size if self.log_file.exists() else 0
        log = open(self.log_file, "ab")
        self.process = proc.popen(
            self.command(libs, props), stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.wait_ready(timeout_s, offset)
        return self

    def wait_ready(self, timeout_s: float, offset: int = 0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise KafkaSetupError(
                    f"Kafka exited with {self.process.returncode}; see {self.log_file}"
                )
            with open(self.log_file, "rb") as f:
                f.seek(offset)
                if b"Kafka Server started" in f.read() and _port_open(self.port):
                    return
            time.sleep(0.2)
        raise KafkaSetupError(
            f"Kafka not ready after {timeout_s}s; see {self.log_file}"
        )

    def stop(self, timeout_s: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
