"""Hosts, requests and meetings as the matcher sees them (no SQL here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from shared import slots

# what reading a stored row may raise when it holds what intake would refuse
# (a time zone naming a folder of the tz database raises an OSError): the
# row is passed over, never fatal to a match
UNREADABLE = (ValueError, KeyError, TypeError, OverflowError, OSError)
MAX_ATTEMPTS = (
    5  # proposals per request (declined or expired ones count) before it is unmatched
)


@dataclass
class Host:
    id: UUID
    email: str
    fields: tuple[str, ...]
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    site: str | None
    tz: ZoneInfo
    durations: tuple[int, ...]
    monthly_capacity: int
    weekly: tuple[slots.Weekly, ...]
    unavailable: tuple[tuple[datetime, datetime], ...]
    active: bool = True
    last_invited_at: datetime | None = None
    paused_until: date | None = None  # no invitation before this day

    @classmethod
    def from_row(cls, row: dict) -> Host:
        return cls(
            id=row["id"],
            email=row["email"].lower(),
            fields=tuple(row["fields"]),
            languages=tuple(row["languages"]),
            formats=tuple(row["formats"]),
            site=row["site"],
            tz=ZoneInfo(row["timezone"]),
            durations=tuple(row["durations"]),
            monthly_capacity=row["monthly_capacity"],
            weekly=slots.parse_weekly(row["weekly_availability"]),
            unavailable=slots.parse_windows(row["unavailable"] or []),
            active=row["active"],
            last_invited_at=row.get("last_invited_at"),
            paused_until=row.get("paused_until"),
        )


@dataclass
class Request:
    id: UUID
    requester_email: str
    field: str
    format: str
    duration: timedelta
    languages: tuple[str, ...]
    site: str | None
    related_ok: bool
    windows: tuple[tuple[datetime, datetime], ...]
    preferred_host: UUID | None = None
    attempts: int = 0
    status: str = "submitted"
    goal: str = ""

    @classmethod
    def from_row(cls, row: dict) -> Request:
        return cls(
            id=row["id"],
            requester_email=row["requester_email"].lower(),
            field=row["field"],
            format=row["format"],
            duration=timedelta(minutes=row["duration_minutes"]),
            languages=tuple(row["languages"]),
            site=row["site"],
            related_ok=row["related_ok"],
            windows=slots.parse_windows(row["availability"]),
            preferred_host=row.get("preferred_host"),
            attempts=row.get("attempts", 0),
            status=row.get("status", "submitted"),
            goal=row.get("goal") or "",
        )


@dataclass
class Agenda:
    """A host's live meetings: what they block and how many fall in each month;
    and the busy times read from the host's own calendar, which block too."""

    meetings: list[tuple[datetime, datetime]] = field(default_factory=list)
    per_month: dict[str, int] = field(default_factory=dict)
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)

    def add(self, start: datetime, end: datetime, month: str) -> None:
        self.meetings.append((start, end))
        self.per_month[month] = self.per_month.get(month, 0) + 1


def paused(host: Host, now: datetime) -> bool:
    """The host asked for no invitation before a day still to come."""
    return (
        host.paused_until is not None
        and now.astimezone(host.tz).date() < host.paused_until
    )


def conditions(host: Host) -> tuple:
    """A host's conditions: all that `refusal` and `paused` read of a host
    but who they are (id, address) and their fields. Hosts of the same
    conditions covering one field are refused alike (the matcher's pools
    decide once per conditions)."""
    return (
        host.active, host.monthly_capacity, host.durations, host.formats,
        host.site, host.languages, host.tz, host.paused_until,
    )  # fmt: skip


def refusal(
    host: Host, request: Request, related: set[str], excluded: set
) -> str | None:
    """Why `host` may never be proposed for `request`, or None."""
    if not host.active:
        return "inactive"
    if host.email == request.requester_email:
        return "self"
    if host.id in excluded:
        return "declined-or-expired"
    if host.monthly_capacity <= 0:
        return "no-capacity"
    if request.field not in host.fields and not (
        request.related_ok and related & set(host.fields)
    ):
        return "field"
    if int(request.duration.total_seconds() // 60) not in host.durations:
        return "duration"
    if request.format not in host.formats:
        return "format"
    if request.format == "in_person" and host.site != request.site:
        return "site"
    if not set(host.languages) & set(request.languages):
        return "language"
    return None


def full_months(host: Host, agenda: Agenda) -> set[str]:
    return {m for m, n in agenda.per_month.items() if n >= host.monthly_capacity}


def slot_for(host: Host, request: Request, agenda: Agenda, not_before: datetime):
    return slots.earliest_slot(
        requester_windows=request.windows,
        weekly=host.weekly,
        tz=host.tz,
        blocked=list(host.unavailable) + agenda.meetings + agenda.busy,
        duration=request.duration,
        not_before=not_before,
        full_months=full_months(host, agenda),
    )
