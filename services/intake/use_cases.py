"""The use cases of requests, host profiles, invitations and personal
data, each one function shared by every entry point that offers it (the
JSON API, the pages, the email links, the ops API). Those of hosts' own
calendars are in `calendars/use_cases.py`, those of ops in
`ops/use_cases.py`.

Each takes a unit of work (`uow`: `uow.repo`, `uow.hosts`, `uow.calendars`
and `uow.outbox()` in one transaction), runs in `with uow:`, and raises
`errors.*` to refuse; it knows no HTTP.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.intake import domain
from services.intake.audit import About
from services.intake.errors import Conflict, NotFound
from shared import metrics, retention
from shared.clock import utc_now
from shared.statuses import (
    CANCELLED_BY_OPS,
    CANCELLED_BY_REQUESTER,
    DATA_DELETED,
    HOST_LEFT,
    OPEN_REQUEST_STATUSES,
)

ANSWERS = ("accept", "decline")
FEEDBACK = {"useful": True, "not-useful": False}


# -- requests --------------------------------------------------------------


def submit_request(
    uow, who, data: dict, *, limits: domain.Limits, locale: str,
    idempotency_key: str | None = None, correlation_id=None,
) -> tuple[dict, dict | None, bool]:  # fmt: skip
    """A new request and its IntroRequested; or, for the same key and body,
    the request made before. Returns (request, live match, created)."""
    digest = domain.fingerprint(data)
    with uow:
        submitter = limits.submitter(who.email)
        checks = uow.repo.submission_checks(
            who.email, idempotency_key, data["preferred_host"], submitter
        )
        again = domain.check_submission(
            checks, who=who.email, data=data, digest=digest, limits=limits
        )
        if again is not None:
            return again, uow.repo.live_match(again["id"]), False
        request_id = uuid.uuid4()
        event = uow.outbox(correlation_id).emit(
            "IntroRequested",
            request_id,
            domain.request_payload(request_id, who.email, data, locale),
        )
        row = uow.repo.add_request(
            request_id, who.email, data, locale=locale,
            correlation_id=event.correlation_id, key=idempotency_key, digest=digest,
        )  # fmt: skip
        uow.repo.log_submission(submitter)
        return row, None, True


def cancel_request(uow, who, request_id, reason: str | None) -> dict:
    """Cancel an open request (and the meeting it holds); IntroCancelled,
    saying who cancelled it: the requester, or ops on their behalf."""
    with uow:
        row = domain.ensure_owner(uow.repo.lock_request(request_id), who)
        by = "requester" if row["requester_email"] == who.email else "ops"
        default = CANCELLED_BY_REQUESTER if by == "requester" else CANCELLED_BY_OPS
        if by == "ops":
            uow.audit.record(who, "cancel", _about(row))
        return _cancel(uow, row, reason, by, reason or default)


def _about(row: dict) -> About:
    return About(email=row["requester_email"], request_id=row["id"])


def _cancel(uow, row: dict, reason: str | None, by: str, status_reason: str) -> dict:
    if row["status"] not in OPEN_REQUEST_STATUSES:
        raise Conflict("not_cancellable")
    updated, match = uow.repo.cancel(row["id"], status_reason)
    uow.outbox(row["correlation_id"]).emit(
        "IntroCancelled", row["id"], domain.cancel_payload(row["id"], reason, by, match)
    )
    return updated


def get_request(uow, who, request_id) -> tuple[dict, dict | None]:
    with uow:
        row = domain.ensure_owner(uow.repo.request(request_id), who)
        if row["requester_email"] != who.email:
            uow.audit.record(who, "request", _about(row))
        return row, uow.repo.live_match(request_id)


def list_requests(uow, who) -> list[tuple[dict, dict | None]]:
    with uow:
        return uow.repo.requests_of(who.email)


# -- hosts -------------------------------------------------------------------


def put_host(
    uow, who, data: dict, *, locale: str, limits: domain.Limits
) -> tuple[dict, bool]:
    """Create or replace the caller's host profile; HostProfileChanged. Each
    save wakes the matcher: at most `limits.host_saves` an hour."""
    with uow:
        saver = limits.submitter(who.email)
        limits.check("host_profile", uow.repo.recent_actions(saver, "host_profile"))
        uow.repo.log_action(saver, "host_profile")
        row, created = uow.hosts.save_host(who.email, data, locale)
        uow.outbox().emit(
            "HostProfileChanged",
            row["id"],
            domain.host_payload(row["id"], who.email, data, locale),
        )
        return row, created


def get_host(uow, who) -> dict:
    with uow:
        row = uow.hosts.host_of(who.email)
    if row is None:
        raise NotFound()
    return row


def next_free_slots(uow, who, lead: timedelta, n: int = 5) -> list[tuple]:
    """The caller's next free slots as a host: what the matcher could offer."""
    with uow:
        host = uow.hosts.host_of(who.email)
        if host is None:
            return []
        meetings = uow.hosts.meetings_of(host["id"])
        calendar = uow.calendars.calendar_of(host["id"])
    busy = calendar["busy"] if calendar else []
    return domain.next_free_slots(
        host, meetings, utc_now() + lead, n, busy=[(r.lower, r.upper) for r in busy]
    )


