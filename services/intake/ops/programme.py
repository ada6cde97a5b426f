"""HR's and the DPO's use cases: the programme's reports, forgetting
leavers, a person's export, the access trail, and the trail's line for each
message opened in the mail viewer. Each takes a unit of work and the caller
where it acts for someone, and knows no HTTP."""

from __future__ import annotations

import email.utils

from services.intake import domain
from services.intake import use_cases as core
from services.intake.audit import About

REPORTS = ("field", "site", "month")
AUDIT_LINES = 1000  # the newest, per read


def report(uow, by: str) -> list[dict]:
    """Requests, introductions held, the median time to a meeting and the
    feedback, per field, site or month."""
    with uow:
        rows = uow.reports.programme(by)
    return [
        {**r, "median_days_to_meeting": (
            round(r["median_s"] / 86400, 1) if r["median_s"] is not None else None
        )}
        for r in rows
    ]  # fmt: skip


def forget_people(uow, emails: list[str], who) -> list[dict]:
    """HR forgets leavers, each as `DELETE /api/v1/me` would (one
    transaction each, audited); what was found of each."""
    done = []
    for address in emails:
        counts = core.forget_person(uow, domain.Person(address), by=who)
        done.append({"email": address, **counts})
    return done


def export_person(uow, email: str, who) -> dict:
    """Everything intake holds about one person, for HR (audited)."""
    return core.export_person(uow, domain.Person(email), by=who)


def audit_trail(uow, filters: dict) -> list[dict]:
    """The access trail, the newest first, filtered by person (address),
    actor, action and time."""
    with uow:
        rows = uow.audit.lines(**filters, limit=AUDIT_LINES)
    return [
        {**r, "at": r["at"].isoformat(), "roles": list(r["roles"]),
         "request_id": r["request_id"] and str(r["request_id"]),
         "host_id": r["host_id"] and str(r["host_id"])}
        for r in rows
    ]  # fmt: skip


def mail_opened(uow, name: str, recipients: str, who) -> None:
    """A message of the development mail sink read by staff (audited: a
    line per recipient)."""
    addresses = [a.lower() for _, a in email.utils.getaddresses([recipients]) if a]
    with uow:
        for address in addresses[:20] or [None]:
            uow.audit.record(who, "mail", About(email=address), name)
