"""Intake's rules, with no SQL and no HTTP: who may do what, the limits on
submissions, when two submissions are the same, and what each event says."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.intake.errors import Conflict, Invalid, NotAllowed, NotFound, TooMany
from shared import slots
from shared.events import json_default
from shared.i18n import N_

PRODUCER = "intake"


@dataclass(frozen=True)
class Person:
    """Someone staff act for or about, by address (a leaver HR forgets)."""

    email: str


@dataclass(frozen=True)
class Limits:
    max_open: int  # open requests per requester (409 beyond)
    per_hour: int  # submissions per requester and hour (429 beyond)
    secret: str = ""  # keys the hash that counts submissions per identity
    host_saves: int = 20  # host profile saves per person and hour (429 beyond)
    calendar_reads: int = 12  # calendar connections and checks per person and hour

    @classmethod
    def from_settings(cls, s) -> Limits:
        return cls(
            max_open=s.max_open_requests,
            per_hour=s.submissions_per_hour,
            secret=s.secret_key,
            host_saves=s.host_saves_per_hour,
            calendar_reads=s.calendar_reads_per_hour,
        )

    def check(self, action: str, recent: int) -> None:
        """Refuse one more `action` after `recent` in the last hour."""
        most = {"host_profile": self.host_saves, "calendar": self.calendar_reads}
        if recent >= most[action]:
            raise TooMany("too_many_" + action)

    def submitter(self, email: str) -> bytes:
        """Who submits, as the submission log knows them: a keyed hash of the
        authenticated identity, which outlives the deletion of their data
        and says nothing of them to whoever reads the table."""
        return hmac.new(self.secret.encode(), email.encode(), hashlib.sha256).digest()


@dataclass(frozen=True)
class SubmissionChecks:
    """What the store says before a submission."""

    existing: dict | None  # the request already made under this Idempotency-Key
    preferred_host_email: str | None  # None: no such active host (or none asked)
    open: int
    recent: int


def fingerprint(data: dict) -> str:
    """The same validated body gives the same fingerprint, however it came
    (the API's JSON or the form's fields)."""
    canonical = json.dumps(data, sort_keys=True, default=json_default)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_submission(
    checks: SubmissionChecks, *, who: str, data: dict, digest: str, limits: Limits
) -> dict | None:
    """The request to answer with again (same key, same body), or None when a
    new one may be made; otherwise raise why not."""
    if checks.existing is not None:
        if checks.existing["idempotency_hash"] != digest:
            raise Conflict("idempotency_conflict")
        return checks.existing
    if data["preferred_host"] is not None:
        if checks.preferred_host_email is None:
            raise Invalid({"preferred_host": [N_("Unknown host.")]})
        if checks.preferred_host_email == who:
            raise Invalid({"preferred_host": [N_("You cannot ask yourself.")]})
    if checks.recent >= limits.per_hour:
        raise TooMany()
    if checks.open >= limits.max_open:
        raise Conflict("too_many_open", n=limits.max_open)
    return None


def windows(items) -> list[dict]:
    return [
        {"start": w["start"].isoformat(), "end": w["end"].isoformat()} for w in items
    ]


def referrer(data: dict) -> dict | None:
    r = data["referrer"]
    return {"name": r["name"], "email": r["email"].lower()} if r else None


def request_payload(request_id, who: str, data: dict, locale: str) -> dict:
    """IntroRequested."""
    return {
        "request_id": request_id,
        "requester": {"name": data["name"], "email": who},
        "field": data["field"],
        "goal": data["goal"],
        "format": data["format"],
        "duration_minutes": data["duration_minutes"],
        "languages": data["languages"],
        "site": data["site"],
        "timezone": data["timezone"],
        "related_ok": data["related_ok"],
        "availability": windows(data["availability"]),
        "referrer": referrer(data),
        "preferred_host": data["preferred_host"],
        "locale": locale,
    }


def host_payload(host_id, who: str, data: dict, locale: str) -> dict:
    """HostProfileChanged."""
    return {
        "host_id": host_id,
        "email": who,
        "name": data["name"],
        "fields": data["fields"],
        "languages": data["languages"],
        "formats": data["formats"],
        "site": data["site"],
        "timezone": data["timezone"],
        "durations": data["durations"],
        "monthly_capacity": data["monthly_capacity"],
        "weekly_availability": data["weekly_availability"],
        "unavailable": windows(data["unavailable"]),
        "active": data["active"],
        "listed": data["listed"],
        "paused_until": data["paused_until"],
        "locale": locale,
    }


def cancel_payload(request_id, reason: str | None, by: str, match: dict | None) -> dict:
    """IntroCancelled, naming the live match it ended, if any."""
    return {
        "request_id": request_id,
        "reason": reason,
        "cancelled_by": by,
        "match_id": match["id"] if match else None,
        "host_id": match["host_id"] if match else None,
        "match_status": match["status"] if match else None,
    }


def answer_payload(match: dict, answer: str, details: dict) -> dict:
    """MatchAccepted (location, note) or MatchDeclined (reason)."""
    base = {
        "match_id": match["id"],
        "request_id": match["request_id"],
        "host_id": match["host_id"],
    }
    if answer == "accept":
        return {
            **base,
            "location": details.get("location"),
            "note": details.get("note"),
        }
    return {**base, "reason": details.get("reason")}


def ensure_owner(row: dict | None, who) -> dict:
    """A requester sees and changes only their own requests; HR see all."""
    if row is None:
        raise NotFound()
    if row["requester_email"] != who.email and not who.has("hr"):
        raise NotAllowed()
    return row


def ensure_answerable(match: dict | None, host_email: str, now: datetime) -> dict:
    """Only the invited host answers, and only while the invitation is open."""
    if match is None:
        raise NotFound()
    if match["host_email"] != host_email:
        raise NotAllowed()
    if (
        match["status"] != "proposed"
        or min(match["expires_at"], match["starts_at"]) <= now
    ):
        raise Conflict("not_proposed")  # answered, withdrawn, expired, or already begun
    return match


def next_free_slots(
    host: dict, meetings: list[dict], not_before: datetime, n: int = 5, busy=()
):
    """The first `n` slots the matcher could offer a host, over four weeks:
    their weekly grid, less time off, live meetings, the busy times of their
    own calendar and full months, for the shortest meeting they offer.
    [(start, end)], in UTC."""
    if not host["active"] or not host["durations"] or host["monthly_capacity"] <= 0:
        return []
    zone = ZoneInfo(host["timezone"])
    if (
        host.get("paused_until")
        and not_before.astimezone(zone).date() < host["paused_until"]
    ):
        not_before = datetime.combine(host["paused_until"], time(0), tzinfo=zone)
    per_month: dict[str, int] = {}
    for m in meetings:
        per_month[m["month"]] = per_month.get(m["month"], 0) + 1
    full = {
        month for month, count in per_month.items() if count >= host["monthly_capacity"]
    }
    blocked = list(slots.parse_windows(host["unavailable"] or []))
    blocked += [(m["starts_at"], m["ends_at"]) for m in meetings]
    blocked += list(busy)
    weekly = slots.parse_weekly(host["weekly_availability"])
    duration = timedelta(minutes=min(host["durations"]))
    until = not_before + timedelta(weeks=4)
    found = []
    while len(found) < n:
        slot = slots.earliest_slot(
            requester_windows=[(not_before, until)],
            weekly=weekly,
            tz=zone,
            blocked=blocked,
            duration=duration,
            not_before=not_before,
            full_months=full,
        )
        if slot is None:
            break
        found.append(slot)
        blocked.append(slot)
        not_before = slot[1]
    return found
