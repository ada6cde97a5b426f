"""What staff do from intake's dashboard and its JSON API: read the
pipeline's figures, ask for a dead letter's replay, ask for failed mail to
be retried, read and export the programme's reports.

Each takes a unit of work (`uow.reports` and `uow.listings` for the reads)
and the caller (`who`): names, goals, notes and addresses are shown only to
HR (`hidden` elsewhere), and every read of someone's personal data and every
action on it is written to the access trail (`uow.audit`). None knows HTTP.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

from services.intake.audit import About
from services.intake.errors import Conflict, NotFound
from services.intake.ops import exports, themes
from services.intake.ops.listings import PAGE_SIZE
from services.intake.ops.visibility import (
    PIPELINE,
    hidden,
    redacted,
    sees_people,
    unless_hr,
)
from shared import meaning
from shared.events import iso

SCARCITY_WEEKS = 4  # the window of demand behind and of capacity ahead
UNMET_DAYS = 30  # unmatched requests grouped by topic, this far back


def summary(
    uow, taxonomy, calendar_stale_after: timedelta, who, words=None, examples=True
) -> dict:
    """The pipeline's figures; `unmet_demand` with examples of goals for
    HR, unless `examples` is False (the dashboard, which shows none)."""
    with uow:
        r = uow.reports
        funnel = r.funnel()
        fields = {
            slug: {"hosts": 0, "monthly_capacity": 0, "open_requests": 0}
            for slug in taxonomy.fields
        }
        for row in r.supply():
            if row["slug"] in fields:
                fields[row["slug"]].update(
                    hosts=row["hosts"], monthly_capacity=int(row["capacity"] or 0)
                )
        for slug, n in r.open_requests_by_field().items():
            if slug in fields:
                fields[slug]["open_requests"] = n
        scarcity = r.scarcity(SCARCITY_WEEKS)
        for slug, entry in fields.items():
            entry.update(scarcity_figures(scarcity.get(slug)))
        total = funnel["submitted"]
        return {
            "requests": r.by_status("requests"),
            "matches": r.by_status("matches"),
            "funnel": funnel,
            "match_rate": round(funnel["proposed"] / total, 4) if total else 0.0,
            "time_to_proposal_s": r.percentiles("time_to_proposal"),
            "time_to_confirmation_s": r.percentiles("time_to_confirmation"),
            "waitlist_by_field": r.waitlist_by_field(),
            "fields": fields,
            "host_utilisation": r.host_utilisation(),
            "mail_outage": _outage(r.mail_outage()),
            "calendars": _calendars(
                r.calendars(datetime.now(UTC) - calendar_stale_after), who
            ),
            "purged_30_days": r.purged(datetime.now(UTC) - timedelta(days=30)),
            "unmet_demand": unmet_demand(uow, words, who if examples else PIPELINE),
        }


def unmet_demand(uow, words, who) -> dict | None:
    """The goals of requests waiting now or not matched in the last
    `UNMET_DAYS`, grouped by meaning (`themes`): a few words, counts and
    fields per group; a few goals as examples for HR, who read them on the
    access trail. None without a model (MATCH_BY_MEANING=off)."""
    if words is None or not words.on:
        return None
    since = datetime.now(UTC) - timedelta(days=UNMET_DAYS)
    with uow:
        rows, unread = uow.reports.unmet_goals(words.model, since, themes.GOALS)
        goals = [dict(r, vector=meaning.from_bytes(r["vector"])) for r in rows]
        grouped = themes.themes(goals, words.terms, examples=sees_people(who))
        shown = sum(len(t.get("examples", ())) for t in grouped["themes"])
        if shown:
            uow.audit.record(who, "unmet_goals", detail=f"{shown} goals")
    return {**grouped, "unread": unread, "days": UNMET_DAYS}


def scarcity_figures(row: dict | None, weeks: int = SCARCITY_WEEKS) -> dict:
    """Demand and capacity of one field over `weeks`, whether it is short,
    and how many more hosts it needs: the gap between demand and capacity,
    over what one host at the field's median monthly capacity takes in
    `weeks` (at least 1), rounded up; 0 when the field is not short. Also
    how many such hosts would clear its waitlist alone."""
    row = row or {"demand": 0, "capacity": 0, "waitlisted": 0, "median": None}
    demand, capacity = int(row["demand"] or 0), int(row["capacity"] or 0)
    waiting = int(row["waitlisted"] or 0)
    median = float(row["median"] or 0)
    per_host_month = max(median, 1.0)
    per_host_window = max(round(median * 7 * weeks / 30.4375), 1)
    gap = max(demand - capacity, 0)
    return {
        "demand": demand,
        "capacity_coming_weeks": capacity,
        "hosts_needed": math.ceil(gap / per_host_window),
        "hosts_to_clear_waitlist": math.ceil(waiting / per_host_month),
        "short": gap > 0,
    }


def _calendars(found: dict, who) -> dict:
    return {
        "connected": found["connected"],
        "failing": found["failing"],
        "stale": [
            {"host_id": r["host_id"], "name": hidden(r["name"], who),
             "failing_since": iso(r["failing_since"]),
             "last_read": iso(r["refreshed_at"]), "error": r["last_error"]}
            for r in found["stale"]
        ],
        "conflicts": [
            {"match_id": r["match_id"], "request_id": r["request_id"],
             "host": hidden(r["host_name"], who), "start": iso(r["starts_at"]),
             "end": iso(r["ends_at"])}
            for r in found["conflicts"]
        ],
    }  # fmt: skip


def _outage(row: dict | None) -> dict | None:
    return {"since": iso(row["since"]), "reason": row["reason"]} if row else None


def requests_page(uow, status: str | None, field: str | None, page: int, who) -> dict:
    """A page of the requests, with requesters' addresses: HR's (audited)."""
    with uow:
        found = uow.listings.requests_page(status, field, page)
        detail = f"page {page}, status {status or 'any'}, field {field or 'any'}"
        uow.audit.record(who, "requests", detail=detail)
    dates = ("created_at", "proposed_at", "confirmed_at")
    return {
        "page": page,
        "page_size": PAGE_SIZE,
        "total": found["total"],
        "requests": [{**r, **{k: iso(r[k]) for k in dates}} for r in found["rows"]],
    }


def timeline(uow, request_id, who) -> list[dict]:
    """Every event of one request across the services, in order; the
    payloads' personal values hidden but for HR. Audited."""
    with uow:
        keys = uow.reports.request_keys(request_id)
        if keys is None:
            raise NotFound()
        rows = uow.reports.timeline(request_id, keys["correlation_id"])
        about = About(email=keys["requester_email"], request_id=request_id)
        detail = "with payloads" if sees_people(who) else "payloads hidden"
        uow.audit.record(who, "timeline", about, detail)
    out = []
    for r in rows:
        try:
            body = json.loads(bytes(r["value"]))
        except ValueError:
            body = {}
        payload = body.get("payload", {})
        out.append(
            {
                "event_type": r["event_type"],
                "producer": r["producer"],
                "topic": r["topic"],
                "event_id": str(r["event_id"]) if r["event_id"] else None,
                "occurred_at": body.get("occurred_at") or r["created_at"].isoformat(),
                "published_at": iso(r["published_at"]),
                "payload": (payload if sees_people(who) else redacted(payload)),
            }
        )
    return out


