"""The sample bodies of the contract (`../shared/CONTRACT.md`): one request
and one host profile, which tests, benchmarks and the demo vary with
keyword overrides rather than writing their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def request_body(
    *, start: datetime | None = None, hours: float = 3, **overrides
) -> dict:
    """`POST /api/v1/requests`: free for `hours` from `start` (default: three
    days from now, on the hour)."""
    if start is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = now + timedelta(days=3)
    body = {
        "name": "Camille Durand",
        "field": "management",
        "goal": "Discover the job before applying",
        "format": "video",
        "duration_minutes": 30,
        "languages": ["fr"],
        "site": None,
        "timezone": "Europe/Paris",
        "related_ok": True,
        "availability": [
            {
                "start": start.isoformat(),
                "end": (start + timedelta(hours=hours)).isoformat(),
            }
        ],
        "referrer": {"name": "Jean Martin", "email": "jean.martin@example.com"},
        "preferred_host": None,
    }
    return {**body, **overrides}


def host_body(**overrides) -> dict:
    """`PUT /api/v1/hosts/me`."""
    body = {
        "name": "Nathalie Renard",
        "fields": ["management"],
        "languages": ["fr", "en"],
        "formats": ["video", "in_person", "phone"],
        "site": "Paris-La Défense",
        "timezone": "Europe/Paris",
        "durations": [30, 60],
        "monthly_capacity": 2,
        "weekly_availability": [{"day": "tue", "start": "09:00", "end": "12:00"}],
        "unavailable": [],
        "active": True,
    }
    return {**body, **overrides}
