"""Which messages each event calls for.

Each handler runs in the consumer's transaction and only queues rows in the
ledger (the sender mails them); `wiring.ROUTES` says which event calls
which. The last argument, `mail`, carries the settings and how to reach the
ledger (`mail.repository(conn)`), so a unit test can hand in its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services.notifier import domain as d
from services.notifier.repository import Repository
from shared.calendars import FAILURES
from shared.events import Event, iso


@dataclass(frozen=True)
class Mail:
    settings: object
    repository: type = Repository


def intro_requested(conn, event: Event, _ob, mail: Mail) -> None:
    repo = mail.repository(conn)
    request = repo.request(event.payload["request_id"])
    if request is None:
        return
    repo.plan(
        event=event,
        kind="request_received",
        person=d.requester(request),
        context={"request": d.request_part(request)},
        settings=mail.settings,
        request_id=request["id"],
    )


def _meeting(conn, event: Event, mail: Mail):
    """The ledger, the match the event names with its host and request, and
    the ids every message about it carries; None if the match is gone."""
    repo = mail.repository(conn)
    rows = repo.match_rows(event.payload["match_id"])
    if rows is None:
        return None
    match, host, request = rows
    ids = {
        "settings": mail.settings,
        "request_id": request["id"],
        "match_id": match["id"],
    }
    return repo, match, host, request, ids


def match_proposed(conn, event: Event, _ob, mail: Mail) -> None:
    meeting = _meeting(conn, event, mail)
    if meeting is None:
        return
    repo, match, host, request, ids = meeting
    context = {
        "request": d.request_part(request),
        "match": d.match_part(match),
        "requester": d.requester(request),
        "host": {"name": host["name"]},
    }
    repo.plan(
        event=event,
        kind="invitation",
        person=d.host_person(host),
        context={**context, "links": d.answer_links(mail.settings, match["id"])},
        **ids,
    )
    repo.plan(
        event=event,
        kind="host_invited",
        person=d.requester(request),
        context=context,
        **ids,
    )


def match_expired(conn, event: Event, _ob, mail: Mail) -> None:
    """An invitation withdrawn because the host's own calendar became busy at
    its time: the host hears there is nothing to answer, the requester that
    another time is being found. Nothing is said if the invitation never went
    out (its queued copy is withdrawn by the sender), nor for a plain expiry."""
    if not event.payload["calendar_conflict"]:
        return
    meeting = _meeting(conn, event, mail)
    if meeting is None:
        return
    repo, match, host, request, ids = meeting
    if not repo.was_sent(match["id"], "invitation"):
        return
    context = {
        "request": d.request_part(request),
        "match": d.match_part(match),
        "requester": {"name": request["requester_name"]},
        "host": {"name": host["name"]},
    }
    repo.plan(
        event=event,
        kind="invitation_withdrawn",
        person=d.host_person(host),
        context=context,
        **ids,
    )
    repo.plan(
        event=event,
        kind="slot_withdrawn",
        person=d.requester(request),
        context=context,
        **ids,
    )


def host_calendar_stale(conn, event: Event, _ob, mail: Mail) -> None:
    """The host's calendar has not been read for a day: told once, with why."""
    repo = mail.repository(conn)
    host = repo.host(event.payload["host_id"])
    if host is None or not host["active"]:
        return
    repo.plan(
        event=event,
        kind="calendar_stale",
        person=d.host_person(host),
        context={
            "since": iso(event.payload["failing_since"]),
            "reason": FAILURES.get(event.payload["reason"], ""),
            "links": {"host_page": mail.settings.public_base_url + "/host"},
        },
        settings=mail.settings,
    )


def match_accepted(conn, event: Event, _ob, mail: Mail) -> None:
    meeting = _meeting(conn, event, mail)
    if meeting is None:
        return
    repo, match, host, request, ids = meeting
    people = {"requester": d.requester(request), "host": d.host_person(host)}
    context = {
        "request": d.request_part(request),
        "match": d.match_part(match),
        "requester": people["requester"],
        "host": people["host"],
        "calendar": "REQUEST",
    }
    repo.plan(
        event=event,
        kind="meeting_confirmed",
        person=people["requester"],
        context=context,
        **ids,
    )
    repo.plan(
        event=event,
        kind="host_confirmed",
        person=people["host"],
        context=context,
        **ids,
    )
    reminder_at, followup_at = d.schedule(match, mail.settings, datetime.now(UTC))
    for role, person in people.items():
        if reminder_at is not None:
            repo.plan(
                event=event,
                kind="reminder",
                person=person,
                context={**context, "calendar": None},
                due_at=reminder_at,
                **ids,
            )
        repo.plan(
            event=event,
            kind="followup",
            person=person,
            context={
                **context,
                "calendar": None,
                "role": role,
                "links": d.feedback_links(mail.settings, match["id"], role),
            },
            due_at=followup_at,
            **ids,
        )


