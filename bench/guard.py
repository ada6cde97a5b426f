"""A guard against going backwards: each new end-to-end figure beside the
last accepted one (`docs/benchmarks/e2e.json`), with their ratio, and
plainly which are more than `WORSE` worse.

Carried introductions per second are worse when lower; latencies (p50,
p99) when higher, by `WORSE` and by `FLOOR_S` at least (tenths of a second
at 10/s are noise on a shared machine). A setting that left a backlog it
could not drain has an infinite p99: worse than any finite one.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

WORSE = 0.20
FLOOR_S = 0.5
LATENCIES = ("p50", "p99")


def load(path: Path) -> dict:
    """The accepted figures by label (none if the file is not there)."""
    try:
        rows = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {r["label"]: r for r in rows if isinstance(r, dict) and "label" in r}


def compare(new: dict, old: dict | None) -> list[dict]:
    """Each figure of `new` beside `old`'s: name, new, old, ratio (new/old),
    worse (bool)."""
    if not old:
        return []
    out = []
    carried, before = new["carried"], old["carried"]
    out.append(
        {
            "name": "carried",
            "new": carried,
            "old": before,
            "ratio": carried / before if before else math.inf,
            "worse": carried < (1 - WORSE) * before,
        }
    )
    for name in LATENCIES:
        a, b = _seconds(new[name]), _seconds(old[name])
        ratio = a / b if b and math.isfinite(b) else (1.0 if a == b else math.inf)
        out.append(
            {
                "name": name,
                "new": a,
                "old": b,
                "ratio": ratio,
                "worse": a > (1 + WORSE) * b and a - b > FLOOR_S,
            }
        )
    return out


def line(rows: list[dict]) -> str:
    """`carried 31.2/s (was 24.5, ×1.27) · p50 …`, worse ones marked."""
    parts = []
    for r in rows:
        unit = "/s" if r["name"] == "carried" else " s"
        mark = " WORSE" if r["worse"] else ""
        parts.append(
            f"{r['name']} {_show(r['new'])}{unit} (was {_show(r['old'])},"
            f" ×{_show(r['ratio'])}){mark}"
        )
    return " · ".join(parts)


def verdict(worse: dict) -> str:
    """The closing line: which settings went backwards, by how much."""
    if not worse:
        return "e2e guard: no figure more than 20 % worse than the accepted ones"
    listed = "; ".join(
        f"{label}: " + ", ".join(f"{r['name']} ×{_show(r['ratio'])}" for r in rows)
        for label, rows in worse.items()
    )
    return (
        f"e2e guard: {sum(map(len, worse.values()))} figure(s) more than 20 % worse"
        f" than the accepted ones (docs/benchmarks/e2e.json): {listed}"
    )


def _seconds(value) -> float:
    return math.inf if value in (None, "inf", "Infinity") else float(value)


def _show(x: float) -> str:
    return "∞" if not math.isfinite(x) else f"{x:.2f}"
