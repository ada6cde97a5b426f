"""Which messages each event calls for. Each handler runs in the consumer's
transaction and only queues rows in the ledger; the sender mails them."""

from __future__ import annotations

from datetime import UTC, datetime

from services.notifier import recipients as rc
from services.notifier.ledger import cancel_pending, plan

SCHEDULED = ("reminder", "followup")


def build(settings):
    def on_intro_requested(conn, event, _outbox):
        request = rc.request_row(conn, event.payload["request_id"])
        if request is None:
            return
        plan(
            conn,
            event=event,
            kind="request_received",
            person=rc.requester(request),
            context={"request": rc.request_part(request)},
            settings=settings,
            request_id=request["id"],
        )

    def on_match_proposed(conn, event, _outbox):
        rows = rc.match_rows(conn, event.payload["match_id"])
        if rows is None:
            return
        match, host, request = rows
        context = {
            "request": rc.request_part(request),
            "match": rc.match_part(match),
            "requester": rc.requester(request),
            "host": {"name": host["name"]},
        }
        plan(
            conn,
            event=event,
            kind="invitation",
            person=rc.host_person(host),
            context={**context, "links": rc.answer_links(settings, match["id"])},
            settings=settings,
            request_id=request["id"],
            match_id=match["id"],
        )
        plan(
            conn,
            event=event,
            kind="host_invited",
            person=rc.requester(request),
            context=context,
            settings=settings,
            request_id=request["id"],
            match_id=match["id"],
        )

    def on_match_accepted(conn, event, _outbox):
        rows = rc.match_rows(conn, event.payload["match_id"])
        if rows is None:
            return
        match, host, request = rows
        people = {"requester": rc.requester(request), "host": rc.host_person(host)}
        context = {
            "request": rc.request_part(request),
            "match": rc.match_part(match),
            "requester": people["requester"],
            "host": people["host"],
            "calendar": "REQUEST",
        }
        ids = dict(settings=settings, request_id=request["id"], match_id=match["id"])
        plan(
            conn,
            event=event,
            kind="meeting_confirmed",
            person=people["requester"],
            context=context,
            **ids,
        )
        plan(
            conn,
            event=event,
            kind="host_confirmed",
            person=people["host"],
            context=context,
            **ids,
        )
        now = datetime.now(UTC)
        reminder_at = match["starts_at"] - settings.reminder_before
        followup_at = match["ends_at"] + settings.followup_after
        for role, person in people.items():
            if reminder_at > now:
                plan(
                    conn,
                    event=event,
                    kind="reminder",
                    person=person,
                    context={**context, "calendar": None},
                    due_at=reminder_at,
                    **ids,
                )
            plan(
                conn,
                event=event,
                kind="followup",
                person=person,
                context={
                    **context,
                    "calendar": None,
                    "role": role,
                    "links": rc.feedback_links(settings, match["id"], role),
                },
                due_at=followup_at,
                **ids,
            )

    def with_reason(kind: str, only_if_status: str | None = None):
        """Waitlisted or unmatched: the requester hears why."""

        def handler(conn, event, _outbox):
            request = rc.request_row(conn, event.payload["request_id"])
            if request is None or (
                only_if_status and request["status"] != only_if_status
            ):
                return  # gone, or already matched since: nothing stale is sent
            plan(
                conn,
                event=event,
                kind=kind,
                person=rc.requester(request),
                context={
                    "request": rc.request_part(request),
                    "reason": event.payload["reason"],
                },
                settings=settings,
                request_id=request["id"],
            )

        return handler

    def on_cancelled(conn, event, _outbox):
        request = rc.request_row(conn, event.payload["request_id"])
        if request is None:
            return
        cancel_pending(conn, request["id"], SCHEDULED)
        context = {
            "request": rc.request_part(request),
            "reason": event.payload.get("reason"),
            "calendar": None,
        }
        was_confirmed = event.payload.get("match_status") == "accepted"
        match_id = event.payload.get("match_id")
        if match_id:
            rows = rc.match_rows(conn, match_id)
            if rows:
                match, host, _ = rows
                context.update(
                    match=rc.match_part(match),
                    requester=rc.requester(request),
                    host=rc.host_person(host)
                    if was_confirmed
                    else {"name": host["name"]},
                    calendar="CANCEL" if was_confirmed else None,
                )
                plan(
                    conn,
                    event=event,
                    kind="host_cancelled",
                    person=rc.host_person(host),
                    context=context,
                    settings=settings,
                    request_id=request["id"],
                    match_id=match["id"],
                )
        plan(
            conn,
            event=event,
            kind="cancelled",
            person=rc.requester(request),
            context=context,
            settings=settings,
            request_id=request["id"],
            match_id=match_id,
        )

    def on_forgotten(conn, event, _outbox):
        conn.execute(
            "UPDATE notifications SET status = 'cancelled', context = '{}'"
            " WHERE request_id = %s AND status = 'pending'",
            (event.payload["request_id"],),
        )

    return {
        "IntroRequested": on_intro_requested,
        "MatchProposed": on_match_proposed,
        "MatchAccepted": on_match_accepted,
        "RequestWaitlisted": with_reason("waitlisted", only_if_status="waitlisted"),
        "RequestUnmatched": with_reason("unmatched"),
        "IntroCancelled": on_cancelled,
        "RequesterForgotten": on_forgotten,
    }
