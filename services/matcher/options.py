"""The matcher's own settings: how often its periodic jobs run."""

from __future__ import annotations

import os
from dataclasses import dataclass

from shared.config import parse_duration


@dataclass(frozen=True)
class Intervals:
    expiry_s: float = 30
    retry_s: float = 60
    give_up_s: float = 300
    completion_s: float = 300


VARIABLES = {
    "expiry_s": "MATCHER_EXPIRY_INTERVAL",
    "retry_s": "MATCHER_RETRY_INTERVAL",
    "give_up_s": "MATCHER_UNMATCHED_INTERVAL",
    "completion_s": "MATCHER_COMPLETION_INTERVAL",
}


def intervals(env=None) -> Intervals:
    """Read the MATCHER_*_INTERVAL variables (seconds or ISO-8601 durations);
    a bad one raises shared.config.ConfigError naming it."""
    env = os.environ if env is None else env
    values = {}
    for attr, variable in VARIABLES.items():
        raw = env.get(variable)
        if raw:
            values[attr] = max(parse_duration(variable, raw).total_seconds(), 0.05)
    return Intervals(**values)
