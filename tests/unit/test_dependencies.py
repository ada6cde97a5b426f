"""What is installed is what runs: the urllib3 every HTTP call goes through
is the urllib3 distribution pip installed and an audit reports, byte for
byte, not another package's copy written over it at start-up (as
urllib3-future's .pth file does)."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as metadata
import sys
from pathlib import Path

import urllib3


def test_the_urllib3_that_runs_is_the_one_installed():
    dist = metadata.distribution("urllib3")
    assert urllib3.__version__ == dist.version
    files = {Path(dist.locate_file(f)).resolve(): f for f in dist.files or []}
    assert Path(urllib3.__file__).resolve() in files
    changed = []
    for path, record in files.items():
        if record.hash is None or not str(record).endswith(".py"):
            continue
        digest = hashlib.new(record.hash.mode, path.read_bytes()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != record.hash.value:
            changed.append(str(record))
    assert not changed, f"urllib3 files differ from what pip recorded: {changed[:5]}"


def test_no_package_rewrites_urllib3_at_start_up():
    installed = {d.metadata["Name"].lower() for d in metadata.distributions()}
    assert "urllib3-future" not in installed and "niquests" not in installed
    rewriters = [
        pth
        for entry in map(Path, sys.path)
        if entry.is_dir()
        for pth in entry.glob("*.pth")
        if "urllib3_future" in pth.read_text(errors="replace")
    ]
    assert not rewriters
