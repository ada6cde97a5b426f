"""`make run`'s supervisor for real: its own PostgreSQL, Kafka, mail sink and CalDAV server,
three services healed after a SIGKILL, and nothing left after Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import requests

from devstack.ports import free_port
from tests.support import ROOT, base_env, wait_for


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_make_run_starts_everything_heals_a_killed_service_and_stops_clean(tmp_path):
    ports = {
        name: free_port()
        for name in (
            "INTAKE_PORT",
            "MATCHER_PORT",
            "NOTIFIER_PORT",
            "EMBEDDED_POSTGRES_PORT",
            "EMBEDDED_KAFKA_PORT",
            "EMBEDDED_KAFKA_CONTROLLER_PORT",
            "MAIL_SINK_PORT",
            "LOCAL_CALDAV_PORT",
        )
    }
    env = base_env(RUN_DIR=str(tmp_path / "run"), **ports)
    env.pop("SECRET_KEY")  # generated into RUN_DIR, as on a first `make run`
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    urls = [
        f"http://127.0.0.1:{ports[p]}"
        for p in ("INTAKE_PORT", "MATCHER_PORT", "NOTIFIER_PORT")
    ]
    try:
        wait_for(
            lambda: all(
                requests.get(u + "/readyz", timeout=3).status_code == 200 for u in urls
            ),
            120,
            0.5,
            message="three services ready",
        )
        assert (tmp_path / "run" / "secret_key").exists()
        caldav = requests.request(
            "PROPFIND",
            f"http://127.0.0.1:{ports['LOCAL_CALDAV_PORT']}/demo/",
            auth=("demo", "demo"),
            timeout=5,
        )
        assert caldav.status_code == 207  # a CalDAV server, its demo user signed in
        wait_for(  # and a calendar with busy times to connect, as the README says
            lambda: (
                requests.request(
                    "PROPFIND",
                    f"http://127.0.0.1:{ports['LOCAL_CALDAV_PORT']}/demo/work/",
                    auth=("demo", "demo"),
                    headers={"Depth": "1"},
                    timeout=5,
                ).text.count(".ics</")
                >= 2
            ),
            30,
            message="the demo user's calendar with its events",
        )

        def pids(what):
            return [
                int(m)
                for line in list(lines)
                for m in re.findall(rf"{what}.*?\(pid (\d+)", line)
            ]

        matcher = pids("matcher started")[-1]
        os.kill(matcher, signal.SIGKILL)
        wait_for(
            lambda: len(pids("matcher started")) == 2,
            30,
            message="the matcher started again",
        )
        assert any(
            "matcher exited with status -9; restarting" in line for line in lines
        )
        wait_for(
            lambda: requests.get(urls[1] + "/readyz", timeout=3).status_code == 200,
            60,
            message="the new matcher ready",
        )

        children = (
            pids("PostgreSQL ready")
            + pids("Kafka ready")
            + pids("mail sink started")
            + pids("CalDAV server started")
            + [pids(f"{s} started")[-1] for s in ("intake", "matcher", "notifier")]
        )
        assert len(children) == 7 and all(alive(p) for p in children)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(90) == 0
        assert [p for p in children if alive(p)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(5)
