"""End to end: introductions through the public API of the whole service.

The services run as `make run` runs them (one process each, or two
matchers and two notifiers), on their own PostgreSQL and Kafka, mailing a
recording SMTP server. Requests are posted at a fixed rate for
`BENCH_E2E_SECONDS` (60 by default), each from its own requester, and each
is followed to both of its emails: the requester's receipt and the host's
invitation. Printed: introductions per second carried while posting, the
backlog left, and the latency from the POST to the invitation (p50, p95,
p99), each beside the last accepted figure with their ratio (`guard`: more
than 20 % worse is said plainly). The figures and charts go to
`.cache/bench/`; `python -m bench e2e --accept` writes them to
`docs/benchmarks/` as the new accepted ones.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from bench import guard
from bench.infra import OUTBOX_NOTIFY, fresh_database, servers
from devstack import proc, samples
from devstack.ports import free_port, wait_listening
from shared.db import connect

ROOT = Path(__file__).resolve().parent.parent
CHARTS = ROOT / "docs" / "benchmarks"  # the accepted figures and their charts
LAST = ROOT / ".cache" / "bench"  # a run's figures, until accepted
SECONDS = int(os.environ.get("BENCH_E2E_SECONDS", "60"))
# `BENCH_E2E_ONLY="10/s|50/s"`: only the settings so labelled
ONLY = [p for p in os.environ.get("BENCH_E2E_ONLY", "").split("|") if p]
# `BENCH_E2E_DIAGNOSE=1`: each setting also prints the statements that took
# PostgreSQL the most time and the locks waited for (`diagnosis`)
DIAGNOSE = os.environ.get("BENCH_E2E_DIAGNOSE", "") not in ("", "0")
SMOOTH_S = 5  # seconds averaged in the throughput chart
DRAIN_S = 120  # after posting, how long a backlog is followed before giving up
HOSTS = 300
# long enough to be read by meaning (shared/meaning.py: MIN_GOAL_WORDS), as
# most goals are: every introduction pays for reading its goal
GOAL = "See how the job really is day to day before I apply for it"
PARIS = ZoneInfo("Europe/Paris")
EVERY_HOUR = [
    {"day": d, "start": "00:00", "end": "24:00"}
    for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
]
RUNS = (  # (label, rate per second, matcher and notifier processes, round window)
    ("10/s", 10, 1, "0"),
    ("50/s", 50, 1, "0"),
    ("100/s", 100, 1, "0"),
    ("50/s, 2+2 processes", 50, 2, "0"),
    ("50/s, rounds of 3 s", 50, 1, "PT3S"),
    ("50/s, mail in batches of 20", 50, 1, "0"),
    # the baseline of the senders and of one email per moment, in the same run:
    # the notifier as it was before them
    ("50/s, one sender, each email alone", 50, 1, "0"),
    # the baseline of matching by meaning, in the same run
    ("50/s, fields alone (MATCH_BY_MEANING=off)", 50, 1, "0"),
    # a diagnosis, not a setting to run with: commits not waiting for the disk
    ("50/s, commits not flushed", 50, 1, "0"),
    # the baseline of migration 0018, in the same run: each outbox insert
    # sends a NOTIFY, as before it (the relays poll all the same)
    ("50/s, outbox NOTIFY on each insert", 50, 1, "0"),
)
BATCHED_MAIL = "mail in batches"
ONE_SENDER = "one sender"
FIELDS_ALONE = "fields alone"
UNFLUSHED = "commits not flushed"
NOTIFYING = "outbox NOTIFY"
NAME = re.compile(r"Req(\d{7})")  # `first` of each setting: 100,000 apart
INF = float("inf")


class Mailbox:
    """The SMTP sink of `make run` (devstack/mailsink.py) in its own process,
    and when each email of each request reached it (the time its file was
    written)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process = None
        self.receipts: dict[int, float] = {}
        self.invitations: dict[int, float] = {}
        self.seen: set[str] = set()
        self.emails = 0

    def start(self) -> None:
        self.process = proc.popen(
            [sys.executable, "-m", "devstack.mailsink", "--folder", str(self.folder),
             "--port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_listening(self.port, "the SMTP sink")

    def stop(self) -> None:
        proc.terminate(self.process)

    def scan(self) -> None:
        for path in self.folder.glob("*.eml"):
            if path.name in self.seen:
                continue
            self.seen.add(path.name)
            at = path.stat().st_mtime
            with open(path, "rb") as f:
                msg = email.message_from_binary_file(f, policy=default)
            self.emails += 1
            # an email that says several things lists their kinds
            kinds = str(msg["X-Matchmaker-Kind"]).split()
            rcpt = msg["X-Sink-Rcpt-To"] or ""
            found = NAME.search(str(msg["Subject"]))
            if "request_received" in kinds and rcpt.startswith("r"):
                self.receipts[int(rcpt[1:8])] = at
            elif "invitation" in kinds and found:
                self.invitations.setdefault(int(found.group(1)), at)


@dataclass
class Run:
    label: str
    rate: int
    posted: dict = field(default_factory=dict)  # request number -> monotonic time
    refused: int = 0
    started: float = 0.0


def service_env(url: str, bootstrap: str, mailbox: Mailbox, window: str) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "KAFKA_", "DATABASE_", "CALENDAR_"))
    }
    env.update(
        DATABASE_URL=url,
        KAFKA_BOOTSTRAP_SERVERS=bootstrap,
        TOPIC_PREFIX=f"e2e{uuid.uuid4().hex[:8]}-",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(mailbox.port),
        SECRET_KEY="Bq3-Wz8mLr5Tx1Kv7Nh2Ps9Jd4Fc6Yg0Ua",
        CALENDAR_KEY="Cn6-Hv2qXt9Lm4Rw1Kb8Pz5Jf3Gd7Ys0Ue",
        AUTH_MODE="dev",
        MATCH_ROUND_WINDOW=window,
        SUBMISSIONS_PER_HOUR="1000",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextlib.contextmanager
def services(env: dict, processes: int, log_dir: Path):
    """Intake, then `processes` matchers and notifiers, ready."""
    started = []
    names = ["intake"] + ["matcher", "notifier"] * processes
    try:
        for i, name in enumerate(names):
            port = free_port()
            e = {**env, f"{name.upper()}_PORT": str(port)}
            if name == "intake":
                env["INTAKE_PORT"] = e["INTAKE_PORT"]
            log = open(log_dir / f"{name}-{i}.log", "ab")
            started.append(
                (
                    proc.popen([sys.executable, "-m", f"services.{name}"], env=e,
                               cwd=ROOT, stdout=log, stderr=log),
                    f"http://127.0.0.1:{port}",
                    name,
                )
            )  # fmt: skip
        for process, url, _ in started:
            wait_ready(process, url)
        yield started[0][1], [(name, process) for process, _, name in started]
    finally:
        for process, _, _ in started:
            proc.terminate(process)


def cpu_seconds(processes: list) -> dict:
    """CPU time (user + system) used so far by each service and by this
    benchmark's own process (the load), by name."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict = {}
    for name, process in processes:
        with open(f"/proc/{process.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    t = os.times()
    out["load"] = t.user + t.system
    return out


def machine_ticks() -> list[int] | None:
    """The whole machine's CPU time so far, by state (`/proc/stat`: user,
    nice, system, idle, iowait, irq, softirq, steal); None off Linux."""
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:9]]
    except OSError:
        return None


def machine_share(before, after) -> dict:
    """Of the machine's time between two `machine_ticks`: the share busy,
    and the share the hypervisor took for others (`steal`), which no
    process here can use: a run that lost much of it says little."""
    if not before or not after:
        return {}
    spent = [a - b for a, b in zip(after, before, strict=True)]
    total = sum(spent) or 1
    return {"busy": 1 - (spent[3] + spent[4]) / total, "stolen": spent[7] / total}


def wait_ready(process, url: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: exited {process.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url + "/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)  # polling a starting process, with a deadline
    raise RuntimeError(f"{url} not ready in {timeout_s:.0f} s")


def add_hosts(base: str, url: str) -> None:
    with requests.Session() as s:
        for i in range(HOSTS):
            s.put(
                f"{base}/api/v1/hosts/me",
                json={
                    "name": f"Host {i}", "fields": ["management"],
                    "languages": ["fr", "en"], "formats": ["video"], "site": None,
                    "timezone": "Europe/Paris", "durations": [30],
                    "monthly_capacity": 20, "weekly_availability": EVERY_HOUR,
                    "unavailable": [], "active": True,
                },
                headers={"X-Remote-User": f"host{i}@bench.example"},
                timeout=10,
            ).raise_for_status()  # fmt: skip
    deadline = time.monotonic() + 120
    with connect(url) as conn:
        while time.monotonic() < deadline:
            n = conn.execute(
                "SELECT count(*) AS n FROM inbox WHERE event_type = 'HostProfileChanged'"
                " AND consumer = 'matcher'"
            ).fetchone()["n"]
            if n >= HOSTS:
                return
            time.sleep(0.2)  # waiting for the matcher to read the profiles
    raise RuntimeError("the matcher did not read the host profiles")


def request_body(n: int) -> dict:
    day = (datetime.now(PARIS) + timedelta(days=2 + n % 50)).date()
    start = datetime(day.year, day.month, day.day, 8, tzinfo=PARIS)
    return samples.request_body(
        start=start,
        hours=12,
        name=f"Req{n:07d}",
        goal=GOAL,
        related_ok=False,
        referrer=None,
    )


def post_at_rate(base: str, run: Run, first: int) -> None:
    local = threading.local()

    def post(n: int) -> None:
        session = getattr(local, "s", None) or requests.Session()
        local.s = session
        t = time.time()
        r = session.post(
            f"{base}/api/v1/requests",
            json=request_body(n),
            headers={"X-Remote-User": f"r{n:07d}@bench.example"},
            timeout=30,
        )
        if r.status_code == 202:
            run.posted[n] = t
        else:
            run.refused += 1

    total = run.rate * SECONDS
    run.started = time.time()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for k in range(total):
            delay = run.started + k / run.rate - time.time()
            if delay > 0:
                time.sleep(delay)  # the fixed arrival rate
            pool.submit(post, first + k)


def follow(mailbox: Mailbox, run: Run) -> None:
    deadline = time.monotonic() + DRAIN_S
    while time.monotonic() < deadline:
        mailbox.scan()
        if all(n in mailbox.invitations for n in run.posted):
            return
        time.sleep(0.5)  # following the backlog, with a deadline


def figures(mailbox: Mailbox, run: Run) -> dict:
    mailbox.scan()
    invited = {
        n: mailbox.invitations[n] for n in run.posted if n in mailbox.invitations
    }
    received = sum(1 for n in run.posted if n in mailbox.receipts)
    # not invited by the end of the drain: counted as later than any
    lat = sorted(
        invited[n] - run.posted[n] if n in invited else INF for n in run.posted
    )
    end = run.started + SECONDS
    during = sum(1 for t in invited.values() if run.started <= t <= end)

    def pct(p):
        return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")

    per_second = [0] * (SECONDS + DRAIN_S)
    for t in invited.values():
        i = int(t - run.started)
        if 0 <= i < len(per_second):
            per_second[i] += 1
    return {
        "label": run.label, "rate": run.rate, "posted": len(run.posted),
        "refused": run.refused, "invited": len(invited), "receipts": received,
        "carried": during / SECONDS, "backlog": len(run.posted) - during,
        "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
        "per_second": per_second,
        "emails_per_introduction": mailbox.emails / len(invited) if invited else None,
    }  # fmt: skip


def one(pg, broker, label, rate, processes, window, log_dir, first) -> dict:
    mailbox = Mailbox(log_dir / f"mail-{first}")
    mailbox.start()
    try:
        url = fresh_database(pg, f"e2e{first}")
        log_from = diagnosis_start(pg, url) if DIAGNOSE else None
        if UNFLUSHED in label:
            with connect(url, autocommit=True) as conn:
                conn.execute(
                    f'ALTER DATABASE "e2e{first}" SET synchronous_commit = off'
                )
        if NOTIFYING in label:
            with connect(url, autocommit=True) as conn:
                conn.execute(OUTBOX_NOTIFY)  # as before migration 0018
        env = service_env(url, broker.bootstrap, mailbox, window)
        if BATCHED_MAIL in label:
            env["NOTIFY_BATCH"] = "20"
        if ONE_SENDER in label:
            env["NOTIFY_WORKERS"], env["NOTIFY_MERGE_WINDOW"] = "1", "PT0S"
        if FIELDS_ALONE in label:
            env["MATCH_BY_MEANING"] = "off"
        with services(env, processes, log_dir) as (base, running):
            add_hosts(base, url)
            run = Run(label, rate)
            before, t0 = cpu_seconds(running), time.monotonic()
            ticks = machine_ticks()
            post_at_rate(base, run, first)
            follow(mailbox, run)
            after, elapsed = cpu_seconds(running), time.monotonic() - t0
            result = figures(mailbox, run)
            result["cpu"] = {k: (after[k] - before[k]) / elapsed for k in after}
            result["machine"] = machine_share(ticks, machine_ticks())
            result["stages"] = stages(url)
            if DIAGNOSE:
                result["diagnosis"] = diagnosis(pg, url, log_from)
            return result
    finally:
        mailbox.stop()


STAGES = """
SELECT percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY
         extract(epoch FROM r.proposed_at - r.created_at)) AS matched,
       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY
         extract(epoch FROM n.created_at - r.proposed_at)) AS queued,
       percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY
         extract(epoch FROM n.sent_at - n.created_at)) AS sent