def _with_reason(
    conn, event: Event, mail: Mail, kind: str, only_if: str | None
) -> None:
    """Waitlisted or unmatched: the requester hears why."""
    repo = mail.repository(conn)
    request = repo.request(event.payload["request_id"])
    if request is None or (only_if and request["status"] != only_if):
        return  # gone, or already matched since: nothing stale is sent
    repo.plan(
        event=event,
        kind=kind,
        person=d.requester(request),
        context={"request": d.request_part(request), "reason": event.payload["reason"]},
        settings=mail.settings,
        request_id=request["id"],
    )


def request_waitlisted(conn, event: Event, _ob, mail: Mail) -> None:
    _with_reason(conn, event, mail, "waitlisted", only_if="waitlisted")


def request_unmatched(conn, event: Event, _ob, mail: Mail) -> None:
    _with_reason(conn, event, mail, "unmatched", only_if=None)


def intro_cancelled(conn, event: Event, _ob, mail: Mail) -> None:
    """Both sides told (the host with a calendar cancellation if the meeting
    was confirmed); the reminders and follow-ups still queued withdrawn."""
    repo = mail.repository(conn)
    request = repo.request(event.payload["request_id"])
    if request is None:
        return
    repo.cancel_pending(request["id"], d.SCHEDULED)
    context = {
        "request": d.request_part(request),
        "reason": event.payload.get("reason"),
        "calendar": None,
    }
    was_confirmed = event.payload.get("match_status") == "accepted"
    match_id = event.payload.get("match_id")
    rows = repo.match_rows(match_id) if match_id else None
    if rows:
        match, host, _ = rows
        context.update(
            match=d.match_part(match),
            requester=d.requester(request),
            host=d.host_person(host) if was_confirmed else {"name": host["name"]},
            calendar="CANCEL" if was_confirmed else None,
        )
        repo.plan(
            event=event,
            kind="host_cancelled",
            person=d.host_person(host),
            context=context,
            settings=mail.settings,
            request_id=request["id"],
            match_id=match["id"],
        )
    repo.plan(
        event=event,
        kind="cancelled",
        person=d.requester(request),
        context=context,
        settings=mail.settings,
        request_id=request["id"],
        match_id=match_id,
    )


def match_declined(conn, event: Event, _ob, mail: Mail) -> None:
    """A confirmed meeting the host can no longer hold (they left): the
    requester is told, with a calendar cancellation, and their reminders and
    follow-ups are withdrawn. (An invitation merely declined needs no mail:
    the next host's invitation follows.)"""
    if not event.payload["was_confirmed"]:
        return
    meeting = _meeting(conn, event, mail)
    if meeting is None:
        return
    repo, match, _host, request, ids = meeting
    repo.cancel_pending(request["id"], d.SCHEDULED)
    context = {
        "request": d.request_part(request),
        "match": d.match_part(match),
        "requester": d.requester(request),
        "host": d.service_as_organizer(mail.settings),
        "calendar": "CANCEL",
    }
    repo.plan(
        event=event,
        kind="host_withdrew",
        person=d.requester(request),
        context=context,
        **ids,
    )


def requester_forgotten(conn, event: Event, _ob, mail: Mail) -> None:
    repo = mail.repository(conn)
    repo.redact_request(event.payload["request_id"])
    repo.forget_published(str(event.payload["request_id"]))


def host_forgotten(conn, event: Event, _ob, mail: Mail) -> None:
    mail.repository(conn).redact_host(event.payload["host_id"])


def referrer_forgotten(conn, event: Event, _ob, mail: Mail) -> None:
    mail.repository(conn).redact_referrer(event.payload["request_id"])


def mail_retry_requested(conn, event: Event, _ob, mail: Mail) -> None:
    """Ops asked: failed mail goes back in the queue (what no longer is
    failed is left alone)."""
    p = event.payload
    mail.repository(conn).retry_failed(
        p["notification_id"], kind=p["kind"], since=p["since"], until=p["until"]
    )