def outbox_backlog(uow) -> dict:
    with uow:
        rows = uow.reports.outbox_backlog()
    return {
        "unpublished": sum(r["unpublished"] for r in rows),
        "oldest_age_s": max((float(r["oldest_age_s"]) for r in rows), default=0.0),
        "by_producer": {
            r["producer"]: {
                "unpublished": r["unpublished"],
                "oldest_age_s": float(r["oldest_age_s"]),
            }
            for r in rows
        },
    }


def dead_letters(uow, who, limit: int = 200) -> list[dict]:
    """The latest dead letters; their messages (and headers, which may quote
    them) and the addresses in their errors only for HR (audited)."""
    with uow:
        rows = uow.reports.dead_letters(limit)
        if sees_people(who):
            uow.audit.record(who, "dead_letters", detail=f"latest {limit}")
    return [
        {
            "id": r["id"],
            "consumer": r["consumer"],
            "topic": r["topic"],
            "partition": r["partition"],
            "offset": r["offset"],
            "key": r["key"],
            "reason": r["reason"],
            "error": unless_hr(r["error"], who),
            "headers": hidden(r["headers"], who),
            "value": hidden(bytes(r["value"]).decode("utf-8", "replace")[:4000], who),
            "created_at": r["created_at"].isoformat(),
            "replay_requested_at": iso(r["replay_requested_at"]),
            "replayed_at": iso(r["replayed_at"]),
            "replay_result": r["replay_result"],
        }
        for r in rows
    ]