FROM requests r JOIN notifications n ON n.request_id = r.id AND n.kind = 'invitation'
WHERE r.proposed_at IS NOT NULL AND n.sent_at IS NOT NULL
"""


TOP_STATEMENTS = r"""
SELECT calls, total_exec_time AS total_ms, mean_exec_time AS mean_ms,
       left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS statement
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
ORDER BY total_exec_time DESC LIMIT 8
"""
LOCK_WAIT = re.compile(r"acquired \w+ on .+ after ([0-9.]+) ms")


def diagnosis_start(pg, url: str) -> int:
    """Statement counts from zero for this setting's database; where its
    lock waits begin in the server's log."""
    with connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        conn.execute("SELECT pg_stat_statements_reset()")
    return pg.log_file.stat().st_size if pg.log_file.exists() else 0


def diagnosis(pg, url: str, log_from: int) -> dict:
    """The statements that took the server the most time in this setting,
    and the locks waited for over 200 ms (how many, how long in all)."""
    with connect(url) as conn:
        top = conn.execute(TOP_STATEMENTS).fetchall()
    with open(pg.log_file, "rb") as f:
        f.seek(log_from)
        waits = [float(m) for m in LOCK_WAIT.findall(f.read().decode(errors="replace"))]
    return {
        "statements": [dict(r) for r in top],
        "lock_waits": len(waits),
        "lock_wait_s": sum(waits) / 1000,
    }


