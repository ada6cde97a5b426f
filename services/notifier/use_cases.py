"""Which messages each moment calls for: every use case of the notifier but
sending, each one function that queues rows in the ledger (the sender mails
them, `sender.Sender`).

Each takes a unit of work (`uow.repo`, the ledger, in one transaction; a
consumer's handler gives one that joins the consumer's transaction), the
settings, and the `cause`: the event that called for the messages (its id
keeps a redelivered event from queueing twice, its correlation id follows
the request).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifier import domain as d
from shared import retention
from shared.calendars import FAILURES
from shared.events import Event, iso


def acknowledge_request(uow, settings, cause: Event, request_id) -> None:
    """Tell the requester their request arrived: held `NOTIFY_MERGE_WINDOW`,
    so that the news that follows it (a host invited, the waitlist) goes in
    the same email."""
    with uow:
        request = uow.repo.request(request_id)
        if request is None:
            return
        uow.repo.queue(
            event=cause,
            kind="request_received",
            person=d.requester(request),
            context={"request": d.request_part(request)},
            settings=settings,
            request_id=request["id"],
            hold=settings.notify_merge_window,
        )


def _meeting(uow, settings, match_id):
    """The match with its host and request, and the ids every message about
    it carries; None if the match is gone."""
    rows = uow.repo.match_rows(match_id)
    if rows is None:
        return None
    match, host, request = rows
    ids = {"settings": settings, "request_id": request["id"], "match_id": match["id"]}
    return match, host, request, ids


def invite_host(uow, settings, cause: Event, match_id) -> None:
    """Invite the host (with signed links to answer), tell the requester."""
    with uow:
        meeting = _meeting(uow, settings, match_id)
        if meeting is None:
            return
        match, host, request, ids = meeting
        context = {
            "request": d.request_part(request),
            "match": d.match_part(match),
            "requester": d.requester(request),
            "host": {"name": host["name"]},
        }
        links = d.answer_links(settings, match["id"])
        uow.repo.queue(
            event=cause,
            kind="invitation",
            person=d.host_person(host),
            context={**context, "links": links},
            **ids,
        )
        uow.repo.queue(
            event=cause,
            kind="host_invited",
            person=d.requester(request),
            context=context,
            **ids,
        )


def tell_withdrawn(uow, settings, cause: Event, match_id) -> None:
    """An invitation withdrawn because the host's own calendar became busy at
    its time: the host hears there is nothing to answer, the requester that
    another time is being found. Nothing is said if the invitation never
    went out (its queued copy is cancelled by the sender)."""
    with uow:
        meeting = _meeting(uow, settings, match_id)
        if meeting is None:
            return
        match, host, request, ids = meeting
        if not uow.repo.was_sent(match["id"], "invitation"):
            return
        context = {
            "request": d.request_part(request),
            "match": d.match_part(match),
            "requester": {"name": request["requester_name"]},
            "host": {"name": host["name"]},
        }
        for kind, person in (
            ("invitation_withdrawn", d.host_person(host)),
            ("slot_withdrawn", d.requester(request)),
        ):
            uow.repo.queue(
                event=cause, kind=kind, person=person, context=context, **ids
            )


def tell_calendar_stale(
    uow, settings, cause: Event, host_id, failing_since, reason: str
) -> None:
    """The host's calendar has not been read for a day: told once, with why."""
    with uow:
        host = uow.repo.host(host_id)
        if host is None or not host["active"]:
            return
        uow.repo.queue(
            event=cause,
            kind="calendar_stale",
            person=d.host_person(host),
            context={
                "since": iso(failing_since),
                "reason": FAILURES.get(reason, ""),
                "links": {"host_page": settings.public_base_url + "/host"},
            },
            settings=settings,
        )


def confirm_meeting(uow, settings, cause: Event, match_id) -> None:
    """Confirm to both, with a calendar invite; queue reminders and follow-ups."""
    with uow:
        meeting = _meeting(uow, settings, match_id)
        if meeting is None:
            return
        match, host, request, ids = meeting
        people = {"requester": d.requester(request), "host": d.host_person(host)}
        context = {
            "request": d.request_part(request),
            "match": d.match_part(match),
            "requester": people["requester"],
            "host": people["host"],
            "calendar": "REQUEST",
        }
        for kind, person in (
            ("meeting_confirmed", people["requester"]),
            ("host_confirmed", people["host"]),
        ):
            uow.repo.queue(
                event=cause, kind=kind, person=person, context=context, **ids
            )
        reminder_at, followup_at = d.schedule(match, settings, datetime.now(UTC))
        for role, person in people.items():
            if reminder_at is not None:
                uow.repo.queue(
                    event=cause,
                    kind="reminder",
                    person=person,
                    context={**context, "calendar": None},
                    due_at=reminder_at,
                    **ids,
                )
            uow.repo.queue(
                event=cause,
                kind="followup",
                person=person,
                context={
                    **context,
                    "calendar": None,
                    "role": role,
                    "links": d.feedback_links(settings, match["id"], role),
                },
                due_at=followup_at,
                **ids,
            )