def list_invitations(uow, who) -> list[dict]:
    with uow:
        return uow.repo.invitations(who.email)


# -- the host's answer -----------------------------------------------------


def answer_invitation(
    uow, host_email: str, match_id, answer: str, details: dict
) -> dict:
    """The invited host accepts (location, note) or declines (reason) an open
    invitation: MatchAccepted or MatchDeclined. `host_email` is the caller's
    identity, or the host named by a signed email link. Returns the invitation."""
    if answer not in ANSWERS:
        raise NotFound()
    with uow:
        match = domain.ensure_answerable(
            uow.repo.lock_for_answer(match_id), host_email, utc_now()
        )
        uow.repo.answer(match, answer, details)
        event = "MatchAccepted" if answer == "accept" else "MatchDeclined"
        uow.outbox(match["correlation_id"]).emit(
            event, match["request_id"], domain.answer_payload(match, answer, details)
        )
        invitation = uow.repo.invitation(match_id)
    metrics.host_answers.labels("accepted" if answer == "accept" else "declined").inc()
    return invitation


def invitation_for_link(uow, match_id) -> dict:
    """The invitation an email link names (the signed token is the authority)."""
    with uow:
        match = uow.repo.invitation(match_id)
    if match is None:
        raise NotFound()
    return match


def record_feedback(uow, match_id, respondent: str, answer: str) -> None:
    """'Was it useful?' from the follow-up email, once per side (the last
    answer stands); only for a meeting that took place."""
    with uow:
        match = uow.repo.invitation(match_id)
        if match is None or match["status"] != "accepted" or answer not in FEEDBACK:
            raise NotFound()
        uow.repo.save_feedback(match_id, respondent, FEEDBACK[answer])


# -- personal data -----------------------------------------------------------


def export_person(uow, who, *, by=None) -> dict:
    """Everything intake holds about the caller (views applied by the edge):
    their requests, their host profile, the invitations sent to them, and the
    requests of others that name them as who recommended them. `by`: the
    member of HR who asks for it on the person's behalf (audited)."""
    with uow:
        if by is not None:
            uow.audit.record(by, "person_export", About(email=who.email))
        host = uow.hosts.host_of(who.email)
        return {
            "email": who.email,
            "requests": uow.repo.requests_of(who.email, limit=10_000),
            "host_profile": host,
            "calendar": host and uow.calendars.calendar_of(host["id"]),
            "invitations": uow.repo.invitations(who.email, limit=10_000),
            "recommended": uow.repo.referred_by(who.email),
        }


LEFT = HOST_LEFT


