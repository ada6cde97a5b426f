"""Hosts and requests for the matcher's unit tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.matcher.model import Host, Request
from shared import slots


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(slots.UTC)


def host(
    *,
    weekly=({"day": "tue", "start": "09:00", "end": "12:00"},),
    tz="Europe/Paris",
    fields=("management",),
    capacity=2,
    unavailable=(),
    email=None,
    languages=("fr", "en"),
    formats=("video", "in_person", "phone"),
    site="Paris",
    durations=(30, 60),
    last_invited_at=None,
    **kw,
) -> Host:
    return Host(
        id=kw.pop("id", uuid.uuid4()),
        email=email or f"{uuid.uuid4().hex[:8]}@example.com",
        fields=tuple(fields),
        languages=tuple(languages),
        formats=tuple(formats),
        site=site,
        tz=ZoneInfo(tz),
        durations=tuple(durations),
        monthly_capacity=capacity,
        weekly=slots.parse_weekly(weekly),
        unavailable=slots.parse_windows(
            [{"start": s, "end": e} for s, e in unavailable]
        ),
        last_invited_at=last_invited_at,
        **kw,
    )


def request(
    *windows,
    field="management",
    duration=30,
    languages=("fr",),
    fmt="video",
    site=None,
    related_ok=True,
    email="camille@example.com",
    preferred=None,
) -> Request:
    return Request(
        id=uuid.uuid4(),
        requester_email=email,
        field=field,
        format=fmt,
        duration=timedelta(minutes=duration),
        languages=tuple(languages),
        site=site,
        related_ok=related_ok,
        windows=slots.parse_windows([{"start": s, "end": e} for s, e in windows]),
        preferred_host=preferred,
    )
