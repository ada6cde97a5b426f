"""The time now, in UTC: the one clock every service reads (tests pass
their own callable where a use case takes `clock`)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)
