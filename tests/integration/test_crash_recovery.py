"""A consumer killed between its database commit and its offset commit."""

import subprocess
import sys

from devstack import proc
from tests.integration import pipeline
from tests.support import ROOT, wait_for


def run_consumer(db, bootstrap, names, crash_after: int) -> subprocess.Popen:
    return proc.popen(
        [
            sys.executable,
            "-m",
            "tests.integration.crashing_consumer",
            db,
            bootstrap[0],
            names.prefix,
            str(crash_after),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_sigkill_after_db_commit_before_offset_commit_has_no_second_effect(
    database_url, bootstrap, names
):
    pipeline.prepare(database_url)
    ids = pipeline.write_events(database_url, 30)
    relay = pipeline.make_relay(database_url, bootstrap, names).start()
    try:
        crashing = run_consumer(database_url, bootstrap, names, crash_after=5)
        try:
            assert crashing.wait(90) == -9  # it died by SIGKILL, offsets uncommitted
        finally:
            proc.terminate(crashing, timeout_s=5)
        assert len(pipeline.effect_counts(database_url)) >= 5

        survivor = run_consumer(database_url, bootstrap, names, crash_after=0)
        try:
            counts = wait_for(
                lambda: (
                    (c := pipeline.effect_counts(database_url)) and len(c) == 30 and c
                ),
                90,
                message="all 30 events after the restart",
            )
        finally:
            proc.terminate(survivor, timeout_s=30)
        assert set(counts) == set(ids)
        assert set(counts.values()) == {1}
    finally:
        relay.stop()