def tell_why_waiting(
    uow, settings, cause: Event, request_id, kind: str, reason: str
) -> None:
    """Waitlisted or unmatched: the requester hears why. A waitlisted
    request matched since is told nothing stale."""
    with uow:
        request = uow.repo.request(request_id)
        if request is None or (kind == "waitlisted" and request["status"] != kind):
            return
        uow.repo.queue(
            event=cause,
            kind=kind,
            person=d.requester(request),
            context={"request": d.request_part(request), "reason": reason},
            settings=settings,
            request_id=request["id"],
        )


def tell_cancelled(
    uow, settings, cause: Event, request_id, match_id, reason, was_confirmed: bool
) -> None:
    """Both sides told of a cancellation (the host with a calendar
    cancellation if the meeting was confirmed); the reminders and
    follow-ups still queued are cancelled."""
    with uow:
        request = uow.repo.request(request_id)
        if request is None:
            return
        uow.repo.cancel_pending(request["id"], d.SCHEDULED)
        context = {
            "request": d.request_part(request),
            "reason": reason,
            "calendar": None,
        }
        rows = uow.repo.match_rows(match_id) if match_id else None
        if rows:
            match, host, _ = rows
            context.update(
                match=d.match_part(match),
                requester=d.requester(request),
                host=d.host_person(host) if was_confirmed else {"name": host["name"]},
                calendar="CANCEL" if was_confirmed else None,
            )
            uow.repo.queue(
                event=cause,
                kind="host_cancelled",
                person=d.host_person(host),
                context=context,
                settings=settings,
                request_id=request["id"],
                match_id=match["id"],
            )
        uow.repo.queue(
            event=cause,
            kind="cancelled",
            person=d.requester(request),
            context=context,
            settings=settings,
            request_id=request["id"],
            match_id=match_id,
        )


def tell_host_left(uow, settings, cause: Event, match_id) -> None:
    """A confirmed meeting the host can no longer hold (they left): the
    requester is told, with a calendar cancellation, and their reminders
    and follow-ups are cancelled."""
    with uow:
        meeting = _meeting(uow, settings, match_id)
        if meeting is None:
            return
        match, _host, request, ids = meeting
        uow.repo.cancel_pending(request["id"], d.SCHEDULED)
        context = {
            "request": d.request_part(request),
            "match": d.match_part(match),
            "requester": d.requester(request),
            "host": d.service_as_organizer(settings),
            "calendar": "CANCEL",
        }
        uow.repo.queue(
            event=cause,
            kind="host_withdrew",
            person=d.requester(request),
            context=context,
            **ids,
        )


def forget_requester(uow, request_id) -> None:
    with uow:
        uow.repo.forget_request(request_id)
        uow.repo.forget_published(str(request_id))


def forget_host(uow, host_id) -> None:
    with uow:
        uow.repo.forget_host(host_id)


def forget_referrer(uow, request_id) -> None:
    with uow:
        uow.repo.forget_referrer(request_id)


def retry_failed_mail(uow, notification_id, *, kind, since, until) -> int:
    """Ops asked: failed mail goes back in the queue (what no longer is
    failed is left alone). Returns how many went back."""
    with uow:
        return uow.repo.retry_failed(
            notification_id, kind=kind, since=since, until=until
        )


def purge(uow, keep: retention.Retention) -> dict[str, int]:
    """What the notifier keeps no longer than its retention: its published
    and handled events, its dead letters, and the records of mail sent,
    failed or cancelled (RETAIN_MAIL)."""
    counts = retention.purge_shared(uow, keep)
    before = keep.before(keep.mail)
    counts["notifications"] = retention.in_batches(
        uow, lambda u: u.kept().logged("notifications", u.repo.purge_mail(before))
    )
    return counts
