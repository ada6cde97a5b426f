"""POST /api/v1/requests under gunicorn: throughput and latency of intake,
as a ratio to a minimal Flask + marshmallow + psycopg app (bench/minimal_app.py)
that inserts the same row and outbox row, measured in the same run."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.infra import fresh_database
from devstack import samples
from devstack.ports import free_port
from devstack.postgres import Postgres

REQUESTS = 3000
CLIENTS = 8
ROOT = Path(__file__).resolve().parent.parent


def body() -> bytes:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return json.dumps(samples.request_body(start=start, referrer=None)).encode()


def gunicorn(app: str, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            "2",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", "/")
            c.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{app} did not start")


def load(port: int, n: int) -> tuple[float, list[float]]:
    payload = body()
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(n))

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in counter:
            headers = {
                "Content-Type": "application/json",
                "X-Remote-User": f"u{uuid.uuid4().hex[:12]}@example.com",
            }
            t = time.perf_counter()
            conn.request("POST", "/api/v1/requests", body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t)
            if response.status != 202:
                raise RuntimeError(f"status {response.status}")
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return n / (time.perf_counter() - t), latencies


def describe(name: str, rate: float, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100)
    return f"  {name:<28} {rate:8.0f} req/s   p50 {q[49] * 1000:6.1f} ms   p95 {q[94] * 1000:6.1f} ms"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        pg = Postgres(Path(tmp) / "pg", port=free_port(), database="bench").start()
        try:
            ours_db, base_db = (
                fresh_database(pg, "ours"),
                fresh_database(pg, "baseline"),
            )
            common = {
                **os.environ,
                "SECRET_KEY": "Bq3-Wz8mLr5Tx1Kv7Nh2Ps9Jd4Fc6Yg0Ua",
                "CALENDAR_KEY": "Cn6-Hv2qXt9Lm4Rw1Kb8Pz5Jf3Gd7Ys0Ue",
                "AUTH_MODE": "dev",
                "LOG_LEVEL": "WARNING",
                "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
                "OUTBOX_RELAY": "off",
                "MAX_OPEN_REQUESTS": "1000",
                "SUBMISSIONS_PER_HOUR": "1000",
            }
            ours_port, base_port = free_port(), free_port()
            ours = gunicorn(
                "services.intake.wsgi:app",
                ours_port,
                {**common, "DATABASE_URL": ours_db},
            )
            base = gunicorn(
                "bench.minimal_app:app", base_port, {**common, "DATABASE_URL": base_db}
            )
            try:
                results = {}
                for _round in range(
                    2
                ):  # interleaved rounds, warm-up included in neither figure
                    for name, port in (("baseline", base_port), ("intake", ours_port)):
                        load(port, 200)
                        results.setdefault(name, []).append(load(port, REQUESTS // 2))
            finally:
                for p in (ours, base):
                    p.terminate()
                    p.wait(10)
        finally:
            pg.stop()
    merged = {
        k: (sum(r for r, _ in v) / len(v), [x for _, lat in v for x in lat])
        for k, v in results.items()
    }
    print(
        f"intake benchmark: POST /api/v1/requests, {REQUESTS} requests per app, {CLIENTS} clients, "
        "gunicorn 2 workers x 4 threads"
    )
    print(describe("minimal Flask app (baseline)", *merged["baseline"]))
    print(describe("intake", *merged["intake"]))
    print(
        f"  ratio intake / baseline throughput {merged['intake'][0] / merged['baseline'][0]:.2f} (aim: >= 0.8)"
    )


if __name__ == "__main__":
    main()