def failed_mail(uow, who, limit: int = 200) -> list[dict]:
    """The latest failed mail; recipients, and the addresses the mail
    server's errors quote, only for HR (audited)."""
    with uow:
        rows = uow.reports.failed_mail(limit)
        if sees_people(who):
            uow.audit.record(who, "failed_mail", detail=f"latest {limit}")
    return [
        {**r, "recipient": hidden(r["recipient"], who),
         "last_error": unless_hr(r["last_error"], who),
         "created_at": r["created_at"].isoformat()}
        for r in rows
    ]  # fmt: skip


def request_replay(uow, dead_letter_id: int, who) -> None:
    """Ops asks the consuming service to replay one dead letter (it does, in
    a job, once in effect). Audited."""
    with uow:
        outcome = uow.repo.request_replay(dead_letter_id)
        if outcome not in ("missing", "already"):
            uow.audit.record(who, "replay", detail=f"dead letter {dead_letter_id}")
    if outcome == "missing":
        raise NotFound()
    if outcome == "already":
        raise Conflict("already_replayed")


def retry_failed_mail(uow, notification_id, who) -> None:
    """Ops asks the notifier, which owns the mail ledger, to send a failed
    message again (MailRetryRequested). Audited."""
    with uow:
        if not uow.reports.is_failed_mail(notification_id):
            raise NotFound()
        uow.audit.record(who, "retry", detail=f"notification {notification_id}")
        uow.outbox().emit(
            "MailRetryRequested", notification_id, {"notification_id": notification_id}
        )


def retry_all_failed_mail(uow, kind: str | None, since, until, who) -> int:
    """Ops asks the notifier to send again every failed message (of one
    kind, failed in a time range); returns how many are failed now. Audited."""
    with uow:
        n = uow.reports.failed_mail_count(kind, since, until)
        if n:
            uow.audit.record(who, "retry", detail=f"{n} failed, kind {kind or 'any'}")
            uow.outbox().emit(
                "MailRetryRequested",
                "all",
                {"notification_id": None, "kind": kind, "since": since, "until": until},
            )
    return n


def export(uow, table: str, filters: dict, personal: bool, who) -> tuple[tuple, list]:
    """The header and rows of a CSV export of `requests` or `matches`,
    filtered by status, field and a range of creation times; names and
    emails only when `personal` (audited)."""
    with uow:
        names = "with names" if personal else "free text, no names"
        uow.audit.record(who, "export", detail=f"{table}.csv, {names}")
        read = (
            uow.listings.export_requests
            if table == "requests"
            else uow.listings.export_matches
        )
        rows = read(
            filters.get("status"),
            filters.get("field"),
            filters.get("since"),
            filters.get("until"),
            personal,
        )
    return exports.table(table, rows, personal)


def trend(uow, weeks: int) -> list[dict]:
    with uow:
        rows = uow.reports.weekly_trend(weeks)
    return [{**r, "start": r["start"].isoformat()} for r in rows]


def feedback(uow) -> list[dict]:
    with uow:
        rows = uow.reports.feedback()
    return [
        {
            "field": r["field"],
            "month": r["month"],
            "requester": {"useful": r["ru"], "not_useful": r["rn"]},
            "host": {"useful": r["hu"], "not_useful": r["hn"]},
        }
        for r in rows
    ]


def hosts_page(uow, view: str, page: int, who=None) -> dict:
    """A page of the hosts by their load this month; `who`: HR reading it
    through the API (audited; the dashboard's own page is not)."""
    with uow:
        found = uow.listings.hosts_page(view, page)
        if who is not None:
            uow.audit.record(who, "hosts", detail=f"{view}, page {page}")
    return {
        "view": view,
        "page": page,
        "page_size": PAGE_SIZE,
        "total": found["total"],
        "pages": max(math.ceil(found["total"] / PAGE_SIZE), 1),
        "hosts": [
            {
                **r,
                "utilisation": round(r["booked"] / max(r["capacity"], 1), 4),
            }
            for r in found["rows"]
        ],
    }