def forget_person(uow, who, *, by=None) -> dict:
    """Forget the caller. Their requests are forgotten (open ones
    cancelled); their host profile too: open invitations declined, accepted
    meetings left (each requester is told and matched again); their
    name and address leave other people's requests (as referrer). Stored
    events and dead letters about them are emptied, and those of others that
    name them in a person's field (found by their address, never by text)
    lose that field, before any new event is written; RequesterForgotten,
    ReferrerForgotten and HostForgotten tell the other services. Locks in
    the one order: requests, matches, then the host row. `by`: the member
    of HR who forgets a leaver (audited)."""
    counts = {"requests": 0, "host_profile": 0}
    with uow:
        if by is not None:
            uow.audit.record(by, "forget", About(email=who.email))
        rows = uow.repo.lock_requests_of(who.email)
        host = uow.hosts.host_of(who.email)
        meetings = uow.hosts.lock_live_meetings_of(host["id"]) if host else []
        host = uow.hosts.lock_host_of(who.email) if host else None
        keys = [str(r["id"]) for r in rows] + ([str(host["id"])] if host else [])
        uow.repo.forget_traces(keys, who.email)  # before the events below are written
        for row in rows:
            if row["status"] in OPEN_REQUEST_STATUSES:
                _cancel(
                    uow,
                    row,
                    DATA_DELETED,
                    "requester",
                    DATA_DELETED,
                )
            uow.repo.forget_request(row["id"])
            uow.outbox(row["correlation_id"]).emit(
                "RequesterForgotten", row["id"], {"request_id": row["id"]}
            )
            counts["requests"] += 1
        for other in uow.repo.forget_referrer(who.email):
            uow.outbox(other["correlation_id"]).emit(
                "ReferrerForgotten", other["id"], {"request_id": other["id"]}
            )
        if host:
            for match in meetings:
                _host_leaves(uow, match)
            uow.hosts.forget_host(host["id"])
            uow.calendars.drop_calendar(host["id"])  # its address, password, busy times
            uow.outbox().emit("HostForgotten", host["id"], {"host_id": host["id"]})
            counts["host_profile"] = 1
        uow.sessions.forget(who.email)
    return counts


def sign_out(uow, email: str) -> None:
    """Sessions signed before now are no longer anyone's (AUTH_MODE=oidc)."""
    with uow:
        uow.sessions.sign_out(email)


def signed_out_at(uow, email: str):
    with uow:
        return uow.sessions.signed_out_at(email)


def purge(uow, keep: retention.Retention, now=None) -> dict[str, int]:
    """What intake keeps no longer than its retention: its published
    events; closed introductions' names, goals and notes; the hourly
    limits' rows past their hour; the access trail."""
    now = now or utc_now()
    counts = retention.purge_shared(uow, keep, now)
    before = keep.before(keep.introductions, now)
    counts["requests"] = retention.in_batches(
        uow, lambda u: u.kept().logged("requests", u.repo.purge_introductions(before))
    )
    counts["submissions"] = retention.in_batches(
        uow, lambda u: u.kept().logged("submissions", u.repo.purge_submissions())
    )
    before_sessions = keep.before(keep.sessions, now)
    counts["sign_outs"] = retention.in_batches(
        uow, lambda u: u.kept().logged("sign_outs", u.sessions.purge(before_sessions))
    )
    before_audit = keep.before(keep.audit, now)
    counts["audit"] = retention.in_batches(
        uow, lambda u: u.kept().logged("audit", u.audit.purge(before_audit))
    )
    return counts


def _host_leaves(uow, match: dict) -> None:
    """An open invitation is declined; an accepted meeting is left."""
    details = {"reason": LEFT}
    confirmed = match["status"] == "accepted"
    if confirmed:
        uow.hosts.leave(match, LEFT)
    else:
        uow.repo.answer(match, "decline", details)
    payload = {
        **domain.answer_payload(match, "decline", details),
        "was_confirmed": confirmed,
    }
    uow.outbox(match["correlation_id"]).emit(
        "MatchDeclined", match["request_id"], payload
    )
