"""The guard of `python -m bench e2e`: new figures beside the accepted
ones, and plainly which are more than 20 % worse."""

from __future__ import annotations

import json
import math

from bench import guard
from bench.e2e import machine_share

ACCEPTED = {"label": "50/s", "carried": 24.5, "p50": 31.0, "p99": 39.8}


def test_fewer_introductions_carried_by_more_than_a_fifth_is_worse():
    rows = guard.compare(dict(ACCEPTED, carried=19.0), ACCEPTED)
    carried = rows[0]
    assert carried["name"] == "carried" and carried["worse"]
    assert math.isclose(carried["ratio"], 19.0 / 24.5)
    assert not guard.compare(dict(ACCEPTED, carried=20.0), ACCEPTED)[0]["worse"]


def test_a_slower_latency_is_worse_only_beyond_a_fifth_and_half_a_second():
    slow = {r["name"]: r for r in guard.compare(dict(ACCEPTED, p99=48.0), ACCEPTED)}
    assert slow["p99"]["worse"] and not slow["p50"]["worse"]
    tiny = {"label": "10/s", "carried": 10, "p50": 0.16, "p99": 0.26}
    noisy = guard.compare(dict(tiny, p99=0.40), tiny)
    assert not any(r["worse"] for r in noisy)  # ×1.5, but 0.14 s
    stuck = guard.compare(dict(ACCEPTED, p99=math.inf), ACCEPTED)
    assert stuck[2]["worse"] and stuck[2]["ratio"] == math.inf


def test_the_verdict_names_what_went_backwards_and_says_so_when_nothing_did(
    tmp_path,
):
    rows = guard.compare(dict(ACCEPTED, carried=12.0), ACCEPTED)
    said = guard.verdict({"50/s": [r for r in rows if r["worse"]]})
    assert "1 figure(s) more than 20 % worse" in said and "50/s: carried ×0.49" in said
    assert "no figure" in guard.verdict({})
    assert "WORSE" in guard.line(rows)
    path = tmp_path / "e2e.json"
    path.write_text(json.dumps([ACCEPTED]))
    assert guard.load(path) == {"50/s": ACCEPTED}
    assert guard.load(tmp_path / "none.json") == {}
    assert guard.compare(ACCEPTED, None) == []


def test_each_run_says_how_busy_the_machine_was_and_what_the_hypervisor_took():
    # user, nice, system, idle, iowait, irq, softirq, steal
    before = [100, 0, 50, 800, 10, 0, 0, 40]
    after = [400, 0, 150, 850, 20, 0, 0, 140]  # 560 ticks: 60 idle, 100 stolen
    share = machine_share(before, after)
    assert round(share["busy"], 3) == round(500 / 560, 3)
    assert round(share["stolen"], 3) == round(100 / 560, 3)
    assert machine_share(None, after) == {}


def test_the_throughput_chart_averages_each_second_with_its_neighbours():
    from bench.e2e import smooth

    assert smooth([0, 0, 10, 0, 0], 5) == [10 / 3, 2.5, 2.0, 2.5, 10 / 3]
    assert smooth([4, 4, 4], 5) == [4, 4, 4]
