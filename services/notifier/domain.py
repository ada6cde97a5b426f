"""The notifier's rules, with no SQL: who receives what (snapshots of the
rows an event names, so that a later change does not alter a queued mail),
the links they carry, stable Message-IDs and the back-off between tries."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from shared import links
from shared.events import iso

PRODUCER = "notifier"
SCHEDULED = ("reminder", "followup")  # queued for later; withdrawn on cancellation
# Notices to the requester with no calendar part: those about one request
# falling due within NOTIFY_MERGE_WINDOW of each other go as one email (the
# receipt is held that long, for the news that usually follows it).
TOGETHER = frozenset(
    {"request_received", "host_invited", "waitlisted", "unmatched", "slot_withdrawn"}
)
# The requester's news that their host left: its organizer is the service,
# not the host, so forgetting the host leaves it to go.
TELLS_HOST_LEFT = ("host_withdrew",)


def together(rows: list[dict]) -> list[dict]:
    """Messages sent as one, in the order of their moments; the first one's
    Message-ID is the email's, whichever of them a sender took first, so
    that a resend after a crash keeps it."""
    return sorted(rows, key=lambda r: (r["created_at"], str(r["id"])))


# What must still hold when a message is sent, for it to be sent at all: a
# lagging notifier, or mail queued for later, may meet a meeting cancelled
# or a request matched since. (The other kinds always go: a receipt, a
# cancellation, and "not matched", which is final.)
STILL_TRUE = {
    "invitation": ("match", "proposed"),
    "host_invited": ("match", "proposed"),
    "meeting_confirmed": ("match", "accepted"),
    "host_confirmed": ("match", "accepted"),
    "reminder": ("match", "accepted"),
    "followup": ("match", "accepted"),
    "waitlisted": ("request", "waitlisted"),
}


FORGOTTEN = "cancelled: the recipient's data was deleted"


@dataclass(frozen=True)
class Current:
    """Where the request and the match a message is about stand now."""

    request_status: str | None = None
    match_status: str | None = None
    requester_email: str | None = None
    host_email: str | None = None


def stale(row: dict, now: Current) -> str | None:
    """Why the message `row` must not go out now, or None if it still should."""
    people = {e for e in (now.requester_email, now.host_email) if e}
    if people and row["recipient"] not in people:
        return FORGOTTEN
    wanted = STILL_TRUE.get(row["kind"])
    if wanted is None:
        return None
    what, status = wanted
    found = now.request_status if what == "request" else now.match_status
    if found is None:  # a message about no match or request it can look up
        return None
    return None if found == status else f"cancelled: the {what} is {found}"


def requester(request: dict) -> dict:
    return {
        "email": request["requester_email"],
        "name": request["requester_name"],
        "locale": request["locale"],
        "timezone": request["timezone"],
    }


def host_person(host: dict) -> dict:
    return {
        "email": host["email"],
        "name": host["name"],
        "locale": host["locale"],
        "timezone": host["timezone"],
    }


def request_part(request: dict) -> dict:
    return {
        "id": str(request["id"]),
        "field": request["field"],
        "goal": request["goal"],
        "format": request["format"],
        "site": request.get("site"),
        "duration_minutes": request["duration_minutes"],
        "referrer_name": request["referrer_name"],
        "referrer_email": request["referrer_email"],
        "status_reason": request["status_reason"],
    }


CLOSE_FIT = 0.4  # a cosine from which the host's words are said close to the goal


def chosen_for(score: dict | None) -> str:
    """Why the matcher chose the host, in one word the invitation says in a
    sentence: `words` (their experience fits the goal best), `field` or
    `related` (a related field)."""
    score = score or {}
    fit = score.get("fit")
    if fit is not None and score.get("fit_band") == 0 and fit >= CLOSE_FIT:
        return "words"
    return "field" if score.get("exact_field", True) else "related"


def match_part(match: dict) -> dict:
    return {
        "id": str(match["id"]),
        "chosen_for": chosen_for(match.get("score")),
        "start": iso(match["starts_at"]),
        "end": iso(match["ends_at"]),
        "format": match["format"],
        "expires_at": iso(match["expires_at"]),
        "location": match["location"],
        "note": match["note"],
        "status": match["status"],
    }


def service_as_organizer(settings) -> dict:
    """Who cancels a meeting whose host is gone: the service's own address."""
    name, address = parseaddr(settings.mail_from)
    return {"name": name, "email": address}


def answer_links(settings, match_id) -> dict:
    base, key = settings.public_base_url, settings.secret_key
    return {
        "accept": links.url(base, key, "accept", match_id),
        "decline": links.url(base, key, "decline", match_id),
    }


def feedback_links(settings, match_id, who: str) -> dict:
    base, key = settings.public_base_url, settings.secret_key
    return {
        "useful": links.url(base, key, "useful", match_id, who),
        "not_useful": links.url(base, key, "not-useful", match_id, who),
    }


def message_id(event_id, recipient: str, kind: str, mail_from: str) -> str:
    """Stable across redeliveries and retries of the same (event, recipient, kind)."""
    domain = mail_from.rsplit("@", 1)[-1].strip(" >") or "matchmaker.local"
    digest = hashlib.sha256(f"{event_id}|{recipient}|{kind}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def backoff(settings, attempts: int) -> timedelta:
    """Exponential from NOTIFY_RETRY_BASE, at most an hour, with ±20 % jitter."""
    base = settings.notify_retry_base.total_seconds() * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(base, 3600) * random.uniform(0.8, 1.2))


def schedule(match: dict, settings, now: datetime) -> tuple[datetime | None, datetime]:
    """When the reminder (None if its time has passed) and the follow-up go out."""
    reminder = match["starts_at"] - settings.reminder_before
    return (reminder if reminder > now else None), match[
        "ends_at"
    ] + settings.followup_after