def stages(url: str) -> dict:
    """Where the time from POST to invitation went, per stage (p50, p95 in
    seconds): the request stored until the matcher proposed a host; the
    proposal until the notifier queued the invitation; queued until sent."""
    with connect(url) as conn:
        row = conn.execute(STAGES).fetchone()
    return {k: tuple(v or (float("nan"), float("nan"))) for k, v in row.items()}


def smooth(per_second: list, width: int = 0) -> list[float]:
    """Each second as the average of the `width` seconds around it (fewer at
    the ends), so that ten settings' lines can be told apart."""
    width = width or SMOOTH_S
    half = width // 2
    out = []
    for i in range(len(per_second)):
        around = per_second[max(0, i - half) : i + half + 1]
        out.append(sum(around) / len(around))
    return out


def draw(results: list[dict], folder: Path = CHARTS) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for r in results:
        ax.plot(
            range(len(r["per_second"])),
            smooth(r["per_second"]),
            label=r["label"],
            lw=1.2,
        )
    ax.axvline(SECONDS, color="grey", ls="--", lw=0.8)
    ax.set(xlabel="seconds since the first POST",
           ylabel=f"invitations delivered per second ({SMOOTH_S} s average)",
           title="End to end: introductions carried over time")  # fmt: skip
    ax.legend(fontsize=8)
    fig.tight_layout()
    throughput = folder / "e2e-throughput.png"
    fig.savefig(throughput, dpi=110)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(9, 5.5))
    labels = [r["label"] for r in results]
    x = range(len(results))
    for key, offset in (("p50", -0.25), ("p95", 0), ("p99", 0.25)):
        heights = [
            min(r[key], SECONDS + DRAIN_S) for r in results
        ]  # unfinished: capped
        ax.bar([i + offset for i in x], heights, width=0.25, label=key)
    ax.set_xticks(list(x), labels, fontsize=7, rotation=30, ha="right")
    for i, r in enumerate(results):
        if r["p50"] == INF or r["p99"] == INF:
            ax.annotate(f"not all invited\nwithin {SECONDS + DRAIN_S} s",
                        (i, SECONDS + DRAIN_S), ha="center", va="top", fontsize=7,
                        color="white")  # fmt: skip
    ax.set(ylabel="seconds from POST to the host's invitation",
           title="End to end: latency by rate and setting")  # fmt: skip
    ax.legend()
    fig.tight_layout()
    latency = folder / "e2e-latency.png"
    fig.savefig(latency, dpi=110)
    plt.close(fig)
    return [throughput, latency]


def print_diagnosis(d: dict) -> None:
    print(
        f"    locks waited for over 200 ms: {d['lock_waits']},"
        f" {d['lock_wait_s']:.1f} s in all; the statements that took the server"
        " the most time (calls, total, mean):"
    )
    for st in d["statements"]:
        print(
            f"      {st['calls']:7d} {st['total_ms'] / 1000:7.1f} s"
            f" {st['mean_ms']:7.2f} ms  {st['statement']}"
        )


def secs(value: float) -> str:
    return f"{value:6.2f} s" if value != INF else f"> {SECONDS + DRAIN_S} s"


def main() -> None:
    """Every setting, each figure beside the accepted one (`guard`);
    `--accept` makes this run's figures and charts the accepted ones."""
    accept = "--accept" in sys.argv
    if accept and ONLY:
        sys.exit(
            "--accept keeps every setting's figures: run it without BENCH_E2E_ONLY"
        )
    accepted = guard.load(CHARTS / "e2e.json")
    worse: dict = {}
    print(f"end-to-end benchmark ({SECONDS} s of posting per setting, {HOSTS} hosts)")
    results = []
    with servers(DIAGNOSE) as (pg, broker), tempfile.TemporaryDirectory() as logs:
        for i, (label, rate, processes, window) in enumerate(RUNS):
            if ONLY and label not in ONLY:
                continue
            r = one(pg, broker, label, rate, processes, window, Path(logs),
                    first=(i + 1) * 100_000)  # fmt: skip
            results.append(r)
            print(
                f"  {label:<22} posted {r['posted']:5d} ({r['refused']} refused),"
                f" carried {r['carried']:6.1f} introductions/s while posting,"
                f" backlog {r['backlog']:5d}; POST to invitation p50 {secs(r['p50'])},"
                f" p95 {secs(r['p95'])}, p99 {secs(r['p99'])};"
                f" {r['invited']} invited, {r['receipts']} receipts,"
                f" {r['emails_per_introduction'] or 0:.2f} emails per introduction"
            )
            machine = r.get("machine")
            print(
                "    CPU, cores busy on average: "
                + ", ".join(f"{k} {v:.2f}" for k, v in r["cpu"].items())
                + (
                    f"; the machine {machine['busy']:.0%} busy,"
                    f" {machine['stolen']:.0%} taken by the hypervisor"
                    if machine
                    else ""
                )
            )
            print(
                "    stages p50/p95 s: "
                + ", ".join(f"{k} {a:.2f}/{b:.2f}" for k, (a, b) in r["stages"].items())
                + " (stored→proposed, proposed→queued, queued→sent)"
            )
            if "diagnosis" in r:
                print_diagnosis(r["diagnosis"])
            beside = guard.compare(r, accepted.get(label))
            if beside:
                print("    against the accepted: " + guard.line(beside))
                if any(b["worse"] for b in beside):
                    worse[label] = [b for b in beside if b["worse"]]
    folder = CHARTS if accept else LAST
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "e2e.json").write_text(json.dumps(results, indent=1, default=str))
    for path in draw(results, folder):
        print(f"  chart: {path.relative_to(ROOT)}")
    print(f"  at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores")
    print(guard.verdict(worse))
    if not accept:
        print(
            f"  figures kept in {LAST.relative_to(ROOT)}; `python -m bench e2e"
            " --accept` makes them the accepted ones (docs/benchmarks/)"
        )


if __name__ == "__main__":
    main()
